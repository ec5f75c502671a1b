"""One deployment, one set of figures: a plan row asked again through `cost`, `energy`,
`estimate`, the HTTP API and Python gives identical $/M output tokens, J/token and gCO2e.

Scenarios: the README's plan, a dense model by tokens/day, a MoE model, and owned systems.
The row's deployment is pinned (every choice the search made is passed explicitly, as a
user copying the row would) and each path must reproduce the row exactly."""

from __future__ import annotations

import json

import pytest

import tokenfab
from tests.conftest import cli, run_cli
from tokenfab.deployment.evaluate import pinned

SCENARIOS = {
    "readme": ["--model", "llama-3.1-70b", "--rate-rps", "5", "--isl", "1000", "--osl", "200", "--tpot-max-s", "0.05",
               "--sovereignty", "eu-jurisdiction"],
    "dense": ["--model", "llama-3.1-8b", "--tokens-per-day", "2e9", "--isl", "2000", "--osl", "300",
              "--objective", "cost,carbon"],
    "moe": ["--model", "mixtral-8x7b", "--rate-rps", "3", "--isl", "1500", "--osl", "300", "--scenario", "interactive"],
    "owned": ["--model", "llama-3.1-70b", "--rate-rps", "2", "--isl", "1000", "--osl", "200", "--own", "--no-rent",
              "--own-grid", "fr"],
}
FIGURES = (("money", "usd_per_mtok_output"), ("money", "usd_per_month"), ("energy", "j_per_output_token"),
           ("energy", "gco2e_per_1k_tok"), ("performance", "tpot_s"), ("performance", "ttft_s"))


def flags(fields: dict) -> list[str]:
    out: list[str] = []
    for k, v in fields.items():
        if v is None:
            continue
        flag = "--" + k.replace("_", "-")
        if isinstance(v, bool):
            out.append(flag if v else f"--no-{k.replace('_', '-')}")
        else:
            out += [flag, str(v)]
    return out


def figures(ev: dict) -> tuple:
    return tuple(ev[section][name] for section, name in FIGURES)


@pytest.fixture(scope="module")
def client():
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from tokenfab.web import create_app

    return TestClient(create_app(), base_url="http://127.0.0.1")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_plan_row_has_one_set_of_figures(name, client):
    proc = cli("plan", *SCENARIOS[name], "--json")
    assert proc.returncode == 0, proc.stderr
    result = tokenfab.PlanResult.model_validate(json.loads(proc.stdout))
    assert result.front
    for row in (result.front[0], result.front[-1]):
        want = figures(row.to_dict())
        d = pinned(row)
        fields = d.model_dump(mode="json", exclude_defaults=True)
        for command in ("cost", "energy", "estimate"):
            got = cli(command, *flags(fields), "--json")
            assert got.returncode == 0, (command, got.stderr)
            out = json.loads(got.stdout)
            assert figures(out.get("evaluation", out)) == want, command
        assert figures(tokenfab.evaluate(d).to_dict()) == want
        assert figures(tokenfab.energy(**fields).to_dict()) == want
        assert figures(client.post("/api/evaluate", json=fields).json()) == want
        assert figures(client.post("/api/cost", json=fields).json()["evaluation"]) == want
    web = client.post("/api/plan", json=result.scenario.model_dump(mode="json", exclude_defaults=True)).json()
    assert [figures(r) for r in web["front"]] == [figures(r.to_dict()) for r in result.front]


def test_the_installed_script_gives_the_same_row():
    """The README's plan through the installed console script (what a user runs) and Python."""
    proc = run_cli("plan", *SCENARIOS["readme"], "--json")
    assert proc.returncode == 0, proc.stderr
    front = json.loads(proc.stdout)["front"]
    py = tokenfab.plan(model="llama-3.1-70b", rate_rps=5, isl=1000, osl=200, tpot_max_s=0.05,
                       sovereignty="eu-jurisdiction")
    assert [figures(r) for r in front] == [figures(r.to_dict()) for r in py.front]
    row = py.front[0]
    cost = run_cli("cost", *flags(pinned(row).model_dump(mode="json", exclude_defaults=True)), "--json")
    assert cost.returncode == 0, cost.stderr
    assert figures(json.loads(cost.stdout)["evaluation"]) == figures(row.to_dict())


def test_cost_without_a_split_searches_like_plan_and_says_so():
    """`cost --offer X` alone chooses what a cost-only plan restricted to X chooses."""
    c = cli("cost", "--model", "llama-3.1-70b", "--offer", "scaleway-h100-sxm-8-80g", "--isl", "1000", "--osl", "200",
            "--rate-rps", "3")
    assert c.returncode == 0, c.stderr
    assert "chosen by the search" in c.stderr and "weights=" in c.stderr
    rep = tokenfab.cost(model="llama-3.1-70b", offer="scaleway-h100-sxm-8-80g", isl=1000, osl=200, rate_rps=3)
    plan = tokenfab.plan(model="llama-3.1-70b", rate_rps=3, isl=1000, osl=200, objectives=("cost",),
                         providers=("scaleway",), pricing=("on_demand",), front_tolerance=0.0)
    row = next(r for r in plan.front if r.deployment.capacity == "scaleway-h100-sxm-8-80g") if any(
        r.deployment.capacity == "scaleway-h100-sxm-8-80g" for r in plan.front) else None
    ev = rep.evaluation
    if row is not None:
        assert figures(row.to_dict()) == figures(ev.to_dict())
    # whichever offer wins the plan, the chosen one costs no more than any other choice on that offer
    for weights in ("bf16", "fp8"):
        alt = tokenfab.cost(model="llama-3.1-70b", offer="scaleway-h100-sxm-8-80g", isl=1000, osl=200, rate_rps=3,
                            weights=weights)
        assert ev.money.usd_per_mtok_output <= alt.evaluation.money.usd_per_mtok_output
