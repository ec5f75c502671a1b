"""A what-if shock reprices the same candidates (deployment.candidates.reprice): a price, PUE or grid
shock does not change what the engine predicts nor how sure it is, so a user's own calibration of a
chip x stack (an overlay catalog written by `tokenfab calibrate --save`) must still count after it.

Hand check: the user calibration makes h100-sxm x vLLM a validated class, and the plan's row says so
("calibrated on 2 of your runs"); doubling every price cannot turn that row's 80 % band into another
class or drop the note, and the throughput interval is the same numbers before and after."""

from __future__ import annotations

import pytest

from tests.recipes.test_calibrate_loop import vllm_result
from tokenfab import calibrate, load_catalog, whatif
from tokenfab.catalog.uncertainty import load_uncertainty


@pytest.fixture(scope="module")
def calibrated_catalog(tmp_path_factory):
    d = tmp_path_factory.mktemp("cal")
    files = [vllm_result(d / f"v{c}.json", c, slow=0.15) for c in (8, 64)]
    calibrate(files, {"accelerator": "h100-sxm", "count": 1, "weights": "bf16"}, save=d / "cat")
    return load_catalog(d / "cat")


def test_a_price_shock_keeps_the_users_calibration(calibrated_catalog):
    q = dict(model="llama-3.1-8b", accelerators=("h100-sxm",), stack="vllm", rate_rps=2, isl=1024, osl=256,
             samples=10, shocks=("price:+100%",))
    w = whatif(q, catalog=calibrated_catalog, uncertainty=load_uncertainty().with_zero_width())
    assert w.after is not None and w.after.front
    for b, a in zip(w.before.front, w.after.front):
        assert any("calibrated on 2 of your runs" in n for n in b.notes)
        assert any("calibrated on 2 of your runs" in n for n in a.notes)
        assert a.performance.accuracy == b.performance.accuracy
        assert a.performance.throughput_output_tok_per_s_low == b.performance.throughput_output_tok_per_s_low
        assert a.money.usd_per_mtok_output == 2 * b.money.usd_per_mtok_output
