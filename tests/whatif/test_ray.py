"""The Ray backend gives the local backend's numbers exactly (same chunks, same seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from tokenfab.catalog.uncertainty import load_uncertainty
from tokenfab.planner.search import prepare, solve
from tokenfab.whatif.rows import gather
from tokenfab.whatif.run import sample
from tokenfab.whatif.sampling import CHUNK_SAMPLES

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install '.[distributed]')")


@pytest.fixture(scope="module")
def local_ray():
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    if started:
        ray.shutdown()


def test_ray_equals_local_for_the_same_seed(local_ray):
    rows = []
    for model in ("llama-3.1-8b", "llama-3.1-70b"):
        s, cat, c = prepare(dict(model=model, rate_rps=3, isl=1000, osl=200, own=True, own_grid="de"))
        p, where = solve(s, cat, c, 0.0)
        rows.append(gather(c, where, [str(i) for i in range(len(where))], None, None))
    n = 2 * CHUNK_SAMPLES + 17  # three chunks, the last one short
    inputs = load_uncertainty().inputs
    here = sample(rows, inputs, n, seed=42, backend="local")
    there = sample(rows, inputs, n, seed=42, backend="ray")
    for a, b in zip(here, there):
        assert a.keys() == b.keys()
        for k in a:
            assert a[k].shape == (n, a[k].shape[1])
            np.testing.assert_array_equal(a[k], b[k])
