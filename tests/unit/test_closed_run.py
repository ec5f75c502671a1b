"""benchmarks/closed_run.py's waves against a hand-made closed run, and the concurrency that
``score.evaluate`` reports per row.

Hand run: 3,000 requests of 1,000 output tokens, 2,000 at a time. The first wave (2,000 requests,
2,000,000 tokens) runs at 20,000 tok/s: 100 s; the last (1,000 requests, 1,000,000 tokens) at
15,000 tok/s: 66.7 s. The run reports 3,000,000 / 166.7 s = 18,000 tok/s."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import ROOT, load_benchmark
from tokenfab.accuracy.measured import read_measured
from tokenfab.accuracy.score import evaluate, prepare
from tokenfab.catalog import load_catalog


def test_waves_and_throughput_match_a_hand_run():
    mod = load_benchmark("closed_run")
    k, r = mod.waves(np.array([3000.0, 4000.0]), np.array([2000.0, 2000.0]))
    assert k.tolist() == [1.0, 2.0] and r.tolist() == [1000.0, 0.0]
    got = mod.closed_throughput(np.array([3000.0]), np.array([2000.0]), np.array([20_000.0]), np.array([15_000.0]))
    assert got[0] == pytest.approx(18_000.0, rel=1e-12)


def test_a_run_of_whole_waves_keeps_its_steady_state_whatever_the_empty_wave_would_do():
    mod = load_benchmark("closed_run")
    got = mod.closed_throughput(np.array([4000.0]), np.array([2000.0]), np.array([20_000.0]), np.array([np.nan]))
    assert got[0] == pytest.approx(20_000.0, rel=1e-12)


def test_evaluate_reports_the_concurrency_a_row_was_predicted_at():
    row = next(r for r in read_measured(ROOT / "validation" / "measured.csv")
               if r.scenario == "offline" and r.metric == "output_tok_per_s" and r.num_requests)
    fixed = row.model_copy(update={"concurrency": 64, "num_requests": None})
    capped = row.model_copy(update={"num_requests": 10})
    free = row.model_copy(update={"num_requests": None})
    out = evaluate(prepare([fixed, capped, free], load_catalog()))
    # a fixed concurrency is the whole deployment's; a run of 10 requests never holds more than 10
    assert out["concurrency"][0] == pytest.approx(64.0)
    assert out["concurrency"][1] == pytest.approx(10.0)
    assert out["concurrency"][2] > 10.0
