"""MLPerf Inference LoadGen ``mlperf_log_summary.txt`` (LLM benchmarks): 'key : value'
lines. Offline runs report 'Tokens per second' and 'Samples per second'; Server and
Interactive runs 'Completed tokens per second' and 'Completed samples per second', the
first-token and time-to-output-token latencies in ns and the limits used ('ttft_latency
(ns)', 'tpot_latency (ns)'). Mean output length = tokens / samples per second. A run that
LoadGen marked INVALID is refused (its figures do not meet its own limits).

Real file: the Llama 2 70B Server summary in AMD's MLPerf Inference submission reproduction
guide (tests/fixtures/results/SOURCES.md).
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import InputError
from .run import RunResult

TOOL = "MLPerf LoadGen"
LINE = re.compile(r"^\s*([^:]+?)\s*:\s*(.+?)\s*$")
SCENARIOS = {"offline": "offline", "server": "server", "interactive": "interactive"}


def looks_like(text: str) -> bool:
    return "MLPerf Results Summary" in text


def read(path: Path, text: str) -> list[RunResult]:
    kv: dict[str, str] = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            kv.setdefault(m.group(1).strip(), m.group(2))

    def num(key: str, required: bool = False) -> float | None:
        raw = kv.get(key)
        if raw is None:
            if required:
                raise InputError(f"{path}: field {key!r} is missing; the summary may be truncated")
            return None
        try:
            v = float(raw)
        except ValueError:
            raise InputError(f"{path}: field {key!r} = {raw[:40]!r} is not a number") from None
        if not v > 0 or v == float("inf"):
            raise InputError(f"{path}: field {key!r} = {raw[:40]!r} must be a finite number > 0")
        return v

    scen = SCENARIOS.get(kv.get("Scenario", "").strip().lower())
    if scen is None:
        raise InputError(f"{path}: field 'Scenario' = {kv.get('Scenario', '(missing)')!r}: expected Offline, Server "
                         "or Interactive (an LLM benchmark)")
    if "Result is" not in kv:
        raise InputError(f"{path}: field 'Result is' is missing; the summary may be truncated")
    if kv["Result is"].strip().upper() != "VALID":
        raise InputError(f"{path}: LoadGen marked this run {kv['Result is'].strip()}; calibrate on VALID runs only")
    if scen == "offline":
        tok, smp = num("Tokens per second", True), num("Samples per second", True)
    else:
        tok, smp = num("Completed tokens per second", True), num("Completed samples per second", True)
    assert tok is not None and smp is not None
    ns = 1e-9
    ttft, tpot = num("Mean First Token latency (ns)"), num("Mean Time to Output Token (ns)")
    t99 = num("99.00 percentile first token latency (ns)")
    p99 = num("99.00 percentile time to output token (ns)")
    lim_ttft, lim_tpot = num("ttft_latency (ns)"), num("tpot_latency (ns)")
    return [RunResult(
        tool=TOOL, file=str(path), output_tok_per_s=tok, request_per_s=smp, osl_tokens=tok / smp, scenario=scen,
        ttft_mean_s=None if ttft is None else ttft * ns, ttft_p99_s=None if t99 is None else t99 * ns,
        tpot_mean_s=None if tpot is None else tpot * ns, tpot_p99_s=None if p99 is None else p99 * ns,
        ttft_limit_s=None if lim_ttft is None else lim_ttft * ns, tpot_limit_s=None if lim_tpot is None else lim_tpot * ns,
        concurrency_basis="LoadGen chooses the load; none recorded")]
