"""Output-length spread (``osl_cv``): the sequences in flight hold long outputs in proportion
to their length, so their mean context is ``isl + osl (1 + cv^2) / 2`` (docs/engine.md section 4).

Checked against a hand calculation and against a direct simulation of continuous batching
(slots that run requests back to back), never against the engine's own output.
"""

from __future__ import annotations

import numpy as np
import pytest

import tokenfab
from tokenfab.engine.serving import live_context
from tokenfab.errors import InputError


def test_hand_calculation():
    # MLPerf DeepSeek-R1: 803.79 tokens in, 4,043.4 out on average, std/mean 1.253
    assert live_context(803.79, 4043.4, 1.253) == pytest.approx(803.79 + 4043.4 * (1 + 1.253**2) / 2)
    assert live_context(1000.0, 1000.0, 0.0) == 1500.0  # uniform lengths: half the output on average


def test_matches_a_simulated_batch():
    """Eight slots run requests back to back for 200,000 steps; the time average of the tokens
    generated so far by the requests in flight is what the formula says (up to the half token
    a discrete step adds)."""
    rng = np.random.default_rng(7)
    lengths = rng.gamma(shape=1 / 0.8**2, scale=300 * 0.8**2, size=400_000).astype(int) + 1
    cv = lengths.std() / lengths.mean()
    slots, steps = 8, 200_000
    total, k = 0.0, 0
    for _ in range(slots):
        t = 0
        while t < steps:
            o = int(lengths[k])
            k += 1
            n = min(o, steps - t)
            total += n * (n - 1) / 2  # generated so far, summed over the steps this request is in flight
            t += n
    simulated = total / (slots * steps)
    assert simulated + 0.5 == pytest.approx(float(live_context(0.0, lengths.mean(), cv)), rel=0.02)
    assert simulated > 1.5 * lengths.mean() / 2  # far above the uniform-length half


def test_a_wider_spread_holds_more_kv_and_serves_less():
    kw = dict(model="llama-3.1-70b", accelerator="h100-sxm", count=8, weights="fp8", isl=1000, osl=1000,
              scenario="offline")
    same = tokenfab.estimate(**kw).performance
    spread = tokenfab.estimate(osl_cv=1.0, **kw).performance
    assert spread.throughput_output_tok_per_s < same.throughput_output_tok_per_s


def test_a_negative_spread_is_refused_in_one_line():
    with pytest.raises(InputError, match="osl_cv"):
        tokenfab.estimate(model="llama-3.1-8b", accelerator="h100-sxm", isl=100, osl=100, osl_cv=-1)
