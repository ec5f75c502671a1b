"""benchmarks/sequence_cost.py's formula against a hand-made step: 100 sequences, 10 ms of the step that
does not depend on them and 10 us per sequence, so 11 ms a step; a run measured at 12 ms a step asks
for 10 us + 1 ms / 100 = 20 us per sequence."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import load_benchmark


def _module():
    return load_benchmark("sequence_cost")


def _throughput(seq_s: float, sequences: float = 100.0, fixed_s: float = 10e-3) -> float:
    return sequences / (fixed_s + sequences * seq_s)


def test_implied_cost_matches_a_hand_step():
    mod = _module()
    seq_s = 10e-6
    predicted = np.array([_throughput(seq_s)])
    shifted = np.array([_throughput(seq_s + mod.DELTA_S)])
    measured = np.array([100.0 / 12e-3])
    assert mod.implied(predicted, shifted, measured, seq_s)[0] == pytest.approx(20e-6, rel=1e-9)


def test_a_row_measured_as_predicted_implies_the_shipped_cost_and_a_faster_run_less():
    mod = _module()
    seq_s = 9e-6
    predicted = np.array([_throughput(seq_s), _throughput(seq_s)])
    shifted = np.array([_throughput(seq_s + mod.DELTA_S)] * 2)
    # the second run takes 10.5 ms a step where the engine says 10 ms + 100 x 9 us = 10.9 ms
    measured = np.array([_throughput(seq_s), 100.0 / 10.5e-3])
    got = mod.implied(predicted, shifted, measured, seq_s)
    assert got[0] == pytest.approx(seq_s, rel=1e-9)
    assert got[1] == pytest.approx(9e-6 - 0.4e-3 / 100, rel=1e-9)  # 5 us
