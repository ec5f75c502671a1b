"""Measured GEMM timings from NVIDIA aiconfigurator's kernel database (``measured`` fidelity).

The optional extra ``tokenfab[measured]`` installs ``aiconfigurator-core`` (Apache-2.0,
https://github.com/ai-dynamo/aiconfigurator), whose wheel ships the database that
aiconfigurator's own estimates use: per GPU system x serving backend x backend version,
parquet tables of kernel latencies collected on the hardware, e.g.
``aiconfigurator_core/systems/data/h200_sxm/gemm/trtllm/1.3.0rc20/gemm_perf.parquet`` with
columns ``gemm_dtype, m, n, k, latency`` (latency in milliseconds; 41.1 ms for a bf16
4353 x 65536 x 51200 GEMM on H200 is 710 TFLOP/s, ~72 % of the 989 TFLOP/s dense peak).
Only the data files are read (with pyarrow, a dependency of aiconfigurator-core); the
package's compiled engine is never imported.

What is used: the dense GEMMs of a forward pass (attention projections, dense and shared
MLP, LM head). For one chip x stack x compute dtype a curve of achieved FLOP/s against the
token count ``m`` is built once from the large shapes (``n, k >= MIN_SHAPE``; their rate
depends on ``m``, not on the shape: memory-bound ``2 m / bytes_per_param x bandwidth`` at small
``m``, compute-bound at large ``m``), the median over shapes at each measured ``m``, resampled on
``M_GRID`` (powers of two); a pass then looks it up with ``np.interp`` over ``log2 m``.
Routed experts (:func:`moe_time`): the ``moe/<backend>/<version>/moe_perf.parquet`` table times
a whole MoE layer (``moe_dtype, num_tokens, hidden_size, inter_size, topk, num_experts,
moe_tp_size, moe_ep_size, distribution, latency``) for the exact shape of a model on one GPU of
the group; where the model's shape, dtype and split are measured, ``np.interp`` over
``log2 num_tokens`` (the tokens of the micro-batch) gives the layer time (beyond the largest
measured count, 16384, the time grows in proportion to the tokens), else the physics.
Everything else (attention, communication, overheads) stays the calibrated physics;
:func:`coverage_line` says which parts were measured.

Curves are registered in this process (``register`` returns a positive id carried in the
``Efficiency.measured_gemm`` column, 0 = not covered) so the engine's arrays stay numeric.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError

if TYPE_CHECKING:
    from .arrays import ModelArrays
    from .serving import ParallelConfig

PACKAGE = "aiconfigurator_core"
INSTALL_HINT = "fidelity = 'measured' needs NVIDIA aiconfigurator's kernel database: pip install 'tokenfab[measured]'"
# tokenfab accelerator id -> aiconfigurator system directory (systems/data/<system>)
SYSTEMS = {"a100-sxm": "a100_sxm", "h100-sxm": "h100_sxm", "h200": "h200_sxm", "b200": "b200_sxm", "b300": "b300_sxm",
           "gb200": "gb200", "gb300": "gb300", "l40s": "l40s"}
BACKENDS = ("trtllm", "vllm", "sglang")  # tokenfab stack ids that are aiconfigurator backends of the same name
# tokenfab compute dtype (or block-scaled FP8's efficiency key) -> gemm_dtype
GEMM_DTYPES = {"bf16": "bfloat16", "fp8": "fp8", "fp4": "nvfp4", "fp8_block": "fp8_block"}
M_GRID = 2.0 ** np.arange(16)  # 1 .. 32768 tokens
MIN_SHAPE = 4096
PHYSICS_PARTS = ("attention", "communication", "overheads")
# aiconfigurator's default expert-load distribution (aiconfigurator_core/sdk/config.py workload_distribution
# "power_law", alpha 1.01 in sdk/models/deepseek.py); 'balanced' where a table has no such row
MOE_DISTRIBUTIONS = ("power_law_1.01", "balanced")
# rows of TensorRT-LLM's min-latency MoE mode: aiconfigurator keeps them apart from the default MoE
# (sdk/operations/moe.py MoE.load_data: "rows tagged kernel_source="moe_torch_flow_min_latency" route to
# the twin", its low-latency view), so a serving run's MoE layer is read without them
MIN_LATENCY_SOURCE = "moe_torch_flow_min_latency"
MXFP4_BYTES = 4.25 / 8  # engine/dtypes.py WEIGHT_BYTES_PER_PARAM["mxfp4"]


@dataclass(frozen=True)
class GemmCurve:
    """Achieved dense-GEMM rate of one chip x backend x version x dtype on ``M_GRID`` [FLOP/s]."""

    system: str
    backend: str
    version: str
    gemm_dtype: str
    rate_flop_per_s: np.ndarray

    def label(self) -> str:
        return f"{self.system} {self.backend} {self.version} {self.gemm_dtype}"


def database_root() -> Path:
    """``systems/data`` of the installed aiconfigurator-core, found without importing it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(INSTALL_HINT)
    root = Path(next(iter(spec.submodule_search_locations))) / "systems" / "data"
    if not root.is_dir():
        raise InputError(f"{INSTALL_HINT} (no kernel database under {root})")
    return root


