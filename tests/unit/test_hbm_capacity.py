"""HBM capacities are binary: a datasheet's HBM "80GB" is 80 GiB. Checked against what the
devices report (docs/catalog.md), not against the catalog's own numbers."""

from __future__ import annotations

import pytest

from tokenfab.catalog import load_catalog
from tokenfab.units import GIB, format_capacity

# bytes the runtime reports for one device (public deviceQuery / nvidia-smi / HIP outputs)
REPORTED_BYTES = {
    "h100-sxm": 85_045_477_376,  # CUDA deviceQuery, "NVIDIA H100 80GB HBM3" (thamada/nvidia-smi@03fbe6e)
    "h200": 143_771 * 2**20,  # nvidia-smi 143,771 MiB, "NVIDIA H200"
    "b200": 183_359 * 2**20,  # nvidia-smi 183,359 MiB, "NVIDIA B200"
    "mi300x": 196_592 * 2**20,  # HIP Total Global Memory 196,592 MiB (thamada/nvidia-smi@a296cf1)
    # nvidia-smi 97,887 MiB, "NVIDIA RTX PRO 6000 Blackwell Server Edition" (public lab READMEs, 2026): a
    # GDDR7 card whose "96 GB" is binary too (32 x 3 GiB chips), unlike the L40S below
    "rtx-pro-6000": 97_887 * 2**20,
}
DATASHEET_GB = {"h100-sxm": 80, "h200": 141, "b200": 180, "mi300x": 192, "rtx-pro-6000": 96}


@pytest.mark.parametrize("acc", sorted(REPORTED_BYTES))
def test_catalog_capacity_is_the_datasheet_figure_in_gib_and_matches_the_device(acc):
    cap = load_catalog().accelerator(acc).memory_bytes
    assert cap == pytest.approx(DATASHEET_GB[acc] * 2**30, rel=5e-4)
    # the device reports within 1 % of it (driver and ECC reserves), never 7 % more as a
    # decimal reading of the datasheet (80e9 for 85.0e9 reported) would imply
    assert REPORTED_BYTES[acc] <= cap * 1.001
    assert REPORTED_BYTES[acc] >= cap * 0.985


def test_gddr_card_keeps_its_decimal_figure():
    """An L40S "48GB" (GDDR6 with ECC) reports 46,068 MiB = 48.3e9 bytes: the decimal reading."""
    cap = load_catalog().accelerator("l40s").memory_bytes
    assert cap == pytest.approx(46_068 * 2**20, rel=0.01)


def test_capacity_is_shown_in_both_units():
    assert format_capacity(80 * GIB) == "85.9 GB (80 GiB)"
    assert format_capacity(None) == "-"
