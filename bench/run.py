"""Benchmarks for hub-core: warm throughput, stampede, scale of one workspace, start-up, memory, bounds,
a huge token response, a forged list in Redis.

    .venv/bin/python bench/run.py              # all of them, prints a Markdown table
    .venv/bin/python bench/run.py --only warm  # or workers, stampede, scale, breakdown, startup, memory,
                                               # bounds, token, loop, shared, metrics, compression

Needs `wrk` and `redis-server` (Debian packages). Every server runs on 127.0.0.1.
Figures are comparable only within one run on one machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

from redis_server import redis_server  # noqa: E402
from serving import free_port, running_hub, wait_for_http  # noqa: E402

from hub_databricks.testing import DEFAULT_PAT  # noqa: E402

HUB_PATH = "/public/model_hub?provider=databricks"
BARE_PATH = "/public/model_hub"
ROWS: list[tuple[str, str, str]] = []


def row(name: str, value: str, target: str = "") -> None:
    ROWS.append((name, value, target))
    print(f"  {name}: {value}" + (f"  (target {target})" if target else ""), flush=True)


@contextmanager
def fake_workspace(count: int, scenario: str = "many") -> Iterator[str]:
    """The fake workspace in its own process, so its CPU and memory are not counted as the hub's."""
    port = free_port()
    command = ["-m", "hub_databricks.testing", "--port", str(port), "--scenario", scenario, "--count", str(count)]
    process = subprocess.Popen([sys.executable, *command], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/_fake/stats", process=process, timeout=120)
        yield url
    finally:
        process.terminate()
        process.wait()


def list_calls(url: str) -> int:
    return int(httpx.get(f"{url}/_fake/stats").json()["list_calls"])


def databricks_env(url: str) -> dict[str, str]:
    return {"DATABRICKS_HOST": url, "DATABRICKS_TOKEN": DEFAULT_PAT, "HUB_LOG_LEVEL": "WARNING"}


# -- 1. warm throughput ----------------------------------------------------------------


def wrk(url: str, seconds: int, connections: int) -> tuple[float, str, str]:
    return wrk_together([url], seconds, connections)[0]


def wrk_together(urls: list[str], seconds: int, connections: int) -> list[tuple[float, str, str]]:
    """One ``wrk`` per URL, all at once, ``connections`` each: (req/s, p50, p99) per URL."""
    processes = [
        subprocess.Popen(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url], stdout=subprocess.PIPE, text=True
        )
        for url in urls
    ]
    results = []
    for url, process in zip(urls, processes, strict=True):
        out, _ = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"wrk failed at {url} (exit {process.returncode})")
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        p50 = re.search(r"50%\s+(\S+)", out).group(1)  # type: ignore[union-attr]
        p99 = re.search(r"99%\s+(\S+)", out).group(1)  # type: ignore[union-attr]
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if errors:
            raise RuntimeError(f"wrk saw {errors.group(1)} error responses at {url}")
        results.append((rps, p50, p99))
    return results


@contextmanager
def bare_app(body_file: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "BENCH_BODY_FILE": str(body_file)}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(ROOT / "bench"), "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + BARE_PATH, process=process)
        yield base
    finally:
        process.terminate()
        process.wait()


def bench_warm(seconds: int, connections: int) -> None:
    print("1. warm throughput (200 live endpoints, one worker each)", flush=True)
    with fake_workspace(200) as url, running_hub("--no-access-log", **databricks_env(url)) as hub:
        body = httpx.get(hub + HUB_PATH).content
        assert len(httpx.get(hub + HUB_PATH).json()) == 200
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            handle.write(body)
        try:
            with bare_app(Path(handle.name)) as bare:
                assert httpx.get(bare + BARE_PATH).content == body, "both must serve the same bytes"
                wrk(bare + BARE_PATH, 2, connections)  # warm-up
                wrk(hub + HUB_PATH, 2, connections)
                bare_rps, bare_p50, bare_p99 = wrk(bare + BARE_PATH, seconds, connections)
                hub_rps, hub_p50, hub_p99 = wrk(hub + HUB_PATH, seconds, connections)
        finally:
            os.unlink(handle.name)
    row("warm: bare FastAPI req/s (p50 / p99)", f"{bare_rps:,.0f} ({bare_p50} / {bare_p99})")
    row("warm: hub req/s (p50 / p99)", f"{hub_rps:,.0f} ({hub_p50} / {hub_p99})")
    row("warm: hub / bare", f"{hub_rps / bare_rps:.2f}", ">= 0.80")
    row("warm: body size", f"{len(body):,} bytes")


