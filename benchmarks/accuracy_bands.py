"""Write src/tokenfab/data/accuracy_bands.yaml: the 80 % range of measured / predicted on the
shipped validation sets, per serving stack (the 'class' of an estimate until per-estimate
intervals exist). Recipes print an estimate's expected figures with this range.

    python benchmarks/accuracy_bands.py           # print
    python benchmarks/accuracy_bands.py --write   # also write the data file
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy.measured import read_measured  # noqa: E402
from tokenfab.accuracy.score import evaluate, prepare  # noqa: E402

SETS = ("validation/measured.csv", "validation/holdout.csv")
MIN_ROWS = 5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    rows = [r for name in SETS for r in read_measured(ROOT / name)]
    prep = prepare(rows)
    pred = evaluate(prep)["predicted"]
    ok = np.isfinite(pred)
    ratio = np.array([r.value for r in prep.rows])[ok] / pred[ok]
    stacks = np.array([r.stack for r in prep.rows])[ok]
    metrics = np.array([r.metric for r in prep.rows])[ok]
    classes = {"all": np.ones(len(ratio), bool)} | {s: stacks == s for s in sorted(set(stacks))}
    out = {}
    for name, m in classes.items():
        m = m & (metrics == "output_tok_per_s")
        if m.sum() < MIN_ROWS:
            continue
        q10, q90 = np.quantile(ratio[m], [0.1, 0.9])
        out[str(name)] = {"rows": int(m.sum()), "measured_over_predicted_p10": round(float(q10), 3),
                     "measured_over_predicted_p90": round(float(q90), 3)}
    doc = {"schema_version": 1, "metric": "output_tok_per_s", "fitted_on": list(SETS), "made_at": dt.date.today().isoformat(),
           "method": "10th and 90th percentile of measured / predicted (calibrated fidelity) per stack; 'all' pools "
                     "every row; a stack with fewer than 5 rows uses 'all'", "classes": out}
    text = yaml.safe_dump(doc, sort_keys=False, width=120)
    print(text)
    if args.write:
        path = ROOT / "src" / "tokenfab" / "data" / "accuracy_bands.yaml"
        path.write_text("# Made by benchmarks/accuracy_bands.py --write; do not edit by hand.\n" + text, encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
