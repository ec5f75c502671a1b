"""The curated public API: complete, typed, callable in any order, and a light import."""

from __future__ import annotations

import itertools
import subprocess
import sys
import types

import pytest

import tokenfab


def test_every_public_name_is_a_function_class_or_version():
    for name in tokenfab.__all__:
        obj = getattr(tokenfab, name)
        assert not isinstance(obj, types.ModuleType), name
        assert callable(obj) or name == "__version__", name


def test_all_lists_every_public_name():
    public = {n for n in vars(tokenfab) if not n.startswith("_") and not isinstance(getattr(tokenfab, n), types.ModuleType)}
    assert public - {"annotations"} <= set(tokenfab.__all__)


def test_unknown_attribute():
    with pytest.raises(AttributeError):
        tokenfab.no_such_thing  # noqa: B018


CALLS = {
    "estimate": "tokenfab.estimate(model='llama-3.1-8b', accelerator='h100-sxm', isl=500, osl=100)",
    "plan": "tokenfab.plan(model='llama-3.1-8b', rate_rps=1, isl=500, osl=100)",
    "cost": "tokenfab.cost(model='llama-3.1-8b', offer='lambda-h100-8', isl=500, osl=100)",
}


TYPES = {"estimate": "Evaluation", "plan": "PlanResult", "cost": "CostReport"}


@pytest.mark.parametrize("order", list(itertools.permutations(CALLS)))
def test_functions_stay_functions_in_every_order(order):
    """Each call returns its typed result whatever was called (and imported) before, in a fresh
    interpreter; touching the submodules with the same words changes nothing."""
    code = "\n".join([
        "import tokenfab",
        *[f"r = {CALLS[name]}; assert type(r).__name__ == {TYPES[name]!r}, type(r)" for name in order],
        "import tokenfab.deployment.evaluate, tokenfab.planner.search, tokenfab.deployment.cost_report, tokenfab.planner.explain",
        *[f"assert callable(tokenfab.{name}) and not isinstance(tokenfab.{name}, type(tokenfab))" for name in order],
        "print('ok')",
    ])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_import_is_light_and_writes_nothing(tmp_path):
    code = (
        "import sys, time; t=time.perf_counter(); import tokenfab; dt=time.perf_counter()-t;"
        "heavy=[m for m in ('typer','rich','fastapi','uvicorn','pandas','plotly','httpx','duckdb') if m in sys.modules];"
        "print(dt, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         check=True).stdout.split(maxsplit=1)
    assert float(out[0]) < 2.0
    assert out[1].strip() == "[]"
    assert list(tmp_path.iterdir()) == []


def test_results_are_typed_and_json_safe():
    import json

    ev = tokenfab.estimate(model="llama-3.1-8b", accelerator="h100-sxm", isl=500, osl=100)
    assert isinstance(ev, tokenfab.Evaluation)
    assert isinstance(ev.performance.throughput_output_tok_per_s, float)
    json.dumps(ev.to_dict(), allow_nan=False)
    with pytest.raises(Exception):
        ev.performance.tpot_s = 0  # type: ignore[misc]  # frozen
