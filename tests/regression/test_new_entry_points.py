"""Nonsense into every entry point this wave added (issues 12-16), through the installed
``tokenfab`` script: a typo'd flag, a missing option or argument, a word where a number goes,
malformed files. Each is one ``error:`` line and exit 2; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

import tokenfab
from tests.regression.cases import Case, check_case, run_cases

PLAN = ["plan", "--model", "llama-3.1-8b", "--rate-rps", "2", "--isl", "1000", "--osl", "200"]
COST = ["cost", "--model", "llama-3.1-70b", "--offer", "scaleway-h100-sxm-8-80g", "--isl", "1000", "--osl", "200"]
WHATIF = ["whatif", "--model", "llama-3.1-8b", "--rate-rps", "2", "--isl", "1000", "--osl", "200", "--samples", "100"]
CAL = ["--accelerator", "h100-sxm", "--count", "1", "--weights", "fp8", "--model", "llama-3.1-8b", "--stack", "vllm",
       "--save", "{dir}/out"]
DISCOUNTS = "id,provider,pricing,discount_frac,source,as_of,kind,notes\n"
_MODELS = (Path(tokenfab.__file__).parent / "data" / "models.yaml").read_text(encoding="utf-8")
# an overlay model copied from the bundled gpt-oss-20b entry, renamed
MY_OSS = "schema_version: 1\nrows:\n" + _MODELS[_MODELS.index("  - id: gpt-oss-20b"):_MODELS.index("  - id: kimi-k2")].replace(
    "id: gpt-oss-20b", "id: my-oss")
VLLM_RESULT = (Path(__file__).parents[1] / "fixtures" / "results" / "vllm_bench_serve.json").read_text(encoding="utf-8")
OSS_EST = ["estimate", "--model", "my-oss", "--accelerator", "b200", "--isl", "1000", "--osl", "200", "--catalog", "{dir}"]

CASES: dict[str, Case] = {
    # issue 12: discounts, spot cap, staleness, diff, version
    "discount_word": Case([*COST, "--discount", "scaleway=lots"], 2, ("PROVIDER=FRACTION",)),
    "discount_typo_provider": Case([*COST, "--discount", "scalewy=0.2"], 2, ("discounts", "scaleway")),
    "discount_flag_typo": Case([*COST, "--dicount", "scaleway=0.2"], 2, ("--dicount",)),
    "discount_overlay_over_one": Case([*COST, "--catalog", "{dir}"], 2, ("discount_frac",),
                                      {"discounts.csv": DISCOUNTS + "d,scaleway,,1.5,my contract,2026-11-01,measured,\n"}),
    "discount_overlay_unknown_provider": Case([*COST, "--catalog", "{dir}"], 2, ("nobody",),
                                              {"discounts.csv": DISCOUNTS + "d,nobody,,0.1,my contract,2026-11-01,measured,\n"}),
    "spot_cap_word": Case([*PLAN, "--max-spot-usd-per-accel-hour", "cheap"], 2, ("--max-spot-usd-per-accel-hour",)),
    "spot_cap_negative": Case([*PLAN, "--max-spot-usd-per-accel-hour", "-1"], 2, ("max_spot_usd_per_accel_hour",)),
    "stale_word": Case(["catalog", "stale", "--older-than", "soon"], 2, ("older_than", "180d")),
    "stale_unknown_kind": Case(["catalog", "stale", "--kind", "ofers"], 2, ("ofers",)),
    "diff_missing_argument": Case(["catalog", "diff", "bundled"], 2, ("Missing argument",)),
    "diff_not_a_dir": Case(["catalog", "diff", "bundled", "{dir}/nope"], 2, ("not a directory",)),
    "diff_empty_dir": Case(["catalog", "diff", "bundled", "{dir}"], 2, ("holds no catalog file",)),
    "version": Case(["--version"], 0, ("catalog 20",)),
    # issue 13: recipes and calibrate
    "recipe_typo": Case([*PLAN, "--recipe", "vlm"], 2, ("recipe = 'vlm'", "vllm")),
    "recipe_wrong_vendor": Case(["estimate", "--model", "llama-3.1-8b", "--accelerator", "mi300x", "--stack", "trtllm",
                                 "--isl", "1000", "--osl", "200", "--recipe", "trtllm"], 2, ("trtllm",)),
    "calibrate_missing_save": Case(["calibrate", "{dir}/r.json", *CAL[:-2]], 2, ("--save",),
                                   {"r.json": "{}"}),
    "calibrate_truncated": Case(["calibrate", "{dir}/r.json", *CAL], 2, ("r.json",),
                                {"r.json": '{"backend": "vllm", "output_throughput": 12'}),
    "calibrate_word_for_count": Case(["calibrate", "{dir}/r.json", "--count", "two", *CAL[:2], *CAL[4:]], 2, ("--count",),
                                     {"r.json": "{}"}),
    # issue 14: whatif
    "whatif_word_samples": Case([*WHATIF, "--samples", "many"], 2, ("--samples",)),
    "whatif_bad_shock": Case([*WHATIF, "--shock", "tariff:lots"], 2, ("tariff:lots",)),
    "whatif_unknown_shock": Case([*WHATIF, "--shock", "meteor:+10%"], 2, ("meteor",)),
    "whatif_bad_ranges": Case([*WHATIF, "--catalog", "{dir}"], 2, ("uncertainty.yaml",),
                              {"uncertainty.yaml": "schema_version: 1\ninputs:\n  - name: x\n    target: nothing\n"}),
    # issue 15: bill
    "bill_missing_file_argument": Case(["bill"], 2, ("Missing argument",)),
    "bill_no_such_file": Case(["bill", "{dir}/nope.csv"], 2, ("nope.csv",)),
    "bill_missing_column": Case(["bill", "{dir}/b.csv"], 2, ("BilledCost",),
                                {"b.csv": "ChargePeriodStart,ChargePeriodEnd\n2026-09-01,2026-09-02\n"}),
    "bill_word_peak": Case(["bill", "{dir}/b.csv", "--move", "--peak-to-mean", "high"], 2, ("--peak-to-mean",),
                           {"b.csv": "x\n"}),
    # issue 16: risk quantile, speculative decoding, the measured fidelity, a malformed validation row
    "risk_unknown_quantile": Case([*PLAN, "--risk", "p99"], 2, ("risk", "p99", "p90")),
    "speculative_word": Case([*PLAN, "--speculative", "turbo"], 2, ("speculative", "turbo", "auto")),
    "speculative_forced_on_a_model_without": Case(
        ["estimate", "--model", "mixtral-8x7b", "--accelerator", "h100-sxm", "--count", "8", "--isl", "1000", "--osl",
         "200", "--speculative", "mtp"], 2, ("speculative",)),
    "acceptance_rate_one": Case([*PLAN, "--speculative", "auto", "--acceptance-rate", "1"], 2, ("acceptance_rate",)),
    "uncertainty_band_on_rent": Case([*WHATIF, "--catalog", "{dir}"], 2, ("accuracy-band", "rent"), {"uncertainty.yaml": (
        "schema_version: 1\ninputs:\n  - name: x\n    target: rent\n    distribution: {kind: accuracy-band}\n"
        "    source: my contract\n    as_of: 2026-12-01\n    kind: estimate\n")}),
    "validate_bad_speculative_cell": Case(["validate", "{dir}/v.csv"], 2, ("speculative",), {"v.csv": (
        "id,model,accelerator,n_accel,weights_dtype,scenario,isl_tokens,osl_tokens,ttft_limit_s,tpot_limit_s,stack,"
        "metric,value,source,concurrency,speculative\n"
        "X1,llama-3.1-8b,h100-sxm,1,fp8,offline,1000,200,,,trtllm,output_tok_per_s,5000,my run,,eagle\n")}),
    # issue 16, third session: output-length spread and the validate format's kv_dtype / osl_cv columns
    "osl_cv_word": Case([*PLAN, "--osl-cv", "wide"], 2, ("--osl-cv",)),
    "osl_cv_negative": Case([*PLAN, "--osl-cv", "-1"], 2, ("osl_cv",)),
    "osl_cv_flag_typo": Case([*PLAN, "--osl-vc", "1"], 2, ("--osl-vc",)),
    "osl_cv_missing_value": Case([*PLAN, "--osl-cv"], 2, ("--osl-cv",)),
    "validate_bad_kv_cell": Case(["validate", "{dir}/v.csv"], 2, ("kv_dtype", "fp4"), {"v.csv": (
        "id,model,accelerator,n_accel,weights_dtype,scenario,isl_tokens,osl_tokens,ttft_limit_s,tpot_limit_s,stack,"
        "metric,value,source,concurrency,speculative,kv_dtype,osl_cv\n"
        "X1,llama-3.1-8b,h100-sxm,1,fp8,offline,1000,200,,,trtllm,output_tok_per_s,5000,my run,,,fp4,\n")}),
    "validate_word_osl_cv_cell": Case(["validate", "{dir}/v.csv"], 2, ("osl_cv", "lots"), {"v.csv": (
        "id,model,accelerator,n_accel,weights_dtype,scenario,isl_tokens,osl_tokens,ttft_limit_s,tpot_limit_s,stack,"
        "metric,value,source,concurrency,speculative,kv_dtype,osl_cv\n"
        "X1,llama-3.1-8b,h100-sxm,1,fp8,offline,1000,200,,,trtllm,output_tok_per_s,5000,my run,,,,lots\n")}),
    # issue 16, fifth session: the validate format's parallelism column
    "validate_bad_parallelism_cell": Case(["validate", "{dir}/v.csv"], 2, ("parallelism", "'x4'", "tpN"), {"v.csv": (
        "id,model,accelerator,n_accel,weights_dtype,scenario,isl_tokens,osl_tokens,ttft_limit_s,tpot_limit_s,stack,"
        "metric,value,source,concurrency,speculative,kv_dtype,osl_cv,parallelism\n"
        "X1,llama-3.1-8b,h100-sxm,1,fp8,offline,1000,200,,,trtllm,output_tok_per_s,5000,my run,,,,,x4\n")}),
    # issue 16, sixth session: calibrate's --parallelism and the validate format's num_requests column
    "calibrate_bad_parallelism": Case(["calibrate", "{dir}/r.json", *CAL, "--parallelism", "x4"], 2,
                                      ("parallelism", "'x4'", "tpN"), {"r.json": VLLM_RESULT}),
    "calibrate_impossible_parallelism": Case(["calibrate", "{dir}/r.json", *CAL, "--parallelism", "tp3"], 2,
                                             ("tp = 3", "use tp <= 1"), {"r.json": VLLM_RESULT}),
    "calibrate_parallelism_typo_flag": Case(["calibrate", "{dir}/r.json", *CAL, "--paralelism", "tp1"], 2,
                                            ("--paralelism",), {"r.json": VLLM_RESULT}),
    "validate_zero_num_requests_cell": Case(["validate", "{dir}/v.csv"], 2, ("num_requests", "0"), {"v.csv": (
        "id,model,accelerator,n_accel,weights_dtype,scenario,isl_tokens,osl_tokens,ttft_limit_s,tpot_limit_s,stack,"
        "metric,value,source,concurrency,speculative,kv_dtype,osl_cv,parallelism,num_requests\n"
        "X1,llama-3.1-8b,h100-sxm,1,fp8,offline,1000,200,,,trtllm,output_tok_per_s,5000,my run,,,,,tp1,0\n")}),
    # issue 16, seventh session: a run's memory budget (validate column, estimate/plan/calibrate flag)
    "validate_memory_fraction_above_one": Case(["validate", "{dir}/v.csv"], 2, ("memory_fraction", "1.2"), {"v.csv": (
        "id,model,accelerator,n_accel,weights_dtype,scenario,isl_tokens,osl_tokens,ttft_limit_s,tpot_limit_s,stack,"
        "metric,value,source,concurrency,speculative,kv_dtype,osl_cv,parallelism,num_requests,memory_fraction\n"
        "X1,llama-3.1-8b,h100-sxm,1,fp8,offline,1000,200,,,vllm,output_tok_per_s,5000,my run,,,,,tp1,,1.2\n")}),
    "estimate_memory_fraction_zero": Case(["estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--isl",
                                           "1000", "--osl", "200", "--memory-fraction", "0"], 2,
                                          ("memory_fraction", "greater than 0")),
    "plan_memory_fraction_word": Case([*PLAN, "--memory-fraction", "most"], 2, ("--memory-fraction", "most")),
    "calibrate_memory_fraction_above_one": Case(["calibrate", "{dir}/r.json", *CAL, "--memory-fraction", "1.5"], 2,
                                                ("memory_fraction", "1.5"), {"r.json": VLLM_RESULT}),
    # issue 16, fourth session: what a model's 4-bit checkpoint keeps (models.yaml overlay fields)
    "model_attention_dtype_4bit_unknown": Case(OSS_EST, 2, ("attention_dtype_4bit", "fp2", "'bf16' or 'fp8'"), {
        "models.yaml": MY_OSS.replace("attention_dtype_4bit: bf16", "attention_dtype_4bit: fp2")}),
    "model_activation_dtype_4bit_unknown": Case(OSS_EST, 2, ("activation_dtype_4bit", "int8"), {
        "models.yaml": MY_OSS.replace("activation_dtype_4bit: fp8", "activation_dtype_4bit: int8")}),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return run_cases(CASES, tmp_path_factory)


@pytest.mark.parametrize("name", list(CASES))
def test_new_entry_point(results, name):
    check_case(name, CASES[name], results[name])
