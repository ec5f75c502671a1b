"""NVIDIA AIPerf ``profile_export_aiperf.json`` and its predecessor genai-perf's
``profile_export_genai_perf.json``: one run per file, each metric an object with a unit and
statistics (``{"unit": "ms", "avg": ..., "p50": ..., "p99": ...}``) at the top level, and the
run's settings under ``input_config``.

Real file: ai-dynamo/aiperf tests/_artifacts/audit/baseline-chat/bare/profile_export_aiperf.json
@139b8f3 (tests/fixtures/results/SOURCES.md). TPOT is AIPerf's inter_token_latency (request
latency minus TTFT over the output tokens after the first).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import InputError
from .run import RunResult, field, load_json, ms

TOOL = "aiperf / genai-perf"
CONCURRENCY_PATHS = ("input_config.phases.0.concurrency", "input_config.loadgen.concurrency",
                     "input_config.perf_analyzer.stimulus.concurrency", "input_config.concurrency")


def looks_like(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("output_token_throughput"), dict)


def read(path: Path, doc: Any = None) -> list[RunResult]:
    doc = load_json(path) if doc is None else doc
    if not isinstance(doc, dict):
        raise InputError(f"{path}: expected a JSON object as aiperf writes")
    conc, basis = None, None
    for p in CONCURRENCY_PATHS:
        conc = field(doc, p, path, required=False)
        if conc is not None:
            basis = p
            break
    req_s = field(doc, "request_throughput.avg", path, required=False)
    lat = ms(field(doc, "request_latency.avg", path, required=False))
    if conc is None and req_s is not None and lat is not None:
        conc, basis = req_s * lat, "Little's law: request_throughput x request_latency"
    models = doc.get("input_config", {}).get("models", {}) if isinstance(doc.get("input_config"), dict) else {}
    items = models.get("items") if isinstance(models, dict) else None
    name = items[0].get("name") if isinstance(items, list) and items and isinstance(items[0], dict) else None
    return [RunResult(
        tool=TOOL, file=str(path), model_name=name if isinstance(name, str) else None,
        output_tok_per_s=field(doc, "output_token_throughput.avg", path) or 0.0, request_per_s=req_s,
        isl_tokens=field(doc, "input_sequence_length.avg", path, required=False),
        osl_tokens=field(doc, "output_sequence_length.avg", path, required=False),
        concurrency=conc, concurrency_basis=basis,
        request_rate_per_s=field(doc, "input_config.loadgen.request_rate", path, required=False),
        ttft_mean_s=ms(field(doc, "time_to_first_token.avg", path, required=False)),
        ttft_p50_s=ms(field(doc, "time_to_first_token.p50", path, required=False)),
        ttft_p99_s=ms(field(doc, "time_to_first_token.p99", path, required=False)),
        tpot_mean_s=ms(field(doc, "inter_token_latency.avg", path, required=False)),
        tpot_p50_s=ms(field(doc, "inter_token_latency.p50", path, required=False)),
        tpot_p99_s=ms(field(doc, "inter_token_latency.p99", path, required=False)), latency_mean_s=lat)]
