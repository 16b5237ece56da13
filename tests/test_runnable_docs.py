"""Every shell block in README.md and docs/*.md marked runnable runs here and exits 0.

The marker is ``<!-- runnable -->`` alone on the line before a ```` ```bash ```` (or ``sh``) fence;
docs/plugins.md#runnable-shell-blocks-in-the-docs says how a block is run. Each block is one ``bash -e -o
pipefail`` script, with DATABRICKS_HOST and DATABRICKS_TOKEN pointing at a fresh fake workspace,
this Python's bin directory first on PATH, and as working directory a scratch copy of the
repository's layout whose ``.venv/bin`` is that bin directory.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub_databricks.testing import FakeWorkspace

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- runnable -->"
SHELLS = ("bash", "sh", "shell")
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<info>[^`]*)$")
TIMEOUT = 30.0  # seconds per block; the marked blocks take about 1 s per `hub` command
SKIPPED_ENTRIES = {".git", ".venv", ".tox", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    code: str

    @property
    def name(self) -> str:
        return f"{shown(self.path)}:{self.line}"


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def runnable_blocks(path: Path) -> list[Block]:
    """The marked blocks of one Markdown file; a marker not followed by a shell fence is an error."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    for index, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        where = f"{shown(path)}:{index + 1}"
        fence = FENCE.match(lines[index + 1]) if index + 1 < len(lines) else None
        if fence is None or fence["info"].split()[:1] not in ([s] for s in SHELLS):
            raise ValueError(f"{where}: {MARKER} must be followed by a ```bash or ```sh fence on the next line")
        body = []
        for inner in lines[index + 2 :]:
            if inner.strip() == "```":
                break
            body.append(inner)
        else:
            raise ValueError(f"{where}: the block after {MARKER} is never closed")
        blocks.append(Block(path, index + 2, textwrap.dedent("\n".join(body)) + "\n"))
    return blocks


def all_blocks() -> list[Block]:
    return [block for path in doc_files() for block in runnable_blocks(path)]


def scratch_checkout(where: Path) -> Path:
    """A directory laid out like the repository (links to its files) whose .venv/bin is this Python's."""
    for entry in ROOT.iterdir():
        if entry.name not in SKIPPED_ENTRIES:
            (where / entry.name).symlink_to(entry)
    # Not resolved: a virtual environment's python is itself a link, and its bin directory is the point.
    bin_dir = Path(sys.executable).parent
    if (bin_dir.parent / "pyvenv.cfg").is_file():  # link the environment itself: python finds it by pyvenv.cfg
        (where / ".venv").symlink_to(bin_dir.parent, target_is_directory=True)
    else:
        (where / ".venv").mkdir()
        (where / ".venv" / "bin").symlink_to(bin_dir, target_is_directory=True)
    return where


def run_block(code: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``code`` as one bash script; on timeout its whole process group is stopped."""
    process = subprocess.Popen(
        ["bash", "-e", "-o", "pipefail", "-c", code],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        stderr += f"\n(stopped after {TIMEOUT:g} s)"
        return subprocess.CompletedProcess(process.args, -signal.SIGKILL, stdout, stderr)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def block_environment() -> dict[str, str]:
    """The test's environment (conftest.py has stripped HUB_*, DATABRICKS_*, ...; the workspace fixture
    has pointed DATABRICKS_HOST and DATABRICKS_TOKEN at the fake) with this Python's bin first on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]), "NO_COLOR": "1"}


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.splitlines()[-lines:])


def test_some_blocks_are_marked() -> None:
    names = [block.name for block in all_blocks()]
    assert any(name.startswith("README.md") for name in names), f"no {MARKER} block in README.md: {names}"
    assert len(names) >= 4, f"only {names} are marked {MARKER}"


def test_a_misplaced_marker_is_an_error(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(f"{MARKER}\n\n```bash\ntrue\n```\n", encoding="utf-8")
    with pytest.raises(ValueError, match="must be followed by"):
        runnable_blocks(doc)
    doc.write_text(f"{MARKER}\n```python\nprint()\n```\n", encoding="utf-8")
    with pytest.raises(ValueError, match="must be followed by"):
        runnable_blocks(doc)


def test_the_block_is_read_whole_and_dedented(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(f"1. step\n\n   {MARKER}\n   ```sh\n   echo one\n     echo two\n   ```\n", encoding="utf-8")
    [block] = runnable_blocks(doc)
    assert (block.line, block.code) == (4, "echo one\n  echo two\n")


def test_a_failing_line_fails_the_block(tmp_path: Path) -> None:
    env = dict(os.environ)
    assert run_block("false\necho not reached\n", tmp_path, env).returncode != 0
    assert run_block("false | cat\n", tmp_path, env).returncode != 0  # pipefail
    assert run_block("true\n", tmp_path, env).returncode == 0


@pytest.mark.parametrize("block", all_blocks(), ids=lambda block: block.name)
def test_runnable_block(block: Block, workspace: FakeWorkspace, tmp_path: Path) -> None:
    assert os.environ["DATABRICKS_HOST"] == workspace.url
    result = run_block(block.code, scratch_checkout(tmp_path), block_environment())
    assert result.returncode == 0, (
        f"{block.name} exited with {result.returncode}:\n{block.code}\n"
        f"--- stdout ---\n{tail(result.stdout)}\n--- stderr ---\n{tail(result.stderr)}"
    )
