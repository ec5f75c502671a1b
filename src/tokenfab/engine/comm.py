"""Collective communication times (alpha-beta model).

Ring all-reduce of S bytes over n ranks: ``2 (n-1)/n x S / B + 2 (n-1) alpha`` with
B the per-direction link bandwidth; NVSwitch-class fabrics run a one-shot all-reduce
whose latency term does not grow with n, so the latency term used is ``alpha x log2(n)``
(tree), documented in docs/engine.md. All-to-all of S bytes per rank: ``(n-1)/n x S / B + alpha``.
Point-to-point: ``S / B + alpha``. A group larger than the scale-up domain runs over
scale-out links (InfiniBand/Ethernet), whose per-device bandwidth is used instead.

B depends on the scale-up topology. Behind a switch (NVSwitch) every device reaches any group
at its whole bandwidth. In a switchless full mesh (AMD Infinity Fabric, Intel Gaudi's on-die
RoCE ports, Huawei HCCS in an 8-card node) a device's bandwidth is split evenly over direct
links to each of its ``peers`` (N - 1 in an N-device domain): a group of g devices can only use
the g - 1 links to its own members, ``B x (g - 1) / peers``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def link_bandwidth(group_size: ArrayLike, scale_up_domain: ArrayLike, scale_up_bytes_per_s: ArrayLike,
    scale_out_bytes_per_s: ArrayLike, mesh_peers: ArrayLike = 0.0, links_used: ArrayLike | None = None
    ) -> np.ndarray:
    """Per-device, per-direction bandwidth of the link a group of ``group_size`` devices uses;
    ``mesh_peers`` > 0: the scale-up fabric is a full mesh of direct links to that many peers, of
    which a collective uses ``links_used`` (default the group's other members, ``group_size - 1``;
    a point-to-point send uses one)."""
    g = np.asarray(group_size, dtype=float)
    inside = g <= np.asarray(scale_up_domain)
    peers = np.asarray(mesh_peers, dtype=float)
    links = g - 1.0 if links_used is None else np.asarray(links_used, dtype=float)
    share = np.where(peers > 0, np.clip(links, 1.0, None) / np.maximum(peers, 1.0), 1.0)
    return np.where(inside, np.asarray(scale_up_bytes_per_s, dtype=float) * np.minimum(share, 1.0),
                    scale_out_bytes_per_s)


def allreduce_time(size_bytes: ArrayLike, n_ranks: ArrayLike, bw_bytes_per_s: ArrayLike, alpha_s: ArrayLike,
    eff: ArrayLike = 1.0) -> np.ndarray:
    n = np.asarray(n_ranks, dtype=float)
    bw = np.asarray(bw_bytes_per_s, dtype=float) * eff
    with np.errstate(divide="ignore", invalid="ignore"):
        per_byte = np.where(n > 1, 2.0 * (n - 1.0) / n / bw, 0.0)
    latency = np.where(n > 1, np.asarray(alpha_s) * np.log2(np.maximum(n, 1.0)), 0.0)
    return np.asarray(size_bytes) * per_byte + latency


def alltoall_time(size_bytes: ArrayLike, n_ranks: ArrayLike, bw_bytes_per_s: ArrayLike, alpha_s: ArrayLike,
    eff: ArrayLike = 1.0) -> np.ndarray:
    n = np.asarray(n_ranks, dtype=float)
    bw = np.asarray(bw_bytes_per_s, dtype=float) * eff
    with np.errstate(divide="ignore", invalid="ignore"):
        per_byte = np.where(n > 1, (n - 1.0) / n / bw, 0.0)
    return np.asarray(size_bytes) * per_byte + np.where(n > 1, np.asarray(alpha_s), 0.0)


def p2p_time(size_bytes: ArrayLike, bw_bytes_per_s: ArrayLike, alpha_s: ArrayLike, eff: ArrayLike = 1.0) -> np.ndarray:
    return np.asarray(size_bytes) / (np.asarray(bw_bytes_per_s, dtype=float) * eff) + np.asarray(alpha_s)
