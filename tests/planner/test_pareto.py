"""The vectorized Pareto front equals a brute-force one on random data."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tokenfab.pareto import pareto_mask


def brute_force(obj: np.ndarray) -> set[tuple]:
    front = set()
    for i, a in enumerate(obj):
        dominated = any((b <= a).all() and (b < a).any() for j, b in enumerate(obj) if j != i)
        if not dominated:
            front.add(tuple(a))
    return front


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 4).flatmap(
    lambda k: arrays(np.float64, st.tuples(st.integers(0, 60), st.just(k)),
                     elements=st.integers(0, 6).map(float))))
def test_front_equals_brute_force(obj):
    mask = pareto_mask(obj, chunk=7)
    got = [tuple(r) for r in obj[mask]]
    assert set(got) == brute_force(obj)
    assert len(got) == len(set(got))  # one representative per duplicate point


def test_two_objectives_by_hand():
    obj = np.array([[1, 5], [2, 3], [3, 4], [4, 1], [2, 3]], float)
    assert set(map(tuple, obj[pareto_mask(obj)])) == {(1, 5), (2, 3), (4, 1)}
