"""Stack shrinkage in the calibration objective (accuracy/calibration.py docstring).

A stack other than the default keeps the default's factors unless its rows pay for the
difference: each factor's |log| distance counts as STACK_SHRINKAGE_ROWS rows' |log error|."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from tests.conftest import ROOT
from tokenfab.accuracy import calibration as cal
from tokenfab.accuracy.measured import read_measured
from tokenfab.accuracy.score import prepare
from tokenfab.catalog.assumptions import efficiency_table

SHIPPED = efficiency_table()["calibrated"]


def _prep(ids: set[str]):
    return prepare([r for r in read_measured(ROOT / "validation" / "measured.csv") if r.id in ids])


def _params(**vllm: float) -> dict:
    p = copy.deepcopy(SHIPPED)
    p["stacks"]["vllm"] = {**p["stacks"]["trtllm"], **vllm}
    return p


def test_penalty_is_the_log_distance_counted_as_rows():
    # 4 rows: 3 TensorRT-LLM (the default) and 1 vLLM
    prep = _prep({"GT055", "GT057", "GT048", "GT174"})
    assert sorted(r.stack for r in prep.rows) == ["trtllm", "trtllm", "trtllm", "vllm"]
    same = _params()
    assert cal._shrinkage(prep, same, None) == 0.0  # vLLM at the default's factors: no cost
    d = SHIPPED["stacks"]["trtllm"]
    half = _params(compute_scale=d["compute_scale"] / 2)
    # |log 0.5| = 0.6931 counted as 3 rows, per fitted row (4): 3 x 0.6931 / 4 = 0.5199
    assert cal._shrinkage(prep, half, None) == pytest.approx(3 * math.log(2) / 4)
    # an overhead compares with a 1 ms soft offset: 9 ms more than the default's d ms
    slow = _params(overhead_s=d["overhead_s"] + 9e-3)
    want = 3 * math.log((d["overhead_s"] + 10e-3) / (d["overhead_s"] + 1e-3)) / 4
    assert cal._shrinkage(prep, slow, None) == pytest.approx(want)
    # a mask that leaves the vLLM row out: the stack has no fitted row and costs nothing
    mask = np.array([r.stack == "trtllm" for r in prep.rows])
    assert cal._shrinkage(prep, half, mask) == 0.0


def test_default_stack_step_moves_every_stack_by_the_same_ratio():
    trial = {"stacks": {"trtllm": {"compute_scale": 0.9, "overhead_s": 0.0},
                        "vllm": {"compute_scale": 0.6, "overhead_s": 2e-3}}}
    # the default's compute scale 0.8 -> 0.9 (x 1.125): vLLM's 0.6 -> 0.675
    cal._move_with_default(trial, ("stacks", "trtllm", "compute_scale"), 0.8, 0.9, ["trtllm", "vllm"], 0.2, 1.25)
    assert trial["stacks"]["vllm"]["compute_scale"] == pytest.approx(0.675)
    # an overhead 0 -> 1 ms moves by (1 + 1) / (0 + 1) = 2 on the 1 ms soft scale: 2 ms -> 5 ms
    trial["stacks"]["trtllm"]["overhead_s"] = 1e-3
    cal._move_with_default(trial, ("stacks", "trtllm", "overhead_s"), 0.0, 1e-3, ["trtllm", "vllm"], 0.0, 0.05)
    assert trial["stacks"]["vllm"]["overhead_s"] == pytest.approx(5e-3)



def test_steps_built_one_on_another_keep_the_stacks_ratio():
    """The fit accepts a step of the default stack's factor, then builds its next trial from the
    parameters as accepted: the other stack ends at the last step's ratio to the start, as if that
    step alone had been taken, not at the product of both steps (the fit did that until the
    thirty-fifth session: docs/engine.md section 6)."""
    params = {"default_stack": "trtllm",
              "stacks": {"trtllm": {"compute_scale": 0.8}, "vllm": {"compute_scale": 0.6}}}
    path = ("stacks", "trtllm", "compute_scale")
    first = cal._trial(params, path, 0.84, ["trtllm", "vllm"], 0.2, 1.25)  # x 1.05, accepted
    second = cal._trial(first, path, 0.96, ["trtllm", "vllm"], 0.2, 1.25)  # x 1.2 of the start
    # vLLM keeps 0.6 / 0.8 = 0.75 of the default's: 0.96 x 0.75 = 0.72 (compounded: 0.6 x 1.05 x 1.2 = 0.756)
    assert second["stacks"]["vllm"]["compute_scale"] == pytest.approx(0.72)
    assert second["stacks"]["vllm"]["compute_scale"] == pytest.approx(
        cal._trial(params, path, 0.96, ["trtllm", "vllm"], 0.2, 1.25)["stacks"]["vllm"]["compute_scale"])


def test_a_pattern_move_goes_on_along_the_rounds_change():
    """After a round, every factor moves once (a = 1) or twice (a = 2) more along its change in
    log space, linearly where a value is 0, within its bounds (Hooke and Jeeves' pattern move)."""
    before = {"stacks": {"trtllm": {"compute_scale": 0.5, "overhead_s": 0.0}}, "layer_overhead_s": 1e-4}
    after = {"stacks": {"trtllm": {"compute_scale": 0.6, "overhead_s": 1e-3}}, "layer_overhead_s": 2e-4}
    paths = [("stacks", "trtllm", "compute_scale"), ("stacks", "trtllm", "overhead_s"), ("layer_overhead_s",)]
    once = cal._pattern(after, before, paths, 1.0)
    assert once["stacks"]["trtllm"]["compute_scale"] == pytest.approx(0.6 * 1.2)  # x 1.2 again
    assert once["stacks"]["trtllm"]["overhead_s"] == pytest.approx(2e-3)  # from 0: + 1 ms again
    assert once["layer_overhead_s"] == pytest.approx(4e-4)  # x 2 again
    twice = cal._pattern(after, before, paths, 2.0)
    assert twice["stacks"]["trtllm"]["compute_scale"] == pytest.approx(0.6 * 1.44)
    assert twice["layer_overhead_s"] == pytest.approx(5e-4)  # 8e-4 clamped to the bound 5e-4
    assert after["layer_overhead_s"] == 2e-4  # the parameters it starts from are left as they are

def test_one_row_cannot_bend_its_stack(monkeypatch):
    """One vLLM row (GT174, 8x H200 Llama-3.1-70B FP8 offline, measured 30,893 tok/s) among three
    TensorRT-LLM rows. Moving vLLM's compute scale by a ratio r changes that one row's |log
    error| by at most |log r| (throughput is at most proportional to compute), i.e. 1 row's worth,
    while it costs 3 rows' worth: the fit keeps the default's value. Without shrinkage the same
    fit moves it."""
    prep = _prep({"GT055", "GT057", "GT048", "GT174"})
    start = _params(compute_scale=SHIPPED["stacks"]["trtllm"]["compute_scale"])
    path = [("stacks", "vllm", "compute_scale")]
    kept = cal.fit(prep, start, paths=path, rounds=3)
    assert kept["stacks"]["vllm"]["compute_scale"] == start["stacks"]["vllm"]["compute_scale"]
    monkeypatch.setattr(cal, "STACK_SHRINKAGE_ROWS", 0.0)
    free = cal.fit(prep, start, paths=path, rounds=3)
    assert free["stacks"]["vllm"]["compute_scale"] != start["stacks"]["vllm"]["compute_scale"]
