"""The performance engine: pure, vectorized numpy functions (no I/O, no catalog).

Layers: ``params`` (parameter counts), ``memory`` (weights, KV cache, fit),
``ops`` (FLOPs and bytes per operation), ``comm`` (collectives), ``serving``
(iteration time, TTFT/TPOT/throughput, scenario search), ``speculative`` (speculative
decoding and MTP: tokens per step, the draft's shape and memory). Inputs are the columnar
records of ``arrays``.
"""

from .arrays import Efficiency, HardwareArrays, ModelArrays
from .serving import BOUNDS, ParallelConfig, ServingPoint, best_point, steady_state, step_time
from .speculative import tokens_per_step

__all__ = [
    "BOUNDS",
    "Efficiency",
    "HardwareArrays",
    "ModelArrays",
    "ParallelConfig",
    "ServingPoint",
    "best_point",
    "steady_state",
    "step_time",
    "tokens_per_step",
]
