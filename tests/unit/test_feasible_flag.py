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
