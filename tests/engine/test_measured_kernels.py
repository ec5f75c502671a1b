"""The ``measured`` fidelity: NVIDIA aiconfigurator's GEMM timings (optional extra tokenfab[measured]).

Expected values are worked out in the comments from the 12 database rows of
tests/fixtures/aiconfigurator/h100_sxm_trtllm_gemm_perf.csv (copied from aiconfigurator-core
0.12.0, cited in its header), never from tokenfab's output.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from tests.conftest import FIXTURES, assert_one_line_error, cli
from tokenfab.catalog import load_catalog
from tokenfab.deployment.problem import hardware_row, model_row
from tokenfab.engine import Efficiency, HardwareArrays, ModelArrays, ParallelConfig
from tokenfab.engine import measured_kernels as mk
from tokenfab.engine.arrays import ROOFLINE
from tokenfab.engine.efficiency import efficiency_arrays
from tokenfab.engine.serving import pass_time
from tokenfab.errors import InputError

FIXTURE = FIXTURES / "aiconfigurator" / "h100_sxm_trtllm_gemm_perf.csv"
MOE_FIXTURE = FIXTURES / "aiconfigurator" / "h100_sxm_trtllm_moe_perf.csv"
MOE_FIXTURE_B200 = FIXTURES / "aiconfigurator" / "b200_sxm_trtllm_moe_perf.csv"
MOE_INTS = ("num_tokens", "hidden_size", "inter_size", "topk", "num_experts", "moe_tp_size", "moe_ep_size")

# fp8 rows kept (n, k >= 4096; the n = 128 rows and the bfloat16 rows are left out):
#   m = 1:  2*1*4096*8192 / 0.02610933283964793e-3 s  and  2*1*8192*8192 / 0.03739733248949051e-3 s
#   m = 16: 2*16*4096*8192 / 0.027053333818912506e-3 s and 2*16*8192*8192 / 0.03770666569471359e-3 s
# the median of two values is their mean
RATE_M1 = (67_108_864 / 0.02610933283964793e-3 + 134_217_728 / 0.03739733248949051e-3) / 2  # ~3.08e12 FLOP/s
RATE_M16 = (1_073_741_824 / 0.027053333818912506e-3 + 2_147_483_648 / 0.03770666569471359e-3) / 2  # ~4.83e13


def _write(src, dest, ints):
    """Fixture rows back into a parquet file of the database's columns."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    with src.open() as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    cols = {c: [r[c] for r in rows] for c in rows[0]}
    for c in ints:
        cols[c] = [int(v) for v in cols[c]]
    cols["latency"] = [float(v) for v in cols["latency"]]
    dest.parent.mkdir(parents=True)
    pq.write_table(pa.table(cols), dest)


@pytest.fixture
def database(tmp_path, monkeypatch):
    """The fixture rows as parquet files where the database keeps them; ``database_root`` pointed there."""
    root = tmp_path / "data" / "h100_sxm"
    _write(FIXTURE, root / "gemm" / "trtllm" / "1.3.0rc20" / "gemm_perf.parquet", ("m", "n", "k"))
    _write(MOE_FIXTURE, root / "moe" / "trtllm" / "1.3.0rc20" / "moe_perf.parquet", MOE_INTS)
    _write(MOE_FIXTURE_B200, tmp_path / "data" / "b200_sxm" / "moe" / "trtllm" / "1.3.0rc20" / "moe_perf.parquet",
           MOE_INTS)
    monkeypatch.setattr(mk, "database_root", lambda: tmp_path / "data")
    return tmp_path / "data"


def test_adapter_reads_the_database_format(database):
    c = mk.load_curve(database, "h100-sxm", "trtllm", "fp8")
    assert (c.system, c.backend, c.version, c.gemm_dtype) == ("h100_sxm", "trtllm", "1.3.0rc20", "fp8")
    assert c.rate_flop_per_s[0] == pytest.approx(RATE_M1, rel=1e-12)  # M_GRID[0] = 1 token
    assert c.rate_flop_per_s[4] == pytest.approx(RATE_M16, rel=1e-12)  # M_GRID[4] = 16 tokens
    # bf16 on the same chip: m = 1 rows 2*4096*8192 / 0.03030933e-3 and 2*8192*8192 / 0.04918400e-3
    bf16 = mk.load_curve(database, "h100-sxm", "trtllm", "bf16")
    assert bf16.rate_flop_per_s[0] == pytest.approx(
        (67_108_864 / 0.03030933439731598e-3 + 134_217_728 / 0.0491839994986852e-3) / 2, rel=1e-12)


