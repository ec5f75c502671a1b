"""A run's own KV admission rule (`validate`'s kv_reserve column): TensorRT-LLM's default
GUARANTEED_NO_EVICT reserves a request's whole prompt and output (`request`), its
MAX_UTILIZATION scheduler, which NVIDIA's MLPerf harness runs, admits on the current context
(`live`), as vLLM does. Empty keeps the stack's rule (efficiency.yaml kv_cache_budget)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tokenfab.accuracy.measured import OPTIONAL_COLUMNS, VALIDATION_HEADER, read_measured
from tokenfab.accuracy.score import efficiency_for, evaluate, prepare
from tokenfab.catalog import load_catalog
from tokenfab.engine.efficiency import with_kv_reserve
from tokenfab.engine.serving import steady_state
from tokenfab.errors import InputError

CAT = load_catalog()
HEADER = ",".join(VALIDATION_HEADER + list(OPTIONAL_COLUMNS)) + "\n"


def _csv(tmp_path, rows: list[str]):
    p = tmp_path / "runs.csv"
    p.write_text(HEADER + "".join(r + "\n" for r in rows))
    return p


def _row(rid: str, reserve: str, concurrency: str = "") -> str:
    # Llama-3.1-70B in FP8 on one H100 at tp 1, 1,000 in / 2,000 out: KV room binds the batch
    tail = f"{concurrency},,fp8,,tp1,,,," + reserve
    return (f"{rid},llama-3.1-70b,h100-sxm,1,fp8,offline,1000,2000,,,trtllm,output_tok_per_s,1000,"
            f"hand,{tail}")


def test_the_column_is_read_and_a_bad_value_is_one_line(tmp_path):
    rows = read_measured(_csv(tmp_path, [_row("a", "live"), _row("b", "request"), _row("c", "")]))
    assert [r.kv_reserve for r in rows] == ["live", "request", None]
    with pytest.raises(InputError, match="kv_reserve"):
        read_measured(_csv(tmp_path, [_row("d", "sometimes")]))


def test_live_admission_fits_more_sequences_and_empty_keeps_the_stacks_rule(tmp_path):
    prep = prepare(read_measured(_csv(tmp_path, [_row("a", "live"), _row("b", "request"), _row("c", "")])), CAT)
    live, request, default = evaluate(prep)["predicted"]
    assert default == request  # TensorRT-LLM's shipped rule is GUARANTEED_NO_EVICT
    assert live > request  # more sequences fit, and this decode is far from compute-bound


def test_at_a_fixed_concurrency_the_rule_changes_nothing(tmp_path):
    """The rule decides how many sequences fit, not how long a step takes: at a concurrency both
    rules admit, the predictions are equal."""
    prep = prepare(read_measured(_csv(tmp_path, [_row("a", "live", "8"), _row("b", "request", "8")])), CAT)
    live, request = evaluate(prep)["predicted"]
    assert np.isfinite(live) and live == pytest.approx(request)


def test_sequences_that_fit_follow_the_reserved_context_by_hand(tmp_path):
    """Under `request` a sequence holds 1,000 + 2,000 = 3,000 tokens of KV, under `live` its mean
    context 1,000 + 2,000 / 2 = 2,000 (fixed lengths): 1.5x as many sequences fit in the same room."""
    prep = prepare(read_measured(_csv(tmp_path, [_row("a", "")])), CAT)
    cand = int(np.flatnonzero(prep.row_index == 0)[0])
    ti = prep.table_index[cand:cand + 1]
    eff = efficiency_for(prep, CAT.efficiency, "calibrated").take(ti)
    cfg = dataclasses.replace(prep.cfg.take(ti), isl=np.array([1000.0]), osl=np.array([2000.0]),
                              osl_cv=np.array([0.0]))
    m, hw = prep.m.take(ti), prep.hw.take(ti)
    n_req = steady_state(m, hw, with_kv_reserve(eff, [1.0]), cfg, 1.0).max_concurrency[0]
    n_live = steady_state(m, hw, with_kv_reserve(eff, [0.0]), cfg, 1.0).max_concurrency[0]
    assert n_req > 10
    assert n_live == pytest.approx(1.5 * n_req, abs=1.5)
