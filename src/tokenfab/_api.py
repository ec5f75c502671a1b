"""The public functions: each parses its question (a model instance or keyword arguments
named like the CLI flags), asks the one evaluation, and returns a typed result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from .accuracy.score import AccuracyReport
from .accuracy.score import measure_accuracy as _measure_accuracy
from .accuracy.user_calibration import CalibrationReport, CalibrationSetup
from .accuracy.user_calibration import calibrate as _calibrate
from .catalog.loader import Catalog, load_catalog
from .catalog.uncertainty import Uncertainty
from .deployment.cost_report import CostQuestion, CostReport, cost_report
from .deployment.evaluate import evaluate_deployment, pinned
from .deployment.result import Evaluation
from .deployment.roofline import Roofline
from .deployment.roofline import roofline as _roofline
from .deployment.site import SiteQuestion, SiteReport, site_report
from .deployment.spec import Deployment
from .inputs import parse_input
from .planner.compare import CompareQuestion, Comparison
from .planner.compare import compare as _compare
from .planner.explain import Explanation
from .planner.explain import explain as _explain
from .planner.result import PlanResult
from .planner.scenario import Scenario
from .planner.search import plan as _plan
from .policy.sovereignty import SovereigntyReport, assess_subject
from .recipes import Recipe, write_recipe
from .recipes import recipe as _recipe
from .whatif.question import WhatIfQuestion
from .whatif.result import WhatIfResult
from .whatif.run import whatif as _whatif

Q = TypeVar("Q", bound=BaseModel)


def _question(cls: type[Q], question: Q | dict[str, Any] | None, fields: dict[str, Any]) -> Q:
    if isinstance(question, cls):
        if fields:
            return parse_input(cls, {**question.model_dump(), **fields})
        return question
    return parse_input(cls, {**dict(question or {}), **fields})


def evaluate(deployment: Deployment | dict[str, Any] | None = None, /, catalog: Catalog | None = None,
             **fields: Any) -> Evaluation:
    """Evaluate one deployment: performance, money, energy, carbon and sovereignty.
    Unset choices (split, precision, concurrency) are searched as ``plan`` searches them."""
    return evaluate_deployment(_question(Deployment, deployment, fields), catalog)


def estimate(deployment: Deployment | dict[str, Any] | None = None, /, catalog: Catalog | None = None,
             **fields: Any) -> Evaluation:
    """Performance of one deployment (the same :class:`Evaluation` as :func:`evaluate`;
    money is present when the deployment says how it is paid for)."""
    return evaluate(deployment, catalog=catalog, **fields)


def energy(deployment: Deployment | dict[str, Any] | None = None, /, catalog: Catalog | None = None,
           **fields: Any) -> Evaluation:
    """J per output token, facility power and carbon of one deployment (its ``energy`` part)."""
    return evaluate(deployment, catalog=catalog, **fields)


def cost(question: CostQuestion | dict[str, Any] | None = None, /, catalog: Catalog | None = None,
         **fields: Any) -> CostReport:
    """$/M tokens of a rented or owned deployment, own-vs-rent and GPU-debt break-even, egress."""
    return cost_report(_question(CostQuestion, question, fields), catalog)


def plan(scenario: Scenario | dict[str, Any] | None = None, /, catalog: Catalog | None = None,
         progress: Callable[[str], None] | None = None, **fields: Any) -> PlanResult:
    """The Pareto front of every deployment in the catalog for ``scenario``."""
    return _plan(_question(Scenario, scenario, fields), catalog, progress)


def whatif(question: WhatIfQuestion | dict[str, Any] | None = None, /, catalog: Catalog | None = None,
           overlay: str | None = None, uncertainty: Uncertainty | None = None, **fields: Any) -> WhatIfResult:
    """The plan under named shocks and Monte Carlo over the input ranges (docs/whatif.md):
    p10/p50/p90 of each front row's $/M output tokens, J/token and gCO2e, P(best), a tornado.
    ``overlay`` is a directory whose ``uncertainty.yaml`` replaces ranges by name; ``uncertainty``
    gives the ranges outright (``load_uncertainty().with_zero_width()``: exactly the plan)."""
    return _whatif(_question(WhatIfQuestion, question, fields), catalog, uncertainty, overlay)


def explain(result: PlanResult, n: int, catalog: Catalog | None = None) -> Explanation:
    """Why front row ``n`` (1-based) of a plan is what it is."""
    return _explain(result, n, catalog)


def compare(question: CompareQuestion | dict[str, Any] | None = None, /, catalog: Catalog | None = None,
            **fields: Any) -> Comparison:
    """Self-hosting on every offer beside public API prices, at the APIs' per-user speed."""
    return _compare(_question(CompareQuestion, question, fields), catalog)


def gigawatt(question: SiteQuestion | dict[str, Any] | None = None, /, catalog: Catalog | None = None,
             **fields: Any) -> SiteReport:
    """A site of P MW (or a catalog facility) in accelerators and tokens/day, or the power a traffic needs."""
    return site_report(_question(SiteQuestion, question, fields), catalog)


def roofline(deployment: Deployment | dict[str, Any] | None = None, /, catalog: Catalog | None = None,
             **fields: Any) -> Roofline:
    """Roofline points (prefill, decode) of the deployment :func:`evaluate` chooses."""
    cat = catalog or load_catalog()
    ev = evaluate(deployment, catalog=cat, **fields)
    return _roofline(ev, pinned(ev), cat)


def sovereignty(subject: str, preset: str = "eu-jurisdiction", date: dt.date | str | None = None,
                buyer_country: str | None = None, catalog: Catalog | None = None) -> SovereigntyReport:
    """Sovereignty assessment of an offer id or a provider id against a preset on a date."""
    from .errors import InputError

    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            raise InputError(f"date = {date!r}: use YYYY-MM-DD") from None
    return assess_subject(catalog or load_catalog(), subject, preset, date, buyer_country)


def measure_accuracy(path: str | Path, fidelity: str = "calibrated", catalog: Catalog | None = None) -> AccuracyReport:
    """Predicted vs measured on a CSV of published results (``tokenfab validate``)."""
    return _measure_accuracy(path, fidelity, catalog)


def recipe(evaluation: Evaluation, kind: str = "vllm", catalog: Catalog | None = None,
           out: str | Path | None = None) -> Recipe:
    """How to run an evaluated deployment: ``kind`` 'vllm', 'sglang', 'trtllm' (launch command)
    or 'k8s' (manifests), with the benchmark command that checks it and the expected figures;
    with ``out`` the files are also written there."""
    r = _recipe(evaluation, kind, catalog)
    if out is not None:
        write_recipe(r, out)
    return r


def calibrate(files: Sequence[str | Path], setup: CalibrationSetup | dict[str, Any] | None = None, /,
              save: str | Path | None = None, catalog: Catalog | None = None, **fields: Any) -> CalibrationReport:
    """Fit the efficiency of a chip x stack on benchmark result files (``tokenfab calibrate``);
    with ``save`` write the rows and a catalog overlay for ``load_catalog(save)``."""
    return _calibrate(files, _question(CalibrationSetup, setup, fields), save, catalog)
