"""tokenfab: what a token costs, in dollars, joules, grams of CO2 and legal exposure.

The public API is listed in ``__all__``; names load lazily so that ``import
tokenfab`` stays fast, touches no network and writes nothing.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "load_catalog": "tokenfab.catalog",
    "validate_catalog": "tokenfab.catalog",
    "Catalog": "tokenfab.catalog",
    "Accelerator": "tokenfab.catalog",
    "System": "tokenfab.catalog",
    "ModelSpec": "tokenfab.catalog",
    "Provider": "tokenfab.catalog",
    "Offer": "tokenfab.catalog",
    "Grid": "tokenfab.catalog",
    "Facility": "tokenfab.catalog",
    "Stack": "tokenfab.catalog",
    "read_hf_config": "tokenfab.catalog.hf_config",
    "estimate": "tokenfab.estimate",
    "Estimate": "tokenfab.estimate",
    "EstimateRequest": "tokenfab.estimate",
    "validate_file": "tokenfab.validation",
    "plan": "tokenfab.planner",
    "Scenario": "tokenfab.planner",
    "PlanResult": "tokenfab.planner",
    "explain": "tokenfab.explain",
    "cost": "tokenfab.costing",
    "energy": "tokenfab.costing",
    "gigawatt": "tokenfab.costing",
    "compare": "tokenfab.costing",
    "sovereignty": "tokenfab.costing",
    "ValidationReport": "tokenfab.validation",
    "TokenfabError": "tokenfab.errors",
    "InputError": "tokenfab.errors",
    "CatalogError": "tokenfab.errors",
    "UnknownIdError": "tokenfab.errors",
    "ExpectedOutcome": "tokenfab.errors",
    "DoesNotFitError": "tokenfab.errors",
    "NoFeasiblePlanError": "tokenfab.errors",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tokenfab' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