def database_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"aiconfigurator-core {version('aiconfigurator-core')}"
    except PackageNotFoundError:
        return "aiconfigurator-core (version unknown)"


def curve_from_rows(m: ArrayLike, n: ArrayLike, k: ArrayLike, latency_ms: ArrayLike) -> np.ndarray:
    """Achieved FLOP/s on ``M_GRID`` from measured GEMMs: shapes with ``n, k >= MIN_SHAPE``,
    ``2 m n k / latency`` per row, the median per ``m``, interpolated over ``log2 m`` (held
    flat beyond the measured range)."""
    m, n, k, lat = (np.asarray(a, dtype=float) for a in (m, n, k, latency_ms))
    keep = (n >= MIN_SHAPE) & (k >= MIN_SHAPE) & (lat > 0) & (m >= 1)
    if not np.any(keep):
        raise InputError(f"gemm table: no row with n and k >= {MIN_SHAPE} and a positive latency")
    rate = 2.0 * m[keep] * n[keep] * k[keep] / (lat[keep] * 1e-3)
    ms = np.unique(m[keep])
    med = np.array([np.median(rate[m[keep] == v]) for v in ms])
    return np.interp(np.log2(M_GRID), np.log2(ms), med)


def read_columns(path: Path, columns: Sequence[str] | None = None,
                 filters: list[tuple[str, str, Any]] | None = None) -> dict[str, np.ndarray]:
    """One parquet table of the database as numpy columns (``columns``: those only; ``filters``:
    pyarrow's row filters); a file pyarrow cannot read stops with one line naming it."""
    import pyarrow.parquet as pq

    try:
        t = pq.read_table(path, columns=list(columns) if columns is not None else None, filters=filters).to_pydict()
    except (OSError, KeyError, ValueError) as e:  # pyarrow raises ArrowInvalid (a ValueError) on bad files
        raise InputError(f"{path}: not a readable aiconfigurator table ({e}): reinstall 'tokenfab[measured]'") from e
    return {c: np.asarray(v) for c, v in t.items()}


def read_gemm(path: Path, gemm_dtype: str) -> np.ndarray | None:
    """Curve of one ``gemm_perf.parquet`` for one dtype; None when the dtype is not measured."""
    t = read_columns(path, ["gemm_dtype", "m", "n", "k", "latency"], [("gemm_dtype", "==", gemm_dtype)])
    sel = t["gemm_dtype"] == gemm_dtype
    if not np.any(sel):
        return None
    return curve_from_rows(*(np.asarray(t[c])[sel] for c in ("m", "n", "k", "latency")))


def _version_key(v: str) -> tuple[int, object]:
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(v))
    except InvalidVersion:
        return (0, v)


