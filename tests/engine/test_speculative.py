"""Speculative decoding / MTP against hand calculations (docs/engine.md "Speculative decoding").

Expected values are computed in the comments from the published architectures and the
formula of Leviathan et al. 2023, never taken from tokenfab's output."""

from __future__ import annotations

import pytest

from tests.conftest import assert_one_line_error, cli
from tokenfab.catalog import load_catalog
from tokenfab.deployment.evaluate import evaluate_deployment
from tokenfab.deployment.problem import hardware_row, model_row
from tokenfab.engine import Efficiency, HardwareArrays, ModelArrays, ParallelConfig
from tokenfab.engine.arrays import ROOFLINE
from tokenfab.engine.serving import step_time
from tokenfab.engine.speculative import draft_weight_bytes, tokens_per_step


def arrays(model_id: str) -> ModelArrays:
    return ModelArrays.stack([model_row(load_catalog().model(model_id))])


def test_tokens_per_step_is_the_leviathan_formula():
    # DeepSeek-V3 report: 1 MTP token, acceptance 0.85 -> E = (1 - 0.85^2) / 0.15 = 1 + 0.85 = 1.85
    assert tokens_per_step(0.85, 1) == pytest.approx(1.85)
    # k = 3, a = 0.72: 1 + 0.72 + 0.5184 + 0.373248 = 2.611648 (NVIDIA's Kimi-K2.6 EAGLE-3 head: 2.62)
    assert tokens_per_step(0.72, 3) == pytest.approx(2.611648)
    assert tokens_per_step(0.72, 3) == pytest.approx(2.62, abs=0.01)
    # every draft accepted: k + 1; nothing drafted: exactly 1 whatever a
    assert tokens_per_step(1.0, 3) == 4.0
    assert tokens_per_step(0.9, 0) == 1.0


def test_deepseek_mtp_module_weights_match_the_published_14b():
    m = arrays("deepseek-v3")
    # one MoE layer: MLA 187,105,280 + routed 256*3*7168*2048 = 11,274,289,152 + shared 3*7168*2048 = 44,040,192
    # + router 7168*256 = 1,835,008; LM head and embedding 129,280*7168 = 926,679,040 each
    params = 187_105_280 + 11_274_289_152 + 44_040_192 + 1_835_008 + 2 * 926_679_040
    assert params == 13_360_627_712
    assert draft_weight_bytes(m, 1, 1, 2.0)[0] == 2 * params  # bf16 everywhere
    # DeepSeek-V3 README: 685B checkpoint = 671B main model + 14B MTP module
    assert params == pytest.approx(14e9, rel=0.05)
    assert draft_weight_bytes(m, 0, 0, 2.0)[0] == 0


def _llama8b_h100(**spec):
    cat = load_catalog()
    cfg = ParallelConfig.stack([dict(
        tp=1, pp=1, ep=1, replicas=1, dp_attention=0, weight_bytes_per_param=2.0, kv_bytes_per_element=2.0,
        gemm_flop_per_s=989e12, attention_flop_per_s=989e12, isl=1000, osl=200, chunk_tokens=8192, disaggregated=0,
        **spec)])
    hw = HardwareArrays.stack([hardware_row(cat.accelerator("h100-sxm"))])
    return arrays("llama-3.1-8b"), hw, Efficiency.stack([ROOFLINE]), cfg


