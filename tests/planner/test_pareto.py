"""The vectorized Pareto front equals a brute-force one on random data."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tokenfab.planner.pareto import epsilon_thin, pareto_mask


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


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 4).flatmap(
    lambda k: arrays(np.float64, st.tuples(st.integers(1, 60), st.just(k)),
                     elements=st.floats(0.5, 100.0))),
       st.sampled_from([0.0, 0.02, 0.05, 0.3]))
def test_thinned_front_covers_the_exact_one(obj, tol):
    front = obj[pareto_mask(obj)]
    kept = front[epsilon_thin(front, tol)]
    # every exact-front point is within the tolerance of a kept one, on every objective
    for p in front:
        assert (kept <= p * (1 + tol)).all(axis=1).any()
    # kept points are front points (returned in walk order), and no earlier kept point covers
    # a later one
    assert {tuple(r) for r in kept} <= {tuple(r) for r in front}
    for i, a in enumerate(kept):
        for b in kept[:i]:
            assert not (b <= a * (1 + tol)).all()
    if tol == 0:
        assert len(kept) == len(front)


def test_thinning_by_hand():
    # cost, latency: (10, 3.00) is within 5 % of (2, 3.10)?  no: cost 10 > 2 x 1.05 but the cheaper
    # point must cover it: 2 <= 10.5 and 3.10 <= 3.15 -> dropped. (12, 2.0) is 33 % faster: kept.
    front = np.array([[2, 3.10], [10, 3.00], [12, 2.0]])
    assert epsilon_thin(front, 0.05).tolist() == [0, 2]
    assert epsilon_thin(front, 0.0).tolist() == [0, 1, 2]


def test_large_fronts_take_the_fast_path_and_stay_exact():
    """Above 4,096 points two objectives go through an O(n) box and an argsort pre-pass;
    the front must equal the brute-force one, ties and duplicates included."""
    rng = np.random.default_rng(7)
    obj = np.round(rng.random((6000, 2)) * 50) / 50  # many ties and exact duplicates
    fast = pareto_mask(obj)
    dominated = ((obj[None, :, :] <= obj[:, None, :]).all(-1) & (obj[None, :, :] < obj[:, None, :]).any(-1)).any(1)
    front = ~dominated
    # duplicates keep one representative: same set of points
    assert {tuple(p) for p in obj[fast]} == {tuple(p) for p in obj[front]}
    assert fast.sum() == len({tuple(p) for p in obj[front]})
