"""Readers of benchmark tools' result files, one module per tool, each returning
:class:`RunResult` rows; :func:`read_results` recognises the format from the content."""

from __future__ import annotations

import json
from pathlib import Path

from ...errors import InputError
from . import aiperf, guidellm, mlperf, sglang, vllm
from .run import RunResult, load_json, read_text

__all__ = ["RunResult", "read_results", "FORMATS"]

FORMATS = ("vllm bench serve --save-result JSON", "SGLang bench_serving JSONL", "AIPerf / genai-perf JSON export",
           "GuideLLM report JSON", "MLPerf mlperf_log_summary.txt")


def read_results(path: str | Path) -> list[RunResult]:
    """Every run in one result file, its tool recognised from the content."""
    p = Path(path).expanduser()
    text = read_text(p)
    if mlperf.looks_like(text):
        return mlperf.read(p, text)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].lstrip().startswith("{") and lines[0].rstrip().endswith("}"):
        try:
            first = json.loads(lines[0])
        except json.JSONDecodeError:
            first = None
        if sglang.looks_like(first):
            return sglang.read(p, text)
    doc = load_json(p)
    for mod in (vllm, aiperf, guidellm):
        if mod.looks_like(doc):
            return mod.read(p, doc)
    if sglang.looks_like(doc):
        return sglang.read(p, text)
    raise InputError(f"{p}: not a result file tokenfab reads; formats: {', '.join(FORMATS)}")
