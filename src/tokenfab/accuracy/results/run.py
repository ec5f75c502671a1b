"""One benchmark run as read from a tool's result file, in SI units: what the file holds
(throughput, latency means and percentiles, concurrency or rate, lengths) and nothing it
does not (``None``). Readers for each tool's format build it; ``tokenfab calibrate`` turns
it into validation rows with what the user's flags add (model, accelerator, count...)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from pydantic import Field

from ...errors import InputError
from ...inputs import ResultModel

MAX_RESULT_BYTES = 64 * 2**20  # result files with per-request arrays (--save-detailed) stay well under


class RunResult(ResultModel):
    """One benchmark run (whole deployment)."""

    tool: str
    file: str
    run: int = Field(default=1, description="1-based run within a file holding several (JSONL, GuideLLM)")
    model_name: str | None = None  # as the tool recorded it (e.g. a Hugging Face id)
    output_tok_per_s: float
    request_per_s: float | None = None
    isl_tokens: float | None = None  # mean
    osl_tokens: float | None = None  # mean
    concurrency: float | None = None  # fixed (--max-concurrency) or measured mean in flight
    concurrency_basis: str | None = None
    request_rate_per_s: float | None = None  # offered rate (None = all at once / closed loop)
    num_requests: int | None = None  # requests the run completed in all
    ttft_mean_s: float | None = None
    ttft_p50_s: float | None = None
    ttft_p99_s: float | None = None
    tpot_mean_s: float | None = None
    tpot_p50_s: float | None = None
    tpot_p99_s: float | None = None
    latency_mean_s: float | None = None
    scenario: str | None = None  # MLPerf: offline, server, interactive
    ttft_limit_s: float | None = None
    tpot_limit_s: float | None = None


def load_json(path: Path) -> Any:
    """A JSON document, bounded; a malformed or truncated file is one line."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); "
                         "the file may be truncated. Fix: pass the file the benchmark wrote") from None


def read_text(path: Path) -> str:
    """UTF-8 text of a result file, refusing what is not a regular file, too large or empty."""
    from ...catalog.files import read_text_bounded

    text = read_text_bounded(path, MAX_RESULT_BYTES, error=InputError,
                             not_file_fix="pass the result file the benchmark wrote",
                             too_large_fix="pass the summary file, not a trace")
    if not text.strip():
        raise InputError(f"{path}: empty file. Fix: pass the result file the benchmark wrote")
    return text


def field(doc: Any, path: str, file: Path, *, required: bool = True, positive: bool = True) -> float | None:
    """The number at dotted ``path`` in ``doc``; a missing required or non-numeric value is one
    line naming the file and the field."""
    cur = doc
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            if required:
                raise InputError(f"{file}: field {path!r} is missing; the file is not a complete result of "
                                 "the tool it looks like (truncated or another format)")
            return None
    if cur is None and not required:
        return None
    if not required and (cur in ("inf", "Infinity") or (isinstance(cur, float) and math.isinf(cur) and cur > 0)):
        return None  # an unset rate ("inf": all requests at once)
    if isinstance(cur, bool) or not isinstance(cur, (int, float)) or not math.isfinite(float(cur)):
        raise InputError(f"{file}: field {path!r} = {str(cur)[:40]!r} is not a finite number")
    value = float(cur)
    if positive and value <= 0:
        if not required:
            return None
        raise InputError(f"{file}: field {path!r} = {value:g} must be > 0")
    return value


def ms(v: float | None) -> float | None:
    return None if v is None else v / 1e3