def table_versions(folder: Path, table: str) -> list[Path]:
    """The version folders under ``folder`` (``<kind>/<backend>``) that hold ``table``, newest first."""
    versions = [p for p in folder.glob("*") if (p / table).is_file()]
    return sorted(versions, key=lambda p: _version_key(p.name), reverse=True)


@lru_cache(maxsize=256)
def load_curve(root: Path, accelerator: str, stack: str, compute_dtype: str) -> GemmCurve | None:
    """The newest measured version's curve for one chip x stack x dtype, None when not covered."""
    system, dtype = SYSTEMS.get(accelerator), GEMM_DTYPES.get(compute_dtype)
    if system is None or dtype is None or stack not in BACKENDS:
        return None
    for v in table_versions(root / system / "gemm" / stack, "gemm_perf.parquet"):
        rate = read_gemm(v / "gemm_perf.parquet", dtype)
        if rate is not None:
            return GemmCurve(system, stack, v.name, dtype, rate)
    return None


_CURVES: list[GemmCurve] = []
_IDS: dict[tuple[str, str, str, str], int] = {}


def register(accelerator: str, stack: str, compute_dtype: str, root: Path | None = None) -> int:
    """Id (>= 1) of the measured curve for this chip x stack x dtype, 0 when not covered."""
    base = root if root is not None else database_root()
    key = (str(base), accelerator, stack, compute_dtype)
    if key not in _IDS:
        curve = load_curve(base, accelerator, stack, compute_dtype)
        if curve is None:
            _IDS[key] = 0
        else:
            _CURVES.append(curve)
            _IDS[key] = len(_CURVES)
    return _IDS[key]


def curve(curve_id: int) -> GemmCurve:
    if not 1 <= curve_id <= len(_CURVES):
        raise InputError(f"measured_gemm = {curve_id}: no such curve in this process; rebuild the efficiency arrays")
    return _CURVES[curve_id - 1]


def gemm_rate(curve_id: ArrayLike, tokens: ArrayLike) -> np.ndarray:
    """Achieved dense-GEMM FLOP/s at ``tokens`` rows per GEMM, by curve id (0 -> 0 = not
    covered); ``np.interp`` over ``log2 tokens`` once per distinct curve, flat beyond the grid."""
    ids, tok = np.broadcast_arrays(np.asarray(curve_id, dtype=float), np.asarray(tokens, dtype=float))
    out = np.zeros(ids.shape)
    x = np.log2(np.maximum(tok, 1.0))
    for cid in np.unique(ids[ids > 0]):
        sel = ids == cid
        out[sel] = np.interp(x[sel], np.log2(M_GRID), curve(int(cid)).rate_flop_per_s)
    return out


def coverage_line(accelerator: str, stack: str, compute_dtype: str, curve_id: int, moe: str | None = None,
                  has_moe: bool = True, prompt_attention: str | None = None) -> str:
    """What a result of the ``measured`` fidelity took from the database and what from physics;
    ``moe`` the MoE table used (``version moe_dtype``), None when the experts were physics;
    ``has_moe`` False for a model without routed experts (no MoE part to name); ``prompt_attention``
    the context-attention law used (efficiency.yaml ``context_attention``, e.g. ``bf16 head 64``),
    None when prompt attention was physics."""
    measured = [f"gemm ({database_version()} {curve(curve_id).label()})"] if curve_id > 0 else []
    if moe:
        measured.append(f"moe ({SYSTEMS[accelerator]} {stack} {moe})")
    if prompt_attention:
        measured.append(f"prompt attention ({SYSTEMS[accelerator]} {stack} {prompt_attention})")
    rest = [("decode attention" if prompt_attention and p == "attention" else p) for p in PHYSICS_PARTS]
    physics = ([] if curve_id > 0 else ["gemm"]) + ([] if moe or not has_moe else ["moe"]) + rest
    if not measured:
        return (f"measured: none ({database_version()} has no {compute_dtype} table for {accelerator} x {stack}); "
                f"physics: {', '.join(physics)}")
    return f"measured: {', '.join(measured)}; physics: {', '.join(physics)}"


