"""The validate format's num_requests column: a run that sent N requests in all, queued at once
(trtllm-bench's dataset), never holds more than N at a time, so the row is predicted at most at
concurrency N, and exactly as `estimate --concurrency N` predicts it when the engine could hold more."""

from __future__ import annotations

import pytest

import tokenfab
from tokenfab.accuracy.measured import VALIDATION_HEADER, read_measured
from tokenfab.errors import InputError

COLS = ",".join(VALIDATION_HEADER) + ",concurrency,speculative,kv_dtype,osl_cv,parallelism,num_requests\n"
ROW = "n1,llama-3.1-8b,h100-sxm,1,bf16,offline,1024,256,,,vllm,output_tok_per_s,500,my run,,,,,tp1,"
KW = dict(model="llama-3.1-8b", accelerator="h100-sxm", count=1, weights="bf16", stack="vllm", isl=1024, osl=256,
          tp=1, pp=1, ep=1)


def _predict(tmp_path, cell: str) -> float:
    f = tmp_path / f"n{cell or 'none'}.csv"
    f.write_text(COLS + ROW + cell + "\n", encoding="utf-8")
    return tokenfab.measure_accuracy(f).rows[0].predicted


def test_num_requests_is_read_and_checked(tmp_path):
    f = tmp_path / "n.csv"
    f.write_text(COLS + ROW + "3000\n", encoding="utf-8")
    assert read_measured(f)[0].num_requests == 3000
    f.write_text(COLS + ROW + "-5\n", encoding="utf-8")
    with pytest.raises(InputError, match="num_requests"):
        read_measured(f)


def test_a_short_run_is_predicted_at_its_request_count(tmp_path):
    """16 requests on one H100 holding hundreds of 1,280-token sequences: the row is predicted at
    concurrency 16, the figure estimate gives at 16 (one evaluation), far below the plain row."""
    plain = _predict(tmp_path, "")
    best = tokenfab.estimate(scenario="offline", **KW).performance
    assert best.max_concurrency_per_replica > 100  # the engine alone would batch far more than 16
    at16 = tokenfab.estimate(concurrency=16, **KW).performance.throughput_output_tok_per_s
    assert _predict(tmp_path, "16") == pytest.approx(at16, rel=1e-9)
    assert plain > 2 * at16


def test_a_count_above_the_capacity_changes_nothing(tmp_path):
    """With more requests than the KV cache holds, the run fills its batch: same as the plain row."""
    assert _predict(tmp_path, "1000000") == pytest.approx(_predict(tmp_path, ""), rel=1e-12)


def test_the_count_is_shared_by_the_replicas(tmp_path):
    """Eight one-GPU replicas (tp1 on 8 GPUs) that were sent 64 requests hold 8 each: the row is
    predicted as estimate predicts that deployment at a whole-deployment concurrency of 64."""
    f = tmp_path / "r.csv"
    f.write_text(COLS + ROW.replace("h100-sxm,1,", "h100-sxm,8,") + "64\n", encoding="utf-8")
    got = tokenfab.measure_accuracy(f).rows[0]
    assert got.replicas == 8
    at64 = tokenfab.estimate(concurrency=64, **{**KW, "count": 8}).performance.throughput_output_tok_per_s
    at8_one = tokenfab.estimate(concurrency=8, **KW).performance.throughput_output_tok_per_s
    assert got.predicted == pytest.approx(at64, rel=1e-9)
    assert got.predicted == pytest.approx(8 * at8_one, rel=1e-9)  # hand check: 8 replicas x 8 each


SEQ_COLS = COLS.rstrip("\n") + ",memory_fraction,max_seqs\n"


def test_a_server_cap_binds_each_replica(tmp_path):
    """max_seqs (vLLM --max-num-seqs) caps every replica: eight one-GPU replicas capped at 8
    sequences each are the deployment at a whole-deployment concurrency of 64, as with 64
    requests sent; with both, the lower cap holds (16 requests = 2 each)."""
    eight = ROW.replace("h100-sxm,1,", "h100-sxm,8,")
    f = tmp_path / "s.csv"
    f.write_text(SEQ_COLS + eight + ",,8\n", encoding="utf-8")
    got = tokenfab.measure_accuracy(f).rows[0]
    at64 = tokenfab.estimate(concurrency=64, **{**KW, "count": 8}).performance.throughput_output_tok_per_s
    assert got.replicas == 8 and got.predicted == pytest.approx(at64, rel=1e-9)
    f.write_text(SEQ_COLS + eight + "16,,8\n", encoding="utf-8")
    at16 = tokenfab.estimate(concurrency=16, **{**KW, "count": 8}).performance.throughput_output_tok_per_s
    assert tokenfab.measure_accuracy(f).rows[0].predicted == pytest.approx(at16, rel=1e-9)
    f.write_text(SEQ_COLS + eight + ",,1000000\n", encoding="utf-8")  # above what the memory holds: no effect
    plain = tmp_path / "p.csv"
    plain.write_text(COLS + eight + "\n", encoding="utf-8")
    assert tokenfab.measure_accuracy(f).rows[0].predicted == pytest.approx(
        tokenfab.measure_accuracy(plain).rows[0].predicted, rel=1e-12)
    f.write_text(SEQ_COLS + eight + ",,0\n", encoding="utf-8")
    with pytest.raises(InputError, match="max_seqs"):
        read_measured(f)
