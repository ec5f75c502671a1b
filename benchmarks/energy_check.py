"""Energy model against MLPerf Inference power runs (validation/power.csv).

    python benchmarks/energy_check.py

Per row: predicted system IT power (n x TDP at full load + the non-accelerator server share,
both from data/assumptions.yaml and the catalog), measured wall power, and J per output
token three ways: measured, predicted power / measured throughput (the power model alone),
and tokenfab's full prediction (`tokenfab energy` with PUE 1: predicted power / predicted
throughput). Power-capped (MaxQ) runs are marked: the model assumes the TDP.
Each run is evaluated as measured: at full load (utilization 1, not the serving_utilization
default), offline rows without latency limits (scenario "offline", not the default "server"),
server rows under MLPerf's p99 TTFT/TPOT limits.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import tokenfab  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402


def rows():
    with open(ROOT / "validation" / "power.csv", encoding="utf-8") as f:
        yield from csv.DictReader(ln for ln in f if not ln.startswith("#"))


ISL = {"llama-2-70b": 222.33, "llama-3.1-405b": 9428.64, "llama-3.1-8b": 870.73, "mixtral-8x7b": 427.39}
OSL = {"llama-2-70b": 290.0, "llama-3.1-405b": 652.0, "llama-3.1-8b": 129.0, "mixtral-8x7b": 145.0}


def main() -> None:
    print(f"{'id':<6} {'model':<15} {'accel':<6} {'capped':<6} {'P meas W':>9} {'P pred W':>9} {'err':>7} "
          f"{'J/tok meas':>10} {'J/tok (P model)':>15} {'J/tok (full)':>12} {'err':>7}")
    p_errs, full_errs = [], []
    for r in rows():
        scen = "server" if r["scenario"] == "server" else "offline"
        kw = dict(model=r["model"], accelerator=r["accelerator"], count=int(r["n_accel"]), weights=r["weights_dtype"],
                  isl=ISL[r["model"]], osl=OSL[r["model"]], scenario=scen, utilization=1.0, grid="world", pue=1.0)
        if scen == "server":
            kw.update(ttft_max_s=2.0, tpot_max_s=0.2 if r["model"] != "llama-3.1-8b" else 0.1)
        e = tokenfab.energy(**kw).energy
        if e.it_power_w is None or e.j_per_output_token is None:
            print(f"{r['id']:<6} {r['model']:<15} {r['accelerator']:<6} no energy figure: {e.unavailable_reason}")
            continue
        p_meas, thr = float(r["system_power_w"]), float(r["throughput_output_tok_per_s"])
        p_pred = e.it_power_w
        j_meas, j_p, j_full = p_meas / thr, p_pred / thr, e.j_per_output_token
        pe, fe = (p_pred - p_meas) / p_meas, (j_full - j_meas) / j_meas
        p_errs.append(abs(pe))
        full_errs.append(abs(fe))
        print(f"{r['id']:<6} {r['model']:<15} {r['accelerator']:<6} {r['power_capped']:<6} {p_meas:9.0f} {p_pred:9.0f} "
              f"{pe:+7.1%} {j_meas:10.4f} {j_p:15.4f} {j_full:12.4f} {fe:+7.1%}")
    print(f"\npower model alone: mean |error| {sum(p_errs) / len(p_errs):.1%}, worst {max(p_errs):.1%}")
    print(f"full J/token (predicted power / predicted throughput): mean |error| {sum(full_errs) / len(full_errs):.1%}, "
          f"worst {max(full_errs):.1%}")


if __name__ == "__main__":
    raise SystemExit(run_script(main))
