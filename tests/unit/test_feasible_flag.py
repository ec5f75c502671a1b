"""A row no candidate serves within its latency limits still gets a prediction (the best fit
the engine has, scored in the MAPE), flagged ``feasible = False``; the bands leave such
predictions out, since no estimate a user gets is one of them."""

from __future__ import annotations

import numpy as np

from tokenfab.accuracy.crossval import CrossValidation
from tokenfab.accuracy.measured import VALIDATION_HEADER, read_measured
from tokenfab.accuracy.score import evaluate, prepare

HEAD = ",".join(VALIDATION_HEADER) + "\n"
# one 8B row on one H100; TPOT limit 40 ms is easy, 0.1 ms no chip meets (one weight read alone takes ~5 ms)
EASY = "e1,llama-3.1-8b,h100-sxm,1,fp8,server,1000,200,2,0.04,vllm,output_tok_per_s,5000,my run\n"
HARD = "h1,llama-3.1-8b,h100-sxm,1,fp8,server,1000,200,2,0.0001,vllm,output_tok_per_s,5000,my run\n"


def test_a_row_beyond_every_limit_is_predicted_but_flagged(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(HEAD + EASY + HARD, encoding="utf-8")
    out = evaluate(prepare(read_measured(f)))
    assert out["feasible"].tolist() == [True, False]
    assert np.isfinite(out["predicted"]).all()  # the hard row keeps its best-fit prediction
    assert out["predicted"][1] < out["predicted"][0]  # at the lowest-TPOT point, a small batch


def test_the_bands_see_only_predictions_within_limits():
    cv = CrossValidation("accelerator", np.array(["a", "b"]), np.array([100.0, 1.0]), np.array([110.0, 100.0]),
                         feasible=np.array([True, False]))
    got = cv.within_limits()
    assert got[0] == 100.0 and np.isnan(got[1])
    assert np.allclose(cv.ape(), [10 / 110, 99 / 100])  # both still count in the MAPE


def test_validate_says_which_rows_no_deployment_serves_within_limits(tmp_path):
    """The report flags the row and gives it no 80 % range (the bands describe estimates
    within limits); the CLI says so in one note line."""
    import subprocess
    import sys

    import tokenfab

    f = tmp_path / "r.csv"
    f.write_text(HEAD + EASY + HARD, encoding="utf-8")
    rep = tokenfab.measure_accuracy(f)
    easy, hard = rep.rows
    assert easy.within_limits and easy.predicted_low is not None
    assert not hard.within_limits and hard.predicted_low is None and hard.predicted_high is None
    exe = str(__import__("pathlib").Path(sys.executable).with_name("tokenfab"))
    out = subprocess.run([exe, "validate", str(f)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "note: h1: no deployment meets its latency limits" in out.stdout + out.stderr
    assert "note: e1:" not in out.stdout + out.stderr
