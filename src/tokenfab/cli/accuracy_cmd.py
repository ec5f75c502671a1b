"""`tokenfab validate`: predicted vs measured on a CSV of published results (rendering only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..accuracy.measured import OPTIONAL_COLUMNS
from .options import CatalogDir, Json
from .output import console, load, print_json


def validate_cmd(
    file: Annotated[Path, typer.Argument(
        help="CSV with the tokenfab validate header: id, model, accelerator, n_accel, weights_dtype, scenario, "
        "isl_tokens, osl_tokens, ttft_limit_s, tpot_limit_s, stack, metric, value, source; optionally then "
        f"{', '.join(OPTIONAL_COLUMNS)} (in this order, up to the last one used).")],
    fidelity: Annotated[str, typer.Option("--fidelity",
        help="roofline, derated, calibrated or measured (needs tokenfab[measured]) [default: calibrated].")] = "calibrated",
    catalog: CatalogDir = None, json_out: Json = False,
) -> None:
    """Predicted vs measured for every row, MAPE, median and the five worst rows."""
    from .. import measure_accuracy

    rep = measure_accuracy(file, fidelity=fidelity, catalog=load(catalog))
    if json_out:
        print_json(rep.to_dict())
        return
    t = Table(title=f"{file} ({rep.fidelity})")
    for col in ("id", "model", "accelerator", "n", "scenario", "metric", "predicted", "80 % range", "measured", "APE",
                "split"):
        t.add_column(col, justify="right" if col in ("n", "predicted", "measured", "APE") else "left")
    for r in rep.rows:
        rng = "-" if r.predicted_low is None else (f"{r.predicted_low:,.4g}-{r.predicted_high:,.4g}"
                                                  + ("" if r.validated else " unvalidated"))
        t.add_row(r.id, r.model, r.accelerator, str(r.n_accel), r.scenario, r.metric, f"{r.predicted:,.4g}", rng,
                  f"{r.measured:,.4g}", f"{r.ape:.1%}", f"tp{r.tp} pp{r.pp} ep{r.ep} x{r.replicas}")
    console.print(t)
    ranged = [r for r in rep.rows if r.predicted_low is not None and r.predicted_high is not None]
    if ranged:
        inside = sum(r.predicted_low <= r.measured <= r.predicted_high for r in ranged)  # type: ignore[operator]
        console.print(f"measured inside the 80 % range: {inside} of {len(ranged)} rows (in sample for the bundled "
                      "validation files, whose out-of-sample ratios made the bands; benchmarks/accuracy_bands.py prints "
                      "the coverage out of fold)", highlight=False)
    console.print(f"MAPE {rep.mape or 0:.1%}   median APE {rep.median_ape or 0:.1%}   worst ratio {rep.max_ratio or 0:.2f}"
                  f"   rows {rep.n_rows}   skipped {len(rep.skipped)}", highlight=False)
    console.print("five worst: " + ", ".join(f"{r.id} ({r.ape:.0%})" for r in rep.worst()), highlight=False)
    for r in rep.rows:
        if not r.within_limits:
            console.print(f"note: {r.id}: no deployment meets its latency limits; predicted at the lowest-TPOT "
                          "point that fits", highlight=False)
    for s in rep.skipped:
        console.print(f"skipped {s.id}: {s.reason}", highlight=False)
