"""Block-scaled FP8 weights (DeepSeek-V3/R1's 128 x 128 scales) against hand calculations: the
importer reads ``weight_block_size``, the FP8 precision of such a model takes the ``fp8_block``
efficiency key, and its GEMMs run at the measured fraction of the per-tensor FP8 kernel pinned in
efficiency.yaml ``block_scaled_fp8`` (dense and routed experts apart, attention untouched)."""

from __future__ import annotations

import copy
import json

import pytest

from tests.conftest import FIXTURES
from tests.engine.test_step_physics import HW, arrays
from tokenfab.catalog import load_catalog
from tokenfab.catalog.assumptions import efficiency_table
from tokenfab.catalog.hf_config import read_hf_config
from tokenfab.catalog.model_spec import ModelSpec
from tokenfab.deployment.problem import precisions
from tokenfab.engine import Efficiency, ParallelConfig
from tokenfab.engine.arrays import ROOFLINE
from tokenfab.engine.efficiency import block_scale_factors, efficiency_arrays
from tokenfab.engine.serving import pass_time
from tokenfab.errors import CatalogError, InputError

HF = FIXTURES / "hf_configs"


def _config(tmp_path, **quant):
    cfg = json.loads((HF / "deepseek-v3" / "config.json").read_text())
    cfg["quantization_config"] = quant
    path = tmp_path / "m" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps(cfg))
    return path


def test_importer_reads_block_scales(tmp_path):
    # DeepSeek-V3's own config.json: quant_method fp8, weight_block_size [128, 128]
    assert read_hf_config(HF / "deepseek-v3" / "config.json").fp8_block_scales is True
    # a per-tensor FP8 checkpoint (no weight_block_size) is not block-scaled
    assert read_hf_config(_config(tmp_path, quant_method="fp8")).fp8_block_scales is False


def test_importer_refuses_a_malformed_block_size(tmp_path):
    with pytest.raises(InputError) as e:
        read_hf_config(_config(tmp_path, quant_method="fp8", weight_block_size=[128, -1]))
    msg = str(e.value)
    assert "weight_block_size" in msg and "[128, -1]" in msg and "\n" not in msg


def test_block_scales_need_an_fp8_release():
    row = load_catalog().model("llama-3.1-8b").model_dump()
    with pytest.raises(ValueError, match="fp8_block_scales needs release_dtype 'fp8'"):
        ModelSpec(**{**row, "fp8_block_scales": True})


def test_precision_takes_the_block_scaled_key():
    cat = load_catalog()
    h200 = cat.accelerator("h200")
    r1 = precisions(cat, cat.model("deepseek-r1"), h200, ["fp8"], None, None)[0]
    assert (r1.compute_dtype, r1.efficiency_dtype) == ("fp8", "fp8_block")
    llama = precisions(cat, cat.model("llama-3.1-70b"), h200, ["fp8"], None, None)[0]
    assert llama.efficiency_dtype == "fp8"  # Meta's and ModelOpt's FP8 checkpoints scale per tensor
    bf16 = precisions(cat, cat.model("deepseek-r1"), h200, ["bf16"], None, None)[0]
    assert bf16.efficiency_dtype == "bf16"


def _applied():
    """The shipped table with the measured block-scale factors switched on."""
    t = copy.deepcopy(efficiency_table())
    t["block_scaled_fp8"]["applied"] = True
    return t


def test_shipped_table_applies_it_and_off_leaves_the_physics_unchanged():
    """Shipped with ``applied: true`` (fortieth session): block-scaled FP8 on Hopper computes at 0.88
    of the per-tensor rate, experts at 0.63 of it; with ``applied: false`` as per-tensor FP8."""
    t = efficiency_table()
    assert t["block_scaled_fp8"]["applied"] is True
    off = copy.deepcopy(t)
    off["block_scaled_fp8"]["applied"] = False
    for fid in ("derated", "calibrated"):
        e = efficiency_arrays(t, ["h200", "h200"], ["trtllm", "trtllm"], ["fp8", "fp8_block"], fid)
        assert e.compute_eff[1] == pytest.approx(0.88 * e.compute_eff[0], rel=1e-12)
        assert e.expert_compute_scale[1] == pytest.approx(0.63 / 0.88, rel=1e-12)
        e = efficiency_arrays(off, ["h200", "h200"], ["trtllm", "trtllm"], ["fp8", "fp8_block"], fid)
        assert e.compute_eff[1] == e.compute_eff[0] and e.expert_compute_scale[1] == 1.0


def test_factors_per_architecture():
    t = _applied()
    # Hopper: dense 0.88 of the per-tensor kernel, experts 0.63 of it = 0.63 / 0.88 of the dense one
    dense, experts = block_scale_factors(t, "h100-sxm", "fp8_block")
    assert (dense, experts) == pytest.approx((0.88, 0.63 / 0.88))
    assert block_scale_factors(t, "h200", "fp8_block") == (dense, experts)  # one architecture
    assert block_scale_factors(t, "b200", "fp8_block") == (1.0, 1.0)
    assert block_scale_factors(t, "l40s", "fp8_block") == (0.48, 1.0)  # no MoE table: experts as dense
    assert block_scale_factors(t, "mi300x", "fp8_block") == (1.0, 1.0)  # not measured
    assert block_scale_factors(t, "h100-sxm", "fp8") == (1.0, 1.0)  # per-tensor FP8


