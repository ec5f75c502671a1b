"""Speed and memory of `tokenfab validate` on a long measured-results CSV.

    python benchmarks/validate_speed.py [--rows 100000] [--keep]

Writes a valid validation CSV of N rows to a temporary file: the rows of
validation/measured.csv cycled, each with a unique id and its isl/osl varied by up to +-5 %
(deterministic), so every row is scored and no two rows are the same workload. Then runs
`tokenfab validate FILE --json` through the installed console script (the `tokenfab` next to
this interpreter, what users run) in a fresh process, sampling the resident memory of that
process and its children every 0.1 s; the kernel's high-water mark of the process
(ru_maxrss from wait4) is shown beside the sampled peak. The JSON output is read back and
checked (every row scored). Runs 10,000 rows, then N. Targets (the issue): 100,000 rows in
well under a minute and under 1 GB. Last line: validate_100k: seconds, peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rss import RssSampler  # benchmarks/rss.py (the script's folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
MEASURED = ROOT / "validation" / "measured.csv"
TARGET_S, TARGET_MB = 60.0, 1024.0
VARY_FRAC = 0.05  # isl and osl are scaled by a factor in [1 - VARY_FRAC, 1 + VARY_FRAC]


def source_rows() -> tuple[list[str], list[dict[str, str]]]:
    with MEASURED.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_csv(path: Path, n: int, seed: int = 0) -> None:
    """``n`` rows cycled from measured.csv, unique ids, isl/osl varied (empty isl stays empty)."""
    header, rows = source_rows()
    scale = 1.0 + VARY_FRAC * np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n, 2))
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        for i in range(n):
            r = dict(rows[i % len(rows)])
            r["id"] = f"{r['id']}-{i:07d}"
            if r["isl_tokens"].strip():
                r["isl_tokens"] = f"{max(1.0, float(r['isl_tokens']) * scale[i, 0]):.2f}"
            r["osl_tokens"] = f"{max(1.0, float(r['osl_tokens']) * scale[i, 1]):.2f}"
            w.writerow(r)


def tokenfab_script() -> Path:
    exe = Path(sys.executable).parent / ("tokenfab.exe" if os.name == "nt" else "tokenfab")
    if not exe.exists():
        sys.exit(f"no `tokenfab` console script next to {sys.executable}. Fix: pip install -e . into this environment")
    return exe


def run_validate(csv_path: Path, out_path: Path) -> tuple[float, int, int, int]:
    """(wall seconds, sampled peak RSS [bytes], kernel max RSS [bytes], exit code)."""
    env = {k: v for k, v in os.environ.items() if k != "TOKENFAB_CATALOG"}
    err_path = out_path.with_suffix(".stderr")
    with out_path.open("wb") as out, err_path.open("wb") as err:
        t = time.perf_counter()
        proc = subprocess.Popen([str(tokenfab_script()), "validate", str(csv_path), "--json"], stdout=out, stderr=err,
                                env=env)
        sampler = RssSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own resource usage (ru_maxrss [KiB] on Linux)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop.set()
        sampler.join()
    if proc.returncode != 0:
        lines = err_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        print(f"  tokenfab validate failed (rc {proc.returncode}): {lines[-1] if lines else '?'}")
    return wall, sampler.peak, usage.ru_maxrss * 1024, proc.returncode


def label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000, help="rows of the large run (default 100,000)")
    ap.add_argument("--keep", action="store_true", help="keep the generated CSV and JSON (paths are printed)")
    args = ap.parse_args()
    sizes = sorted({min(10_000, args.rows), args.rows})
    tmp = Path(tempfile.mkdtemp(prefix="tokenfab-validate-speed-"))
    print(f"`{tokenfab_script()} validate FILE --json`, fresh process, RSS sampled every 0.1 s, {os.cpu_count()} CPUs")
    print(f"{'rows':>8} {'file MB':>8} {'seconds':>8} {'rows/s':>8} {'peak RSS MB':>12} {'maxrss MB':>10} "
          f"{'scored':>8} {'skipped':>8} {'MAPE':>6}")
    last = (0.0, 0.0, 0)
    try:
        for n in sizes:
            csv_path, out_path = tmp / f"rows-{n}.csv", tmp / f"rows-{n}.json"
            write_csv(csv_path, n)
            wall, peak, maxrss, rc = run_validate(csv_path, out_path)
            scored = skipped = 0
            mape = float("nan")
            if rc == 0:
                rep = json.loads(out_path.read_text(encoding="utf-8"))
                scored, skipped, mape = rep["n_rows"], len(rep["skipped"]), rep["mape"] or float("nan")
                if scored + skipped != n:
                    print(f"  warning: {scored} scored + {skipped} skipped != {n} rows written")
            print(f"{n:>8,} {csv_path.stat().st_size / 1e6:>8.1f} {wall:>8.2f} {n / wall:>8,.0f} {peak / 2**20:>12.0f} "
                  f"{maxrss / 2**20:>10.0f} {scored:>8,} {skipped:>8,} {mape:>6.1%}")
            last = (wall, peak / 2**20, rc)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            for p in tmp.iterdir():
                p.unlink()
            tmp.rmdir()
    wall, mb, rc = last
    verdict = "" if rc == 0 else f" FAILED rc {rc};"
    print(f"validate_{label(sizes[-1])}:{verdict} {wall:.1f} s, {mb:.0f} MB peak RSS (targets: < {TARGET_S:.0f} s, "
          f"< {TARGET_MB:.0f} MB)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from tokenfab.errors import run_script

    raise SystemExit(run_script(main))
