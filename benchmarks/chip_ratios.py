"""Chip-to-chip throughput ratios per accelerator, predicted against measured, on published rows.

    python benchmarks/chip_ratios.py

A buyer compares chips by ratio, so a ratio's error matters as much as each row's. For each
pair of rows in ``PAIRS`` (ids of validation/measured.csv or validation/holdout.csv) this
prints the measured per-accelerator throughput ratio, the one predicted with the shipped
factors, and the predicted / measured quotient. The pairs name the MLPerf round of each row:
a ratio across rounds also carries one chip's software gain between the rounds (NVIDIA's
H100 Llama-2-70B Offline went 24,525 -> 31,307 tok/s on the same 8-GPU system from v4.1 to
v5.0), which the engine, fitted on one current set of factors per stack, does not model.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy.measured import read_measured  # noqa: E402
from tokenfab.accuracy.score import evaluate, prepare  # noqa: E402

# (label, numerator row, denominator row)
PAIRS = (
    ("B200 v5.1 / H100 v5.0, Llama-2-70B Offline (nearest rounds)", "GT001", "HO070"),
    ("B200 v5.1 / H100 v4.1, Llama-2-70B Offline (across two rounds)", "GT001", "GT055"),
    ("GB200 v5.1 / H100 v5.1, Llama-2-70B Server (same round)", "GT005", "GT011"),
    ("GB200 v5.1 / B200 v5.1, Llama-2-70B Offline (same round)", "GT004", "GT001"),
    ("H200 v5.1 / H100 v5.0, Llama-2-70B Offline (nearest rounds)", "GT007", "HO070"),
    ("H200 v4.1 / H100 v4.1, Llama-2-70B Offline (same round)", "GT057", "GT055"),
    ("MI355X v5.1 open / MI300X v5.1 closed, Llama-2-70B Offline", "GT261", "GT012"),
    ("B200 / H100, Llama-3.3-70B 1000/1000 (one TensorRT-LLM table)", "GT105", "GT108"),
)


def main() -> int:
    rows = {r.id: r for name in ("measured.csv", "holdout.csv") for r in read_measured(ROOT / "validation" / name)}
    wanted = [rows[i] for i in dict.fromkeys(i for _, a, b in PAIRS for i in (a, b))]
    prep = prepare(wanted)
    predicted = dict(zip((r.id for r in prep.rows), evaluate(prep)["predicted"], strict=True))
    print(f"{'pair':66} {'measured':>9} {'predicted':>9} {'pred/meas':>9}")
    for label, a, b in PAIRS:
        ra, rb = rows[a], rows[b]
        meas = (ra.value / ra.n_accel) / (rb.value / rb.n_accel)
        pred = (predicted[a] / ra.n_accel) / (predicted[b] / rb.n_accel)
        print(f"{label:66} {meas:9.2f} {pred:9.2f} {pred / meas:9.2f}")
    print("per accelerator: output tokens/s of the row divided by its n_accel; rows as in validation/*.csv "
          "(ids after each label in the source)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
