"""More accelerators at the same settings never lower throughput (issue 11 reproduction 7):
a count a split cannot use whole leaves accelerators idle, says how many, and prices them."""

from __future__ import annotations

import pytest

import tokenfab
from tokenfab import DoesNotFitError
from tokenfab.engine.parallelism import splits

CASES = [("llama-2-70b", "h100-sxm", 222.0, 290.0), ("mixtral-8x7b", "mi300x", 427.0, 144.0),
         ("llama-3.1-8b", "l40s", 1000.0, 200.0)]


@pytest.mark.parametrize("model,accelerator,isl,osl", CASES)
@pytest.mark.parametrize("scenario", ["offline", "server"])
def test_throughput_never_falls_when_an_accelerator_is_added(model, accelerator, isl, osl, scenario):
    previous = None
    for n in range(1, 17):
        try:
            ev = tokenfab.estimate(model=model, accelerator=accelerator, count=n, isl=isl, osl=osl, scenario=scenario)
        except DoesNotFitError:
            assert previous is None, f"{model} fitted on {n - 1} x {accelerator} but not on {n}"
            continue
        thr = ev.performance.throughput_output_tok_per_s
        if previous is not None:
            assert thr >= previous * (1 - 1e-12), (model, accelerator, n, thr, previous)
        d = ev.deployment
        used = d.tp * d.pp * d.replicas_per_instance
        assert used + d.idle_accelerators_per_instance == n
        # idle accelerators are paid for: throughput per accelerator counts all n
        assert ev.performance.throughput_per_accelerator_tok_per_s == pytest.approx(thr / n)
        previous = thr


def test_the_report_case_eleven_h100():
    """`--count 10` gave 5,526 tok/s and `--count 11` exited 3 ("cannot hold it")."""
    ten = tokenfab.estimate(model="llama-2-70b", accelerator="h100-sxm", count=10, isl=222, osl=290, weights="bf16")
    eleven = tokenfab.estimate(model="llama-2-70b", accelerator="h100-sxm", count=11, isl=222, osl=290, weights="bf16")
    assert eleven.performance.throughput_output_tok_per_s >= ten.performance.throughput_output_tok_per_s
    assert eleven.deployment.idle_accelerators_per_instance >= 1


def test_splits_of_n_are_splits_of_n_plus_one_with_no_fewer_replicas():
    for n in range(1, 40):
        small = {s[:4]: s.replicas for s in splits(n, 64, 8, 80, 0)}
        big = {s[:4]: s.replicas for s in splits(n + 1, 64, 8, 80, 0)}
        assert set(small) <= set(big)
        assert all(big[k] >= r for k, r in small.items())


def test_idle_accelerators_are_priced():
    """An 8-GPU offer whose best split uses fewer GPUs still costs 8 GPU-hours per hour."""
    ev = tokenfab.evaluate(model="llama-3.1-8b", offer="lambda-h100-8", isl=1000, osl=200, tp=1, pp=3)
    d, m = ev.deployment, ev.money
    assert d.idle_accelerators_per_instance == 8 - 3 * 2 and d.replicas_per_instance == 2
    assert m.usd_per_hour == pytest.approx(d.instances * 8 * m.usd_per_accel_hour)
