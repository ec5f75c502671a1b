"""Measured results in the ``tokenfab validate`` CSV format, read row by row (streamed,
so a file of any length is read in bounded memory; a UTF-8 BOM and CRLF line ends are fine)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ..deployment.spec import KvReserve
from ..errors import InputError, input_error_from, show_value

VALIDATION_HEADER = (
    "id,model,accelerator,n_accel,weights_dtype,scenario,isl_tokens,osl_tokens,"
    "ttft_limit_s,tpot_limit_s,stack,metric,value,source"
).split(",")
# optional last columns, in this order: the whole deployment's fixed concurrency of a benchmark
# run (--max-concurrency; such a row is predicted at that concurrency, not at the best one), and
# the speculative decoding the run used (off, mtp, draft; empty = off): the row is predicted with
# the catalog's figures for that method (data/speculative.yaml), and the KV-cache format the run
# stated (bf16, fp16, fp8; empty = the engine's default for the weight format and chip), and the
# spread of the run's output lengths, std/mean (empty = 0: every request the same length), and
# the parallelism the run used where its source states it (empty = searched, as a submitter
# tunes it): the row is predicted with that split only (:func:`parse_parallelism`), and the
# number of requests the run sent in all, queued at once (trtllm-bench's dataset, vLLM's
# --num-prompts): the deployment never holds more than that at a time, so the row is predicted at
# most at that concurrency (empty = the run was long enough to fill any batch), and the memory budget
# the run gave its server, in the stack's own terms (vLLM --gpu-memory-utilization, SGLang
# --mem-fraction-static, TensorRT-LLM --kv_cache_free_gpu_memory_fraction; empty = the stack's default),
# and the server's cap on the sequences one replica batches (vLLM --max-num-seqs, SGLang
# --max-running-requests, TensorRT-LLM max_batch_size; empty = none stated): a replica never holds more
# than that, and the KV room the server's scheduler reserved per sequence (live: the current context,
# as vLLM and SGLang, and TensorRT-LLM under MAX_UTILIZATION; request: the whole prompt and output,
# TensorRT-LLM's default GUARANTEED_NO_EVICT; empty = the stack's rule, efficiency.yaml kv_cache_budget)
OPTIONAL_COLUMNS = ("concurrency", "speculative", "kv_dtype", "osl_cv", "parallelism", "num_requests",
                    "memory_fraction", "max_seqs", "kv_reserve")
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
# Spread of the reference output lengths of the same datasets (std/mean over every sample of
# openshift-psap/performance-dashboard@7100702 mlperf-data/summaries/*.csv, population std):
# the osl_cv of an MLPerf row, used too when isl_tokens is empty
BENCHMARK_OSL_CV: dict[str, float] = {
    "llama-2-70b": 0.787,  # OpenOrca, 24,576 samples, mean 218.9 output tokens
    "llama-3.1-405b": 0.381,  # 8,313 samples, mean 684.7
    "mixtral-8x7b": 0.778,  # OpenOrca + GSM8K + MBXP, 15,000 samples, mean 144.8
    "llama-3.1-8b": 0.448,  # CNN/DailyMail, 13,368 samples, mean 81.6
    "deepseek-r1": 1.253,  # 4,388 samples, mean 4,043.4, up to 32,768
}


PARALLELISM_HELP = ("tpN, ppN, epN, dpa (data-parallel attention) or depN (TensorRT-LLM's label: tpN epN dpa), "
                    "separated by spaces, e.g. 'tp2', 'dep4', 'tp2 pp2'")
_PARALLEL_TOKEN = re.compile(r"(tp|pp|ep|dep)([1-9][0-9]{0,6})|dpa")


def parse_parallelism(text: str) -> dict[str, int | bool]:
    """The split a run used, from a text such as ``tp2``, ``dep4`` or ``tp4 ep4 dpa``: tp, pp,
    ep and dp_attention, each degree not named 1 (and dp_attention off): the whole split is
    fixed, as the run fixed it. Raises ``ValueError`` naming the bad token."""
    out: dict[str, int | bool] = {"tp": 1, "pp": 1, "ep": 1, "dp_attention": False}
    seen: set[str] = set()
    for token in text.lower().replace("+", " ").split():
        m = _PARALLEL_TOKEN.fullmatch(token)
        if not m:
            raise ValueError(f"{token!r} is not a parallel degree; use {PARALLELISM_HELP}")
        kind = m.group(1) or "dpa"
        names = {"dep": ("tp", "ep", "dp_attention"), "dpa": ("dp_attention",)}.get(kind, (kind,))
        if seen & set(names):
            raise ValueError(f"{token!r} repeats a degree already given in {text!r}")
        seen |= set(names)
        for name in names:
            out[name] = True if name == "dp_attention" else int(m.group(2))
    if not seen:
        raise ValueError(f"empty; use {PARALLELISM_HELP}")
    return out


def _known_split(text: str) -> str:
    parse_parallelism(text)  # a ValueError naming the bad token
    return text


SplitText = Annotated[str, AfterValidator(_known_split)]
"""A split in the parallelism column's grammar (:data:`PARALLELISM_HELP`), checked when read."""


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
    concurrency: int | None = Field(default=None, ge=1, le=10_000_000)
    speculative: Literal["off", "mtp", "draft"] | None = None
    kv_dtype: Literal["bf16", "fp16", "fp8"] | None = None
    osl_cv: float | None = Field(default=None, ge=0, le=10)
    parallelism: SplitText | None = Field(default=None, max_length=80)
    num_requests: int | None = Field(default=None, ge=1, le=100_000_000)
    memory_fraction: float | None = Field(default=None, gt=0, le=1)
    max_seqs: int | None = Field(default=None, ge=1, le=10_000_000)
    kv_reserve: KvReserve = None

    @property
    def fixed_split(self) -> dict[str, int | bool]:
        """tp, pp, ep, dp_attention the run used ({} = searched)."""
        return parse_parallelism(self.parallelism) if self.parallelism else {}

    @property
    def output_spread(self) -> float:
        """The run's output lengths' std/mean: as stated, else the MLPerf dataset's when
        ``isl_tokens`` is empty (a benchmark row on its dataset's defaults), else 0 (fixed lengths)."""
        if self.osl_cv is not None:
            return self.osl_cv
        return BENCHMARK_OSL_CV.get(self.model, 0.0) if self.isl_tokens is None else 0.0


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
            names = [h.strip() for h in header] if header else []
            tails = [list(OPTIONAL_COLUMNS[:i]) for i in range(len(OPTIONAL_COLUMNS) + 1)]
            if names[:len(VALIDATION_HEADER)] != VALIDATION_HEADER or names[len(VALIDATION_HEADER):] not in tails:
                got = show_value(",".join(header)) if header else "(empty file)"
                raise InputError(f"{p}:1: header must be exactly '{','.join(VALIDATION_HEADER)}', optionally "
                                 f"followed by '{','.join(OPTIONAL_COLUMNS)}' in this order up to the last one "
                                 f"used; got {got}")
            for cells in reader:
                n = reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(names):
                    raise InputError(f"{p}:{n}: row has {len(cells)} cells, the header has {len(names)}")
                data = {h: c.strip() for h, c in zip(names, cells) if c.strip() != ""}
                try:
                    yield MeasuredRow.model_validate(data)
                except ValidationError as exc:
                    raise input_error_from(exc, f"{p.name}:{n}") from None
        except csv.Error as exc:
            raise InputError(f"{p}:{reader.line_num}: CSV syntax error: {exc}. Fix: check quotes and commas") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{p}: not UTF-8 text ({exc.reason})") from None


def write_measured(path: str | Path, rows: list[MeasuredRow]) -> None:
    """Rows as a validate CSV (the optional columns only up to the last one a row uses)."""
    used = max((i + 1 for r in rows for i, c in enumerate(OPTIONAL_COLUMNS) if getattr(r, c) is not None),
               default=0)
    names = VALIDATION_HEADER + list(OPTIONAL_COLUMNS[:used])
    p = Path(path)
    try:
        with p.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(names)
            for r in rows:
                d = r.model_dump()
                w.writerow(["" if d[h] is None else (f"{d[h]:.8g}" if isinstance(d[h], float) else d[h])
                            for h in names])
    except OSError as exc:
        raise InputError(f"{p}: cannot write: {exc.strerror or exc}. Fix: choose a writable folder") from None


def read_measured(path: str | Path) -> list[MeasuredRow]:
    rows = list(iter_measured(path))
    if not rows:
        raise InputError(f"{path}: no data rows under the header. Fix: add measured results, one per line")
    return rows
