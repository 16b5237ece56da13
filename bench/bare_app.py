"""The baseline: a bare FastAPI app returning pre-serialised bytes (read from BENCH_BODY_FILE)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response

BODY = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()

app = FastAPI()


@app.get("/public/model_hub")
async def model_hub() -> Response:
    return Response(BODY, media_type="application/json")
