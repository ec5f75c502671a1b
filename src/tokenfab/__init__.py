"""tokenfab: what a token costs, in dollars, joules, grams of CO2 and legal exposure.

The public API is this module's ``__all__``: explicit imports of the functions and typed
results (no name here is a submodule, so importing a submodule never replaces one).
Importing tokenfab touches no network and writes nothing; the catalog loads on first use.
"""

from __future__ import annotations

from ._api import (
    calibrate,
    compare,
    cost,
    energy,
    estimate,
    evaluate,
    explain,
    gigawatt,
    measure_accuracy,
    plan,
    recipe,
    roofline,
    sovereignty,
    whatif,
)
from .accuracy.bands import Band
from .accuracy.score import AccuracyReport
from .accuracy.user_calibration import CalibrationReport, CalibrationSetup
from .catalog import (
    Accelerator,
    Catalog,
    Facility,
    Grid,
    ModelSpec,
    Offer,
    Provider,
    Stack,
    System,
    load_catalog,
    validate_catalog,
)
from .catalog.hf_config import read_hf_config
from .deployment.cost_report import CostQuestion, CostReport
from .deployment.result import Evaluation, RiskFigures
from .deployment.roofline import Roofline
from .deployment.site import SiteQuestion, SiteReport
from .deployment.spec import Deployment
from .deployment.workload import Workload
from .errors import (
    CatalogError,
    DoesNotFitError,
    ExpectedOutcome,
    InputError,
    NoFeasiblePlanError,
    TokenfabError,
    UnknownIdError,
)
from .finops.api import bill_summary, move_bill, read_bill
from .finops.move import MoveQuestion
from .finops.result import BillSummary, MoveSummary
from .planner.compare import CompareQuestion, Comparison
from .planner.explain import Explanation
from .planner.result import PlanResult
from .planner.scenario import Scenario
from .policy.sovereignty import SovereigntyReport
from .recipes import Recipe
from .whatif.question import WhatIfQuestion
from .whatif.result import WhatIfResult

__version__ = "0.3.0"

__all__ = [
    "Accelerator",
    "AccuracyReport",
    "Band",
    "BillSummary",
    "CalibrationReport",
    "CalibrationSetup",
    "Catalog",
    "CatalogError",
    "CompareQuestion",
    "Comparison",
    "CostQuestion",
    "CostReport",
    "Deployment",
    "DoesNotFitError",
    "Evaluation",
    "ExpectedOutcome",
    "Explanation",
    "Facility",
    "Grid",
    "InputError",
    "ModelSpec",
    "MoveQuestion",
    "MoveSummary",
    "NoFeasiblePlanError",
    "Offer",
    "PlanResult",
    "Provider",
    "Recipe",
    "RiskFigures",
    "Roofline",
    "Scenario",
    "SiteQuestion",
    "SiteReport",
    "SovereigntyReport",
    "Stack",
    "System",
    "TokenfabError",
    "UnknownIdError",
    "WhatIfQuestion",
    "WhatIfResult",
    "Workload",
    "__version__",
    "bill_summary",
    "calibrate",
    "compare",
    "cost",
    "energy",
    "estimate",
    "evaluate",
    "explain",
    "gigawatt",
    "load_catalog",
    "measure_accuracy",
    "move_bill",
    "plan",
    "read_bill",
    "read_hf_config",
    "recipe",
    "roofline",
    "sovereignty",
    "validate_catalog",
    "whatif",
]
