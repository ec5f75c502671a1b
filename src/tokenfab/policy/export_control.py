"""Export control of an accelerator for a buyer country, as a status with its explanation.

Classes (catalog field ``export_control_class``): ``license-required`` (ECCN 3A090: a licence
for China/Macau, presumption of denial), ``case-by-case`` (the Jan-2026 BIS rule lane),
``not-controlled``, ``cloud-only`` (not sold as a chip), ``restricted-origin`` (use itself
carries US export-law risk), ``not-assessed``.
"""

from __future__ import annotations

from typing import Literal

from ..catalog.hardware import Accelerator
from ..inputs import ResultModel

EXPORT_RESTRICTED_BUYERS: frozenset[str] = frozenset({"CN", "MO"})

ExportStatusName = Literal[
    "n/a", "cloud-only", "restricted-origin", "denied", "case-by-case", "allowed",
    "license-required", "not-controlled", "not-assessed",
]


class ExportStatus(ResultModel):
    status: ExportStatusName
    detail: str
    buyer_country: str | None = None


def export_status(acc: Accelerator | None, buyer_country: str | None) -> ExportStatus:
    """The chip's export-control status for the buyer's country, with the reason."""
    if acc is None:
        return ExportStatus(status="n/a", detail="no accelerator", buyer_country=buyer_country)
    cls, text = acc.export_control_class, acc.export_control or ""

    def out(status: ExportStatusName, detail: str) -> ExportStatus:
        return ExportStatus(status=status, detail=detail, buyer_country=buyer_country)

    if cls == "cloud-only":
        return out("cloud-only", f"{acc.id} is rented only, not sold as a chip ({text})")
    if cls == "restricted-origin":
        return out("restricted-origin", f"{acc.id}: {text}")
    if buyer_country is None:
        return out(cls, f"{acc.id}: {text}" if text else f"{acc.id}: {cls}")
    if buyer_country in EXPORT_RESTRICTED_BUYERS:
        if cls == "license-required":
            return out("denied", f"{acc.id} to {buyer_country}: licence required, presumption of denial ({text})")
        if cls == "case-by-case":
            return out("case-by-case", f"{acc.id} to {buyer_country}: case-by-case BIS licence review ({text})")
    return out("allowed", f"{acc.id} to {buyer_country}: no licence requirement recorded")
