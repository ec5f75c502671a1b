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
from tokenfab.errors import run_script  # noqa: E402

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
    # one TensorRT-LLM performance table (perf-overview.md @03e27c7): same checkpoint and kernels,
    # so the ratio isolates what differs between the two columns
    ("H200 TP1 / H100 DEP4, gpt-oss-120b 1000/1000 (one table)", "GT209", "HO010"),
    ("H200 TP1 / H100 DEP4, gpt-oss-120b 8192/1024 (one table)", "GT213", "HO014"),
    ("H200 TP1 / H100 DEP4, gpt-oss-120b 32768/1024 (one table)", "HO080", "GT281"),
    ("H200 TP1 / H100 TP1, gpt-oss-20b 1000/1000 (one table)", "GT219", "HO020"),
    ("H200 TP1 / H100 TP1, gpt-oss-20b 8192/1024 (one table)", "HO022", "GT223"),
    ("H200 TP1 / H100 TP1, gpt-oss-20b 32768/1024 (one table)", "GT291", "HO092"),
    ("B200 DEP2 / GB200 TP1, gpt-oss-120b 8192/1024 (one table)", "GT211", "HO012"),
    ("B200 DEP4 / H200 DEP8, Llama-4 Maverick 1000/1000 (one table)", "HO032", "HO034"),
    ("B200 DEP4 / H200 DEP8, DeepSeek-R1 1000/1000 (one table)", "GT201", "GT098"),
    ("B200 DEP4 / H200 DEP4, Qwen3-235B 1000/1000 (one table)", "GT237", "GT239"),
)
# one chip and split, two length pairs of the same table: 1,024 in / 8,192 out over 8,192 in /
# 1,024 out (equal request size, so equal KV room per sequence; decode-heavy over prompt-heavy)
LENGTH_PAIRS = (
    ("H200 DEP8, Llama-4 Maverick", "HO096", "HO036"),
    ("B200 DEP4, Llama-4 Maverick", "HO094", "GT235"),
    ("GB200 DEP4, Llama-4 Maverick", "GT295", "HO100"),
    ("H200 DEP4, Qwen3-235B", "GT305", "HO042"),
    ("B200 DEP4, Qwen3-235B", "GT303", "GT241"),
    ("GB200 DEP4, Qwen3-235B", "HO104", "HO108"),
    ("H200 TP1, gpt-oss-20b", "HO084", "HO022"),
    ("GB200 TP1, gpt-oss-120b", "HO074", "HO012"),
    ("B200 DEP2, gpt-oss-120b", "GT215", "GT211"),
    ("B200 TP1, Llama-3.3-70B", "HO026", "GT109"),
    ("H200 TP2, Llama-3.3-70B", "HO028", "GT229"),
)


def print_pairs(title: str, pairs: tuple[tuple[str, str, str], ...], rows: dict, predicted: dict[str, float]) -> None:
    """One line per pair: the measured per-accelerator ratio, the predicted one, and their quotient
    (for two rows of one chip and split the per-accelerator division cancels)."""
    print(f"{title:66} {'measured':>9} {'predicted':>9} {'pred/meas':>9}")
    for label, a, b in pairs:
        ra, rb = rows[a], rows[b]
        meas = (ra.value / ra.n_accel) / (rb.value / rb.n_accel)
        pred = (predicted[a] / ra.n_accel) / (predicted[b] / rb.n_accel)
        print(f"{label:66} {meas:9.2f} {pred:9.2f} {pred / meas:9.2f}")


def main() -> int:
    rows = {r.id: r for name in ("measured.csv", "holdout.csv") for r in read_measured(ROOT / "validation" / name)}
    wanted = [rows[i] for i in dict.fromkeys(i for _, a, b in PAIRS + LENGTH_PAIRS for i in (a, b))]
    prep = prepare(wanted)
    predicted = dict(zip((r.id for r in prep.rows), evaluate(prep)["predicted"], strict=True))
    print_pairs("pair", PAIRS, rows, predicted)
    print("per accelerator: output tokens/s of the row divided by its n_accel; rows as in validation/*.csv "
          "(ids after each label in the source)")
    print()
    print_pairs("1024/8192 over 8192/1024, one chip and split", LENGTH_PAIRS, rows, predicted)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
