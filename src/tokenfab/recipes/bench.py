"""The benchmark command that checks an evaluation, and the figures it should measure.

The expected range is the evaluation's own 80 % prediction interval (its accuracy class's
out-of-sample spread, ``accuracy.bands``). Runs are fixed-concurrency at the evaluated
concurrency per instance, with the workload's mean input and output lengths, so the result
file can go straight back into ``tokenfab calibrate``.
"""

from __future__ import annotations

import shlex

from ..deployment.result import Evaluation
from ..inputs import ResultModel
from .shape import DEFAULT_PORT, Shape
from .stacks import BENCH

PROMPTS_PER_CONCURRENCY = 10  # requests per concurrent slot: steady state dominates the ramp-up and tail


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
    """The evaluation's own figures and 80 % interval (accuracy.bands), as the benchmark reports them."""
    p = ev.performance
    a = p.accuracy
    thr = p.throughput_output_tok_per_s
    return Expected(
        output_tok_per_s=thr, output_tok_per_s_low=p.throughput_output_tok_per_s_low or thr,
        output_tok_per_s_high=p.throughput_output_tok_per_s_high or thr, ttft_s=p.ttft_s, tpot_s=p.tpot_s,
        concurrency=ev.deployment.concurrency_per_instance, band_class="none" if a is None else a.accuracy_class,
        band_rows=0 if a is None else a.rows,
        band_source="no measured spread for this fidelity" if a is None else a.basis)


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
