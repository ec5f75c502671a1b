"""The validate format's optional parallelism column: a row whose source states the split its
run used (TensorRT-LLM's table labels such as TP2 or DEP4, Intel's --world_size) is predicted
with that split only, through the same evaluation estimate uses."""

from __future__ import annotations

import pytest

import tokenfab
from tokenfab.accuracy.measured import OPTIONAL_COLUMNS, VALIDATION_HEADER, parse_parallelism, read_measured
from tokenfab.errors import InputError

COLS = ",".join(VALIDATION_HEADER + list(OPTIONAL_COLUMNS[:OPTIONAL_COLUMNS.index("parallelism") + 1])) + "\n"
ROW = "p1,llama-3.1-8b,h100-sxm,8,fp8,offline,1000,1000,,,trtllm,output_tok_per_s,90000,my run,,,,,"


@pytest.mark.parametrize(("text", "split"), [
    ("tp2", (2, 1, 1, False)),
    ("dep4", (4, 1, 4, True)),  # TensorRT-LLM's DEP4: attention data parallel, tp 4, ep 4
    ("tp4 ep4 dpa", (4, 1, 4, True)),
    ("TP2 PP2", (2, 2, 1, False)),
    ("tp2+pp4", (2, 4, 1, False)),
])
def test_parallelism_text_fixes_the_whole_split(text, split):
    got = parse_parallelism(text)
    assert (got["tp"], got["pp"], got["ep"], got["dp_attention"]) == split


@pytest.mark.parametrize(("text", "words"), [
    ("x4", ("'x4'", "tpN")), ("tp0", ("'tp0'",)), ("tp2 tp4", ("repeats",)), ("dep4 ep2", ("repeats",)),
    ("", ("empty",)),
])
def test_bad_parallelism_text_names_the_token_and_the_grammar(text, words):
    with pytest.raises(ValueError) as exc:
        parse_parallelism(text)
    for w in words:
        assert w in str(exc.value)


def test_row_with_a_stated_split_is_predicted_with_it_as_estimate_does(tmp_path):
    """Llama-3.1-8B on 8 x H100: searched, validate takes the best split (eight tp1 replicas);
    with `tp8` it predicts exactly what estimate gives for tp 8, pp 1 (one replica), which is
    lower: the searched best is a maximum over splits that include tp8."""
    f = tmp_path / "v.csv"
    f.write_text(COLS + ROW + "\n" + ROW.replace("p1,", "p2,") + "tp8\n", encoding="utf-8")
    rows = read_measured(f)
    assert rows[0].fixed_split == {} and rows[1].fixed_split == {"tp": 8, "pp": 1, "ep": 1, "dp_attention": False}
    rep = {r.id: r for r in tokenfab.measure_accuracy(f).rows}
    assert (rep["p2"].tp, rep["p2"].pp, rep["p2"].replicas) == (8, 1, 1)
    at_tp8 = tokenfab.estimate(model="llama-3.1-8b", accelerator="h100-sxm", count=8, weights="fp8", stack="trtllm",
                               isl=1000, osl=1000, scenario="offline", tp=8, pp=1, ep=1)
    assert rep["p2"].predicted == pytest.approx(at_tp8.performance.throughput_output_tok_per_s, rel=1e-9)
    assert rep["p1"].tp == 1 and rep["p1"].predicted > rep["p2"].predicted


def test_impossible_stated_split_skips_the_row_with_the_reason(tmp_path):
    """tp 3 does not divide Llama-3.1-8B's 32 heads: the row is skipped, the reason names the
    degree and the choices; the other rows are still scored."""
    f = tmp_path / "v.csv"
    f.write_text(COLS + ROW + "\n" + ROW.replace("p1,", "p3,") + "tp3\n", encoding="utf-8")
    rep = tokenfab.measure_accuracy(f)
    assert [r.id for r in rep.rows] == ["p1"]
    (skipped,) = rep.skipped
    assert skipped.id == "p3" and "tp = 3" in skipped.reason and "use one of" in skipped.reason


def test_bad_parallelism_cell_is_one_input_error_naming_file_line_and_field(tmp_path):
    f = tmp_path / "v.csv"
    f.write_text(COLS + ROW + "x4\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_measured(f)
    msg = str(exc.value)
    assert "v.csv:2" in msg and "parallelism" in msg and "'x4'" in msg and "\n" not in msg
