"""`tokenfab estimate` and `tokenfab validate` as a user runs them."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT, assert_one_line_error, run_cli

REQUIRED_KEYS = {
    "throughput_output_tok_per_s", "ttft_s", "tpot_s", "concurrency", "tp", "pp", "ep", "replicas",
    "fits_in_memory", "memory_per_device_bytes", "bound", "fidelity",
}


def test_estimate_json_has_the_documented_keys():
    proc = run_cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--count", "1",
                   "--isl", "1000", "--osl", "1000", "--weights", "fp8", "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert REQUIRED_KEYS <= set(d)
    assert d["fidelity"] == "calibrated" and d["fits_in_memory"] is True
    assert d["bound"] in ("compute", "memory", "communication", "overhead")
    # TensorRT-LLM's published H100 FP8 figure for this workload is 15,220 tok/s (validation GT112)
    assert 15_220 * 0.7 < d["throughput_output_tok_per_s"] < 15_220 * 1.3


def test_estimate_says_which_split_it_chose():
    proc = run_cli("estimate", "--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--count", "8",
                   "--isl", "1000", "--osl", "200")
    assert proc.returncode == 0, proc.stderr
    assert "parallelism chosen by the engine" in proc.stderr
    assert "throughput" in proc.stdout and "TPOT" in proc.stdout


def test_given_parallelism_is_used():
    proc = run_cli("estimate", "--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--count", "8",
                   "--tp", "8", "--pp", "1", "--isl", "1000", "--osl", "200", "--concurrency", "64", "--json")
    d = json.loads(proc.stdout)
    assert (d["tp"], d["pp"], d["replicas"], d["concurrency"]) == (8, 1, 1, 64)
    assert d["parallelism_chosen_by_engine"] is False


def test_server_limits_are_respected():
    proc = run_cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "h200", "--count", "1", "--isl", "1000",
                   "--osl", "500", "--scenario", "server", "--ttft-max-s", "1", "--tpot-max-s", "0.03", "--json")
    d = json.loads(proc.stdout)
    assert d["slo_met"] and d["tpot_p99_s"] <= 0.03 and d["ttft_p99_s"] <= 1


def test_fidelity_ordering():
    """Peaks-only is the most optimistic; efficiency factors only slow things down."""
    out = {}
    for fid in ("roofline", "derated", "calibrated"):
        proc = run_cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--isl", "2000",
                       "--osl", "200", "--fidelity", fid, "--concurrency", "32", "--json")
        out[fid] = json.loads(proc.stdout)["throughput_output_tok_per_s"]
    assert out["roofline"] > out["derated"] > out["calibrated"]


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--count", "8", "--tp", "3"], "tp = 3 does not divide"),
        (["--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--count", "6", "--tp", "6"],
         "does not divide num_attention_heads = 64"),
        (["--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--weights", "fp4"], "h100-sxm has no fp4 compute peak"),
        (["--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--weights", "fp3"], "weights = 'fp3' is not a known dtype"),
        (["--model", "lama-3.1-70b", "--accelerator", "h100-sxm"], "did you mean 'llama-3.1-70b'"),
        (["--model", "llama-3.1-70b", "--accelerator", "h100-sxmm"], "did you mean 'h100-sxm'"),
        (["--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--ep", "2"], "dense model"),
        (["--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--scenario", "batch"], "scenario"),
        (["--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--count", "0"], "count = 0"),
        (["--model", "llama-3.1-70b", "--accelerator", "h100-sxm", "--tpot-max-s", "0.05"], "need --scenario server"),
        (["--model", "llama-3.1-70b", "--accelerator", "etched-sohu"], "publishes no dense FLOP/s peak"),
    ],
)
def test_nonsense_is_refused_in_one_line(args, needle):
    extra = [] if "--isl" in args else ["--isl", "100", "--osl", "100"]
    proc = run_cli("estimate", *args, *extra)
    assert proc.returncode == 2
    assert_one_line_error(proc, needle)


def test_zero_tokens_refused():
    proc = run_cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--isl", "0", "--osl", "10")
    assert_one_line_error(proc, "isl = 0")


def test_does_not_fit_is_an_expected_outcome():
    proc = run_cli("estimate", "--model", "llama-3.1-405b", "--accelerator", "l40s", "--isl", "100", "--osl", "100")
    assert proc.returncode == 3
    assert_one_line_error(proc, "cannot hold it", "811.7 GB")


def test_validate_json_and_exit_zero():
    proc = run_cli("validate", str(ROOT / "validation" / "measured.csv"), "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert {"rows", "mape"} <= set(d)
    assert {"id", "predicted", "measured", "ape"} <= set(d["rows"][0])
    assert len(d["rows"]) == 58 and d["skipped"] == []


def test_validate_table_lists_worst_rows(tmp_path):
    src = (ROOT / "validation" / "measured.csv").read_text().splitlines()
    bad_row = "X1,no-such-model,h100-sxm,1,fp8,offline,100,100,,,trtllm,output_tok_per_s,1000,made up"
    (tmp_path / "v.csv").write_text("\n".join(src[:4] + [bad_row]) + "\n")
    proc = run_cli("validate", str(tmp_path / "v.csv"))
    assert proc.returncode == 0
    assert "MAPE" in proc.stdout and "five worst" in proc.stdout
    assert "skipped X1: model 'no-such-model' is not in the catalog" in proc.stdout


def test_validate_bad_header(tmp_path):
    (tmp_path / "v.csv").write_text("id,model\nA,llama-3.1-8b\n")
    assert_one_line_error(run_cli("validate", str(tmp_path / "v.csv")), "header must be exactly")


def test_validate_bad_value(tmp_path):
    src = (ROOT / "validation" / "measured.csv").read_text().splitlines()
    broken = src[1].replace(",offline,", ",offlne,")
    (tmp_path / "v.csv").write_text("\n".join([src[0], broken]) + "\n")
    assert_one_line_error(run_cli("validate", str(tmp_path / "v.csv")), "v.csv:2", "scenario = 'offlne'")


def test_disaggregated_decode_steps_carry_no_prefill():
    """Disaggregation moves prompts to other replicas: at the same concurrency the decode step
    is no slower, and the deployment pays for the prefill replicas in throughput per GPU."""
    common = ["--model", "llama-3.1-70b", "--accelerator", "h200", "--count", "8", "--tp", "8", "--isl", "4000",
              "--osl", "300", "--concurrency", "64", "--json"]
    agg = json.loads(run_cli("estimate", *common).stdout)
    dis = json.loads(run_cli("estimate", *common, "--disaggregated").stdout)
    assert dis["disaggregated"] is True
    assert dis["tpot_s"] < agg["tpot_s"]
    assert dis["throughput_output_tok_per_s"] < 64 / dis["tpot_s"]  # extra prefill replicas counted


def test_validate_tpot_metric_against_mlperf_log(tmp_path):
    """MLPerf v5.1 GB200 Llama-2-70B Interactive (GT006 in shared measurements): mean TPOT 30.6 ms
    under a 40 ms p99 limit. The engine's mean TPOT must land within 50 % of it (the p99 factor
    alone spans 1.07-1.68 in the logs)."""
    header = (ROOT / "validation" / "measured.csv").read_text().splitlines()[0]
    row = ("T1,llama-2-70b,gb200,4,fp4,interactive,222.33,272.1,0.45,0.04,trtllm,tpot_s,0.0306,"
           "MLPerf Inference v5.1 closed NVIDIA GB200-NVL72 llama2-70b-99 Interactive mlperf_log_summary")
    (tmp_path / "t.csv").write_text(header + "\n" + row + "\n")
    d = json.loads(run_cli("validate", str(tmp_path / "t.csv"), "--json").stdout)
    assert d["rows"][0]["ape"] < 0.5, d["rows"][0]
