"""What every recipe reads off an :class:`~tokenfab.deployment.result.Evaluation` (never
re-derived): the split, formats, concurrency, context length and the memory fraction the
engine's fit assumed, and how one instance maps onto nodes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..catalog.hardware import System
from ..catalog.loader import Catalog
from ..deployment.result import Evaluation
from ..engine.efficiency import KvReserveRule
from ..engine.memory import RUNTIME_RESERVE_BYTES, kv_budget_bytes
from ..errors import InputError

# max model length = (isl + osl) x this, rounded up to a multiple of 256 tokens: isl and osl are
# the workload's means, and a benchmark's random lengths vary around them
MODEL_LEN_HEADROOM = 1.25
MODEL_LEN_ROUND_TOKENS = 256
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class Shape:
    model_repo: str
    tp: int
    pp: int
    ep: int
    dp_attention: bool
    replicas: int  # model replicas in one instance (data parallel)
    weights: str
    kv: str
    max_seqs_per_instance: int
    max_seqs_per_replica: int
    max_model_len: int
    memory_fraction: float  # of each device's memory for weights + KV (vLLM, SGLang), as the estimate's stack budget
    kv_free_fraction: float  # of the memory left after the runtime and weights, for the KV cache (TensorRT-LLM)
    kv_reserve: KvReserveRule  # live or request: the KV room a sequence held in the estimate (Layout.kv_reserve)
    accelerators: int  # per instance
    instances: int
    per_node: int
    per_node_basis: str
    nodes: int  # per instance

    @property
    def multi_node(self) -> bool:
        return self.nodes > 1


def per_node(cat: Catalog, accelerator: str) -> tuple[int, str]:
    """Accelerators in one node: the catalog's first server system with the chip, else its
    scale-up domain, else 8 (an HGX-class server)."""
    servers = [s for s in cat.typed("systems", System)
               if s.accelerator == accelerator and s.form in ("server", "instance")]
    if servers:
        return servers[0].accelerators_per_system, f"catalog system {servers[0].id}"
    acc = cat.accelerator(accelerator)
    if acc.scale_up_domain_size:
        return min(acc.scale_up_domain_size, 8), "the accelerator's scale-up domain (at most 8 per node)"
    return 8, "assumed 8 per node (no catalog server for this chip)"


def shape_of(ev: Evaluation, cat: Catalog) -> Shape:
    lay, perf, wl = ev.deployment, ev.performance, ev.workload
    if lay.disaggregated:
        raise InputError("recipes cover aggregated serving; this evaluation is disaggregated (prefill apart): "
                         "drop --disaggregated")
    spec = cat.model(ev.model)
    repo = spec.hf_repo or ev.model
    n, basis = per_node(cat, lay.accelerator)
    used = lay.accelerators_per_instance - lay.idle_accelerators_per_instance
    cap, w = perf.memory_capacity_bytes, perf.weights_per_device_bytes
    # the KV budget the engine gave this deployment (its stack's rule, engine.memory.max_concurrency),
    # written in each server's terms: vLLM/SGLang a fraction of the whole memory, TensorRT-LLM of
    # what is free after the runtime and the weights
    loaded = RUNTIME_RESERVE_BYTES + w
    kv = float(kv_budget_bytes(cap, loaded, lay.memory_fraction, 1.0 if lay.memory_fraction_of == "free" else 0.0))
    kv_free = kv / max(cap - loaded, 1.0)
    memory_fraction = (kv + loaded) / cap
    length = (wl.isl + wl.osl) * MODEL_LEN_HEADROOM
    return Shape(
        model_repo=repo, tp=lay.tp, pp=lay.pp, ep=lay.ep, dp_attention=lay.dp_attention,
        replicas=lay.replicas_per_instance, weights=lay.weights, kv=lay.kv,
        max_seqs_per_instance=max(1, lay.concurrency_per_instance),
        max_seqs_per_replica=max(1, math.ceil(lay.concurrency_per_replica)),
        max_model_len=int(math.ceil(length / MODEL_LEN_ROUND_TOKENS) * MODEL_LEN_ROUND_TOKENS),
        memory_fraction=round(max(min(memory_fraction, 0.99), 0.01), 3),
        kv_free_fraction=round(max(min(kv_free, 0.99), 0.01), 3), kv_reserve=lay.kv_reserve,
        accelerators=used, instances=lay.instances, per_node=n, per_node_basis=basis,
        nodes=max(1, math.ceil(used / n)))
