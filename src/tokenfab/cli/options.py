"""Option declarations shared by the commands that take a deployment (estimate, cost, energy)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

Model = Annotated[str, typer.Option("--model", help="Model id (tokenfab catalog list models).")]
Accelerator = Annotated[Optional[str], typer.Option("--accelerator", help="Accelerator id.")]
Isl = Annotated[float, typer.Option("--isl", help="Mean input (prompt) tokens per request.")]
Osl = Annotated[float, typer.Option("--osl", help="Mean output tokens per request.")]
Count = Annotated[Optional[int], typer.Option("--count", help="Number of accelerators (default 1, or the offer's).")]
Tp = Annotated[Optional[int], typer.Option("--tp", help="Tensor-parallel degree (default: searched).")]
Pp = Annotated[Optional[int], typer.Option("--pp", help="Pipeline-parallel degree (default: searched).")]
Ep = Annotated[Optional[int], typer.Option("--ep", help="Expert-parallel degree (default: searched).")]
Weights = Annotated[Optional[str], typer.Option("--weights", help="bf16, fp16, fp8, fp4, nvfp4, mxfp4.")]
Kv = Annotated[Optional[str], typer.Option("--kv", help="KV-cache dtype: bf16, fp8, fp4.")]
Concurrency = Annotated[Optional[int], typer.Option("--concurrency", help="Concurrent requests (whole deployment).")]
Scenario = Annotated[Optional[str], typer.Option("--scenario", help="offline, server or interactive.")]
TtftMax = Annotated[Optional[float], typer.Option("--ttft-max-s", help="p99 TTFT limit [s].")]
TpotMax = Annotated[Optional[float], typer.Option("--tpot-max-s", help="p99 TPOT limit [s].")]
Stack = Annotated[Optional[str], typer.Option("--stack", help="Serving stack id (default by vendor).")]
Fidelity = Annotated[Optional[str], typer.Option("--fidelity", help="roofline, derated or calibrated.")]
Disaggregated = Annotated[bool, typer.Option("--disaggregated", help="Prefill on separate replicas.")]
CatalogDir = Annotated[Optional[Path], typer.Option("--catalog", help="Overlay catalog directory.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def deployment_kwargs(**kw: Any) -> dict[str, Any]:
    """Only the options the user set (unset ones take the request record's defaults)."""
    if kw.get("disaggregated") is False:
        kw.pop("disaggregated")
    return {k: v for k, v in kw.items() if v is not None}
