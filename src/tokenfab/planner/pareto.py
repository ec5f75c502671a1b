"""Vectorized Pareto front (all objectives minimised).

Two objectives: sort by the first (ties by the second), keep a point when its second
objective is strictly below the running minimum of everything before it. More objectives:
sort lexicographically, then sweep in chunks, dropping every point dominated by a kept one
(numpy broadcasting per chunk; no O(n^2) Python loop).
"""

from __future__ import annotations

import numpy as np


def pareto_mask(objectives: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``objectives`` (n x k, minimise all).
    Exact duplicates keep one representative (the first in sorted order)."""
    obj = np.asarray(objectives, dtype=float)
    n, k = obj.shape
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    if k == 2 and n > 4096:
        # O(n) box: a point dearer than the fastest point (ties: its cheapest) is dominated by it,
        # and a point slower than the cheapest point (ties: its fastest) by that one
        cheapest, fastest = _argmin_lex(obj[:, 0], obj[:, 1]), _argmin_lex(obj[:, 1], obj[:, 0])
        box = np.flatnonzero((obj[:, 0] <= obj[fastest, 0]) & (obj[:, 1] <= obj[cheapest, 1]))
        if box.size < n:
            keep[box[pareto_mask(obj[box], chunk)]] = True
            return keep
        # then sorted by the first objective alone (argsort is ~4x cheaper than lexsort): a front
        # point is never beaten on the second by an earlier point; ties are kept and settled by
        # the exact pass on the (small) survivors
        first = np.argsort(obj[:, 0], kind="quicksort")
        second = obj[first, 1]
        prev = np.minimum.accumulate(np.concatenate([[np.inf], second[:-1]]))
        survivors = first[second <= prev]
        keep[survivors[pareto_mask(obj[survivors], chunk)]] = True
        return keep
    order = np.lexsort(obj.T[::-1])  # by objective 0, then 1, ...
    srt = obj[order]
    if k == 1:
        keep[order[0]] = True
        return keep
    if k == 2:
        prev_min = np.minimum.accumulate(np.concatenate([[np.inf], srt[:-1, 1]]))
        keep[order[srt[:, 1] < prev_min]] = True
        return keep
    kept: list[np.ndarray] = []
    kept_rows = np.empty((0, k))
    for start in range(0, n, chunk):
        block = srt[start:start + chunk]
        idx = order[start:start + chunk]
        alive = np.ones(len(block), dtype=bool)
        if len(kept_rows):
            dom = (kept_rows[None, :, :] <= block[:, None, :]).all(-1) & (kept_rows[None, :, :] < block[:, None, :]).any(-1)
            eq = (kept_rows[None, :, :] == block[:, None, :]).all(-1)
            alive &= ~(dom | eq).any(1)
        # within the block, points earlier in sorted order can dominate later ones
        sub = block[alive]
        if len(sub):
            d = (sub[:, None, :] <= sub[None, :, :]).all(-1) & (sub[:, None, :] < sub[None, :, :]).any(-1)
            e = (sub[:, None, :] == sub[None, :, :]).all(-1) & np.tri(len(sub), k=-1, dtype=bool).T
            survivors = ~(d.any(0) | e.any(0))
            alive_idx = np.flatnonzero(alive)[survivors]
            kept.append(idx[alive_idx])
            kept_rows = np.vstack([kept_rows, block[alive_idx]])
    if kept:
        keep[np.concatenate(kept)] = True
    return keep


def _argmin_lex(a: np.ndarray, b: np.ndarray) -> int:
    """Index of the smallest ``a``, ties broken by the smallest ``b`` (O(n))."""
    tied = np.flatnonzero(a == a.min())
    return int(tied[np.argmin(b[tied])])


def epsilon_thin(objectives: np.ndarray, tolerance: float) -> np.ndarray:
    """Indices of a thinned front: walking the rows in lexicographic order, a row is dropped
    when an already kept row is within ``tolerance`` of it on every objective
    (kept <= row x (1 + tolerance), all objectives positive and minimised). Every dropped
    row is therefore covered to within the tolerance by a kept one, and no kept row covers
    a later kept row. ``tolerance = 0`` keeps a front as it is (duplicates aside)."""
    obj = np.asarray(objectives, dtype=float)
    if tolerance < 0:
        raise ValueError(f"tolerance = {tolerance}: must be >= 0")
    order = np.lexsort(obj.T[::-1])
    kept: list[int] = []
    for i in order:
        if kept and (obj[kept] <= obj[i] * (1.0 + tolerance)).all(axis=1).any():
            continue
        kept.append(int(i))
    return np.array(kept, dtype=int)