def test_interpolation_over_log2_tokens(database):
    cid = mk.register("h100-sxm", "trtllm", "fp8")
    assert cid >= 1
    rate = mk.gemm_rate([cid, cid, cid, cid, 0], [1, 4, 2, 1000, 4])
    # 4 tokens: log2 4 = 2 is half way from log2 1 = 0 to log2 16 = 4 -> the mean of the two rates
    assert rate[1] == pytest.approx(0.5 * RATE_M1 + 0.5 * RATE_M16, rel=1e-12)
    # 2 tokens: a quarter of the way
    assert rate[2] == pytest.approx(0.75 * RATE_M1 + 0.25 * RATE_M16, rel=1e-12)
    # beyond the largest measured m (16) the rate is held flat; id 0 = not covered
    assert rate[0] == pytest.approx(RATE_M1, rel=1e-12) and rate[3] == pytest.approx(RATE_M16, rel=1e-12)
    assert rate[4] == 0.0


def test_decode_step_uses_the_measured_gemm_rate(database):
    """Batch-1 decode of Llama-3.1-8B on one H100, FP8 weights: the dense GEMMs take
    FLOPs / measured rate at 1 token, attention stays the roofline KV read."""
    cat = load_catalog()
    m = ModelArrays.stack([model_row(cat.model("llama-3.1-8b"))])
    hw = HardwareArrays.stack([hardware_row(cat.accelerator("h100-sxm"))])
    eff = Efficiency.stack([dict(ROOFLINE, measured_gemm=mk.register("h100-sxm", "trtllm", "fp8"))])
    cfg = ParallelConfig.stack([dict(
        tp=1, pp=1, ep=1, replicas=1, dp_attention=0, weight_bytes_per_param=1.0, kv_bytes_per_element=2.0,
        gemm_flop_per_s=1979e12, attention_flop_per_s=989e12, isl=1000, osl=1, chunk_tokens=8192, disaggregated=0,
    )])
    t = pass_time(m, hw, eff, cfg, n_decode=1, context=1000, n_prefill=0)
    linear_flop = 15_009_316_864  # 32 layers x 436,207,616 + LM head 2 x 128256 x 4096 (test_hand_calculations)
    kv_read = 131_072 * 1000  # 32 layers x 8 kv heads x 128 x 2 (K, V) x 2 bytes x 1000 tokens
    assert t.total_s[0] == pytest.approx(linear_flop / RATE_M1 + kv_read / 3.35e12, rel=1e-9)


def test_not_covered_falls_back_to_the_calibrated_physics(database):
    table = load_catalog().efficiency
    args = (["mi300x", "h100-sxm", "tpu-v6e"], ["vllm-rocm", "vllm", "jax-xla"], ["fp8", "fp8", "bf16"])
    cal = efficiency_arrays(table, *args, "calibrated")
    mea = efficiency_arrays(table, *args, "measured")
    # mi300x and TPU have no table; h100 x vllm has none in this fixture (only trtllm)
    assert list(mea.measured_gemm) == [0, 0, 0]
    for f in ROOFLINE:
        if f not in ("measured_gemm", "context_attention_measured"):
            assert np.array_equal(getattr(mea, f), getattr(cal, f)), f
    # the measured fidelity reads the prompt-attention law (efficiency.yaml context_attention) wherever it has one,
    # whatever the table's 'applied' says for the other fidelities
    assert list(mea.context_attention_measured) == [1, 1, 1]
    assert mk.coverage_line("mi300x", "vllm-rocm", "fp8", 0).startswith("measured: none")
    cid = mk.register("h100-sxm", "trtllm", "fp8")
    line = mk.coverage_line("h100-sxm", "trtllm", "fp8", cid)
    assert "h100_sxm trtllm 1.3.0rc20 fp8" in line and line.endswith("physics: moe, attention, communication, overheads")
    # a dense model has no MoE part to name
    assert mk.coverage_line("h100-sxm", "trtllm", "fp8", cid, None, has_moe=False).endswith(
        "physics: attention, communication, overheads")
    # with a measured prompt-attention law, only decode attention is left to the physics
    line = mk.coverage_line("h100-sxm", "trtllm", "fp8", cid, None, False, "bf16 head 128")
    assert "prompt attention (h100_sxm trtllm bf16 head 128)" in line
    assert line.endswith("physics: decode attention, communication, overheads")


