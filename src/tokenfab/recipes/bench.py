"""The benchmark command that checks an evaluation, and the figures it should measure.

The expected range is the 80 % range of measured / predicted output throughput on the
shipped validation sets for the evaluation's stack (``data/accuracy_bands.yaml``, made by
benchmarks/accuracy_bands.py from validation/measured.csv and holdout.csv), applied to this
estimate, until per-estimate intervals exist. Runs are fixed-concurrency at the evaluated
concurrency per instance, with the workload's mean input and output lengths, so the result
file can go straight back into ``tokenfab calibrate``.
"""

from __future__ import annotations

import shlex
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from ..deployment.result import Evaluation
from ..inputs import ResultModel
from .shape import DEFAULT_PORT, Shape
from .stacks import BENCH

PROMPTS_PER_CONCURRENCY = 10  # requests per concurrent slot: steady state dominates the ramp-up and tail


@lru_cache(maxsize=1)
def bands() -> dict[str, Any]:
    text = (resources.files("tokenfab") / "data" / "accuracy_bands.yaml").read_text(encoding="utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


class Expected(ResultModel):
    """What the benchmark should report for one instance, with the 80 % range."""

    output_tok_per_s: float
    output_tok_per_s_low: float
    output_tok_per_s_high: float
    ttft_s: float
    tpot_s: float
    concurrency: int
    band_class: str
    band_rows: int
    band_source: str


def expected(ev: Evaluation) -> Expected:
    table = bands()
    cls = ev.deployment.stack if ev.deployment.stack in table["classes"] else "all"
    b = table["classes"][cls]
    thr = ev.performance.throughput_output_tok_per_s
    return Expected(
        output_tok_per_s=thr, output_tok_per_s_low=thr * b["measured_over_predicted_p10"],
        output_tok_per_s_high=thr * b["measured_over_predicted_p90"], ttft_s=ev.performance.ttft_s,
        tpot_s=ev.performance.tpot_s, concurrency=ev.deployment.concurrency_per_instance, band_class=cls,
        band_rows=int(b["rows"]),
        band_source=f"10th-90th percentile of measured/predicted on {', '.join(table['fitted_on'])} ({cls}, "
                    f"{b['rows']} rows; data/accuracy_bands.yaml)")


def command(tool: str, ev: Evaluation, s: Shape, url: str = f"http://localhost:{DEFAULT_PORT}") -> list[str]:
    """argv of ``tool``'s benchmark at the evaluation's concurrency and lengths."""
    f = BENCH[tool].flags
    c = max(1, ev.deployment.concurrency_per_instance)
    isl, osl = str(round(ev.workload.isl)), str(round(ev.workload.osl))
    n = str(c * PROMPTS_PER_CONCURRENCY)
    if tool == "vllm":
        return ["vllm", "bench", "serve", f["backend"], "vllm", f["model"], s.model_repo, f["base_url"], url,
                f["dataset"], "random", f["isl"], isl, f["osl"], osl, f["prompts"], n, f["concurrency"], str(c),
                f["ignore_eos"], f["save"], f["result_file"], f"vllm-c{c}.json"]
    if tool == "sglang":
        return ["python", "-m", "sglang.bench_serving", f["backend"], "sglang", f["model"], s.model_repo,
                f["base_url"], url, f["dataset"], "random", f["isl"], isl, f["osl"], osl, f["range"], "1",
                f["prompts"], n, f["concurrency"], str(c), f["output"], f"sglang-c{c}.jsonl"]
    if tool == "aiperf":
        return ["aiperf", "profile", f["model"], s.model_repo, f["url"], url, f["endpoint_type"], "chat",
                f["streaming"], f["isl"], isl, f["isl_std"], "0", f["osl"], osl, f["osl_std"], "0",
                f["concurrency"], str(c), f["requests"], n, f["artifacts"], f"aiperf-c{c}"]
    if tool == "guidellm":
        return ["guidellm", "benchmark", f["target"], url, f["profile"], "concurrent", f["rate"], str(c),
                f["data"], f"prompt_tokens={isl},output_tokens={osl}", f["max_requests"], n,
                f["output"], f"guidellm-c{c}.json"]
    raise ValueError(tool)  # pragma: no cover - callers pass BENCH keys


def text(tool: str, ev: Evaluation, s: Shape) -> str:
    """The command and, beside it, the expected figures with their 80 % range."""
    e = expected(ev)
    return (f"{shlex.join(command(tool, ev, s))}\n"
            f"# expected (one instance, concurrency {e.concurrency}): output {e.output_tok_per_s:,.0f} tok/s "
            f"(80 % range {e.output_tok_per_s_low:,.0f} - {e.output_tok_per_s_high:,.0f}), mean TTFT "
            f"{e.ttft_s * 1e3:,.0f} ms, mean TPOT {e.tpot_s * 1e3:.1f} ms\n"
            f"# range: {e.band_source}\n"
            f"# then: tokenfab calibrate RESULT --model {ev.model} --accelerator {ev.deployment.accelerator} --count "
            f"{ev.deployment.accelerators_per_instance} --stack {ev.deployment.stack} --weights "
            f"{ev.deployment.weights} --save DIR\n")
