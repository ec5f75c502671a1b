"""Every reproduction of the hardening report (issue 11), run through the installed
``tokenfab`` console script, as a user runs it.

All invocations start at once in a thread pool (a module fixture), so ~60 fresh processes
cost seconds, not a minute; each reproduction is then its own named test. Expected: exit 2
for bad input (one ``error:`` line, after the usage line for usage errors), 3 for an expected
"no", 0 for a valid question; never a traceback, ``nan`` or ``inf`` in the output.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import FIXTURES, ROOT
from tests.regression.cases import Case, check_case, run_cases
from tokenfab.accuracy.measured import VALIDATION_HEADER
from tokenfab.catalog.hf_config import read_hf_config

HF = FIXTURES / "hf_configs"
PLAN = ["plan", "--model", "llama-3.1-8b", "--rate-rps", "2", "--osl", "200"]
BOMB = ("schema_version: 1\n_b:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        + "".join(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)) + "rows: [*l9]\n")
OFFERS = ("id,provider,region,instance_type,accelerator,accelerator_count,currency,on_demand_price_per_accel_hour,"
          "reserved_1y_price_per_accel_hour,reserved_3y_price_per_accel_hour,spot_price_per_accel_hour,source,as_of,kind,"
          "notes\n")
CHIP = ("schema_version: 1\nrows:\n  - id: npu\n    name: NPU\n    vendor: X\n    status: shipping\n"
        "    bf16_dense_flop_per_s: 500e12\n    memory_bytes: 96e9\n    memory_bandwidth_bytes_per_s: 4e12\n"
        "    source: sheet rev 3\n    as_of: 2026-10-01\n    kind: datasheet\n")


def _hf(change: dict) -> str:
    cfg = json.loads((HF / "llama-3.1-8b" / "config.json").read_text())
    cfg.update(change)
    return json.dumps(cfg)


CASES: dict[str, Case] = {
    # 1. usage errors
    "unknown_command": Case(["frobnicate"], 2, ("No such command",)),
    "bare_tokenfab": Case([], 2),
    "missing_isl": Case(PLAN, 2, ("Missing option '--isl'",)),
    "word_for_a_number": Case([*PLAN, "--isl", "lots"], 2, ("--isl",)),
    "float_for_a_count": Case(["estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--isl", "10",
                               "--osl", "10", "--count", "8.5"], 2, ("--count",)),
    "unknown_flag": Case([*PLAN, "--isl", "100", "--bogus", "1"], 2, ("--bogus",)),
    "catalog_list_csv": Case(["catalog", "list", "offers", "--csv"], 2, ("--csv",)),
    # 2. inf reaching JSON
    "own_vs_rent_json": Case(["cost", "--model", "llama-3.1-70b", "--own", "--accelerator", "h100-sxm", "--count", "8",
                              "--grid", "fr", "--offer", "scaleway-h100-sxm-8-80g", "--isl", "1000", "--osl", "200",
                              "--json"], 0),
    "own_vs_rent_text": Case(["cost", "--model", "llama-3.1-70b", "--own", "--accelerator", "h100-sxm", "--count", "8",
                              "--grid", "fr", "--offer", "scaleway-h100-sxm-8-80g", "--isl", "1000", "--osl", "200",
                              "--capex-usd-per-accel", "1e7"], 0, ("never",)),
    "halving_1e-9": Case(["cost", "--model", "llama-3.1-70b", "--own", "--accelerator", "h100-sxm", "--grid", "fr",
                          "--offer", "lambda-h100-8", "--isl", "1000", "--osl", "200", "--rental-halving-years", "1e-9"],
                         2, ("rental_value_halving_years",)),
    "utilization_1e-300": Case(["cost", "--model", "llama-3.1-8b", "--offer", "lambda-h100-8", "--isl", "100", "--osl",
                                "100", "--utilization", "1e-300"], 2, ("utilization",)),
    "sram_inf_overlay": Case(["catalog", "show", "npu", "--json", "--catalog", "{dir}"], 2, (".inf", "accelerators.yaml:"),
                             {"accelerators.yaml": CHIP.replace("    source:", "    on_chip_sram_bytes: .inf\n    source:")}),
    # 3. unbounded readers
    "alias_bomb": Case(["catalog", "list", "accelerators", "--catalog", "{dir}"], 2, ("alias",),
                       {"accelerators.yaml": BOMB}),
    "nested_brackets": Case(["catalog", "list", "accelerators", "--catalog", "{dir}"], 2, ("accelerators.yaml",),
                            {"accelerators.yaml": "schema_version: 1\nrows: " + "[" * 50_000}),
    "unhashable_key": Case(["catalog", "list", "accelerators", "--catalog", "{dir}"], 2, ("accelerators.yaml",),
                           {"accelerators.yaml": "schema_version: 1\nrows:\n  - ? [a, b]\n    : 1\n"}),
    "huge_instance": Case(["plan", "--model", "llama-3.1-8b", "--rate-rps", "1", "--isl", "10", "--osl", "10",
                           "--catalog", "{dir}"], 2, ("accelerator_count",),
                          {"offers.csv": OFFERS + "big,lambda,us,x,h100-sxm,1e26,USD,1,,,,quote,2026-10-01,datasheet,\n"}),
    # 4. model import trusting types
    **{f"hf_{name}": Case(["model", "import", "{dir}/config.json"], 2, (key,), {"config.json": _hf(change)})
       for name, key, change in [
           ("layers_word", "num_hidden_layers", {"num_hidden_layers": "thirty-two"}),
           ("hidden_nan", "hidden_size", {"hidden_size": float("nan")}),
           ("hidden_inf", "hidden_size", {"hidden_size": float("inf")}),
           ("vocab_huge", "vocab_size", {"vocab_size": 10**400}),
           ("list_for_number", "intermediate_size", {"intermediate_size": [1, 2]}),
           ("zero_heads", "num_attention_heads", {"num_attention_heads": 0}),
           ("quant_string", "quantization_config", {"quantization_config": "fp8"}),
           ("sliding_word", "sliding_window", {"sliding_window": "big", "use_sliding_window": True}),
       ]},
    "hf_text_config": Case(["model", "import", "{dir}/config.json"], 2, ("text_config",),
                           {"config.json": json.dumps({**json.loads((HF / "gemma-3-27b" / "config.json").read_text()),
                                                       "text_config": "oops"})}),
    "hf_mlp_only_layers": Case(["model", "import", "{dir}/config.json"], 2, ("mlp_only_layers",),
                               {"config.json": json.dumps({**json.loads((HF / "qwen3-30b-a3b" / "config.json").read_text()),
                                                           "mlp_only_layers": 5})}),
    # 5. bad values accepted or mis-explained
    "compare_osl_zero": Case(["compare", "--model", "llama-3.3-70b", "--isl", "100", "--osl", "0"], 2, ("osl = 0",)),
    "isl_nan": Case(["compare", "--model", "llama-3.3-70b", "--isl", "nan", "--osl", "100"], 2, ("isl = nan",)),
    "isl_inf": Case(["compare", "--model", "llama-3.3-70b", "--isl", "inf", "--osl", "100"], 2, ("isl = inf",)),
    "isl_zero_not_memory": Case(["estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--isl", "0",
                                 "--osl", "10"], 2, ("isl = 0",)),
    "validate_inf": Case(["validate", "{dir}/v.csv"], 2, ("value",),
                         {"v.csv": ",".join(VALIDATION_HEADER) + "\n"
                          + "A,llama-3.1-8b,h100-sxm,1,fp8,offline,100,100,,,trtllm,output_tok_per_s,inf,made up\n"}),
    "validate_header_only": Case(["validate", "{dir}/v.csv"], 2, ("no data rows",),
                                 {"v.csv": ",".join(VALIDATION_HEADER) + "\n"}),
    "validate_all_skipped": Case(["validate", "{dir}/v.csv", "--json"], 2, ("no row could be scored",),
                                 {"v.csv": ",".join(VALIDATION_HEADER) + "\n"
                                  + "A,no-model,h100-sxm,1,fp8,offline,100,100,,,trtllm,output_tok_per_s,5,made up\n"}),
    "validate_bad_fidelity": Case(["validate", str(ROOT / "validation" / "measured.csv"), "--fidelity", "x"], 2,
                                  ("fidelity = 'x'",)),
    "count_of_an_8_gpu_offer": Case(["cost", "--model", "llama-3.1-8b", "--offer", "lambda-h100-8", "--count", "3",
                                     "--isl", "100", "--osl", "100"], 2, ("whole instances of 8",)),
    "negative_revenue": Case(["gigawatt", "--model", "llama-3.1-8b", "--isl", "100", "--osl", "100", "--mw", "10",
                              "--accelerator", "h100-sxm", "--price-usd-per-mtok", "-1"], 2, ("price_usd_per_mtok",)),
    "mw_and_facility": Case(["gigawatt", "--model", "llama-3.1-8b", "--isl", "100", "--osl", "100", "--mw", "10",
                             "--facility", "stargate-abilene"], 2, ("not both",)),
    "facility_zero_power": Case(["catalog", "list", "facilities", "--catalog", "{dir}"], 2, ("operating_power_w",),
                                {"facilities.yaml": "schema_version: 1\nrows:\n  - id: f\n    name: F\n    owner: O\n"
                                 "    location: L\n    country: FR\n    operating_power_w: 0\n    status: operating\n"
                                 "    source: a press release\n    as_of: 2026-01-01\n    kind: measured\n"}),
    "as_of_9999": Case(["catalog", "list", "accelerators", "--catalog", "{dir}"], 2, ("as_of",),
                       {"accelerators.yaml": CHIP.replace("as_of: 2026-10-01", "as_of: 9999-12-31")}),
    # 6. data safety of model import --save
    "save_onto_a_file": Case(["model", "import", str(HF / "qwen3-8b"), "--save", "{dir}/x.txt"], 2, ("x.txt",),
                             {"x.txt": "mine\n"}),
    "save_existing_id": Case(["model", "import", str(HF / "qwen3-8b"), "--id", "qwen3-8b", "--save", "{dir}"], 2,
                             ("--force",), {"models.yaml": "# my notes\n" + yaml.safe_dump(
                                 {"schema_version": 1, "rows": [read_hf_config(HF / "qwen3-8b", "qwen3-8b").model_dump(
                                     mode="json", exclude_none=True)]}, sort_keys=False)}),
    # 7. more chips are never worse (the count-11 case of the report)
    "eleven_h100": Case(["estimate", "--model", "llama-2-70b", "--accelerator", "h100-sxm", "--count", "11", "--isl",
                         "222", "--osl", "290", "--json"], 0, ("idle_accelerators_per_instance",)),
    # 8. guidance
    "region_lower_case": Case(["plan", "--model", "llama-3.1-8b", "--rate-rps", "2", "--isl", "1000", "--osl", "200",
                               "--region", "fr", "--objective", "cost", "--json"], 0, ("\"country\": \"FR\"",)),
    "unknown_subject_hint": Case(["sovereignty", "nobodyxyz"], 2, ("tokenfab catalog list offers' or 'tokenfab catalog "
                                                                   "list providers",)),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return run_cases(CASES, tmp_path_factory)


@pytest.mark.parametrize("name", list(CASES))
def test_reproduction(results, name):
    check_case(name, CASES[name], results[name], help_cases=("bare_tokenfab",))
