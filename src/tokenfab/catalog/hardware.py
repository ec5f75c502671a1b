"""Accelerators (one chip or package) and systems (how they are sold and wired)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .records import (
    AccelCount,
    AccelMemoryBytes,
    BytesPerS,
    FlopPerS,
    PowerW,
    Record,
    SramBytes,
    check_partial_date,
)

AcceleratorStatus = Literal["shipping", "cloud-only", "announced", "in-development", "legacy"]
ExportControlClass = Literal[
    "license-required",  # ECCN 3A090: licence needed for China/Macau, presumption of denial
    "case-by-case",  # Jan-2026 BIS rule lane: TPP < 21,000 and DRAM BW < 6,500 GB/s
    "not-controlled",  # below the 3A090 thresholds
    "cloud-only",  # not sold as a chip; access governed by the cloud's terms
    "restricted-origin",  # chips whose use itself carries US export-law risk (BIS GP10 guidance)
    "not-assessed",
]
DTYPES_WITH_PEAKS: tuple[str, ...] = ("fp4", "fp8", "bf16")


ScaleUpTopology = Literal["switched", "full_mesh", "torus"]
"""How the scale-up domain is wired: through switches (every group at the device's whole
bandwidth), as a full mesh of direct links (a group of g uses g - 1 of the N - 1 links) or as
a torus (treated as switched by the engine; docs/engine.md). Not given = switched."""


class Accelerator(Record):
    """One accelerator device (GPU package, TPU chip, wafer, card) with datasheet peaks.

    FLOP/s fields are *dense* peaks (no 2:4 sparsity); the vendor's sparse headline
    is kept apart in ``sparse_headline`` as text. A dtype with no published peak is
    absent, and the engine refuses to run that dtype on this chip.
    """

    name: str
    vendor: str
    status: AcceleratorStatus
    form_factor: str | None = None
    fp4_dense_flop_per_s: FlopPerS | None = None
    fp8_dense_flop_per_s: FlopPerS | None = None
    bf16_dense_flop_per_s: FlopPerS | None = None
    int8_dense_op_per_s: FlopPerS | None = None
    sparse_headline: str | None = None
    memory_bytes: AccelMemoryBytes | None = None
    memory_bandwidth_bytes_per_s: BytesPerS | None = None
    memory_type: str | None = None
    on_chip_sram_bytes: SramBytes | None = None
    scale_up_link: str | None = None
    scale_up_bandwidth_bytes_per_s_per_direction: BytesPerS | None = None
    scale_up_domain_size: AccelCount | None = None
    scale_up_topology: ScaleUpTopology | None = None
    scale_out_bandwidth_bytes_per_s_per_direction: BytesPerS | None = None
    tdp_w: PowerW | None = None
    process_node: str | None = None
    foundry: str | None = None
    foundry_country: str | None = None
    hbm_supplier: str | None = None
    packaging: str | None = None
    launch_date: str | None = None
    export_control_class: ExportControlClass = "not-assessed"
    export_control: str | None = None

    @field_validator("launch_date")
    @classmethod
    def _launch(cls, v: str | None) -> str | None:
        return check_partial_date(v, "launch_date")

    def peak_flop_per_s(self, dtype: str) -> float | None:
        """Dense datasheet peak for a compute dtype ('fp4', 'fp8', 'bf16')."""
        return getattr(self, f"{dtype}_dense_flop_per_s", None)


SystemForm = Literal["server", "rack", "pod", "slice", "instance", "wafer-system", "card"]


class System(Record):
    """How accelerators are sold and wired: a server, a rack, a pod or slice."""

    name: str
    vendor: str
    form: SystemForm
    accelerator: str
    accelerators_per_system: AccelCount
    scale_up_domain_size: AccelCount
    scale_up_fabric: str | None = None
    system_power_w: PowerW | None = None
    list_price_usd: float | None = Field(default=None, gt=0, le=1e9)
    street_price_usd: float | None = Field(default=None, gt=0, le=1e9)
    cooling: str | None = None
    status: AcceleratorStatus = "shipping"
