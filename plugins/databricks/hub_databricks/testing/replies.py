"""Made-up but well-formed response bodies the fake Databricks workspace answers with.

Chat completions (whole and streamed), embeddings, the serving-endpoints list envelope and an
oversized list body for the ``huge`` fault. Standard library only.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterator
from typing import Any

__all__ = [
    "HUGE_HEAD",
    "HUGE_TAIL",
    "QUERY_TASKS",
    "chat_chunks",
    "chat_completion",
    "embeddings",
    "huge_chunks",
    "list_body",
]

JSONDict = dict[str, Any]

# Endpoint tasks the fake can answer a query for.
QUERY_TASKS = frozenset({"llm/v1/chat", "llm/v1/embeddings"})


def _words(value: Any) -> int:
    return len(str(value).split()) if value else 0


def chat_completion(name: str, body: JSONDict) -> JSONDict:
    """An OpenAI-shaped chat completion, as Databricks chat endpoints answer; the reply quotes the last message."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    last = str(messages[-1].get("content", "")) if messages else ""
    reply = f"Hello from {name}. You said: {last}"
    prompt_tokens = sum(_words(m.get("content")) for m in messages)
    completion_tokens = _words(reply)
    return {
        "id": f"chatcmpl_{secrets.token_hex(12)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": name,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def chat_chunks(name: str, body: JSONDict) -> list[JSONDict]:
    """The same reply as server-sent ``chat.completion.chunk`` events, a word at a time, usage last."""
    whole = chat_completion(name, body)
    words = whole["choices"][0]["message"]["content"].split(" ")
    base = {"id": whole["id"], "object": "chat.completion.chunk", "created": whole["created"], "model": name}
    chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
    for index, word in enumerate(words):
        text = word if index == 0 else " " + word
        chunks.append({**base, "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]})
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": whole["usage"]})
    return chunks


def embeddings(name: str, body: JSONDict) -> JSONDict:
    """An OpenAI-shaped embeddings list with a small deterministic vector per input."""
    inputs = body.get("input")
    items = inputs if isinstance(inputs, list) else [inputs]
    data = []
    for index, text in enumerate(items):
        digest = hashlib.sha256(str(text).encode("utf-8")).digest()
        data.append({"object": "embedding", "index": index, "embedding": [b / 255 for b in digest[:8]]})
    tokens = sum(_words(t) for t in items)
    return {
        "object": "list",
        "model": name,
        "data": data,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def list_body(endpoints: list[JSONDict]) -> JSONDict:
    """Real empty workspaces answer ``{}``, not ``{"endpoints": []}``."""
    return {"endpoints": endpoints} if endpoints else {}


HUGE_HEAD = b'{"endpoints": ['
HUGE_TAIL = b"]}"


def huge_chunks(size: int, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """Yield exactly ``max(size, 17)`` bytes of valid, list-shaped JSON."""
    remaining = max(size - len(HUGE_HEAD) - len(HUGE_TAIL), 0)
    buf = bytearray(HUGE_HEAD)
    index = 0
    while True:
        item = b'%s{"name": "padding-%08d", "task": "llm/v1/chat"}' % (b"," if index else b"", index)
        if len(item) > remaining:
            break
        buf += item
        remaining -= len(item)
        index += 1
        if len(buf) >= chunk_size:
            yield bytes(buf)
            buf.clear()
    buf += b" " * remaining + HUGE_TAIL
    yield bytes(buf)
