"""Measured results in the ``tokenfab validate`` CSV format, read row by row (streamed,
so a file of any length is read in bounded memory; a UTF-8 BOM and CRLF line ends are fine)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError, input_error_from, show_value

VALIDATION_HEADER = (
    "id,model,accelerator,n_accel,weights_dtype,scenario,isl_tokens,osl_tokens,"
    "ttft_limit_s,tpot_limit_s,stack,metric,value,source"
).split(",")
METRICS = ("output_tok_per_s", "tpot_s", "ttft_s")
MAX_FILE_BYTES = 512 * 2**20  # 512 MiB
MAX_CELL_CHARS = 4096
# Mean input tokens of the MLPerf Inference datasets, used when isl_tokens is empty
# (openshift-psap/performance-dashboard@7100702 mlperf-data/summaries; shared/reference/README.md)
BENCHMARK_DEFAULT_ISL: dict[str, float] = {
    "llama-2-70b": 222.33,
    "llama-3.1-405b": 9428.64,
    "mixtral-8x7b": 427.39,
    "llama-3.1-8b": 870.73,
    "deepseek-r1": 803.79,
}


class MeasuredRow(BaseModel):
    """One published measurement (CSV cells are text: numbers are parsed, finite only)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=200)
    model: str = Field(max_length=80)
    accelerator: str = Field(max_length=80)
    n_accel: int = Field(ge=1, le=1_000_000)
    weights_dtype: str = Field(max_length=16)
    scenario: Literal["offline", "server", "interactive"]
    isl_tokens: float | None = Field(default=None, ge=1, le=10_000_000)
    osl_tokens: float = Field(ge=1, le=1_000_000)
    ttft_limit_s: float | None = Field(default=None, gt=0, le=3600)
    tpot_limit_s: float | None = Field(default=None, gt=0, le=60)
    stack: str = Field(max_length=40)
    metric: Literal["output_tok_per_s", "tpot_s", "ttft_s"]
    value: float = Field(gt=0, le=1e12)
    source: str = Field(min_length=3, max_length=MAX_CELL_CHARS)


def iter_measured(path: str | Path) -> Iterator[MeasuredRow]:
    """Rows of a measured-results CSV, one at a time; the first bad row ends the read with one
    line naming file:line, field, value and rule."""
    p = Path(path)
    try:
        size = p.stat().st_size
        fh = p.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror or exc}") from None
    if size > MAX_FILE_BYTES:
        fh.close()
        raise InputError(f"{p}: {size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit; split the file")
    with fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader, None)
            if header is None or [h.strip() for h in header] != VALIDATION_HEADER:
                got = show_value(",".join(header)) if header else "(empty file)"
                raise InputError(f"{p}:1: header must be exactly '{','.join(VALIDATION_HEADER)}', got {got}")
            for cells in reader:
                n = reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(VALIDATION_HEADER):
                    raise InputError(f"{p}:{n}: row has {len(cells)} cells, the header has {len(VALIDATION_HEADER)}")
                data = {h: c.strip() for h, c in zip(VALIDATION_HEADER, cells) if c.strip() != ""}
                try:
                    yield MeasuredRow.model_validate(data)
                except ValidationError as exc:
                    raise input_error_from(exc, f"{p.name}:{n}") from None
        except csv.Error as exc:
            raise InputError(f"{p}:{reader.line_num}: CSV syntax error: {exc}. Fix: check quotes and commas") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{p}: not UTF-8 text ({exc.reason})") from None


def read_measured(path: str | Path) -> list[MeasuredRow]:
    rows = list(iter_measured(path))
    if not rows:
        raise InputError(f"{path}: no data rows under the header. Fix: add measured results, one per line")
    return rows
