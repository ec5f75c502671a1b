"""The catalog: sourced facts as data files, validated by pydantic models.

No physics here: the engine never imports the catalog and the catalog never
imports the engine; the planner joins them.
"""

from .hardware import Accelerator, System
from .loader import KINDS, Catalog, Override, load_catalog, validate_catalog
from .market import Certification, Egress, Offer, Provider, Region
from .model_spec import ModelSpec
from .records import Record
from .sites import Facility, Grid
from .software import Stack
from .speculative import SpeculativeMethod

__all__ = [
    "KINDS",
    "Accelerator",
    "Catalog",
    "Certification",
    "Egress",
    "Facility",
    "Grid",
    "ModelSpec",
    "Offer",
    "Override",
    "Provider",
    "Record",
    "Region",
    "SpeculativeMethod",
    "Stack",
    "System",
    "load_catalog",
    "validate_catalog",
]
