"""``vllm bench serve --save-result`` JSON (one run per file).

Keys as written by vllm-project/vllm ``vllm/benchmarks/serve.py`` (``result_json``: date,
backend, model_id, num_prompts, request_rate ("inf" when unset), burstiness,
max_concurrency, then the benchmark result: duration, completed, total_input_tokens,
total_output_tokens, request_throughput, output_throughput, mean/median/std/p99_ttft_ms,
..._tpot_ms, ..._itl_ms, ..._e2el_ms). See tests/fixtures/results/SOURCES.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import InputError
from .run import RunResult, field, load_json, ms

TOOL = "vllm bench serve"


def looks_like(doc: Any) -> bool:
    return isinstance(doc, dict) and "output_throughput" in doc and "mean_tpot_ms" in doc and "model_id" in doc


def read(path: Path, doc: Any = None) -> list[RunResult]:
    doc = load_json(path) if doc is None else doc
    if not isinstance(doc, dict):
        raise InputError(f"{path}: expected a JSON object as vllm bench serve --save-result writes")
    completed = field(doc, "completed", path)
    assert completed is not None
    conc = field(doc, "max_concurrency", path, required=False)
    rate = field(doc, "request_rate", path, required=False)
    req_s = field(doc, "request_throughput", path)
    e2e = ms(field(doc, "mean_e2el_ms", path, required=False))
    basis = "max_concurrency" if conc is not None else None
    if conc is None and req_s is not None and e2e is not None:
        conc, basis = req_s * e2e, "Little's law: request_throughput x mean_e2el"
    return [RunResult(
        tool=TOOL, file=str(path), model_name=doc.get("model_id") if isinstance(doc.get("model_id"), str) else None,
        output_tok_per_s=field(doc, "output_throughput", path) or 0.0, request_per_s=req_s,
        isl_tokens=(field(doc, "total_input_tokens", path) or 0.0) / completed,
        osl_tokens=(field(doc, "total_output_tokens", path) or 0.0) / completed,
        concurrency=conc, concurrency_basis=basis, num_requests=int(completed), request_rate_per_s=rate,
        ttft_mean_s=ms(field(doc, "mean_ttft_ms", path)),
        ttft_p50_s=ms(field(doc, "median_ttft_ms", path, required=False)),
        ttft_p99_s=ms(field(doc, "p99_ttft_ms", path, required=False)),
        tpot_mean_s=ms(field(doc, "mean_tpot_ms", path)),
        tpot_p50_s=ms(field(doc, "median_tpot_ms", path, required=False)),
        tpot_p99_s=ms(field(doc, "p99_tpot_ms", path, required=False)), latency_mean_s=e2e)]