# ---------------------------------------------------------------- routed experts (MoE layers)


def moe_dtype(compute_dtype: str, weight_bytes_per_param: float) -> tuple[str, ...]:
    """aiconfigurator ``moe_dtype`` names for a compute dtype and weight storage, preferred first."""
    mxfp4 = abs(weight_bytes_per_param - MXFP4_BYTES) < 1e-9
    if compute_dtype == "fp4":
        return ("nvfp4",)
    if compute_dtype == "fp8":  # MXFP4 weights against MXFP8 activations (ModelSpec.activation_dtype_4bit)
        return ("w4a8_mxfp4_mxfp8",) if mxfp4 else ("fp8", "fp8_block")
    if compute_dtype == "bf16":
        return ("w4a16_mxfp4",) if mxfp4 else ("bfloat16",)
    if compute_dtype == "fp8_block":  # block-scaled FP8 weights: only its own kernel's timings
        return ("fp8_block",)
    return ()


@lru_cache(maxsize=64)
def moe_tables(root: Path, system: str, backend: str) -> tuple[tuple[str, dict[str, np.ndarray]], ...]:
    """Every version's ``moe_perf.parquet`` of a system x backend, newest first, as numpy columns."""
    cols = ["moe_dtype", "num_tokens", "hidden_size", "inter_size", "topk", "num_experts", "moe_tp_size",
            "moe_ep_size", "distribution", "kernel_source", "latency"]
    return tuple((v.name, read_columns(v / "moe_perf.parquet", cols))
                 for v in table_versions(root / system / "moe" / backend, "moe_perf.parquet"))


@lru_cache(maxsize=4096)
def moe_curve(root: Path, system: str, backend: str, dtypes: tuple[str, ...], shape: tuple[int, int, int, int],
              moe_tp: int, moe_ep: int, distributions: tuple[str, ...] = MOE_DISTRIBUTIONS,
              ) -> tuple[str, np.ndarray, np.ndarray] | None:
    """(version, log2 num_tokens, latency [s]) of one MoE layer shape (hidden, inter, topk,
    experts) at one split, from the newest version that measured it under the first of
    ``distributions`` (expert-load distributions) it has; None when none did. The min-latency
    mode's rows are left out; where kernels of several sources timed one token count, the
    fastest is kept (the one an autotuner would pick)."""
    for version, t in moe_tables(root, system, backend):
        for dtype in dtypes:
            for dist in distributions:
                sel = ((t["moe_dtype"] == dtype) & (t["hidden_size"] == shape[0]) & (t["inter_size"] == shape[1])
                       & (t["topk"] == shape[2]) & (t["num_experts"] == shape[3]) & (t["moe_tp_size"] == moe_tp)
                       & (t["moe_ep_size"] == moe_ep) & (t["distribution"] == dist) & (t["latency"] > 0)
                       & (t["kernel_source"] != MIN_LATENCY_SOURCE))
                if np.any(sel):
                    n, lat = t["num_tokens"][sel].astype(float), t["latency"][sel].astype(float)
                    order = np.lexsort((lat, n))  # by token count, then fastest first
                    n, lat = n[order], lat[order]
                    keep = np.r_[True, np.diff(n) > 0]  # one row per token count: the fastest
                    return f"{version} {dtype}", np.log2(n[keep]), lat[keep] * 1e-3
    return None


_MOE: list[tuple[str, str, str, str]] = []  # (root, system, backend, compute_dtype)
_MOE_IDS: dict[tuple[str, str, str, str], int] = {}


