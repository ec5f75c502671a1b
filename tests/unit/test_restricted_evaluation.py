"""The calibration fit re-evaluates only the rows a trial factor can move.

Both checks compare with the plain definition: a row's prediction from a subset equals its
prediction from the whole set, and the fit equals a coordinate descent that re-evaluates every
row at every trial (written out here, the objective as ``calibration.loss`` defines it)."""

from __future__ import annotations

import copy

import numpy as np

from tests.conftest import ROOT
from tokenfab.accuracy import calibration as cal
from tokenfab.accuracy.measured import read_measured
from tokenfab.accuracy.score import prepare, subset

ALL = read_measured(ROOT / "validation" / "measured.csv")


def _mixed_rows():
    """Rows of three stacks, dense and MoE, FP8 and FP4 (so each kind of factor moves some rows only)."""
    picks: list = []
    for stack, models in (("trtllm", ("llama-2-70b", "gpt-oss-120b", "deepseek-r1")), ("vllm", ("llama-3.1-8b",)),
                          ("synapseai", ("llama-2-70b",))):
        for model in models:
            picks += [r for r in ALL if r.stack == stack and r.model == model][:2]
    return picks


def test_a_subset_predicts_each_row_as_the_whole_set_does():
    prep = prepare(ALL)
    params = prep.efficiency["calibrated"] if prep.efficiency else None
    assert params is not None
    whole = cal.predict(prep, params)
    rng = np.random.default_rng(7)
    for size in (1, 9, 60):
        idx = np.sort(rng.choice(len(prep.rows), size, replace=False))
        part = subset(prep, idx)
        assert [r.id for r in part.rows] == [prep.rows[i].id for i in idx]
        assert np.array_equal(cal.predict(part, params), whole[idx], equal_nan=True)


def _plain_fit(prep, start, mask, rounds):
    """Coordinate descent that evaluates every row at every trial."""
    params = copy.deepcopy(start)
    stacks = sorted({r.stack for r, k in zip(prep.rows, mask) if k})
    for s in stacks:
        params["stacks"].setdefault(s, copy.deepcopy(params["stacks"][cal.default_stack_of(params)]))
    best = cal.loss(prep, params, mask)
    paths = cal._paths(params, stacks)
    for _ in range(rounds):
        improved = False
        before = copy.deepcopy(params)
        for path in paths:
            lo, hi = cal.BOUNDS.get(path[-1]) or cal.BOUNDS[path[0]]
            cur = cal._get(params, path)
            base = cur if cur > 0 else (hi - lo) * 0.01
            for step in cal.STEPS:
                cand = min(max(base * step, lo), hi)
                trial = copy.deepcopy(params)
                cal._set(trial, path, cand)
                if path[0] == "stacks" and path[1] == cal.default_stack_of(params):
                    cal._move_with_default(trial, path, cal._get(params, path), cand, stacks, lo, hi)
                val = cal.loss(prep, trial, mask)
                if val < best - 1e-6:
                    best, params, improved = val, trial, True
        if improved:  # the pattern move: every factor once and twice more along the round's change
            for a in (1.0, 2.0):
                trial = copy.deepcopy(params)
                for path in paths:
                    lo, hi = cal.BOUNDS.get(path[-1]) or cal.BOUNDS[path[0]]
                    v, v0 = cal._get(params, path), cal._get(before, path)
                    moved = v * (v / v0) ** a if v > 0 and v0 > 0 else v + a * (v - v0)
                    cal._set(trial, path, min(max(moved, lo), hi))
                val = cal.loss(prep, trial, mask)
                if val < best - 1e-6:
                    best, params = val, trial
        if not improved:
            break
    return params


def test_the_fit_equals_the_fit_that_reevaluates_every_row():
    prep = prepare(_mixed_rows())
    assert len({r.stack for r in prep.rows}) == 3
    mask = np.ones(len(prep.rows), bool)
    mask[::4] = False  # a fold: some rows left out
    table = prep.efficiency
    assert table is not None
    stacks = [r.stack for r, k in zip(prep.rows, mask) if k]
    start = cal.neutral_start(table, stacks, max(sorted(set(stacks)), key=stacks.count))
    start["dtype_compute_scale"].setdefault("fp4", {})["nvidia-blackwell"] = 1.0
    got = cal.fit(prep, start, mask=mask, rounds=2)
    assert got != start  # the fit moved
    assert got == _plain_fit(prep, start, mask, rounds=2)
