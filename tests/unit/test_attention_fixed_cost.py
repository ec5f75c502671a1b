"""benchmarks/attention_kernels.py's context-independent decode-attention cost against a hand table.

Two grouped-query shapes at one KV dtype: 64 query / 8 KV heads (head 64) whose calls of 1,024
sequences take 0.3072 ms (0.3072e-3 s / (1,024 x 8) = 37.5 ns per sequence and KV head), and 32 / 4
(head 128) at 0.2048 ms for 2,048 sequences (25 ns). The median over the two shapes is 31.25 ns.
Rows the figure must leave out: a small batch, a long context (its KV read is not negligible), an
MHA shape (one query head per KV head) and a head of 256; each carries a latency that would move
the median if it were kept."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import load_benchmark


def _table(rows: list[tuple[int, int, int, int, int, str, float]]) -> dict[str, np.ndarray]:
    cols = ("batch_size", "step", "num_heads", "num_key_value_heads", "head_dim", "kv_cache_dtype", "latency")
    return {c: np.array([r[i] for r in rows]) for i, c in enumerate(cols)}


def test_fixed_cost_matches_a_hand_table_and_leaves_out_what_it_should():
    mod = load_benchmark("attention_kernels")
    t = _table([
        (1024, 1, 64, 8, 64, "fp8", 0.3072),
        (2048, 7, 32, 4, 128, "fp8", 0.2048),
        (64, 1, 64, 8, 64, "fp8", 5.0),  # too few sequences
        (1024, 4095, 64, 8, 64, "fp8", 9.0),  # too long a context
        (1024, 1, 8, 8, 128, "fp8", 9.0),  # MHA
        (1024, 1, 64, 8, 256, "fp8", 9.0),  # head 256
        (1024, 1, 64, 8, 64, "bfloat16", 0.6144),  # the other dtype: 75 ns
    ])
    got = mod.fixed_cost_ns(t)
    assert got["fp8"] == pytest.approx(31.25, rel=1e-12)
    assert got["bfloat16"] == pytest.approx(75.0, rel=1e-12)


def test_mla_fixed_cost_matches_a_hand_table_and_leaves_out_what_it_should():
    """MLA decode calls: 128 heads x 512 sequences at 0.131072 ms (0.131072e-3 s / (512 x 128) = 2 ns per
    sequence and head), and two calls of 32 heads x 1,024 sequences at 0.098304 and 0.131072 ms (3 and
    4 ns, median 3.5 ns); the median over the two head counts is 2.75 ns. Left out, each with a latency
    that would move the figure: a call split over two GPUs, 8 heads, a small batch, a long context."""
    mod = load_benchmark("attention_kernels")
    cols = ("batch_size", "step", "num_heads", "tp_size", "kv_cache_dtype", "latency")
    rows = [
        (512, 1, 128, 1, "fp8", 0.131072),
        (1024, 31, 32, 1, "fp8", 0.098304),
        (1024, 63, 32, 1, "fp8", 0.131072),
        (1024, 1, 128, 2, "fp8", 9.0),  # tp 2
        (1024, 1, 8, 1, "fp8", 9.0),  # too few heads
        (128, 1, 128, 1, "fp8", 9.0),  # too few sequences
        (1024, 1023, 128, 1, "fp8", 9.0),  # too long a context
        (512, 1, 128, 1, "bfloat16", 0.065536),  # the other dtype: 1 ns
    ]
    t = {c: np.array([r[i] for r in rows]) for i, c in enumerate(cols)}
    got = mod.mla_fixed_cost_ns(t)
    assert got["fp8"] == pytest.approx(2.75, rel=1e-12)
    assert got["bfloat16"] == pytest.approx(1.0, rel=1e-12)
