"""The validate format's optional concurrency column (a benchmark's --max-concurrency, whole
deployment), and the efficiency overlay a calibration writes."""

from __future__ import annotations

import pytest

import tokenfab
from tests.conftest import ROOT, assert_one_line_error, cli
from tokenfab.accuracy.measured import VALIDATION_HEADER, read_measured
from tokenfab.catalog import load_catalog
from tokenfab.errors import CatalogError, InputError

ROW = "c1,llama-3.1-8b,h100-sxm,1,bf16,offline,1024,256,,,vllm,output_tok_per_s,500,my run"


def test_concurrency_column_is_optional_and_read(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text(",".join(VALIDATION_HEADER) + "\n" + ROW + "\n", encoding="utf-8")
    assert read_measured(plain)[0].concurrency is None
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(",".join(VALIDATION_HEADER) + ",concurrency\n" + ROW + ",16\n", encoding="utf-8")
    assert read_measured(fixed)[0].concurrency == 16
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(VALIDATION_HEADER) + ",concurency\n" + ROW + ",16\n", encoding="utf-8")
    with pytest.raises(InputError, match="optionally followed by 'concurrency,speculative,"):
        read_measured(bad)
    zero = tmp_path / "zero.csv"
    zero.write_text(",".join(VALIDATION_HEADER) + ",concurrency\n" + ROW + ",0\n", encoding="utf-8")
    with pytest.raises(InputError, match="concurrency"):
        read_measured(zero)


def test_fixed_concurrency_row_is_predicted_at_that_concurrency(tmp_path):
    """validate predicts the row at concurrency 16, the same figure estimate gives at 16 (one
    evaluation), and not the best-throughput concurrency it searches without the column."""
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(",".join(VALIDATION_HEADER) + ",concurrency\n" + ROW + ",16\n", encoding="utf-8")
    rep = tokenfab.measure_accuracy(fixed)
    at16 = tokenfab.estimate(model="llama-3.1-8b", accelerator="h100-sxm", count=1, weights="bf16", stack="vllm",
                             isl=1024, osl=256, concurrency=16)
    assert rep.rows[0].predicted == pytest.approx(at16.performance.throughput_output_tok_per_s, rel=1e-9)
    plain = tmp_path / "plain.csv"
    plain.write_text(",".join(VALIDATION_HEADER) + "\n" + ROW + "\n", encoding="utf-8")
    assert tokenfab.measure_accuracy(plain).rows[0].predicted > 2 * rep.rows[0].predicted  # offline: far larger batch


def test_kv_dtype_and_osl_cv_columns_predict_as_estimate_does(tmp_path):
    """A row stating its KV-cache format and its output-length spread is predicted as estimate
    predicts that deployment with --kv and --osl-cv (one evaluation); a BF16 cache and a wide
    spread each hold more KV per sequence, so each predicts less than the plain row."""
    row = "k1,llama-3.1-70b,h100-sxm,8,fp8,offline,1000,1000,,,trtllm,output_tok_per_s,9000,my run,,"
    cols = ",".join(VALIDATION_HEADER) + ",concurrency,speculative,kv_dtype,osl_cv\n"
    f = tmp_path / "kv.csv"
    f.write_text(cols + row + ",,\n" + row.replace("k1", "k2") + ",bf16,\n" + row.replace("k1", "k3") + ",,1.2\n",
                 encoding="utf-8")
    got = {r.id: r.predicted for r in tokenfab.measure_accuracy(f).rows}
    kw = dict(model="llama-3.1-70b", accelerator="h100-sxm", count=8, weights="fp8", stack="trtllm", isl=1000,
              osl=1000, scenario="offline")
    assert got["k2"] == pytest.approx(tokenfab.estimate(kv="bf16", **kw).performance.throughput_output_tok_per_s,
                                      rel=1e-9)
    assert got["k3"] == pytest.approx(tokenfab.estimate(osl_cv=1.2, **kw).performance.throughput_output_tok_per_s,
                                      rel=1e-9)
    assert got["k2"] < got["k1"] and got["k3"] < got["k1"]
    bad = tmp_path / "bad.csv"
    bad.write_text(cols + row + ",fp4,\n", encoding="utf-8")
    with pytest.raises(InputError, match="kv_dtype"):
        read_measured(bad)


def test_shipped_validation_unchanged_without_the_column():
    rep = tokenfab.measure_accuracy(ROOT / "validation" / "measured.csv")
    data_rows = [ln for ln in (ROOT / "validation" / "measured.csv").read_text().splitlines()[1:] if ln.strip()]
    assert rep.n_rows == len(data_rows) and rep.mape is not None and rep.mape < 0.25


def _overlay(tmp_path, body: str):
    d = tmp_path / "ov"
    d.mkdir(exist_ok=True)
    (d / "efficiency.yaml").write_text(body, encoding="utf-8")
    return d


GOOD = """schema_version: 1
calibrated:
  accelerator_stacks:
    h100-sxm:
      vllm: {compute_scale: 0.5, memory_eff: 0.5, overhead_s: 0.01, calibrated_on_runs: 3, source: my runs}
"""


def test_overlay_loads_and_applies_to_that_pair_only(tmp_path):
    cat = load_catalog(_overlay(tmp_path, GOOD))
    assert cat.efficiency["calibrated"]["accelerator_stacks"]["h100-sxm"]["vllm"]["calibrated_on_runs"] == 3
    assert cat.efficiency["calibrated"]["stacks"] == load_catalog().efficiency["calibrated"]["stacks"]
    ev = tokenfab.estimate(model="llama-3.1-8b", accelerator="h100-sxm", count=1, stack="vllm", isl=1000, osl=200,
                           concurrency=8, catalog=cat)
    assert "efficiency of h100-sxm x vllm calibrated on 3 of your runs (my runs)" in ev.notes


@pytest.mark.parametrize("body,needle", [
    (GOOD.replace("memory_eff: 0.5", "memory_eff: 1.5"), "memory_eff"),
    (GOOD.replace("calibrated_on_runs: 3, ", ""), "calibrated_on_runs"),
    (GOOD + "derated: {memory_eff: 1}\n", "calibrated: accelerator_stacks"),
    (GOOD.replace("h100-sxm:", "H100 SXM:"), "is not an id"),
])
def test_bad_overlay_is_one_line(tmp_path, body, needle):
    d = _overlay(tmp_path, body)
    with pytest.raises(CatalogError, match=needle):
        load_catalog(d)
    assert_one_line_error(cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--isl", "100",
                              "--osl", "10", "--catalog", str(d)), needle, code=2)
