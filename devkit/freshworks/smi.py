"""Run one serverless function of a Freshworks app under Node, as an SMI call runs it (fdk_runner.js beside this
file: a stand-in for Freshworks' serverless runtime, with $request.invokeTemplate sending the app's own request
templates to `api_base`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

RUNNER = Path(__file__).with_name("fdk_runner.js")


class NodeMissing(RuntimeError):
    pass


def node_path() -> str:
    found = shutil.which("node")
    if not found:
        raise NodeMissing("node is not installed: the Freshworks app's serverless function runs under Node")
    return found


def run_function(app_dir: str | Path, function: str, payload: dict[str, Any], *, api_base: str,
                 now: float | None = None, timeout: float = 30) -> dict[str, Any]:
    """What the function passed to renderData: {"error", "data", "requests"} (the templates it sent). `now`
    (seconds since the epoch) fixes the function's clock."""
    job: dict[str, Any] = {"app_dir": str(app_dir), "function": function, "payload": payload, "api_base": api_base}
    if now is not None:
        job["now_ms"] = now * 1000
    done = subprocess.run([node_path(), str(RUNNER)], input=json.dumps(job), capture_output=True, text=True,  # noqa: S603
                          timeout=timeout, check=False)
    try:
        return json.loads(done.stdout)
    except ValueError:
        return {"error": {"status": 500, "message": f"the function did not answer: {done.stderr[-500:]}"},
                "data": None, "requests": []}