def register_moe(accelerator: str, stack: str, compute_dtype: str, root: Path | None = None) -> int:
    """Id (>= 1) of the MoE tables of this chip x stack (x compute dtype), 0 when none exist."""
    base = root if root is not None else database_root()
    system = SYSTEMS.get(accelerator)
    key = (str(base), accelerator, stack, compute_dtype)
    if key not in _MOE_IDS:
        ok = system is not None and stack in BACKENDS and compute_dtype in GEMM_DTYPES and bool(
            moe_tables(base, system, stack))
        if ok:
            _MOE.append((str(base), str(system), stack, compute_dtype))
        _MOE_IDS[key] = len(_MOE) if ok else 0
    return _MOE_IDS[key]


def model_moe_time(moe_id: ArrayLike, m: ModelArrays, cfg: ParallelConfig, tokens: ArrayLike) -> np.ndarray:
    """:func:`moe_time` of one of ``m``'s MoE layers on one GPU of ``cfg``'s split at ``tokens`` per
    micro-batch [s]: the experts split ``ep`` ways and each expert ``tp / ep`` ways; NaN where the
    table ``moe_id`` has no entry."""
    tp, ep = np.asarray(cfg.tp, float), np.maximum(np.asarray(cfg.ep, float), 1.0)
    return moe_time(moe_id, m.hidden_size, m.moe_intermediate_size, m.experts_per_token, m.num_experts,
                    tp / ep, ep, cfg.weight_bytes_per_param, tokens)


def moe_time(moe_id: ArrayLike, hidden: ArrayLike, inter: ArrayLike, topk: ArrayLike, experts: ArrayLike,
             moe_tp: ArrayLike, moe_ep: ArrayLike, weight_bytes_per_param: ArrayLike, tokens: ArrayLike) -> np.ndarray:
    """Measured time of one MoE layer on one GPU [s] (NaN where not measured: use the physics),
    ``np.interp`` over ``log2 tokens`` once per distinct table x shape x split; flat below the
    smallest measured count, proportional to the tokens beyond the largest."""
    key_arrs = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (
        moe_id, hidden, inter, topk, experts, moe_tp, moe_ep, weight_bytes_per_param)))
    tok = np.asarray(tokens, dtype=float)
    shape = np.broadcast_shapes(key_arrs[0].shape, tok.shape)
    out = np.full(shape, np.nan)
    keys = np.stack([a.ravel() for a in key_arrs], axis=-1)  # the keys do not vary along the token axes
    if not np.any(keys[:, 0] > 0):
        return out
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    group = np.broadcast_to(inv.reshape(key_arrs[0].shape), shape).ravel()
    x = np.log2(np.maximum(np.broadcast_to(tok, shape).ravel(), 1.0))
    flat = out.ravel()
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(uniq) + 1))
    for j, k in enumerate(uniq):
        if k[0] <= 0:
            continue
        if int(k[0]) > len(_MOE):
            raise InputError(f"measured_moe = {int(k[0])}: no such table in this process; rebuild the efficiency arrays")
        root, system, backend, cdt = _MOE[int(k[0]) - 1]
        c = moe_curve(Path(root), system, backend, moe_dtype(cdt, float(k[7])),
                      (int(k[1]), int(k[2]), int(k[3]), int(k[4])), int(k[5]), int(k[6]))
        if c is not None:
            sel = order[bounds[j]:bounds[j + 1]]
            # beyond the largest measured count the layer is compute-bound: time grows with the tokens
            flat[sel] = np.interp(x[sel], c[1], c[2]) * np.exp2(np.maximum(x[sel] - c[1][-1], 0.0))
    return flat.reshape(shape)


def moe_label(accelerator: str, stack: str, compute_dtype: str, shape: tuple[int, int, int, int], moe_tp: int,
              moe_ep: int, weight_bytes_per_param: float) -> str | None:
    """``version moe_dtype`` of the MoE table a split used, None when its experts were physics."""
    system = SYSTEMS.get(accelerator)
    if system is None or stack not in BACKENDS or shape[3] <= 0:
        return None
    c = moe_curve(database_root(), system, stack, moe_dtype(compute_dtype, weight_bytes_per_param), shape, moe_tp, moe_ep)
    return None if c is None else c[0]
