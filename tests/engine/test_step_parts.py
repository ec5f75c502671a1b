"""The terms of one iteration that ``pass_time`` reports into a ``parts`` dict (the diagnostic of
benchmarks/step_parts.py), against hand calculations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import assert_one_line_error
from tests.engine.test_step_physics import HW, arrays, cfg, eff
from tokenfab.engine.serving import PASS_PARTS, pass_time

ROOT = Path(__file__).resolve().parents[2]
ADDITIVE = PASS_PARTS[:6]


def test_routed_experts_compute_by_hand():
    """gpt-oss-20b: 24 MoE layers, top-4 of 32 experts, hidden and expert width 2,880, so a token's
    routed-expert FLOPs are 2 x 24 x 4 x 3 x 2,880 x 2,880 = 4,777,574,400. At the roofline (no
    rows or width law, one device, 1 PFLOP/s) 4,096 tokens take 4,096 x 4,777,574,400 / 1e15 s =
    19.569 ms; the per-token MoE work at 1e-12 s per element adds 24 x 4,096 x 4 x 2,880 x 1e-12 s =
    1.1325 ms, and 2 ms per pass is the overhead."""
    m = arrays("gpt-oss-20b")
    parts: dict[str, np.ndarray] = {}
    pass_time(m, HW, eff(moe_token_cost_s_per_element=1e-12, overhead_s=2e-3), cfg(), n_decode=2048, context=500,
              n_prefill=2048, parts=parts)
    assert parts["linear_experts_compute"][0] == pytest.approx(4096 * 4_777_574_400 / 1e15, rel=1e-12)
    assert parts["moe_token_work"][0] == pytest.approx(24 * 4096 * 4 * 2880 * 1e-12, rel=1e-12)
    assert parts["overhead"][0] == pytest.approx(2e-3, rel=1e-12)


@pytest.mark.parametrize("model, split", [
    ("llama-3.1-8b", dict(tp=2)),
    ("qwen3-30b-a3b", dict(tp=4, ep=4, dp=1)),
    ("llama-3.1-70b", dict(tp=2, pp=2)),
])
def test_the_additive_terms_make_the_iteration(model, split):
    """Linear layers, the two attention kernels' bounds, the MoE per-token work, communication and
    overhead add up to the iteration's time, with pipeline stages too (``pp`` micro-batches); asking
    for the parts changes nothing."""
    m = arrays(model)
    e = eff(overhead_s=1e-3, layer_overhead_s=1e-5, seq_overhead_s=2e-6, collective_latency_s=5e-6,
            moe_token_cost_s_per_element=1e-12)
    c = cfg(**split)
    plain = pass_time(m, HW, e, c, n_decode=256, context=1500, n_prefill=512)
    parts: dict[str, np.ndarray] = {}
    t = pass_time(m, HW, e, c, n_decode=256, context=1500, n_prefill=512, parts=parts)
    assert t.total_s[0] == plain.total_s[0]
    assert set(parts) == set(PASS_PARTS)
    assert sum(float(parts[k][0]) for k in ADDITIVE) == pytest.approx(float(t.total_s[0]), rel=1e-12)
    assert float(parts["communication"][0]) == pytest.approx(float(t.comm_s[0]), rel=1e-12)
    assert float(parts["overhead"][0]) == pytest.approx(float(t.overhead_s[0]), rel=1e-12)


def test_the_script_refuses_a_bad_pattern_in_one_line():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "step_parts.py"), "--rows", "gpt-oss("],
                          capture_output=True, text=True, cwd=ROOT)
    assert_one_line_error(proc, "--rows = 'gpt-oss('", "Fix:", code=2)
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "step_parts.py"), "--rows", "no-such-row"],
                          capture_output=True, text=True, cwd=ROOT)
    assert_one_line_error(proc, "matches no row", code=2)
