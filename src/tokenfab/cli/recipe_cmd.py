"""`--recipe` on plan and estimate, and `tokenfab calibrate` (rendering only)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from ..deployment.spec import KV_RESERVE_HELP
from ..errors import InputError
from .options import CatalogDir, Json
from .output import console, err_console, load, print_json

RecipeOpt = Annotated[Optional[str], typer.Option("--recipe", help="Write how to run it: vllm, sglang, trtllm or k8s "
                                                 "(launch command or manifests, and the benchmark that checks it).")]
RowOpt = Annotated[Optional[int], typer.Option("--row", min=1, max=10_000, help="Front row the recipe is for "
                                              "(1-based) [default: 1].")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Folder the recipe's files are written to.")]


def check_flags(recipe: str | None, out: Path | None, row: int | None = None) -> None:
    if recipe is None and (out is not None or row is not None):
        raise InputError(f"{'--out' if out is not None else '--row'} applies to a recipe: add --recipe vllm|sglang|"
                         "trtllm|k8s")


def emit(ev: Any, kind: str, out: Path | None, cat: Any, json_out: bool) -> None:
    """Print (and with ``out`` write) the recipe of one evaluation."""
    from ..recipes import recipe, write_recipe

    r = recipe(ev, kind, cat)
    paths = write_recipe(r, out) if out is not None else []
    if json_out:
        print_json(r.to_dict())
    else:
        sys.stdout.write(f"# {r.kind} recipe: {r.stack_name} {r.stack_version}, checked with {r.bench_tool} "
                         f"{r.bench_version}\n")
        for n in (*r.notes, *ev.notes):
            sys.stdout.write(f"# note: {n}\n")
        sys.stdout.write(r.manifests if r.manifests else r.launch)
        sys.stdout.write("\n" + r.bench)
    for p in paths:
        err_console.print(f"wrote {p}", highlight=False)


def calibrate_cmd(
    files: Annotated[list[Path], typer.Argument(help="Benchmark result files: vllm bench serve --save-result JSON, "
                                                "SGLang bench_serving JSONL, AIPerf/genai-perf JSON, GuideLLM JSON, "
                                                "MLPerf mlperf_log_summary.txt.")],
    save: Annotated[Path, typer.Option("--save", help="Folder for the validation rows (measured.csv) and the "
                                       "overlay (efficiency.yaml); use it with --catalog.")],
    model: Annotated[Optional[str], typer.Option("--model", help="Catalog model id (default: the file's).")] = None,
    accelerator: Annotated[Optional[str], typer.Option("--accelerator", help="Accelerator id the runs ran on.")] = None,
    count: Annotated[Optional[int], typer.Option("--count", help="Accelerators serving the runs.")] = None,
    stack: Annotated[Optional[str], typer.Option("--stack", help="Serving stack id (default: the tool's).")] = None,
    weights: Annotated[Optional[str], typer.Option("--weights", help="Weight format the runs served.")] = None,
    isl: Annotated[Optional[float], typer.Option("--isl", help="Mean input tokens, for files without them.")] = None,
    osl: Annotated[Optional[float], typer.Option("--osl", help="Mean output tokens, for files without them.")] = None,
    parallelism: Annotated[Optional[str], typer.Option(
        "--parallelism", help="The split the runs used, e.g. 'tp2', 'tp4 ep4 dpa' or 'dep4' (degrees not named are "
        "1); default: searched.")] = None,
    memory_fraction: Annotated[Optional[float], typer.Option(
        "--memory-fraction", help="The memory budget the runs gave their server, in its own terms "
        "(--gpu-memory-utilization, --mem-fraction-static, --kv_cache_free_gpu_memory_fraction); default: the "
        "stack's, 0.9.")] = None,
    kv_reserve: Annotated[Optional[str], typer.Option("--kv-reserve", metavar="live|request",
                                                      help=KV_RESERVE_HELP)] = None,
    catalog: CatalogDir = None, json_out: Json = False,
) -> None:
    """Fit the efficiency of your chip x stack on your own benchmark runs; write an overlay for --catalog."""
    from .. import calibrate
    from ..accuracy.user_calibration import CalibrationSetup
    from ..inputs import parse_input

    given = {k: v for k, v in dict(model=model, accelerator=accelerator, count=count, stack=stack, weights=weights,
                                    isl=isl, osl=osl, parallelism=parallelism,
                                    memory_fraction=memory_fraction, kv_reserve=kv_reserve).items() if v is not None}
    setup = parse_input(CalibrationSetup, given)
    rep = calibrate(files, setup, save=save, catalog=load(catalog))
    if json_out:
        print_json(rep.to_dict())
        return
    t = Table(title=f"calibration on {rep.runs} run{'s' if rep.runs != 1 else ''}")
    for col in ("row", "metric", "concurrency", "measured", "before", "after", "out of fold"):
        t.add_column(col, justify="left" if col in ("row", "metric") else "right")
    for r in rep.rows:
        t.add_row(r.id, r.metric, str(r.concurrency or "-"), f"{r.measured:,.4g}", _pct(r.before, r.measured),
                  _pct(r.after, r.measured), _pct(r.out_of_fold, r.measured))
    console.print(t)
    oof = "" if rep.mape_out_of_fold is None else f", out of fold {rep.mape_out_of_fold:.1%}"
    console.print(f"mean absolute error: before {rep.mape_before:.1%}, after {rep.mape_after:.1%}{oof}"
                  + ("" if rep.mape_out_of_fold is not None else " (out-of-fold needs 4 runs or more)"),
                  highlight=False)
    for p in rep.pairs:
        console.print(f"{p.accelerator} x {p.stack} ({p.runs} run{'s' if p.runs != 1 else ''}): " + ", ".join(
            f"{k} {p.before[k]:.4g} -> {p.after[k]:.4g}" for k in p.before), highlight=False)
    for w in rep.warnings:
        err_console.print(f"warning: {w}", highlight=False)
    console.print(f"wrote {rep.saved_rows} and {rep.saved_overlay}; use --catalog {save} (outputs then say "
                  "'calibrated on N of your runs')", highlight=False)


def _pct(pred: float | None, meas: float) -> str:
    return "-" if pred is None else f"{pred:,.4g} ({(pred - meas) / meas:+.0%})"
