"""Parallel splits of an instance's accelerators into model replicas.

A split is (tp, pp, ep, data-parallel attention) for one replica of ``tp x pp`` devices;
an instance of ``count`` devices holds ``replicas = floor(count / (tp x pp))`` of them and
leaves ``count - replicas x tp x pp`` devices idle (still paid for). Because every split of
``n`` devices is also a split of ``n + 1`` with at least as many replicas, adding devices
never removes an option: throughput never falls and a fitting model keeps fitting.

Rules: tp divides the attention heads, and the KV heads divide tp or tp divides them;
pp is at most the layer count (and at most ``MAX_PIPELINE_SEARCH`` when searched);
ep divides tp and the expert count (dense models: ep = 1); data-parallel attention is an
option for MoE models with ep > 1. A degree the user fixes is checked and refused with
the reason.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import InputError

MAX_PIPELINE_SEARCH = 8
MAX_ACCELERATORS = 1_000_000


class Split(NamedTuple):
    tp: int
    pp: int
    ep: int
    dp_attention: int  # 0 or 1
    replicas: int
    idle: int  # devices of the instance no replica uses


def divisors_up_to(n: int, limit: int) -> list[int]:
    """Divisors of ``n`` that are <= ``limit`` (n is a head or expert count: small)."""
    return [d for d in range(1, min(n, limit) + 1) if n % d == 0]


def _check_fixed(count: int, heads: int, layers: int, experts: int, name: str,
                 tp: int | None, pp: int | None, ep: int | None) -> None:
    if tp is not None:
        if tp > count:
            raise InputError(f"tp = {tp} exceeds count = {count} accelerators; use tp <= {count}")
        if heads % tp:
            ok = divisors_up_to(heads, count)
            raise InputError(f"tp = {tp} does not divide num_attention_heads = {heads} of {name}; use one of {ok}")
    if pp is not None:
        if (tp or 1) * pp > count:
            raise InputError(f"tp x pp = {(tp or 1) * pp} exceeds count = {count} accelerators")
        if pp > layers:
            raise InputError(f"pp = {pp} exceeds the {layers} layers of {name}")
    if ep is not None and ep > 1:
        if not experts:
            raise InputError(f"ep = {ep}: {name} is a dense model (no experts); use ep = 1")
        if experts % ep:
            raise InputError(f"ep = {ep} does not divide the {experts} experts of {name}")
        if tp is not None and tp % ep:
            raise InputError(f"ep = {ep} must divide tp = {tp} (experts are split inside the tp group)")


def splits(
    count: int, heads: int, kv_heads: int, layers: int, experts: int, name: str = "the model",
    tp: int | None = None, pp: int | None = None, ep: int | None = None, dp_attention: bool | None = None,
) -> list[Split]:
    """Every valid split of ``count`` accelerators (``experts`` = 0 for a dense model)."""
    if not 1 <= count <= MAX_ACCELERATORS:
        raise InputError(f"count = {count}: use 1..{MAX_ACCELERATORS:,} accelerators")
    _check_fixed(count, heads, layers, experts, name, tp, pp, ep)
    out: list[Split] = []
    for t in [tp] if tp else divisors_up_to(heads, count):
        if t % kv_heads and kv_heads % t:
            continue
        pp_max = min(layers, count // t) if pp else min(layers, count // t, MAX_PIPELINE_SEARCH)
        for p in [pp] if pp else range(1, pp_max + 1):
            if t * p > count:  # a fixed pp with this tp needs more devices than the instance has (0 replicas)
                continue
            eps = [ep] if ep else (divisors_up_to(experts, t) if experts else [1])
            for e in eps:
                if t % e or (experts and experts % e):
                    continue
                options = [0, 1] if experts and e > 1 else [0]
                if dp_attention is not None:
                    options = [o for o in options if o == int(dp_attention)]
                for dpa in options:
                    replicas = count // (t * p)
                    out.append(Split(t, p, e, dpa, replicas, count - replicas * t * p))
    if not out:
        fixed = ", ".join(f"{k}={v}" for k, v in (("tp", tp), ("pp", pp), ("ep", ep)) if v is not None)
        hint = "drop the fixed degrees" if fixed else "use more accelerators"
        raise InputError(
            f"no valid split of {count} accelerators for {name} (heads {heads}, KV heads {kv_heads}"
            + (f", {fixed}" if fixed else "") + f"); {hint}"
            + ("" if dp_attention is None or experts else "; dp_attention needs a MoE model with ep > 1")
        )
    return out
