"""Where a validation row's step time goes, beside what the run's throughput says it was.

    python benchmarks/step_parts.py                         # gpt-oss and DeepSeek-R1 rows
    python benchmarks/step_parts.py --rows 'HO0(10|14)'     # rows whose id, model or chip matches

For each measured row (validation/measured.csv and validation/holdout.csv) the calibrated engine's
chosen candidate is evaluated again at the concurrency it was predicted at, and its mean iteration
(``B`` decode tokens beside ``B x isl / osl`` prompt tokens, engine.serving.pass_time) is split into
its terms (engine.serving.PASS_PARTS). ``need`` is the iteration the measured throughput implies at
that concurrency (the engine's step x predicted / measured; a Server row's prediction carries the
fitted server share): the gap is what the physics misses or adds. Where NVIDIA's kernel database
is installed (``pip install 'tokenfab[measured]'``), the MoE layers' measured time at the step's
tokens (aiconfigurator's table for the chip x stack x dtype x shape x split,
engine.measured_kernels.moe_time) is printed beside the engine's routed-expert compute, ``-``
where it has none. All times in ms per iteration.

This is the diagnostic behind the trials of docs/engine.md section 6: it reads the engine, it
fits nothing. A speculative row's draft passes are not in the split (the row is marked ``spec``).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy.measured import read_measured  # noqa: E402
from tokenfab.accuracy.score import efficiency_for, evaluate, prepare  # noqa: E402
from tokenfab.catalog import assumptions as A  # noqa: E402
from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.engine import ModelArrays, ParallelConfig  # noqa: E402
from tokenfab.engine.efficiency import kernel_key  # noqa: E402
from tokenfab.engine.serving import PASS_PARTS, live_context, pass_time  # noqa: E402
from tokenfab.errors import InputError, run_script  # noqa: E402

SOURCES = (ROOT / "validation" / "measured.csv", ROOT / "validation" / "holdout.csv")
DEFAULT_ROWS = r"gpt-oss|deepseek-r1"
SHORT = {"linear": "lin", "attention_compute": "att_c", "attention_memory": "att_m", "moe_token_work": "moe_tok",
         "communication": "comm", "overhead": "ovh", "linear_experts_compute": "experts",
         "linear_kept_compute": "kept", "linear_weight_streaming": "stream"}


def measured_moe_s(accelerator: str, stack: str, dtype: str, m: ModelArrays, cfg: ParallelConfig, tokens: float) -> float:
    """The MoE layers' measured time at ``tokens`` per iteration [s]; NaN without the database or an entry."""
    from tokenfab.engine import measured_kernels as mk

    try:
        mid = mk.register_moe(accelerator, stack, kernel_key(dtype))
    except InputError:  # the optional extra is not installed
        return float("nan")
    layer = mk.model_moe_time(mid, m, cfg, tokens / float(cfg.pp[0]))
    return float(np.ravel(layer)[0]) * float(m.num_moe_layers[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default=DEFAULT_ROWS, metavar="REGEX",
                    help=f"rows whose id, model or accelerator matches (default {DEFAULT_ROWS!r})")
    args = ap.parse_args()
    try:
        pattern = re.compile(args.rows)
    except re.error as e:
        raise InputError(f"--rows = {args.rows!r}: not a regular expression ({e}). Fix: e.g. 'gpt-oss|HO004'") from e
    rows = [r for f in SOURCES for r in read_measured(f)
            if pattern.search(r.id) or pattern.search(r.model) or pattern.search(r.accelerator)]
    if not rows:
        raise InputError(f"--rows = {args.rows!r} matches no row of validation/measured.csv or holdout.csv. "
                         "Fix: a pattern matching an id, model or accelerator, e.g. 'gpt-oss'")
    prep = prepare(rows, load_catalog())
    table = prep.efficiency or A.efficiency_table()
    out = evaluate(prep, table, "calibrated")
    eff_all = efficiency_for(prep, table, "calibrated")
    names = list(PASS_PARTS)
    print("# ms per iteration at the predicted concurrency; ratio = predicted / measured; "
          "need = step x ratio; kernel = measured MoE layers (aiconfigurator), '-' = none")
    print(f"{'id':7} {'model':16} {'chip':9} {'split':6} {'isl/osl':>12} {'ratio':>5} {'B':>6} {'tokens':>6} "
          f"{'step':>6} {'need':>6} " + " ".join(f"{SHORT[n]:>7}" for n in names) + f" {'kernel':>7}")
    for i, r in enumerate(prep.rows):
        best = int(out["best"][i])
        if best < 0 or not np.isfinite(out["predicted"][i]):
            print(f"{r.id:7} nothing fits")
            continue
        ti = np.array([prep.table_index[best]])
        tp, pp, ep, dpa, replicas = prep.split_of(best)
        cfg = dataclasses.replace(prep.cfg.take(ti), isl=prep.isl[[i]], osl=prep.osl[[i]],
                                  osl_cv=prep.osl_cv[[i]])
        b = float(out["concurrency"][i]) / replicas  # sequences per replica
        isl, osl = float(prep.isl[i]), float(prep.osl[i])
        m, hw, eff = prep.m.take(ti), prep.hw.take(ti), eff_all.take(ti)
        parts: dict[str, np.ndarray] = {}
        t = pass_time(m, hw, eff, cfg, b, live_context(isl, osl, prep.osl_cv[i]), b * isl / osl, parts=parts)
        step = float(t.total_s[0])
        ratio = float(out["predicted"][i]) / r.value
        acc, stack, dtype = prep.combos[int(prep.combo[ti[0]])]
        kernel = measured_moe_s(acc, stack, dtype, m, cfg, b + b * isl / osl) if float(m.num_moe_layers[0]) > 0 \
            else float("nan")
        split = f"{'dep' if dpa else 'tp'}{tp}" + (f"pp{pp}" if pp > 1 else "")
        spec = " spec" if float(np.ravel(cfg.draft_tokens)[0]) > 0 else ""
        vals = " ".join(f"{1e3 * float(parts[n][0]):7.1f}" for n in names)
        kern = f"{1e3 * kernel:7.1f}" if np.isfinite(kernel) else f"{'-':>7}"
        print(f"{r.id:7} {r.model[:16]:16} {r.accelerator[:9]:9} {split:6} {f'{isl:g}/{osl:g}':>12} {ratio:5.2f} "
              f"{b:6.0f} {b + b * isl / osl:6.0f} {1e3 * step:6.1f} {1e3 * step * ratio:6.1f} {vals} {kern}{spec}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
