"""GuideLLM report JSON (``guidellm benchmark --output-path benchmarks.json``): a list of
benchmarks, one per rate or concurrency of the sweep; each benchmark's ``metrics`` holds
status distribution summaries (``successful`` -> mean, median, percentiles...).

Field names from vllm-project/guidellm src/guidellm/benchmark/schemas/generative/metrics.py
@06cef29 (``GenerativeMetrics``: requests_per_second, request_concurrency, request_latency,
prompt_token_count, output_token_count, time_to_first_token_ms, time_per_output_token_ms,
output_tokens_per_second) (tests/fixtures/results/SOURCES.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import InputError
from .run import RunResult, field, load_json, ms

TOOL = "guidellm"


def looks_like(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("benchmarks"), list)


def read(path: Path, doc: Any = None) -> list[RunResult]:
    doc = load_json(path) if doc is None else doc
    if not looks_like(doc) or not doc["benchmarks"]:
        raise InputError(f"{path}: field 'benchmarks' is missing or empty; expected a GuideLLM report")
    return [_one(path, i, b) for i, b in enumerate(doc["benchmarks"], start=1)]


def _one(path: Path, i: int, b: Any) -> RunResult:
    where = Path(f"{path} benchmarks[{i - 1}]")

    def s(name: str, stat: str = "mean", required: bool = False) -> float | None:
        return field(b, f"metrics.{name}.successful.{stat}", where, required=required)

    conc = s("request_concurrency")
    fixed = field(b, "config.strategy.streams", where, required=False)
    return RunResult(
        tool=TOOL, file=str(path), run=i, output_tok_per_s=s("output_tokens_per_second", required=True) or 0.0,
        request_per_s=s("requests_per_second"), isl_tokens=s("prompt_token_count"),
        osl_tokens=s("output_token_count"), concurrency=fixed or conc,
        concurrency_basis="strategy streams" if fixed else ("measured mean request_concurrency" if conc else None),
        request_rate_per_s=field(b, "config.strategy.rate", where, required=False),
        ttft_mean_s=ms(s("time_to_first_token_ms")), ttft_p50_s=ms(s("time_to_first_token_ms", "median")),
        ttft_p99_s=ms(s("time_to_first_token_ms", "percentiles.p99")), tpot_mean_s=ms(s("time_per_output_token_ms")),
        tpot_p50_s=ms(s("time_per_output_token_ms", "median")),
        tpot_p99_s=ms(s("time_per_output_token_ms", "percentiles.p99")), latency_mean_s=s("request_latency"))
