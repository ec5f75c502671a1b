"""The scheduler's KV admission rule as a deployment option (`estimate/plan --kv-reserve`):
`request` reserves a sequence's whole prompt and output (TensorRT-LLM's default
GUARANTEED_NO_EVICT), `live` its current context (TensorRT-LLM's MAX_UTILIZATION, vLLM, SGLang).
Hand check on Llama-3.1-70B in FP8 at tp 2 on two H100s, 1,000 in / 2,000 out at fixed lengths:
a sequence holds 3,000 tokens of KV under `request` and 1,000 + 2,000 / 2 = 2,000 on average under
`live`, so 1.5x as many fit in the same room."""

from __future__ import annotations

import json

import pytest

import tokenfab
from tests.conftest import assert_one_line_error, run_cli
from tokenfab.accuracy.measured import OPTIONAL_COLUMNS, VALIDATION_HEADER
from tokenfab.catalog import load_catalog
from tokenfab.deployment.evaluate import pinned
from tokenfab.errors import InputError
from tokenfab.recipes import recipe

KW = dict(model="llama-3.1-70b", accelerator="h100-sxm", count=2, weights="fp8", kv="fp8", isl=1000, osl=2000,
          tp=2, pp=1, ep=1, scenario="offline")


def test_live_admission_fits_one_and_a_half_times_the_sequences_by_hand():
    req = tokenfab.estimate(stack="trtllm", **KW)
    live = tokenfab.estimate(stack="trtllm", kv_reserve="live", **KW)
    assert req.deployment.kv_reserve == "request"  # TensorRT-LLM's default rule
    assert live.deployment.kv_reserve == "live"
    n_req, n_live = req.performance.max_concurrency_per_replica, live.performance.max_concurrency_per_replica
    assert n_req > 50
    assert n_live == pytest.approx(1.5 * n_req, abs=1.5)
    # vLLM's default is live; forcing request on it gives TensorRT-LLM's count of sequences in its budget
    assert tokenfab.estimate(stack="vllm", memory_fraction=0.95, **KW).deployment.kv_reserve == "live"
    assert tokenfab.estimate(stack="vllm", memory_fraction=0.95, kv_reserve="request",
                             **KW).deployment.kv_reserve == "request"


def test_a_bad_rule_is_one_line():
    with pytest.raises(InputError, match="kv_reserve"):
        tokenfab.estimate(stack="trtllm", kv_reserve="sometimes", **KW)


def test_the_recipe_sets_the_scheduler_the_estimate_assumed():
    cat = load_catalog()
    live = recipe(tokenfab.estimate(stack="trtllm", kv_reserve="live", **KW), "trtllm", cat)
    assert "capacity_scheduler_policy: MAX_UTILIZATION" in live.files["extra_llm_api_options.yaml"]
    default = recipe(tokenfab.estimate(stack="trtllm", **KW), "trtllm", cat)
    assert "scheduler_config" not in default.files.get("extra_llm_api_options.yaml", "")
    vllm = recipe(tokenfab.estimate(stack="vllm", memory_fraction=0.95, kv_reserve="request", **KW), "vllm", cat)
    assert any("no setting that reserves a whole request" in n for n in vllm.notes)


def test_the_plan_takes_the_rule_and_a_pinned_row_keeps_it():
    q = dict(model="llama-3.1-70b", isl=1000, osl=2000, scenario="offline", rate_rps=0.5, accelerators=("h100-sxm",),
             weights=("fp8",), stack="trtllm")
    front = tokenfab.plan(dict(q, kv_reserve="live")).front
    assert front and all(r.deployment.kv_reserve == "live" for r in front)
    assert json.loads(front[0].model_dump_json())["deployment"]["kv_reserve"] == "live"
    again = tokenfab.evaluate(pinned(front[0]))
    assert again.deployment.kv_reserve == "live"
    assert again.performance.throughput_output_tok_per_s == front[0].performance.throughput_output_tok_per_s
    assert all(r.deployment.kv_reserve == "request" for r in tokenfab.plan(q).front)


def test_nonsense_through_the_installed_script(tmp_path):
    """A word where live/request goes, on the command line and in a validate file: one line naming
    the field and the value, exit 2, no traceback (the installed `tokenfab` script)."""
    proc = run_cli("estimate", "--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--count", "2", "--isl", "1000",
                   "--osl", "200", "--kv-reserve", "sometimes")
    assert_one_line_error(proc, "kv_reserve", "sometimes", code=2)
    f = tmp_path / "runs.csv"
    f.write_text(",".join(VALIDATION_HEADER + list(OPTIONAL_COLUMNS)) + "\n"
                 "x,llama-3.1-70b,h100-sxm,1,fp8,offline,1000,200,,,trtllm,output_tok_per_s,1000,hand,,,fp8,,tp1,,,,"
                 "sometimes\n")
    assert_one_line_error(run_cli("validate", str(f)), "kv_reserve", "sometimes", code=2)
