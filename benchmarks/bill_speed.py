"""Speed and memory of `tokenfab bill` on a generated multi-million-row FOCUS export.

    python benchmarks/bill_speed.py [--rows 10000000] [--format csv|parquet] [--keep]

DuckDB itself writes a FOCUS 1.2 cost-and-usage CSV of N rows into a temporary folder,
deterministically (every value is a function of the row number: no random numbers): a mix of
generative-AI token charges (two models, input and output, PricingUnit "1000000 Tokens"),
p5.48xlarge GPU instance hours (on-demand, committed, spot), data transfer out, and ordinary
storage/compute charges, over three providers and five regions, across 12 months. Then runs
`tokenfab bill FILE --json` through the installed console script in a fresh process, sampling
the resident memory of the process tree every 0.1 s (benchmarks/rss.py) beside the kernel's
high-water mark (ru_maxrss), and checks the answer against the totals the generator implies
(computed by DuckDB directly from the generated file, a separate query). Target (the issue):
10 million rows summarized in well under a minute on a 2-core machine, bounded memory.
Last line: rows_per_s: N.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rss import RssSampler  # benchmarks/rss.py (the script's folder is on sys.path)

TARGET_S = 60.0

GENERATOR = """
SELECT
  '111122223333' AS BillingAccountId, 'USD' AS BillingCurrency,
  strftime(make_timestamp(2025, m, 1, 0, 0, 0), '%Y-%m-%dT%H:%M:%SZ') AS BillingPeriodStart,
  strftime(make_timestamp(2025, m, 1, 0, 0, 0) + INTERVAL 1 MONTH, '%Y-%m-%dT%H:%M:%SZ') AS BillingPeriodEnd,
  strftime(make_timestamp(2025, m, 1 + (i // 12) % 28, (i // 336) % 24, 0, 0), '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodStart,
  strftime(make_timestamp(2025, m, 1 + (i // 12) % 28, (i // 336) % 24, 0, 0) + INTERVAL 1 HOUR, '%Y-%m-%dT%H:%M:%SZ')
    AS ChargePeriodEnd,
  'Usage' AS ChargeCategory,
  CASE k WHEN 0 THEN 'Llama 3.1 70B input tokens' WHEN 1 THEN 'Llama 3.1 70B output tokens'
         WHEN 2 THEN '$55.04 per On Demand Linux p5.48xlarge Instance Hour'
         WHEN 3 THEN 'p5.48xlarge Instance Hour covered by Savings Plan'
         WHEN 4 THEN '$0.09 per GB - first 10 TB / month data transfer out'
         WHEN 5 THEN 'Mistral Large 2 input tokens' WHEN 6 THEN 'Mistral Large 2 output tokens'
         ELSE '$0.023 per GB-Month of storage used' END AS ChargeDescription,
  CASE k WHEN 3 THEN 'Committed' ELSE 'Standard' END AS PricingCategory,
  round(cost, 6) AS BilledCost, round(cost, 6) AS EffectiveCost, round(cost, 6) AS ListCost,
  CASE WHEN k IN (0, 1, 5, 6) THEN qty * 1e6 ELSE qty END AS ConsumedQuantity,
  CASE WHEN k IN (0, 1, 5, 6) THEN 'Tokens' WHEN k IN (2, 3) THEN 'Hours' WHEN k = 4 THEN 'GB' ELSE 'GB-Months' END
    AS ConsumedUnit,
  qty AS PricingQuantity,
  CASE WHEN k IN (0, 1, 5, 6) THEN '1000000 Tokens' WHEN k IN (2, 3) THEN 'Hours' WHEN k = 4 THEN 'GB'
       ELSE 'GB-Months' END AS PricingUnit,
  CASE p WHEN 0 THEN 'AWS' WHEN 1 THEN 'Microsoft' ELSE 'Scaleway' END AS ProviderName,
  CASE p WHEN 0 THEN (CASE i % 2 WHEN 0 THEN 'us-east-1' ELSE 'eu-north-1' END)
         WHEN 1 THEN (CASE i % 2 WHEN 0 THEN 'eastus' ELSE 'swedencentral' END) ELSE 'fr-par' END AS RegionId,
  CASE WHEN k IN (0, 1, 5, 6) THEN 'AI and Machine Learning' WHEN k IN (2, 3) THEN 'Compute' WHEN k = 4 THEN 'Networking'
       ELSE 'Storage' END AS ServiceCategory,
  CASE WHEN k IN (0, 1, 5, 6) THEN 'Generative AI' WHEN k IN (2, 3) THEN 'GPU instances' WHEN k = 4 THEN 'Data Transfer'
       ELSE 'Object storage' END AS ServiceName,
  CASE k WHEN 0 THEN '{"ModelId": "meta.llama3-1-70b-instruct-v1:0", "TokenType": "Input"}'
         WHEN 1 THEN '{"ModelId": "meta.llama3-1-70b-instruct-v1:0", "TokenType": "Output"}'
         WHEN 5 THEN '{"ModelId": "mistral.mistral-large-2407-v1:0", "TokenType": "Input"}'
         WHEN 6 THEN '{"ModelId": "mistral.mistral-large-2407-v1:0", "TokenType": "Output"}'
         WHEN 2 THEN '{"InstanceType": "p5.48xlarge", "GpuCount": 8}'
         WHEN 3 THEN '{"InstanceType": "p5.48xlarge", "GpuCount": 8}' ELSE NULL END AS SkuPriceDetails,
  'res-' || (i % 100000)::VARCHAR AS ResourceId
FROM (
  SELECT i, 1 + i % 12 AS m, i % 8 AS k, (i // 8) % 3 AS p,
         CASE i % 8 WHEN 0 THEN 1.0 + (i % 7) WHEN 1 THEN 0.25 + (i % 5) * 0.05 WHEN 2 THEN 1 WHEN 3 THEN 1
                    WHEN 4 THEN 10 + i % 13 WHEN 5 THEN 0.5 WHEN 6 THEN 0.1 ELSE 100 + i % 17 END AS qty,
         qty * CASE i % 8 WHEN 0 THEN 0.72 WHEN 1 THEN 0.72 WHEN 2 THEN 55.04 WHEN 3 THEN 35.0 WHEN 4 THEN 0.09
                          WHEN 5 THEN 2.0 WHEN 6 THEN 6.0 ELSE 0.023 END AS cost
  FROM range(ROWS) t(i)
)
"""


def generate(folder: Path, rows: int, fmt: str) -> tuple[Path, float]:
    """Write the generated bill; return its path and the billed total DuckDB reads back from it."""
    import duckdb

    path = folder / f"focus_{rows}.{'csv' if fmt == 'csv' else 'parquet'}"
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET memory_limit = '1GB'")
    opts = "(HEADER, DELIMITER ',')" if fmt == "csv" else "(FORMAT parquet)"
    query = GENERATOR.replace("ROWS", str(int(rows)))
    con.execute(f"COPY ({query}) TO '{path}' {opts}")
    reader = f"read_csv('{path}')" if fmt == "csv" else f"read_parquet('{path}')"
    total = float(con.execute(f"SELECT sum(BilledCost) FROM {reader}").fetchone()[0])
    con.close()
    return path, total


def tokenfab_script() -> Path:
    exe = Path(sys.executable).parent / ("tokenfab.exe" if os.name == "nt" else "tokenfab")
    if not exe.exists():
        sys.exit(f"no `tokenfab` console script next to {sys.executable}. Fix: pip install -e . into this environment")
    return exe


def run_bill(path: Path, out_path: Path) -> tuple[float, int, int, int]:
    """(wall seconds, sampled peak RSS [bytes], kernel max RSS [bytes], exit code)."""
    env = {k: v for k, v in os.environ.items() if k != "TOKENFAB_CATALOG"}
    with out_path.open("wb") as out, out_path.with_suffix(".stderr").open("wb") as err:
        t = time.perf_counter()
        proc = subprocess.Popen([str(tokenfab_script()), "bill", str(path), "--json"], stdout=out, stderr=err, env=env)
        sampler = RssSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        sampler.stop.set()
        sampler.join()
    return wall, sampler.peak, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--format", choices=("csv", "parquet"), default="csv")
    ap.add_argument("--keep", action="store_true", help="keep the generated file and print its folder")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tokenfab-bill-bench-"))
    try:
        t = time.perf_counter()
        path, billed = generate(folder, args.rows, args.format)
        print(f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:,.0f} MB {args.format}) in "
              f"{time.perf_counter() - t:.1f} s; billed total {billed:,.2f} USD")
        out = folder / "bill.json"
        wall, peak, maxrss, code = run_bill(path, out)
        if code != 0:
            sys.exit(f"tokenfab bill exited {code}: {out.with_suffix('.stderr').read_text()[-2000:]}")
        summary = json.loads(out.read_text())["summary"]
        assert summary["rows"] == args.rows, summary["rows"]
        assert abs(summary["billed_usd"] - billed) <= 1e-6 * billed, (summary["billed_usd"], billed)
        print(f"tokenfab bill: {wall:.1f} s for {args.rows:,} rows (target < {TARGET_S:.0f} s), peak RSS sampled "
              f"{peak / 2**20:,.0f} MiB, kernel max {maxrss / 2**20:,.0f} MiB; {os.cpu_count()} CPUs")
        print(f"tokens models {len(summary['tokens'])}, accelerator groups {len(summary['accelerators'])}, "
              f"egress providers {len(summary['egress'])}, CLOUD Act share {summary['exposure']['cloud_act_share_frac']:.1%}")
        print(f"rows_per_s: {args.rows / wall:,.0f}")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            for f in folder.iterdir():
                f.unlink()
            folder.rmdir()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from tokenfab.errors import run_script

    raise SystemExit(run_script(main))
