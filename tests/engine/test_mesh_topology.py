"""A full-mesh scale-up fabric (no switch) against hand calculations.

Intel Gaudi 2 in an 8-card HLS box: 21 of its 24 x 100 GbE ports go to the other 7 cards,
3 per peer, so one peer link is 3 x 100 Gb/s = 37.5 GB/s per direction and the whole
scale-up bandwidth 21 x 12.5 GB/s = 262.5 GB/s. A group of g cards reaches its g - 1 members
over g - 1 such links only. Behind NVSwitch every group sees the device's whole bandwidth."""

from __future__ import annotations

import numpy as np
import pytest

from tokenfab.catalog import load_catalog
from tokenfab.deployment.problem import hardware_row
from tokenfab.engine import comm

PEER_LINK = 3 * 100e9 / 8  # 37.5e9 bytes/s: three 100 Gb/s ports to one peer


@pytest.mark.parametrize(("group", "expected"), [
    (2, 1 * PEER_LINK),    # one peer: 37.5 GB/s
    (4, 3 * PEER_LINK),    # three peers: 112.5 GB/s
    (8, 7 * PEER_LINK),    # the whole node: 262.5 GB/s
])
def test_a_mesh_group_uses_the_links_to_its_members(group, expected):
    bw = comm.link_bandwidth(group, 8, 262.5e9, 37.5e9, mesh_peers=7)
    assert float(bw) == pytest.approx(expected)


def test_a_switched_fabric_gives_every_group_the_whole_bandwidth():
    assert float(comm.link_bandwidth(2, 8, 450e9, 50e9)) == pytest.approx(450e9)
    assert float(comm.link_bandwidth(2, 8, 450e9, 50e9, mesh_peers=0)) == pytest.approx(450e9)


def test_a_point_to_point_send_uses_one_peer_link():
    # pipeline stages 2 x tp 2 inside one Gaudi 2 node: each card sends to its counterpart over the
    # three ports to that one peer, 37.5 GB/s, not over the 3 links of the 4-card group
    assert float(comm.link_bandwidth(4, 8, 262.5e9, 37.5e9, mesh_peers=7, links_used=1)) == pytest.approx(PEER_LINK)
    assert float(comm.link_bandwidth(4, 8, 450e9, 50e9, links_used=1)) == pytest.approx(450e9)  # switched


def test_a_group_beyond_the_node_goes_over_scale_out_links():
    assert float(comm.link_bandwidth(16, 8, 262.5e9, 37.5e9, mesh_peers=7)) == pytest.approx(37.5e9)


def test_the_catalog_says_which_chips_are_meshed():
    cat = load_catalog()
    assert hardware_row(cat.accelerator("gaudi2"))["scale_up_mesh_peers"] == 7  # 8-card node
    assert hardware_row(cat.accelerator("mi300x"))["scale_up_mesh_peers"] == 7  # 7 xGMI links
    assert hardware_row(cat.accelerator("h100-sxm"))["scale_up_mesh_peers"] == 0  # NVSwitch
    assert hardware_row(cat.accelerator("tpu-v6e"))["scale_up_mesh_peers"] == 0  # torus: not split


def test_a_tensor_parallel_all_reduce_on_gaudi2_by_hand():
    # Llama-2-70B decode at 327 sequences, tp 4: one all-reduce of 327 x 8192 x 2 bytes
    # = 5,357,568 bytes; ring volume 2 x 3/4 of it = 8,036,352 bytes over 112.5 GB/s at a 0.8
    # network efficiency = 89.29 us, plus alpha x log2(4) = 2 x 15 us -> 119.29 us.
    size = 327 * 8192 * 2
    bw = comm.link_bandwidth(4, 8, 262.5e9, 37.5e9, mesh_peers=7)
    t = comm.allreduce_time(size, 4, bw, 15e-6, 0.8)
    assert float(t) == pytest.approx(8_036_352 / (112.5e9 * 0.8) + 30e-6, rel=1e-12)
    assert float(t) == pytest.approx(119.29e-6, abs=0.01e-6)


def test_collectives_of_one_rank_cost_nothing_and_broadcast():
    # a group of one moves nothing and waits for nobody, whatever the link; two ranks:
    # all-reduce 2 x 1/2 x 1 MB / 100 GB/s + 10 us x log2 2 = 20 us; all-to-all 1/2 x 1 MB / 100 GB/s
    # + 10 us = 15 us
    n = np.array([[1.0], [2.0]])
    ar = comm.allreduce_time(np.array([1e6, 0.0]), n, 100e9, 10e-6)
    a2a = comm.alltoall_time(np.array([1e6, 0.0]), n, 100e9, 10e-6)
    assert ar == pytest.approx(np.array([[0.0, 0.0], [20e-6, 10e-6]]), rel=1e-12)
    assert a2a == pytest.approx(np.array([[0.0, 0.0], [15e-6, 10e-6]]), rel=1e-12)
    assert float(comm.allreduce_time(1e6, 1, 0.0, 10e-6)) == 0.0  # no link needed

