"""``tokenfab calibrate``: a user's own benchmark runs back into the model.

Result files (any format :mod:`tokenfab.accuracy.results` reads) become validation rows
(the ``tokenfab validate`` CSV, with the run's fixed concurrency), the flags filling what a
file does not hold (which chip, how many, which stack and weight format). The three
per-stack factors of each accelerator x stack in the rows (compute scale, memory-bandwidth
efficiency, per-pass overhead) are fitted with the shipped calibration's own code
(:func:`tokenfab.accuracy.calibration.fit`, the same objective and bounds), starting from the
shipped factors, every other factor held; with four runs or more each run is also predicted
by a fit on the others (out of fold). The result is written as a catalog overlay
(``DIR/efficiency.yaml``) that ``--catalog DIR`` applies in every command.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import Field

from ..catalog.efficiency_overlay import FILE_NAME, read_overlay
from ..catalog.loader import Catalog, load_catalog
from ..deployment.spec import KV_RESERVE_HELP, KvReserve, MemoryFraction
from ..engine.dtypes import WeightDtype
from ..engine.efficiency import stack_factors
from ..errors import InputError
from ..inputs import InputModel, ResultModel
from .calibration import BOUNDS, fit, predict
from .measured import BENCHMARK_DEFAULT_ISL, PARALLELISM_HELP, MeasuredRow, SplitText, write_measured
from .results import RunResult, read_results
from .score import Prepared, prepare

FACTORS = ("compute_scale", "memory_eff", "overhead_s")
MIN_RUNS_OUT_OF_FOLD = 4
TOOL_STACK = {"vllm bench serve": "vllm", "sglang bench_serving": "sglang"}


class CalibrationSetup(InputModel):
    """What the result files do not say (CLI flags of ``tokenfab calibrate``)."""

    model: str | None = Field(default=None, max_length=80, description="Catalog model id (default: the file's "
                              "model when it names one the catalog knows by its Hugging Face repository).")
    accelerator: str | None = Field(default=None, max_length=80, description="Accelerator id the runs ran on.")
    count: int | None = Field(default=None, ge=1, le=1_000_000, description="Accelerators serving the runs.")
    stack: str | None = Field(default=None, max_length=40, description="Serving stack id (default: vllm for vllm "
                              "bench serve results, sglang for SGLang's).")
    weights: WeightDtype | None = Field(default=None, description="Weight format the runs served.")
    isl: float | None = Field(default=None, ge=1, le=10_000_000, description="Mean input tokens, for files "
                              "without them (MLPerf summaries: the benchmark's documented mean).")
    osl: float | None = Field(default=None, ge=1, le=1_000_000, description="Mean output tokens, for files "
                              "without them.")
    parallelism: SplitText | None = Field(default=None, max_length=80, description="The split the runs used, as the "
                                    "validate format's parallelism column writes it: " + PARALLELISM_HELP + "; "
                                    "degrees not named are 1 (default: searched, as for a tuned submission).")
    memory_fraction: MemoryFraction = Field(default=None, description="The memory budget the runs gave "
                                          "their server, in its own terms (--gpu-memory-utilization, "
                                          "--mem-fraction-static, --kv_cache_free_gpu_memory_fraction); default: "
                                          "the stack's, 0.9.")
    kv_reserve: KvReserve = Field(default=None, description=KV_RESERVE_HELP)


class CalibratedRow(ResultModel):
    id: str
    metric: str
    concurrency: int | None
    measured: float
    before: float | None
    after: float | None
    out_of_fold: float | None


class CalibratedPair(ResultModel):
    accelerator: str
    stack: str
    runs: int
    before: dict[str, float]
    after: dict[str, float]
    at_bound: tuple[str, ...]


class CalibrationReport(ResultModel):
    """Before/after mean absolute percentage error on the user's rows, the fitted factors and
    where they were written."""

    rows: tuple[CalibratedRow, ...]
    pairs: tuple[CalibratedPair, ...]
    runs: int
    mape_before: float
    mape_after: float
    mape_out_of_fold: float | None
    warnings: tuple[str, ...]
    saved_rows: str | None
    saved_overlay: str | None


def _model_id(cat: Catalog, run: RunResult, setup: CalibrationSetup) -> str:
    if setup.model:
        cat.model(setup.model)  # unknown id: one line with the closest
        return setup.model
    name = (run.model_name or "").lower()
    for spec in cat.typed("models", type(cat.model("llama-3.1-8b"))):
        repo = (spec.hf_repo or "").lower()
        if name and repo and name in (repo, repo + "-instruct"):
            return spec.id
    said = f"names {run.model_name!r}, not a catalog model's repository" if run.model_name else "names no model"
    raise InputError(f"{run.file}: the file {said}; pass --model ID (tokenfab catalog list models)")


def _need(value: Any, flag: str, run: RunResult, why: str) -> Any:
    if value is None:
        raise InputError(f"{run.file}: {why}; pass {flag}")
    return value


def to_rows(runs: Sequence[RunResult], setup: CalibrationSetup, cat: Catalog) -> list[MeasuredRow]:
    """Validation rows (throughput, and mean TPOT where the file has it) from the runs."""
    rows: list[MeasuredRow] = []
    for run in runs:
        model = _model_id(cat, run, setup)
        acc = _need(setup.accelerator, "--accelerator ID", run, "result files do not say which chip ran them")
        stack = setup.stack or TOOL_STACK.get(run.tool)
        stack = _need(stack, "--stack ID", run, f"a {run.tool} result does not say which serving stack answered")
        count = _need(setup.count, "--count N", run, "result files do not say how many accelerators served")
        weights = _need(setup.weights, "--weights DTYPE", run, "result files do not say the weight format")
        accelerator, st = cat.accelerator(acc), cat.stack(stack)
        if accelerator.vendor not in st.accelerator_vendors:
            raise InputError(f"stack = {stack!r} does not run on {accelerator.vendor} accelerators ({acc}); "
                             f"catalog stacks.yaml lists {', '.join(st.accelerator_vendors)}")
        isl = run.isl_tokens or setup.isl
        if isl is None and model not in BENCHMARK_DEFAULT_ISL:
            raise InputError(f"{run.file}: the file holds no input length; pass --isl TOKENS")
        osl = _need(run.osl_tokens or setup.osl, "--osl TOKENS", run, "the file holds no output length")
        conc = None if run.concurrency is None else max(1, int(round(run.concurrency)))
        # all requests sent at once (no rate): the run never held more than it sent
        sent = run.num_requests if run.request_rate_per_s is None else None
        base = dict(model=model, accelerator=acc, n_accel=count, weights_dtype=weights,
                    scenario=run.scenario or "offline", isl_tokens=isl, osl_tokens=osl,
                    ttft_limit_s=run.ttft_limit_s, tpot_limit_s=run.tpot_limit_s, stack=stack, concurrency=conc,
                    parallelism=setup.parallelism, num_requests=sent, memory_fraction=setup.memory_fraction,
                    kv_reserve=setup.kv_reserve,
                    source=f"{run.file} ({run.tool}, run {run.run}; concurrency: {run.concurrency_basis or 'none'})")
        stem = f"{Path(run.file).name}#{run.run}"
        rows.append(MeasuredRow(id=f"{stem}:throughput", metric="output_tok_per_s", value=run.output_tok_per_s, **base))
        if run.tpot_mean_s is not None and conc is not None:
            rows.append(MeasuredRow(id=f"{stem}:tpot", metric="tpot_s", value=run.tpot_mean_s, **base))
    return rows


def _ape(pred: np.ndarray, meas: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(pred), np.abs(pred - meas) / meas, np.nan)


def _start(cat: Catalog, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    start = copy.deepcopy(cat.efficiency["calibrated"])
    shipped = copy.deepcopy(start)
    shipped.pop("accelerator_stacks", None)  # refit from the shipped factors, not an earlier overlay's
    own = start.setdefault("accelerator_stacks", {})
    for acc, st in pairs:
        f = stack_factors(shipped, acc, st)
        own.setdefault(acc, {})[st] = {k: float(f[k]) for k in FACTORS}
    return start


def _paths(pairs: list[tuple[str, str]]) -> list[tuple[str, ...]]:
    return [("accelerator_stacks", a, s, k) for a, s in pairs for k in FACTORS]


def calibrate(files: Sequence[str | Path], setup: CalibrationSetup | None = None, save: str | Path | None = None,
              catalog: Catalog | None = None) -> CalibrationReport:
    """Fit the accelerator x stack factors on the runs in ``files``; with ``save`` write
    ``measured.csv`` and the overlay ``efficiency.yaml`` there (merged with one already there)."""
    setup = setup or CalibrationSetup()
    cat = catalog or load_catalog()
    if not files:
        raise InputError("give at least one result file")
    runs = [r for f in files for r in read_results(f)]
    rows = to_rows(runs, setup, cat)
    prep = prepare(rows, cat)
    if prep.skipped:
        row, why = prep.skipped[0]
        raise InputError(f"{row.source.split(' (')[0]}: cannot be scored: {why}")
    pairs = sorted({(r.accelerator, r.stack) for r in prep.rows})
    start = _start(cat, pairs)
    paths = _paths(pairs)
    meas = np.array([r.value for r in prep.rows])
    before = predict(prep, start)
    if not np.isfinite(before).all():
        bad = prep.rows[int(np.flatnonzero(~np.isfinite(before))[0])]
        raise InputError(f"{bad.id}: no deployment of {bad.model} on {bad.n_accel} x {bad.accelerator} in "
                         f"{bad.weights_dtype} fits at concurrency {bad.concurrency}; check --count and --weights")
    params = fit(prep, start, paths=paths, rounds=8)
    after = predict(prep, params)
    oof = _out_of_fold(prep, start, paths) if len(runs) >= MIN_RUNS_OUT_OF_FOLD else None
    out_pairs, warnings = [], []
    for acc, st in pairs:
        got = params["accelerator_stacks"][acc][st]
        hit = tuple(k for k in FACTORS if got[k] <= BOUNDS[k][0] + 1e-12 or got[k] >= BOUNDS[k][1] - 1e-12)
        for k in hit:
            warnings.append(f"{acc} x {st}: {k} = {got[k]:.4g} sits at its physical bound "
                            f"{BOUNDS[k][0]:g}..{BOUNDS[k][1]:g}; the runs may include effects the engine does not "
                            "model (queueing, CPU overhead, another split) -- check the setup flags")
        n_runs = len({r.source.split(' (')[0] + r.id.split(':')[0] for r in prep.rows if (r.accelerator, r.stack) == (acc, st)})
        out_pairs.append(CalibratedPair(accelerator=acc, stack=st, runs=n_runs,
                                        before={k: float(start["accelerator_stacks"][acc][st][k]) for k in FACTORS},
                                        after={k: float(got[k]) for k in FACTORS}, at_bound=hit))
    ape_b, ape_a = _ape(before, meas), _ape(after, meas)
    report_rows = tuple(CalibratedRow(
        id=r.id, metric=r.metric, concurrency=r.concurrency, measured=r.value, before=float(b), after=float(a),
        out_of_fold=None if oof is None else float(oof[i])) for i, (r, b, a) in enumerate(zip(prep.rows, before, after)))
    saved_rows = saved_overlay = None
    if save is not None:
        saved_rows, saved_overlay = _save(Path(save).expanduser(), prep, params, out_pairs, files)
    return CalibrationReport(
        rows=report_rows, pairs=tuple(out_pairs), runs=len(runs), mape_before=float(np.nanmean(ape_b)),
        mape_after=float(np.nanmean(ape_a)),
        mape_out_of_fold=None if oof is None else float(np.nanmean(_ape(oof, meas))), warnings=tuple(warnings),
        saved_rows=saved_rows, saved_overlay=saved_overlay)


def _out_of_fold(prep: Prepared, start: dict[str, Any], paths: list[tuple[str, ...]]) -> np.ndarray:
    """Each run (its throughput and TPOT rows together) predicted by a fit on the other runs."""
    run_of = np.array([r.id.rsplit(":", 1)[0] for r in prep.rows])
    out = np.full(len(prep.rows), np.nan)
    for run in sorted(set(run_of)):
        held = run_of == run
        params = fit(prep, start, mask=~held, paths=paths, rounds=6)
        out[held] = predict(prep, params)[held]
    return out


def _save(folder: Path, prep: Prepared, params: dict[str, Any], pairs: list[CalibratedPair],
          files: Sequence[str | Path]) -> tuple[str, str]:
    if folder.exists() and not folder.is_dir():
        raise InputError(f"save = {str(folder)!r} is a file; pass a folder (it is created if missing)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"save = {str(folder)!r}: cannot create it ({exc.strerror}); choose a writable folder") from None
    rows_path = folder / "measured.csv"
    write_measured(rows_path, list(prep.rows))
    overlay_path = folder / FILE_NAME
    own = read_overlay(overlay_path) if overlay_path.exists() else {}
    names = ", ".join(Path(f).name for f in files)
    for p in pairs:
        got = params["accelerator_stacks"][p.accelerator][p.stack]
        own.setdefault(p.accelerator, {})[p.stack] = {
            **{k: float(f"{got[k]:.4g}") for k in FACTORS}, "calibrated_on_runs": p.runs,
            "source": f"tokenfab calibrate on {names} (rows in {rows_path})", "fitted_at": dt.date.today().isoformat()}
    doc = {"schema_version": 1, "calibrated": {"accelerator_stacks": own}}
    header = ("# tokenfab catalog overlay: efficiency factors fitted on your own benchmark runs by tokenfab calibrate.\n"
              "# Use it with --catalog DIR (or TOKENFAB_CATALOG=DIR); every other factor stays the shipped one.\n")
    try:
        overlay_path.write_text(header + yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{overlay_path}: cannot write ({exc.strerror}); choose a writable folder") from None
    read_overlay(overlay_path)  # what was written loads back
    return str(rows_path), str(overlay_path)