def test_batch_one_step_reads_weights_once_and_pays_k_draft_passes():
    """Llama-3.1-8B, one H100, roofline, batch 1, context 1000, k = 3 EAGLE-3 (one layer):
    the target verifies 4 tokens with one read of its weights and KV (memory-bound), then 3
    draft passes each read one layer, the LM head and one layer of KV."""
    m, hw, eff, cfg = _llama8b_h100(draft_tokens=3, acceptance_rate=0.72, draft_layers=1, draft_moe_layers=0)
    t, tokens = step_time(m, hw, eff, cfg, 1.0, 1000.0, 0.0)
    target = 2 * (8_029_995_008 - 525_336_576) + 131_072 * 1000  # weights (no input embedding) + KV
    # one layer 41,943,040 + 3*4096*14336 = 218,103,808 params; LM head 128,256*4096 = 525,336,576; KV 4096 B/token
    draft = 2 * (218_103_808 + 525_336_576) + 4096 * 1000
    assert t.total_s[0] == pytest.approx((target + 3 * draft) / 3.35e12, rel=1e-9)
    assert tokens[0] == pytest.approx(2.611648)
    off_m, off_hw, off_eff, off_cfg = _llama8b_h100()
    t_off, one = step_time(off_m, off_hw, off_eff, off_cfg, 1.0, 1000.0, 0.0)
    assert one[0] == 1.0 and t_off.total_s[0] == pytest.approx(target / 3.35e12, rel=1e-9)
    # per output token: (16.06 GB + 4.47 GB) / 2.61 beats 16.06 GB / 1
    assert t.total_s[0] / tokens[0] < t_off.total_s[0]


def test_verification_multiplies_flops_not_weight_reads():
    m, hw, eff, cfg = _llama8b_h100(draft_tokens=3, acceptance_rate=0.72, draft_layers=1)
    t, _ = step_time(m, hw, eff, cfg, 64.0, 1000.0, 0.0)
    m0, hw0, eff0, cfg0 = _llama8b_h100()
    t0, _ = step_time(m0, hw0, eff0, cfg0, 64.0, 1000.0, 0.0)
    # target: 64 * 4 = 256 tokens of 15,009,316,864 FLOP; draft: 3 passes of 64 tokens of 2*(218,103,808 + 525,336,576)
    lin = 256 * 15_009_316_864 + 3 * 64 * 2 * (218_103_808 + 525_336_576)
    att = 256 * 4 * 32 * 128 * 32 * 1000 + 3 * 64 * 4 * 32 * 128 * 1000
    assert t.flop[0] == pytest.approx(lin + att, rel=1e-9)
    # weight reads: the target's once plus 3 draft reads; KV: the target's once per sequence plus 3 one-layer reads
    kv = 64 * 131_072 * 1000 + 3 * 64 * 4096 * 1000
    assert t.bytes[0] == pytest.approx(2 * (8_029_995_008 - 525_336_576) + 3 * 2 * (218_103_808 + 525_336_576) + kv,
                                       rel=1e-9)
    assert t0.bytes[0] == pytest.approx(2 * (8_029_995_008 - 525_336_576) + 64 * 131_072 * 1000, rel=1e-9)


def test_estimate_reports_the_method_and_tokens_per_step():
    ev = evaluate_deployment(dict(model="deepseek-r1", accelerator="b200", count=8, isl=1024, osl=1024,
                                  scenario="offline", speculative="mtp", weights="fp4", concurrency=8))
    assert ev.deployment.speculative == "mtp" and ev.deployment.draft_tokens == 1
    assert ev.deployment.tokens_per_step == pytest.approx(1.85)
    off = evaluate_deployment(dict(model="deepseek-r1", accelerator="b200", count=8, isl=1024, osl=1024,
                                   scenario="offline", weights="fp4", concurrency=8))
    assert off.deployment.speculative == "off" and off.deployment.tokens_per_step == 1.0
    # at 8 sequences decode is memory-bound: more tokens per step, a shorter TPOT
    assert ev.performance.tpot_s < off.performance.tpot_s
    # the MTP module's weights take memory on every device
    assert ev.performance.weights_per_device_bytes > off.performance.weights_per_device_bytes


