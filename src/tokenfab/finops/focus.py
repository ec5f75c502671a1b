"""FOCUS column names, 1.0 to 1.3, mapped onto one canonical set.

FOCUS (FinOps Open Cost and Usage Specification, https://focus.finops.org) names every
column in PascalCase. Between versions a few were renamed: 1.3 splits the 1.0-1.2
``ProviderName`` into ``ServiceProviderName`` (who sells the service) and
``HostProviderName`` (whose infrastructure runs it); the 1.3 working draft called them
``ServiceProvider`` and ``HostProvider`` (FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec,
specification/columns/service_provider.md and host_provider.md, commit ba6b8e4).
Names match case-insensitively (the spec's own commitment-flexibility example spells
``SkuPriceid``). The canonical name is the newest one.

Only :data:`REQUIRED` must be present for tokenfab to read a bill; a missing optional
column reads as empty, so the summaries say "(not in bill)" rather than guessing.
"""

from __future__ import annotations

from typing import Literal

ColumnType = Literal["number", "timestamp", "text"]

# canonical name -> (type, accepted names, newest first)
COLUMNS: dict[str, tuple[ColumnType, tuple[str, ...]]] = {
    "BilledCost": ("number", ("BilledCost",)),
    "EffectiveCost": ("number", ("EffectiveCost",)),
    "ListCost": ("number", ("ListCost",)),
    "ListUnitPrice": ("number", ("ListUnitPrice",)),
    "ConsumedQuantity": ("number", ("ConsumedQuantity",)),
    "PricingQuantity": ("number", ("PricingQuantity",)),
    "ChargePeriodStart": ("timestamp", ("ChargePeriodStart",)),
    "ChargePeriodEnd": ("timestamp", ("ChargePeriodEnd",)),
    "BillingCurrency": ("text", ("BillingCurrency",)),
    "ChargeCategory": ("text", ("ChargeCategory",)),
    "ChargeDescription": ("text", ("ChargeDescription",)),
    "PricingCategory": ("text", ("PricingCategory",)),
    "ServiceProviderName": ("text", ("ServiceProviderName", "ServiceProvider", "ProviderName")),
    "HostProviderName": ("text", ("HostProviderName", "HostProvider")),
    "RegionId": ("text", ("RegionId",)),
    "ServiceName": ("text", ("ServiceName",)),
    "ServiceCategory": ("text", ("ServiceCategory",)),
    "ConsumedUnit": ("text", ("ConsumedUnit",)),
    "PricingUnit": ("text", ("PricingUnit",)),
    "SkuPriceDetails": ("text", ("SkuPriceDetails",)),
    "SkuMeter": ("text", ("SkuMeter",)),
    "ResourceType": ("text", ("ResourceType",)),
}
REQUIRED: tuple[str, ...] = ("BilledCost", "ChargePeriodStart", "ChargePeriodEnd")

# FOCUS PricingCategory values (1.0-1.3) -> the three groups the issue asks for
PRICING_GROUPS: dict[str, str] = {"Standard": "standard", "Committed": "committed", "Dynamic": "dynamic/spot",
                                  "Other": "other"}

# SkuPriceDetails keys (FOCUS 1.2 FOCUS-defined properties; ModelId and TokenType as the issue names them)
SKU_MODEL_KEY = "ModelId"
SKU_TOKEN_TYPE_KEY = "TokenType"
SKU_INSTANCE_TYPE_KEY = "InstanceType"


def resolve(present: list[str]) -> dict[str, list[str]]:
    """For each canonical column, the names of ``present`` (a bill's header) that carry it,
    newest spelling first; matching is case-insensitive."""
    lower = {p.lower(): p for p in present}
    out: dict[str, list[str]] = {}
    for canonical, (_, names) in COLUMNS.items():
        out[canonical] = [lower[n.lower()] for n in names if n.lower() in lower]
    return out


def accepted_names(canonical: str) -> str:
    """'ServiceProviderName (or ServiceProvider, ProviderName)' for messages."""
    names = COLUMNS[canonical][1]
    return names[0] + (f" (or {', '.join(names[1:])})" if len(names) > 1 else "")
