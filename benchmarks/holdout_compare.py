"""How much a change moves the out-of-sample figures, and whether the holdout can tell.

    python benchmarks/holdout_compare.py --dump A.json            # this tree's predictions
    python benchmarks/holdout_compare.py --dump A.json --cv model --jobs 2   # and out-of-fold ones
    python benchmarks/holdout_compare.py --compare A.json B.json  # B against A, paired

``--dump`` writes, for every row of validation/holdout.csv (never used in fitting) and
validation/measured.csv (the fitted rows: in sample), the prediction of this tree's code and
shipped factors; ``--cv KEY`` (model, accelerator or stack; repeatable) adds each fitted row's
prediction by the cross-validation fold that left its group out (accuracy/crossval.py: every
fold fitted from the fixed starts on the other groups' rows; about half an hour per key on two
cores). Run it in two trees (before and after a change: physics, data or a refit) and
``--compare`` the files: per file the MAPE and its bootstrap standard error over rows, the paired
difference with its 90 % bootstrap interval (20,000 resamples of the rows, fixed seed), how many
rows moved by more than one point of APE, the rows beyond 1.6x, and the rows that moved most;
with out-of-fold predictions in both files, the same for them and for them pooled with the
holdout (every row then predicted without its own measurement).

Why: the holdout has 92 rows. A MAPE over them has a standard error of about 1.8 points, and a
refit alone (another basin of the same objective) moves most rows by a point or more, so a
difference of half a point is not evidence either way (docs/engine.md section 6, twenty-sixth
session). A paired interval that excludes zero is.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tokenfab.accuracy.score import Prepared

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

FILES = ("holdout", "measured")
RESAMPLES = 20_000
SEED = 0
MOVED_APE = 0.01  # one point of absolute percentage error
FAR = 1.6  # the bound on a held-out row's ratio


def _rows(prep: Prepared, pred: np.ndarray) -> dict[str, dict[str, object]]:
    return {r.id: {"predicted": float(p), "measured": float(r.value), "model": r.model, "accelerator": r.accelerator,
                   "stack": r.stack} for r, p in zip(prep.rows, pred)}


def dump(path: Path, cv_keys: list[str], jobs: int) -> None:
    from tokenfab.accuracy.calibration import read_latency_pairs
    from tokenfab.accuracy.crossval import cross_validate_all
    from tokenfab.accuracy.measured import read_measured
    from tokenfab.accuracy.score import evaluate, prepare
    from tokenfab.catalog import load_catalog

    cat = load_catalog()
    out: dict[str, dict[str, dict[str, object]]] = {}
    for name in FILES:
        prep = prepare(read_measured(ROOT / "validation" / f"{name}.csv"), cat)
        out[name] = _rows(prep, evaluate(prep, cat.efficiency)["predicted"])
    if cv_keys:
        prep = prepare(read_measured(ROOT / "validation" / "measured.csv"), cat)
        cvs = cross_validate_all(prep, read_latency_pairs(ROOT / "validation" / "latency_pairs.csv"), cv_keys, jobs)
        for key, cv in cvs.items():
            out[f"leave-one-{key}-out"] = _rows(prep, cv.predicted)
    path.write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(f"wrote {path}: " + ", ".join(f"{n} {len(rows)} rows" for n, rows in out.items()))


def _ratios(rows: dict[str, dict[str, object]], ids: list[str]) -> np.ndarray:
    return np.array([float(rows[i]["predicted"]) / float(rows[i]["measured"]) for i in ids])  # type: ignore[arg-type]


def _read_dump(path: Path) -> dict[str, dict[str, dict[str, object]]]:
    """A file written by ``--dump``; a missing or malformed one is bad input (one line)."""
    from tokenfab.errors import InputError

    try:
        got = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"--compare {path}: cannot read it as a --dump file ({exc}). Fix: give two files "
                         "written by `holdout_compare.py --dump FILE`") from None
    if not isinstance(got, dict) or not all(name in got for name in FILES):
        raise InputError(f"--compare {path}: not a --dump file (it needs the keys {', '.join(FILES)}). Fix: give two "
                         "files written by `holdout_compare.py --dump FILE`")
    return got


def compare(a_path: Path, b_path: Path) -> None:
    a_all, b_all = _read_dump(a_path), _read_dump(b_path)
    rng = np.random.default_rng(SEED)
    sections = [*FILES, *sorted(k for k in set(a_all) & set(b_all) if k not in FILES)]
    for cv in sections[len(FILES):]:  # out-of-fold rows pooled with the holdout: all out of sample
        pooled = f"holdout + {cv}"
        a_all[pooled] = {**a_all["holdout"], **a_all[cv]}
        b_all[pooled] = {**b_all["holdout"], **b_all[cv]}
        sections.append(pooled)
    labels = {"holdout": "holdout.csv, never used in fitting", "measured": "measured.csv, fitted rows: in sample"}
    for name in sections:
        ids = sorted(set(a_all[name]) & set(b_all[name]))
        ra, rb = _ratios(a_all[name], ids), _ratios(b_all[name], ids)
        ea, eb = np.abs(ra - 1), np.abs(rb - 1)
        pick = rng.integers(0, len(ids), size=(RESAMPLES, len(ids)))
        diff = (eb - ea)[pick].mean(axis=1)
        lo, hi = np.quantile(diff, [0.05, 0.95])
        label = labels.get(name, f"{name}: out of sample")
        print(f"\n## {label}, {len(ids)} rows in both files")
        for tag, e in (("A", ea), ("B", eb)):
            print(f"{tag}: MAPE {e.mean():6.2%} (bootstrap SE {e[pick].mean(axis=1).std():.2%}), median "
                  f"{np.median(e):6.2%}")
        verdict = "B better" if hi < 0 else "B worse" if lo > 0 else "no difference the rows can show"
        print(f"B - A: {eb.mean() - ea.mean():+.2%}, 90 % interval [{lo:+.2%}, {hi:+.2%}]: {verdict}")
        print(f"rows whose APE moved by more than {MOVED_APE:.0%}: {int(np.sum(np.abs(eb - ea) > MOVED_APE))} of {len(ids)}")
        for tag, r in (("A", ra), ("B", rb)):
            far = [f"{i} {max(x, 1 / x):.2f}x" for i, x in zip(ids, r) if max(x, 1 / x) > FAR]
            print(f"{tag}: rows beyond {FAR}x: {', '.join(far) or 'none'}")
        moved = np.abs(np.log(rb) - np.log(ra))
        order = [j for j in np.argsort(-moved)[:8] if moved[j] > 1e-9]
        print("moved most (predicted / measured, A -> B):" + ("" if order else " none"))
        for j in order:
            row = a_all[name][ids[j]]
            print(f"  {ids[j]:<7} {row['model']:<22} {row['accelerator']:<10} {row['stack']:<7} "
                  f"{ra[j]:5.2f} -> {rb[j]:5.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--dump", type=Path, metavar="FILE", help="write this tree's predictions")
    g.add_argument("--compare", type=Path, nargs=2, metavar=("A", "B"), help="B against A, paired by row id")
    ap.add_argument("--cv", action="append", default=[], choices=("model", "accelerator", "stack"),
                    help="with --dump: also the out-of-fold predictions of this leave-one-group-out (repeatable)")
    ap.add_argument("--jobs", type=int, default=1, help="processes for the cross-validation folds")
    args = ap.parse_args()
    if args.dump:
        dump(args.dump, args.cv, max(1, args.jobs))
    else:
        compare(*args.compare)


if __name__ == "__main__":
    from tokenfab.errors import run_script

    raise SystemExit(run_script(main))