def test_a_bad_factor_is_refused_in_one_line():
    t = _applied()
    t["block_scaled_fp8"]["dense"]["nvidia-hopper"] = 1.7
    with pytest.raises(CatalogError, match=r"block_scaled_fp8 dense nvidia-hopper = 1.7. Fix: a fraction in \(0, 1\]"):
        block_scale_factors(t, "h100-sxm", "fp8_block")


@pytest.mark.parametrize("fidelity", ["derated", "calibrated"])
def test_efficiency_columns(fidelity):
    t = _applied()
    e = efficiency_arrays(t, ["h100-sxm", "h100-sxm"], ["trtllm", "trtllm"], ["fp8", "fp8_block"], fidelity)
    # dense GEMMs at 0.88 of the per-tensor figure; attention (not a block-scaled GEMM) unchanged
    assert e.compute_eff[1] == pytest.approx(0.88 * e.compute_eff[0], rel=1e-12)
    assert e.attention_eff[1] == e.attention_eff[0]
    assert (e.expert_compute_scale[0], e.expert_compute_scale[1]) == pytest.approx((1.0, 0.63 / 0.88))
    roof = efficiency_arrays(t, ["h100-sxm"], ["trtllm"], ["fp8_block"], "roofline")
    assert (roof.compute_eff[0], roof.expert_compute_scale[0]) == (1.0, 1.0)


def test_expert_time_scales_with_the_expert_factor():
    """One MoE layer of Qwen3-30B-A3B (no attention output, no LM head) on a made-up 1 PFLOP/s
    device with unbounded bandwidth: routed-expert FLOPs per token 2 * 8 * 3 * 2048 * 768 =
    75,497,472; at half the expert rate 8,192 tokens take 75,497,472 * 8192 / 1e15 s longer."""
    hw = HW
    m = arrays("qwen3-30b-a3b", num_layers=1, num_moe_layers=1, vocab_size=0)
    n = 8192
    c = ParallelConfig.stack([dict(tp=1, pp=1, ep=1, replicas=1, dp_attention=0, weight_bytes_per_param=1.0,
                                   kv_bytes_per_element=1.0, gemm_flop_per_s=1e15, attention_flop_per_s=1e15,
                                   isl=n, osl=100, chunk_tokens=8192, disaggregated=0)])
    base = pass_time(m, hw, Efficiency.stack([ROOFLINE]), c, n_decode=0, context=0, n_prefill=n)
    half = pass_time(m, hw, Efficiency.stack([{**ROOFLINE, "expert_compute_scale": 0.5}]), c,
                     n_decode=0, context=0, n_prefill=n)
    assert half.compute_s[0] - base.compute_s[0] == pytest.approx(75_497_472 * n / 1e15, rel=1e-9)


def test_measured_fidelity_reads_the_block_scaled_tables():
    """With the optional database, the block-scaled key looks up aiconfigurator's fp8_block GEMMs:
    on H200 a large block-scaled GEMM is slower than the per-tensor one (0.86 of it at 32,768 rows,
    benchmarks/fp8_block_kernels.py) and still a large share of the 1,979 TFLOP/s FP8 peak."""
    import importlib.util

    if importlib.util.find_spec("aiconfigurator_core") is None:
        pytest.skip("optional extra tokenfab[measured] not installed")
    pytest.importorskip("pyarrow")
    from tokenfab.engine import measured_kernels as mk

    block_id, tensor_id = mk.register("h200", "trtllm", "fp8_block"), mk.register("h200", "trtllm", "fp8")
    assert block_id > 0 and mk.curve(block_id).label().endswith("fp8_block")
    block, tensor = float(mk.gemm_rate(block_id, 32768)), float(mk.gemm_rate(tensor_id, 32768))
    assert 0.5 * 1979e12 < block < tensor


def test_estimate_names_the_block_scaled_tables():
    """An estimate at the measured fidelity says it took DeepSeek-R1's FP8 GEMMs from the
    block-scaled tables (the ones the engine looked up), not the per-tensor ones."""
    import importlib.util

    if importlib.util.find_spec("aiconfigurator_core") is None:
        pytest.skip("optional extra tokenfab[measured] not installed")
    from tests.conftest import cli

    proc = cli("estimate", "--model", "deepseek-r1", "--accelerator", "h200", "--count", "8", "--isl", "1000",
               "--osl", "1000", "--weights", "fp8", "--scenario", "offline", "--fidelity", "measured", "--json")
    assert proc.returncode == 0, proc.stderr
    line = next(a["value"] for a in json.loads(proc.stdout)["assumptions"] if a["name"] == "measured_kernels")
    assert " h200_sxm trtllm " in line and line.split(";")[0].split("gemm (")[1].split(")")[0].endswith("fp8_block")


@pytest.mark.parametrize("model,accelerator,expected", [
    ("deepseek-r1", "h200", "run them at 0.88 of the per-tensor FP8 rate on dense GEMMs, 0.63 on routed experts"),
    ("deepseek-r1", "b200", None),  # Blackwell's block-scaled MMA: no loss to report
    ("llama-3.3-70b", "h200", None),  # per-tensor FP8 checkpoint
])
def test_estimate_says_how_block_scales_are_costed(model, accelerator, expected):
    from tests.conftest import cli

    proc = cli("estimate", "--model", model, "--accelerator", accelerator, "--count", "8", "--isl", "1000",
               "--osl", "1000", "--weights", "fp8", "--scenario", "offline", "--json")
    assert proc.returncode == 0, proc.stderr
    notes = [n for n in json.loads(proc.stdout)["notes"] if "per-block scales" in n]
    if expected is None:
        assert notes == []
    else:
        assert len(notes) == 1 and expected in notes[0] and "costed so" in notes[0]