def test_moe_layer_time_from_the_table(database):
    """gpt-oss-120b MoE layer on H100, MXFP4 weights (BF16 compute), moe_tp 1 x moe_ep 4: the
    power_law_1.01 rows (aiconfigurator's default distribution) are used, not the balanced ones."""
    mid = mk.register_moe("h100-sxm", "trtllm", "bf16")
    assert mid >= 1
    shape = dict(hidden=2880, inter=2880, topk=4, experts=128, moe_tp=1, moe_ep=4, weight_bytes_per_param=4.25 / 8)
    t = mk.moe_time(mid, **shape, tokens=np.array([1, 8, 4, 16384, 32768, 0.5]))
    assert t[0] == pytest.approx(0.07383679747581481e-3, rel=1e-12)  # 1 token: the table's 0.0738 ms
    # 4 tokens: log2 4 = 2 is 2/3 of the way from log2 1 = 0 to log2 8 = 3
    assert t[2] == pytest.approx((0.07383679747581481 + 2 / 3 * (0.13502720594406128 - 0.07383679747581481)) * 1e-3,
                                 rel=1e-12)
    # beyond the largest count (16384) the time grows with the tokens: 32768 -> 2 x 3.74 ms; below 1 it stays flat
    assert t[4] == pytest.approx(2 * 3.7400447845458986e-3, rel=1e-12) and t[5] == pytest.approx(t[0], rel=1e-12)
    # a split, a shape or a dtype the table lacks is not measured (NaN: the physics is used)
    assert np.isnan(mk.moe_time(mid, **dict(shape, moe_ep=8), tokens=8))
    assert np.isnan(mk.moe_time(mid, **dict(shape, weight_bytes_per_param=2.0), tokens=8))  # bf16 weights
    assert np.isnan(mk.moe_time(0, **shape, tokens=8))
    line = mk.coverage_line("h100-sxm", "trtllm", "bf16", mk.register("h100-sxm", "trtllm", "bf16"),
                            mk.moe_label("h100-sxm", "trtllm", "bf16", (2880, 2880, 4, 128), 1, 4, 4.25 / 8))
    assert "moe (h100_sxm trtllm 1.3.0rc20 w4a16_mxfp4)" in line and line.endswith("physics: attention, communication, overheads")


def test_moe_layer_time_leaves_out_the_min_latency_mode(database):
    """Qwen3-30B-A3B's MoE layer on B200 in NVFP4: the table timed 64 and 128 tokens with the
    default CUTLASS kernels (0.157 / 0.163 ms) and with the min-latency mode (0.060 / 0.063 ms),
    the min-latency row first. A serving run's layer is the CUTLASS one at both counts (aiconfigurator
    keeps the min-latency rows in a view of their own); it used to be whichever row a sort put first."""
    mid = mk.register_moe("b200", "trtllm", "fp4")
    assert mid >= 1
    t = mk.moe_time(mid, hidden=2048, inter=768, topk=8, experts=128, moe_tp=1, moe_ep=1,
                    weight_bytes_per_param=4.5 / 8, tokens=np.array([64.0, 128.0]))
    assert t == pytest.approx([0.15661439895629883e-3, 0.16293760538101196e-3], rel=1e-12)


def test_moe_step_uses_the_measured_layer_time(database):
    """One gpt-oss-120b MoE layer alone (no attention, no LM head), 4 H100s as tp 4 x ep 4 with
    data-parallel attention, infinitely fast links: an 8-token step takes the table's 8-token
    layer time, 0.13502720594406128 ms (power_law_1.01 row), plus the router (a dense GEMM, by
    the roofline here): 2880 x 128 weights x 4.25/8 bytes = 195,840 bytes over 4 GPUs at 3.35 TB/s
    (its 2 x 368,640 x 8 FLOPs take 1e-12 s, far less)."""
    cat = load_catalog()
    row = dict(model_row(cat.model("gpt-oss-120b")), num_layers=1, num_moe_layers=1, num_attention_heads=0,
               num_kv_heads=0, head_dim=0, vocab_size=0, num_sliding_layers=0)
    m = ModelArrays.stack([row])
    hw = HardwareArrays.stack([dict(hardware_row(cat.accelerator("h100-sxm")), scale_up_bytes_per_s=np.inf)])
    eff = Efficiency.stack([dict(ROOFLINE, measured_moe=mk.register_moe("h100-sxm", "trtllm", "bf16"))])
    cfg = ParallelConfig.stack([dict(
        tp=4, pp=1, ep=4, replicas=1, dp_attention=1, weight_bytes_per_param=4.25 / 8, kv_bytes_per_element=1.0,
        gemm_flop_per_s=989e12, attention_flop_per_s=989e12, isl=1000, osl=1, chunk_tokens=8192, disaggregated=0,
    )])
    t = pass_time(m, hw, eff, cfg, n_decode=8, context=0, n_prefill=0)
    assert t.total_s[0] == pytest.approx(0.13502720594406128e-3 + 195_840 / 4 / 3.35e12, rel=1e-9)


