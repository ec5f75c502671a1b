"""The bundled ranges: every input sourced and dated, and the throughput bands are the
engine's measured error (recomputed here from validation/ with the accuracy code)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tokenfab.catalog import load_catalog
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


def test_throughput_bands_are_the_validation_error():
    from tokenfab.accuracy.score import measure_accuracy

    cat = load_catalog()
    rows = [(f, r) for f in ("measured.csv", "holdout.csv") for r in measure_accuracy(ROOT / "validation" / f).rows
            if r.metric == "output_tok_per_s"]  # a throughput band: the latency rows (tpot_s, ttft_s) are not in it
    dense = np.log([r.measured / r.predicted for _, r in rows if not cat.model(r.model).is_moe])
    moe = np.log([r.measured / r.predicted for f, r in rows if cat.model(r.model).is_moe and f == "holdout.csv"])
    u = {i.name: i.distribution for i in load_uncertainty().inputs}
    for name, lr in (("throughput-dense", dense), ("throughput-moe", moe)):
        assert u[name].median == pytest.approx(float(np.exp(np.median(lr))), abs=0.002)
        assert u[name].sigma == pytest.approx(float(lr.std(ddof=1)), abs=0.002)


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
