"""The bundled ranges: every input sourced and dated, and the throughput bands are the
engine's measured error (recomputed here from validation/ with the accuracy code)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tokenfab.catalog.uncertainty import TARGETS, load_uncertainty
from tokenfab.whatif.sampling import draw

ROOT = Path(__file__).resolve().parents[2]


def test_every_input_has_a_source_date_and_kind():
    u = load_uncertainty()
    assert {i.target for i in u.inputs} == set(TARGETS)  # every uncertain input of the issue has a range
    for i in u.inputs:
        assert i.source and i.as_of and i.kind
        lo, hi = i.distribution.bounds()
        assert 0 < lo <= hi


def test_throughput_is_each_rows_own_prediction_interval():
    """The engine-throughput input draws each front row through the 80 % interval its estimate
    prints (accuracy.bands): median of the factor = the band's median, 10th/90th percentiles = the
    ends of the range ``plan`` shows (performance.accuracy.ratio_low / ratio_high)."""
    from tokenfab import plan
    from tokenfab.planner.search import prepare, solve
    from tokenfab.whatif.rows import gather
    from tokenfab.whatif.sampling import factors

    (thr,) = [i for i in load_uncertainty().inputs if i.target == "throughput"]
    assert thr.distribution.kind == "accuracy-band" and thr.per == "accelerator"
    scenario = dict(model="llama-3.1-70b", rate_rps=5, isl=1000, osl=200, sovereignty="eu-jurisdiction")
    front = plan(**scenario).front
    import time

    s, cat, c = prepare(scenario)
    _, where = solve(s, cat, c, time.perf_counter())
    rows = gather(c, where, [str(i) for i in range(len(where))], None, None)
    f = factors([thr], rows, np.random.default_rng(0), 200_000)["throughput"]
    for r, ev in enumerate(front):
        a = ev.performance.accuracy
        assert a is not None
        assert np.quantile(f[:, r], 0.1) == pytest.approx(a.ratio_low, rel=0.02)
        assert np.quantile(f[:, r], 0.9) == pytest.approx(a.ratio_high, rel=0.02)
        # median = the band's geometric centre: sqrt(low x high) for a lognormal
        assert np.median(f[:, r]) == pytest.approx((a.ratio_low * a.ratio_high) ** 0.5, rel=0.02)


def test_accuracy_band_only_on_throughput():
    from tokenfab.catalog.uncertainty import UncertainInput

    with pytest.raises(ValueError, match="accuracy-band"):
        UncertainInput(name="x", target="rent", distribution={"kind": "accuracy-band"}, source="my contract", as_of="2026-12-01",
                       kind="estimate")


def test_draws_match_their_distributions():
    from tokenfab.catalog.uncertainty import Distribution

    rng = np.random.default_rng(0)
    tri = draw(Distribution(kind="triangular", low=0.7, mode=1.0, high=1.0), rng, (200_000,))
    assert tri.mean() == pytest.approx((0.7 + 1.0 + 1.0) / 3, abs=2e-3)  # mean of a triangular = (a+b+c)/3
    logn = draw(Distribution(kind="lognormal", median=0.9, sigma=0.2), rng, (200_000,))
    assert np.median(logn) == pytest.approx(0.9, rel=5e-3)
    assert np.std(np.log(logn)) == pytest.approx(0.2, rel=1e-2)
    flat = draw(Distribution(kind="uniform", low=1.0, high=1.0), rng, (10,))
    assert (flat == 1.0).all()


def test_tornado_throughput_bar_is_the_best_rows_range():
    from tokenfab import plan, whatif

    scenario = dict(model="llama-3.1-70b", rate_rps=5, isl=1000, osl=200, sovereignty="eu-jurisdiction")
    best = plan(**scenario).front[0].performance.accuracy
    w = whatif(dict(scenario, samples=200, seed=1))
    (bar,) = [b for b in w.tornado if b.target == "throughput"]
    assert best is not None
    assert bar.low_factor == pytest.approx(best.ratio_low) and bar.high_factor == pytest.approx(best.ratio_high)
