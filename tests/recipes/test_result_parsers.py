"""Every benchmark result reader on a real-format fixture (tests/fixtures/results/SOURCES.md),
with the expected figures worked out by hand from the files, and malformed or truncated files
refused in one line naming the file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, assert_one_line_error, cli
from tokenfab.accuracy.results import read_results
from tokenfab.errors import InputError

RES = FIXTURES / "results"


def test_vllm_bench_serve():
    (r,) = read_results(RES / "vllm_bench_serve.json")
    assert r.tool == "vllm bench serve"
    assert r.output_tok_per_s == 2649.42
    assert r.isl_tokens == pytest.approx(655360 / 640)  # = 1024 tokens
    assert r.osl_tokens == pytest.approx(163840 / 640)  # = 256
    assert r.concurrency == 64 and r.concurrency_basis == "max_concurrency"
    assert r.request_rate_per_s is None  # "inf": all requests at once
    assert r.tpot_mean_s == pytest.approx(0.02251)  # 22.51 ms
    assert r.ttft_p99_s == pytest.approx(0.9034)
    assert r.model_name == "meta-llama/Llama-3.1-8B-Instruct"


def test_sglang_jsonl_two_runs():
    runs = read_results(RES / "sglang_bench_serving.jsonl")
    assert [r.run for r in runs] == [1, 2]
    assert [r.output_tok_per_s for r in runs] == [1987.4, 3420.5]
    assert [r.concurrency for r in runs] == [32, 64]
    assert runs[0].isl_tokens == pytest.approx(327680 / 320)  # 1024
    assert runs[1].tpot_mean_s == pytest.approx(0.01757)
    assert runs[0].request_rate_per_s is None  # written as Infinity


def test_aiperf_real_export():
    (r,) = read_results(RES / "aiperf_profile_export_aiperf.json")
    assert r.output_tok_per_s == pytest.approx(1022443.0554692096)
    assert r.isl_tokens == 550.0 and r.osl_tokens == pytest.approx(551.203125)
    assert r.concurrency == 4 and r.concurrency_basis == "input_config.phases.0.concurrency"
    assert r.ttft_mean_s is None  # a non-streaming run has no TTFT
    assert r.model_name == "mock-model"


def test_guidellm_report():
    runs = read_results(RES / "guidellm_benchmarks.json")
    assert [r.concurrency for r in runs] == [8, 32]
    assert [r.output_tok_per_s for r in runs] == [474.9, 1410.6]
    assert runs[0].tpot_mean_s == pytest.approx(0.0164) and runs[1].ttft_mean_s == pytest.approx(0.1185)
    assert runs[0].isl_tokens == 512 and runs[0].osl_tokens == 128


def test_mlperf_summary_real():
    (r,) = read_results(RES / "mlperf_log_summary.txt")
    assert r.scenario == "server"
    assert r.output_tok_per_s == 29522.56
    assert r.osl_tokens == pytest.approx(29522.56 / 99.86)  # tokens/s over samples/s = 295.6 tokens
    assert r.ttft_limit_s == pytest.approx(2.0) and r.tpot_limit_s == pytest.approx(0.2)
    assert r.tpot_mean_s == pytest.approx(0.126269215) and r.ttft_mean_s == pytest.approx(0.963332124)
    assert r.concurrency is None


# ---------------------------------------------------------------- malformed and truncated


def _cut(src: Path, dst: Path, frac: float = 0.5) -> Path:
    text = src.read_text(encoding="utf-8")
    dst.write_text(text[: int(len(text) * frac)], encoding="utf-8")
    return dst


@pytest.mark.parametrize("name", ["vllm_bench_serve.json", "aiperf_profile_export_aiperf.json",
                                  "guidellm_benchmarks.json"])
def test_truncated_json_is_one_line(tmp_path, name):
    bad = _cut(RES / name, tmp_path / name)
    with pytest.raises(InputError, match="not valid JSON") as e:
        read_results(bad)
    assert str(bad) in str(e.value) and "\n" not in str(e.value)


def test_truncated_jsonl_names_the_line(tmp_path):
    lines = (RES / "sglang_bench_serving.jsonl").read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "s.jsonl"
    bad.write_text(lines[0] + "\n" + lines[1][:200] + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"s\.jsonl:2: not valid JSON"):
        read_results(bad)


@pytest.mark.parametrize("drop,field", [("completed", "completed"), ("request_throughput", "request_throughput")])
def test_missing_vllm_field_is_named(tmp_path, drop, field):
    doc = json.loads((RES / "vllm_bench_serve.json").read_text(encoding="utf-8"))
    del doc[drop]
    bad = tmp_path / "v.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match=f"field '{field}' is missing"):
        read_results(bad)


def test_non_number_is_named(tmp_path):
    doc = json.loads((RES / "vllm_bench_serve.json").read_text(encoding="utf-8"))
    doc["output_throughput"] = "fast"
    bad = tmp_path / "v.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match="field 'output_throughput' = 'fast' is not a finite number"):
        read_results(bad)


def test_mlperf_truncated_and_invalid(tmp_path):
    text = (RES / "mlperf_log_summary.txt").read_text(encoding="utf-8")
    cut = tmp_path / "cut.txt"
    cut.write_text(text[: text.index("Result is")], encoding="utf-8")
    with pytest.raises(InputError, match="field 'Result is' is missing"):
        read_results(cut)
    invalid = tmp_path / "invalid.txt"
    invalid.write_text(text.replace("Result is : VALID", "Result is : INVALID"), encoding="utf-8")
    with pytest.raises(InputError, match="INVALID"):
        read_results(invalid)


def test_unknown_and_empty_files(tmp_path):
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="not a result file tokenfab reads"):
        read_results(other)
    empty = tmp_path / "empty.json"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty file"):
        read_results(empty)


def test_cli_refuses_truncated_file_in_one_line(tmp_path):
    bad = _cut(RES / "vllm_bench_serve.json", tmp_path / "trunc.json")
    proc = cli("calibrate", str(bad), "--accelerator", "h100-sxm", "--count", "1", "--weights", "bf16",
               "--model", "llama-3.1-8b", "--save", str(tmp_path / "out"))
    assert_one_line_error(proc, "trunc.json", "not valid JSON", code=2)
    assert not (tmp_path / "out").exists()