def test_an_untimed_moe_split_keeps_the_per_token_work(database):
    """The same one-layer gpt-oss-120b step with a per-token MoE cost of 1e-12 s per element: where
    the table times the layer (tp 4 x ep 4) the cost adds nothing, the table's time holds that work;
    at ep 8, which the table lacks, the layer falls back to the physics and keeps the cost:
    1 layer x 8 tokens x top-4 x 2,880 hidden x 1e-12 s = 92.16 ns."""
    cat = load_catalog()
    row = dict(model_row(cat.model("gpt-oss-120b")), num_layers=1, num_moe_layers=1, num_attention_heads=0,
               num_kv_heads=0, head_dim=0, vocab_size=0, num_sliding_layers=0)
    m = ModelArrays.stack([row])
    hw = HardwareArrays.stack([dict(hardware_row(cat.accelerator("h100-sxm")), scale_up_bytes_per_s=np.inf)])
    mid = mk.register_moe("h100-sxm", "trtllm", "bf16")

    def step(split: int, cost: float) -> float:
        eff = Efficiency.stack([dict(ROOFLINE, measured_moe=mid, moe_token_cost_s_per_element=cost)])
        cfg = ParallelConfig.stack([dict(
            tp=split, pp=1, ep=split, replicas=1, dp_attention=1, weight_bytes_per_param=4.25 / 8,
            kv_bytes_per_element=1.0, gemm_flop_per_s=989e12, attention_flop_per_s=989e12, isl=1000, osl=1,
            chunk_tokens=8192, disaggregated=0)])
        return float(pass_time(m, hw, eff, cfg, n_decode=8, context=0, n_prefill=0).total_s[0])

    assert step(4, 1e-12) == step(4, 0.0)
    assert step(8, 1e-12) - step(8, 0.0) == pytest.approx(8 * 4 * 2880 * 1e-12, rel=1e-9)


def test_without_the_extra_one_clear_error(monkeypatch):
    monkeypatch.setattr(mk, "PACKAGE", "tokenfab_no_such_package")
    with pytest.raises(InputError, match=r"pip install 'tokenfab\[measured\]'"):
        efficiency_arrays(load_catalog().efficiency, ["h100-sxm"], ["trtllm"], ["fp8"], "measured")
    proc = cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--isl", "1000", "--osl", "200",
               "--fidelity", "measured")
    assert_one_line_error(proc)
    assert "tokenfab[measured]" in proc.stderr


def _installed() -> None:
    import importlib.util

    if importlib.util.find_spec("aiconfigurator_core") is None:
        pytest.skip("optional extra tokenfab[measured] not installed")
    pytest.importorskip("pyarrow")


def test_real_database_h100_fp8_large_gemm_near_the_datasheet():
    _installed()
    rate = float(mk.gemm_rate(mk.register("h100-sxm", "trtllm", "fp8"), 8192))
    # H100 SXM dense FP8 peak 1,979 TFLOP/s (NVIDIA datasheet): a large GEMM reaches most of it
    assert 0.5 * 1979e12 < rate < 1979e12


def test_estimate_says_what_was_measured():
    _installed()
    proc = cli("estimate", "--model", "llama-3.3-70b", "--accelerator", "h200", "--count", "2", "--isl", "1024", "--osl",
               "8192", "--weights", "fp8", "--scenario", "offline", "--fidelity", "measured", "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    line = next(a["value"] for a in d["assumptions"] if a["name"] == "measured_kernels")
    assert line.startswith("measured: gemm (aiconfigurator-core ") and " h200_sxm trtllm " in line
    # TensorRT-LLM's published H200 TP2 FP8 figure: 2,009 tok/s/GPU x 2 = 4,018 tok/s (holdout row HO028)
    assert 4_018 * 0.7 < d["performance"]["throughput_output_tok_per_s"] < 4_018 * 1.3
