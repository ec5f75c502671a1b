"""SGLang ``python -m sglang.bench_serving --output-file X.jsonl``: one JSON object per line,
one line per run (the file is appended to).

Keys as written by sgl-project/sglang ``python/sglang/bench_serving.py`` (``benchmark()``'s
``result`` dict, ``file.write(json.dumps(result) + "\\n")``): backend, dataset_name,
request_rate, max_concurrency, random_input_len, random_output_len, duration, completed,
total_input_tokens, total_output_tokens, request_throughput, input_throughput,
output_throughput, mean/median/std/p99_e2e_latency_ms, ..._ttft_ms, ..._tpot_ms,
..._itl_ms, concurrency. See tests/fixtures/results/SOURCES.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...errors import InputError
from .run import RunResult, field, ms

TOOL = "sglang bench_serving"


def looks_like(doc: Any) -> bool:
    return isinstance(doc, dict) and "output_throughput" in doc and "mean_e2e_latency_ms" in doc


def _one(path: Path, n: int, doc: Any) -> RunResult:
    where = Path(f"{path}:{n}")
    if not isinstance(doc, dict):
        raise InputError(f"{where}: expected a JSON object per line as sglang bench_serving writes")
    completed = field(doc, "completed", where)
    assert completed is not None
    conc = field(doc, "max_concurrency", where, required=False)
    basis = "max_concurrency" if conc is not None else None
    if conc is None:
        conc = field(doc, "concurrency", where, required=False)
        basis = "measured mean concurrency" if conc is not None else None
    return RunResult(
        tool=TOOL, file=str(path), run=n, model_name=None,
        output_tok_per_s=field(doc, "output_throughput", where) or 0.0,
        request_per_s=field(doc, "request_throughput", where, required=False),
        isl_tokens=(field(doc, "total_input_tokens", where) or 0.0) / completed,
        osl_tokens=(field(doc, "total_output_tokens", where) or 0.0) / completed,
        concurrency=conc, concurrency_basis=basis, num_requests=int(completed),
        request_rate_per_s=field(doc, "request_rate", where, required=False),
        ttft_mean_s=ms(field(doc, "mean_ttft_ms", where)),
        ttft_p50_s=ms(field(doc, "median_ttft_ms", where, required=False)),
        ttft_p99_s=ms(field(doc, "p99_ttft_ms", where, required=False)),
        tpot_mean_s=ms(field(doc, "mean_tpot_ms", where, required=False)),
        tpot_p50_s=ms(field(doc, "median_tpot_ms", where, required=False)),
        tpot_p99_s=ms(field(doc, "p99_tpot_ms", where, required=False)),
        latency_mean_s=ms(field(doc, "mean_e2e_latency_ms", where, required=False)))


def read(path: Path, text: str) -> list[RunResult]:
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{n}: not valid JSON ({exc.msg}); the line may be truncated") from None
        out.append(_one(path, n, doc))
    return out