def bench_workers(seconds: int, connections: int) -> None:
    """Warm ``/public/model_hub`` from one ``hub serve`` with 1 and then 2 worker processes (each its
    own cache, then sharing Redis), and from two single-worker processes sharing Redis."""
    print("1b. workers: warm /public/model_hub, 1 and 2 uvicorn workers, 2 processes (200 live endpoints)", flush=True)
    rates: dict[str, float] = {}

    def measure(name: str, bases: list[str]) -> None:
        # The same load generator every time: two wrk processes, half the connections each.
        urls = [b + BARE_PATH for b in bases] * (2 // len(bases))
        wrk_together(urls, 3, connections // 2)  # warm-up: every cache fills
        results = wrk_together(urls, seconds, connections // 2)
        rates[name] = sum(rps for rps, _, _ in results)
        p99 = " / ".join(p for _, _, p in results)
        row(f"workers: {name}, req/s (p99)", f"{rates[name]:,.0f} ({p99})")

    with fake_workspace(200) as url:
        env = databricks_env(url)
        for workers in ("1", "2"):
            with running_hub("--no-access-log", "--workers", workers, **env) as hub:
                measure(f"{workers} worker{'s' if workers != '1' else ''}", [hub])
        if shutil.which("redis-server") is not None:
            with redis_server() as (redis_url, _):
                shared = {**env, "HUB_REDIS_URL": redis_url}
                with running_hub("--no-access-log", "--workers", "2", **shared) as hub:
                    measure("2 workers sharing Redis", [hub])
                with running_hub("--no-access-log", **shared) as one, running_hub("--no-access-log", **shared) as two:
                    measure("2 processes sharing Redis", [one, two])
    one = rates["1 worker"]
    for name, rate in rates.items():
        if name != "1 worker":
            row(f"workers: {name} / 1 worker", f"{rate / one:.2f}", "(2 cores, wrk on the same cores)")


# -- 2. stampede -------------------------------------------------------------------------


async def burst(bases: list[str], total: int) -> list[int]:
    limits = httpx.Limits(max_connections=total, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        responses = await asyncio.gather(*(client.get(bases[i % len(bases)] + HUB_PATH) for i in range(total)))
    return [r.status_code for r in responses]


def bench_stampede(total: int) -> None:
    print(f"2. stampede ({total} concurrent requests, cold cache)", flush=True)
    with fake_workspace(200) as url, running_hub(**databricks_env(url)) as hub:
        statuses = asyncio.run(burst([hub], total))
        calls = list_calls(url)
    ok = statuses.count(200)
    row("stampede: one hub, upstream calls", f"{calls} ({ok}/{total} answered 200)", "1")
    if shutil.which("redis-server") is None:
        row("stampede: two hubs + Redis", "skipped: no redis-server")
        return
    with redis_server() as (redis_url, _), fake_workspace(200) as url:
        env = {**databricks_env(url), "HUB_REDIS_URL": redis_url}
        with running_hub(**env) as one, running_hub(**env) as two:
            statuses = asyncio.run(burst([one, two], total))
            calls = list_calls(url)
    ok = statuses.count(200)
    row("stampede: two hubs sharing Redis, upstream calls", f"{calls} ({ok}/{total} answered 200)", "1")


# -- 3. scale of one workspace -----------------------------------------------------------


async def refreshes(
    url: str, count: int, endpoints: int = 5000, *, rebuild: bool = False, touch: int = 0
) -> tuple[list[float], int]:
    """CPU seconds of ``count`` refreshes (discovery, conversion, serialisation) in one running hub.

    The list does not change between them, so from the second on the hub reuses what it made of the
    first; with ``rebuild``, the hub and the workspace client forget what they would reuse before
    each, so every refresh decodes, parses, converts and serialises the whole list, as after a change
    in it (the previous view is still freed during the refresh, as it then is). With ``touch``, the
    fake workspace updates that many endpoints before each refresh (a state flip and a later
    ``last_updated_timestamp``), as in a workspace where a few changed.
    """
    import hub_databricks
    from hub_core.testing import make_hub

    os.environ.update(databricks_env(url))
    os.environ["HUB_DATABRICKS_MAX_ENDPOINTS"] = str(max(endpoints, 5000))
    hub = make_hub({"databricks": hub_databricks}, discovery_timeout=300)
    gc.freeze()  # as create_app does after start-up
    cpu = []
    try:
        for _ in range(count):
            if rebuild and cpu:  # private state, read with getattr so that older commits can be measured
                getattr(hub, "_converted", {}).clear()
                for target in await hub.targets("databricks"):
                    target.handle._last = None
            if touch and cpu:
                httpx.post(f"{url}/_fake/touch", params={"count": touch}).raise_for_status()
            hub.cache.invalidate()
            started = time.process_time()
            body, _ = await hub.model_hub_body("databricks")
            cpu.append(time.process_time() - started)
    finally:
        await hub.aclose()
    return cpu, body.count(b'"model_group"')


def bench_scale(count: int) -> None:
    print(f"3. scale of one workspace ({count} endpoints)", flush=True)
    touched = max(1, count // 100)
    with fake_workspace(count) as url:
        cpu, n = asyncio.run(refreshes(url, 6, count))
        built, _ = asyncio.run(refreshes(url, 6, count, rebuild=True))
        changed, _ = asyncio.run(refreshes(url, 6, count, touch=touched))
        tracemalloc.start()
        asyncio.run(refreshes(url, 1, count))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert n == count, f"expected {count} model groups, got {n}"
    warm, full, few = sorted(cpu[1:]), sorted(built[1:]), sorted(changed[1:])
    per = 1000 / count
    row("scale: hub CPU, first refresh in a new process", f"{cpu[0] * 1000:.0f} ms")
    row("scale: hub CPU, full rebuilds (median of 5)", f"{full[2] * 1000:.0f} ms", "<= 150 ms at 5,000")
    row("scale: ... per 1,000 endpoints", f"{full[2] * 1000 * per:.0f} ms", "<= 50 ms")
    row(f"scale: hub CPU, {touched:,} endpoints changed (median of 5)", f"{few[2] * 1000:.0f} ms")
    row("scale: ... per 1,000 endpoints", f"{few[2] * 1000 * per:.1f} ms")
    row("scale: hub CPU, later refreshes, list unchanged (median of 5)", f"{warm[2] * 1000:.0f} ms")
    row("scale: ... per 1,000 endpoints", f"{warm[2] * 1000 * per:.1f} ms")
    row("scale: peak Python memory of a first refresh", f"{peak / 2**20:.1f} MiB ({peak * per / 2**20:.1f} per 1,000)")


def bench_breakdown(count: int) -> None:
    """Where a refresh's CPU goes, piece by piece, in this process (best of 4, GC paused)."""
    import orjson

    from hub_core import gc_paused
    from hub_core.conversion import merge
    from hub_core.testing import bundled_catalog
    from hub_core.views import MODEL_GROUPS
    from hub_databricks.convert import to_model_group
    from hub_databricks.parse import parse_endpoints
    from hub_databricks.testing import many_endpoints

    print(f"3b. where a refresh of {count} endpoints spends its CPU", flush=True)
    catalog = bundled_catalog()
    raw = orjson.dumps({"endpoints": many_endpoints(count)})
    best: dict[str, float] = {}
    for _ in range(4):
        with gc_paused():
            marks = [time.process_time()]
            items = orjson.loads(raw)["endpoints"]
            marks.append(time.process_time())
            endpoints = parse_endpoints(items, target="default", host="https://example")
            marks.append(time.process_time())
            groups = [to_model_group(e, catalog) for e in endpoints]
            marks.append(time.process_time())
            merged, _ = merge("databricks", endpoints, [(g, True) for g in groups])
            marks.append(time.process_time())
            body = MODEL_GROUPS.dump_json(merged)
            marks.append(time.process_time())
        names = ("decode", "parse", "convert", "merge", "serialise")
        for name, start, end in zip(names, marks[:-1], marks[1:], strict=True):
            best[name] = min(best.get(name, 1e9), end - start)
    row("breakdown: bytes of the list", f"{len(raw):,}")
    row("breakdown: bytes of the model-hub body", f"{len(body):,}")
    for name, seconds in best.items():
        row(f"breakdown: {name}", f"{seconds * 1000:.0f} ms")


# -- 4. start-up -------------------------------------------------------------------------


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def bench_startup(runs: int) -> None:
    print("4. start-up (`hub serve`, no credentials: bundled catalog)", flush=True)
    times, rss = [], []
    for _ in range(runs):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABRICKS_", "HUB_"))}
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "hub_core", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/public/model_hub", interval=0.01, process=process)
            times.append(time.perf_counter() - started)
            rss.append(rss_mib(process.pid))
        finally:
            process.terminate()
            process.wait()
    times.sort()
    row("start-up: `hub serve` to first 200 (median)", f"{times[len(times) // 2]:.2f} s", "<= 1.5 s")
    row("start-up: RSS at first 200 (max)", f"{max(rss):.0f} MiB", "<= 100 MiB")


# -- 5. memory: what a hub holds per 1,000 endpoints, and the endpoint cap ----------------------


def _status_kib(field: str) -> int:
    return int(re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1))  # type: ignore[union-attr]


def memory_child(url: str, refreshes: int, deadline: float) -> None:
    """Run in a fresh process (``--memory-child``): refresh one workspace, print RSS figures as JSON."""
    import hub_databricks
    import hub_databricks.client
    import hub_databricks.convert
    import hub_databricks.parse  # imported now, so that they are in the baseline
    from hub_core.errors import HubError
    from hub_core.testing import make_hub

    os.environ.update(databricks_env(url))
    hub = make_hub({"databricks": hub_databricks}, discovery_timeout=deadline)
    gc.collect()
    base = _status_kib("VmRSS")
    result: dict[str, Any] = {"base_kib": base}

    async def run() -> None:
        for _ in range(refreshes):
            hub.cache.invalidate()
            started, cpu = time.perf_counter(), time.process_time()
            try:
                await hub.model_hub_body("databricks")
                await hub.endpoints_body("databricks")
                result["outcome"] = "served"
            except HubError as error:
                result["outcome"] = f"{type(error).__name__}: {error.message[:140]}"
            result["seconds"] = time.perf_counter() - started
            # CPU the process spends after the request gave up (work abandoned at the deadline).
            cpu_at_answer = time.process_time()
            await asyncio.sleep(2.0)
            result["cpu_after_answer"] = time.process_time() - cpu_at_answer
            result["cpu_until_answer"] = cpu_at_answer - cpu
        gc.collect()
        result["retained_kib"] = _status_kib("VmRSS") - base
        result["peak_kib"] = _status_kib("VmHWM") - base
        await hub.aclose()

    asyncio.run(run())
    print(json.dumps(result))


def measure_memory(
    scenario: str, count: int, *, refreshes: int = 1, deadline: float = 600.0, env: dict[str, str] | None = None
) -> Any:
    with fake_workspace(count, scenario) as url:
        child = ["--memory-child", url, "--refreshes", str(refreshes), "--deadline", str(deadline)]
        out = subprocess.run(
            [sys.executable, __file__, *child],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **(env or {})},
        ).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_memory() -> None:
    print("5. memory: RSS a hub holds per 1,000 endpoints, and the endpoint cap", flush=True)
    big = {"HUB_DATABRICKS_MAX_ENDPOINTS": "1000000", "HUB_DATABRICKS_MAX_RESPONSE_BYTES": str(2**30)}
    for count in (10_000, 100_000):
        figures = measure_memory("many", count, env=big)
        assert figures["outcome"] == "served", figures
        per = 1000 / count / 1024
        row(
            f"memory: {count:,} endpoints, per 1,000 (retained / peak RSS)",
            f"{figures['retained_kib'] * per:.1f} / {figures['peak_kib'] * per:.1f} MiB",
        )
    tiny = 400_000  # about 20 MB of JSON: just under the default 20 MiB response limit
    capped = measure_memory("tiny", tiny, refreshes=3)
    row(
        f"cap: {tiny:,} tiny endpoints, default cap of 5,000 (3 refreshes)",
        f"refused in {capped['seconds']:.2f} s; retained {capped['retained_kib'] / 1024:.0f} MiB, "
        f"peak {capped['peak_kib'] / 1024:.0f} MiB",
    )
    assert "more than the limit of 5,000" in capped["outcome"], capped
    late = measure_memory("tiny", tiny, deadline=3.0, env=big)
    assert "did not finish within" in late["outcome"], late
    row(
        f"deadline: {tiny:,} tiny endpoints, cap off, 3 s deadline",
        f"answered after {late['seconds']:.1f} s; CPU before the answer {late['cpu_until_answer']:.1f} s, "
        f"in the 2 s after it {late['cpu_after_answer'] * 1000:.0f} ms",
    )


# -- 6. bounds: request bodies do not stall the event loop -------------------------------------


def probe_stall(base: str, post: Any) -> tuple[float, str]:
    """Largest /healthz latency (ms) while ``post()`` runs, and what the post got.

    The probe runs in its own thread with a blocking client, so the sender's work does not
    delay it; both spend their time in socket calls, outside the GIL.
    """
    latencies: list[float] = []
    done = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while not done.is_set():
                started = time.perf_counter()
                client.get("/healthz")
                latencies.append(time.perf_counter() - started)
                time.sleep(0.005)

    thread = threading.Thread(target=probe)
    thread.start()
    time.sleep(0.3)
    try:
        outcome = post()
    except httpx.HTTPError as error:
        outcome = type(error).__name__
    time.sleep(0.3)
    done.set()
    thread.join()
    return max(latencies) * 1000, outcome


def bench_bounds() -> None:
    print("6. bounds: /healthz latency while hostile bodies arrive", flush=True)
    url = "/public/databricks/endpoints/discover"
    keys = {"host": "https://adb-1.7.azuredatabricks.net", "token": "dapi-bench"}
    fields = {f"k{i}": i for i in range(200_000)}
    many_keys = json.dumps({**keys, **fields}, separators=(",", ":")).encode()
    twelve = json.dumps({f"key_{i}": i for i in range(600_000)}, separators=(",", ":")).encode()
    json_headers = {"Content-Type": "application/json"}

    def chunks(data: bytes) -> Iterator[bytes]:
        for i in range(0, len(data), 65536):
            yield data[i : i + 65536]

    env = {"HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS": "true", "HUB_API_KEYS": "bench-key", "HUB_LOG_LEVEL": "WARNING"}
    off = {"HUB_API_KEYS": "bench-key", "HUB_LOG_LEVEL": "WARNING"}
    bearer = {"Authorization": "Bearer bench-key"}
    cases = [
        ("idle (no post)", env, None, {}),
        (f"{len(many_keys) / 1e6:.1f} MB of 200,000 unknown keys, with the key", env, many_keys, bearer),
        (f"{len(twelve) / 1e6:.0f} MB object, no key", env, twelve, {}),
        (f"{len(twelve) / 1e6:.0f} MB object chunked, no key", env, "chunked", {}),
        (f"{len(twelve) / 1e6:.0f} MB object chunked, with the key, route off", off, "chunked", bearer),
    ]
    for name, settings, body, headers in cases:
        with running_hub("--no-access-log", **settings) as base:

            def send(body: Any = body, headers: dict[str, str] = headers, base: str = base) -> str:
                if body is None:
                    time.sleep(1.0)
                    return "-"
                content = chunks(twelve) if body == "chunked" else body
                with httpx.Client(base_url=base, timeout=60) as client:
                    response = client.post(url, content=content, headers={**json_headers, **headers})
                    return f"{response.status_code}, {len(response.content):,} bytes"

            stall, outcome = probe_stall(base, send)
        row(f"bounds: {name}: max /healthz latency", f"{stall:.0f} ms (answer: {outcome})")


# -- 8. the event loop: a cheap route's latency while each expensive route is built ------------

LOOP_ROUTES = [
    ("/public/model_hub?provider=databricks", "model hub (refresh: discovery, conversion)"),
    ("/public/model_hub?available=true", "model hub, available only"),
    ("/public/databricks/endpoints", "endpoints"),
    ("/public/databricks/serving_endpoints", "legacy serving_endpoints"),
    ("/public/databricks/litellm_model_list", "LiteLLM model_list"),
    ("/public/v1/model_hub", "v1 first page"),
    ("/public/v1/model_hub?page=400&page_size=100", "v1 page 400"),
    ("/public/v1/model_hub?sort=-max_input_tokens,provider&filter%5Bmode%5D%5Bin%5D=chat,embedding&q=end",
     "v1 sorted, filtered, searched"),
    ("/public/v1/model_hub/providers", "v1 providers facet"),
    ("/public/v1/model_hub/modes?filter%5Bavailable%5D=true", "v1 modes facet, filtered"),
    ("/public/v1/model_hub/features", "v1 features facet"),
]  # fmt: skip


PROBE = """
import json, sys, threading, time
import httpx

stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
latencies = []
with httpx.Client(base_url=sys.argv[1], timeout=60) as client:
    client.get("/healthz")
    print("ready", flush=True)
    while not stop.is_set():
        started = time.perf_counter()
        client.get("/healthz")
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(0.002)
print(json.dumps(latencies), flush=True)
"""


def probe_latencies(base: str, work: Any) -> tuple[list[float], Any]:
    """/healthz latencies (ms) measured while ``work()`` runs, and what it returned.

    The probe is its own process, so the work's client (reading a 50 MB body) does not
    delay it through this process's GIL.
    """
    probe = subprocess.Popen(
        [sys.executable, "-c", PROBE, base], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert probe.stdin is not None and probe.stdout is not None
    try:
        assert probe.stdout.readline().strip() == "ready"
        time.sleep(0.2)
        outcome = work()
        time.sleep(0.2)
    finally:
        probe.stdin.write("stop\n")
        probe.stdin.flush()
        out = probe.stdout.read()
        probe.wait()
    return json.loads(out.strip().splitlines()[-1]), outcome


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def bench_loop(count: int) -> None:
    print(f"8. event loop: /healthz while each expensive route is first built, {count:,} endpoints", flush=True)
    with fake_workspace(count) as url:
        env = {
            **databricks_env(url),
            "HUB_DATABRICKS_MAX_ENDPOINTS": str(count),  # the body limit follows it
            "HUB_DISCOVERY_TIMEOUT": "120",
        }
        with running_hub("--no-access-log", timeout=120, **env) as base, httpx.Client(base_url=base, timeout=300) as c:
            for path, name in LOOP_ROUTES:

                def fetch(path: str = path) -> tuple[int, float, int]:
                    started = time.perf_counter()
                    response = c.get(path)
                    return response.status_code, time.perf_counter() - started, len(response.content)

                latencies, (status, seconds, size) = probe_latencies(base, fetch)
                assert status == 200, (path, status)
                warm = min(fetch()[1] for _ in range(3))
                row(
                    f"loop: {name}: /healthz p99 / max while built",
                    f"{_p99(latencies):.0f} / {max(latencies):.0f} ms "
                    f"(route: first {seconds * 1000:.0f} ms, warm {warm * 1000:.1f} ms, {size:,} bytes)",
                    "p99 <= 20 ms",
                )


# -- 7. a huge OAuth token response -----------------------------------------------------

TOKEN_PROBE = """
import asyncio, resource, sys, time
sys.path.insert(0, sys.argv[2])
from hostile_workspace import HostileWorkspace
from pydantic import SecretStr
from hub_databricks.client import WorkspaceClient
from hub_databricks.config import WorkspaceConfig

async def main():
    with HostileWorkspace(token_mode="huge", huge_bytes=int(sys.argv[1])) as fake:
        workspace = WorkspaceConfig(name="w", host=fake.url, auth="oauth-m2m", client_id="sp",
                                    client_secret=SecretStr("bench-secret"))
        client = WorkspaceClient(workspace)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.monotonic()
        try:
            await client.list_endpoints()
            outcome = "accepted"
        except Exception as error:
            outcome = type(error).__name__
        elapsed = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        await client.aclose()
    print(f"{elapsed:.2f} {before:.0f} {after:.0f} {outcome}")

asyncio.run(main())
"""


def bench_token(size: int) -> None:
    print(f"7. an OAuth token response of {size / 2**20:.0f} MiB, streamed without Content-Length", flush=True)
    out = subprocess.run(
        [sys.executable, "-c", TOKEN_PROBE, str(size), str(ROOT / "tests" / "support")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    elapsed, before, after, outcome = float(out[0]), float(out[1]), float(out[2]), out[3]
    row("huge token response: time to refuse", f"{elapsed:.2f} s ({outcome})", "within the 10 s deadline")
    row("huge token response: peak RSS", f"{before:.0f} -> {after:.0f} MiB", "no growth with the body")


def bench_shared(count: int) -> None:
    print(f"8. a forged list of {count:,} tiny endpoints in Redis, no signing key", flush=True)
    import redis

    from hub_core.codec import DiscoveryCodec
    from hub_core.models import Discovery, Endpoint

    endpoint = Endpoint(provider="databricks", name="forged", target="default", served_by="foundation")
    payload = DiscoveryCodec().encode(
        Discovery(endpoints=[endpoint.model_copy(update={"name": f"e{i}"}) for i in range(count)])
    )
    with redis_server() as (redis_url, _), fake_workspace(2, scenario="rich") as url:
        client = redis.Redis.from_url(redis_url)
        # Dated ahead (within the allowed clock skew) so that the replica adopts it on its first read.
        entry = {"fetched_at": repr(time.time() + 20), "payload": payload}
        client.hset("hub:v1:entry:databricks:default", mapping=entry)
        env = {**databricks_env(url), "HUB_REDIS_URL": redis_url, "HUB_DISCOVERY_TIMEOUT": "60"}
        with running_hub("--no-access-log", **env) as base:

            def read() -> str:
                response = httpx.get(f"{base}/public/databricks/endpoints", timeout=120)
                return f"{response.status_code}, {len(response.content) / 1e6:.0f} MB"

            stall, outcome = probe_stall(base, read)
        client.close()
    row(f"forged {len(payload) / 1e6:.0f} MB Redis list: max /healthz latency", f"{stall:.0f} ms ({outcome})", "")


def bench_metrics(rounds: int = 40, calls: int = 1000) -> None:
    """The fast path called directly, with and without metrics (best of ``rounds`` x ``calls``)."""
    from hub_core.api.fastpath import ModelHubFastPath
    from hub_core.hub import Hub
    from hub_core.metrics import HubMetrics
    from hub_core.settings import HubSettings

    print("3f. what /metrics costs the fast path (in-process, bundled catalog)", flush=True)

    async def nothing(*_: Any) -> None:
        return None

    async def measure() -> dict[str, float]:
        hub = Hub.from_settings(HubSettings(load_plugins="databricks"))
        scope = {"type": "http", "path": "/public/model_hub", "method": "GET", "query_string": b"", "headers": []}
        best: dict[str, float] = {}
        try:
            paths = {
                "without": ModelHubFastPath(nothing, hub),
                "with": ModelHubFastPath(nothing, hub, metrics=HubMetrics()),
            }
            for path in paths.values():
                await path(scope, nothing, nothing)  # builds and caches the body
            for _ in range(rounds):
                for name, path in paths.items():
                    started = time.perf_counter()
                    for _ in range(calls):
                        await path(scope, nothing, nothing)
                    best[name] = min(best.get(name, 1e9), (time.perf_counter() - started) / calls)
        finally:
            await hub.aclose()
        return best

    best = asyncio.run(measure())
    row("fast path without metrics", f"{best['without'] * 1e6:.1f} us")
    row("fast path with metrics", f"{best['with'] * 1e6:.1f} us")
    row("without / with", f"{best['without'] / best['with']:.2f}")


def bench_compression(rounds: int = 20, calls: int = 500) -> None:
    """identity vs gzip vs br, in process: the fast path (precomputed bytes) and a routed answer
    (compressed per request by ``Compress``); bytes sent and best of ``rounds`` x ``calls``."""
    from hub_core.api.compression import codings
    from hub_core.app import create_app
    from hub_core.settings import HubSettings

    print("3g. compression: identity, gzip and br (in-process, bundled catalog)", flush=True)
    available = ["identity", *reversed(codings())]  # identity, gzip, br (when installed)

    async def measure() -> dict[tuple[str, str], tuple[int, float]]:
        app = create_app(HubSettings(load_plugins="databricks"))
        results: dict[tuple[str, str], tuple[int, float]] = {}
        sent = [0]  # body bytes of the last answer

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                assert message["status"] == 200, message
            elif message["type"] == "http.response.body":
                sent[0] += len(message.get("body", b""))

        async with app.router.lifespan_context(app):
            scopes: dict[tuple[str, str], dict[str, Any]] = {}
            for route, path in (("fast path", "/public/model_hub"), ("routed", "/public/v1/model_hub")):
                for coding in available:
                    scopes[(route, coding)] = {
                        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
                        "query_string": b"", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1),
                        "headers": [(b"host", b"hub"), (b"accept-encoding", coding.encode())],
                    }  # fmt: skip
            for key, scope in scopes.items():  # warms the cache (and the fast path's encoded bytes)
                sent[0] = 0
                await app(scope, receive, send)
                results[key] = (sent[0], 1e9)
            for _ in range(rounds):  # interleaved, so a slow moment of the machine hits all alike
                for key, scope in scopes.items():
                    started = time.perf_counter()
                    for _ in range(calls):
                        await app(scope, receive, send)
                    results[key] = (results[key][0], min(results[key][1], (time.perf_counter() - started) / calls))
        return results

    results = asyncio.run(measure())
    for route in ("fast path", "routed"):
        size, seconds = results[(route, "identity")]
        for coding in available:
            coded_size, coded_seconds = results[(route, coding)]
            ratio = f"{coded_size / size:.2f} of the bytes, {coded_seconds / seconds:.2f} x the time"
            row(f"{route} {coding}", f"{coded_size:,} bytes, {coded_seconds * 1e6:.0f} us per request", ratio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        choices=[
            "warm",
            "workers",
            "stampede",
            "scale",
            "breakdown",
            "startup",
            "memory",
            "bounds",
            "token",
            "loop",
            "shared",
            "metrics",
            "compression",
        ],
    )
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per app")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--stampede", type=int, default=1000)
    parser.add_argument("--scale", type=int, default=5000)
    parser.add_argument("--loop", type=int, default=50_000, help="endpoints in the event-loop scenario")
    parser.add_argument("--memory-child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--refreshes", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--deadline", type=float, default=600.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.refreshes, args.deadline)
        return
    steps = {
        "warm": lambda: bench_warm(args.seconds, args.connections),
        "workers": lambda: bench_workers(args.seconds, args.connections),
        "stampede": lambda: bench_stampede(args.stampede),
        "scale": lambda: bench_scale(args.scale),
        "breakdown": lambda: bench_breakdown(args.scale),
        "startup": lambda: bench_startup(5),
        "memory": bench_memory,
        "bounds": bench_bounds,
        "token": lambda: bench_token(500_000_000),
        "loop": lambda: bench_loop(args.loop),
        "shared": lambda: bench_shared(150_000),
        "metrics": bench_metrics,
        "compression": bench_compression,
    }
    for name, step in steps.items():
        if args.only in (None, name):
            step()
    print("\n| measure | result | target |\n|---|---|---|")
    for name, value, target in ROWS:
        print(f"| {name} | {value} | {target} |")


if __name__ == "__main__":
    main()