def test_auto_searches_speculation_and_takes_it_under_a_tight_tpot():
    base = dict(model="llama-3.1-8b", accelerator="h100-sxm", count=1, isl=1000, osl=200, scenario="interactive",
                weights="fp8")
    off = evaluate_deployment(dict(base, tpot_max_s=0.006))
    auto = evaluate_deployment(dict(base, tpot_max_s=0.006, speculative="auto"))
    assert auto.deployment.speculative == "draft"
    # both meet the limit; speculation meets it carrying far more (more sequences per step), which is
    # why the search takes it
    assert auto.performance.tpot_p99_s <= 0.006 and off.performance.tpot_p99_s <= 0.006
    assert auto.deployment.concurrency_per_replica > off.deployment.concurrency_per_replica
    assert auto.performance.throughput_output_tok_per_s > off.performance.throughput_output_tok_per_s
    how = {c.field: c.how for c in auto.choices}
    assert how["speculative"].startswith("searched")


def test_plan_searches_speculation_where_the_model_has_it():
    from tokenfab.planner.search import prepare

    _, _, c = prepare(dict(model="deepseek-r1", isl=1024, osl=1024, scenario="offline", speculative="auto", rate_rps=1,
                           accelerators=("b200",)))
    assert {b.speculation.method for b in c.blocks} == {"off", "mtp"}
    _, _, c = prepare(dict(model="mixtral-8x7b", isl=1024, osl=1024, scenario="offline", speculative="auto", rate_rps=1,
                           accelerators=("h100-sxm",)))
    assert {b.speculation.method for b in c.blocks} == {"off"}  # no method in the catalog: silently not searched


EST = ["estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--isl", "1000", "--osl", "200"]


@pytest.mark.parametrize("args,needle", [
    (["--speculative", "eagle"], "speculative"),
    (["--speculative", "draft", "--acceptance-rate", "1.5"], "acceptance"),
    (["--speculative", "draft", "--acceptance-rate", "0"], "acceptance"),
    (["--speculative", "draft", "--draft-tokens", "0"], "draft"),
    (["--speculative", "mtp"], "no mtp"),
    (["--draft-tokens", "2"], "speculative"),
])
def test_bad_speculative_input_is_one_line(args, needle):
    assert_one_line_error(cli(*EST, *args), needle, code=2)


def test_plan_refuses_a_method_the_model_lacks():
    assert_one_line_error(cli("plan", "--model", "mixtral-8x7b", "--isl", "100", "--osl", "100", "--rate-rps", "1",
                              "--speculative", "mtp"),
                          "no mtp", code=2)


HEADER = ("id,model,accelerator,n_accel,weights_dtype,scenario,isl_tokens,osl_tokens,ttft_limit_s,tpot_limit_s,stack,"
          "metric,value,source,concurrency,speculative\n")
# validation/measured.csv GT097 (TensorRT-LLM perf-overview, GB200 DEP4 FP4, 1000/1000), with and without MTP
ROW = "deepseek-r1,gb200,4,fp4,offline,1000,1000,,,trtllm,output_tok_per_s,27756,TensorRT-LLM perf-overview.md"


def test_validate_column_predicts_a_row_with_its_speculative_method(tmp_path):
    from tokenfab.accuracy.measured import read_measured, write_measured
    from tokenfab.accuracy.score import evaluate, prepare

    f = tmp_path / "rows.csv"
    f.write_text(HEADER + f"A,{ROW},,\nB,{ROW},,mtp\n", encoding="utf-8")
    rows = read_measured(f)
    assert [r.speculative for r in rows] == [None, "mtp"]
    off, mtp = evaluate(prepare(rows))["predicted"]
    assert mtp != off and mtp > 0 and off > 0
    out = tmp_path / "out.csv"
    write_measured(out, rows)
    assert out.read_text(encoding="utf-8").splitlines()[0].endswith(",concurrency,speculative")
    assert [r.speculative for r in read_measured(out)] == [None, "mtp"]


def test_validate_refuses_a_bad_speculative_cell(tmp_path):
    from tokenfab.accuracy.measured import read_measured
    from tokenfab.errors import InputError

    f = tmp_path / "rows.csv"
    f.write_text(HEADER + f"A,{ROW},,eagle\n", encoding="utf-8")
    with pytest.raises(InputError, match="speculative"):
        read_measured(f)
