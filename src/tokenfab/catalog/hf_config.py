"""Read a Hugging Face ``config.json`` from disk into a :class:`ModelSpec`.

Supported ``model_type`` values are listed in ``SUPPORTED``; anything else is
refused with the list. Nothing is fetched from the network.

Nothing in the file is trusted: every value is read through :class:`_Config`, which
wants whole numbers in range where counts go, ``true``/``false`` where flags go and
objects where sections go, and names the key, the value and the fix otherwise.
Each architecture family has its own small mapping function (``_FAMILIES``).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, did_you_mean, input_error_from, show_value
from .model_spec import ModelSpec

MAX_CONFIG_BYTES = 5_000_000
"""Largest config.json read [bytes] (real ones are a few kB)."""
MAX_INT = 2**31 - 1
"""Largest whole number read from a config (HF stores these as 32-bit integers)."""
MAX_LAYERS = 10_000
_MULTIMODAL = ("gemma3", "llama4", "mistral3")  # the language model's settings are in text_config


def _fix(key: str) -> str:
    return f"Fix: set {key!r} to the value in the model's published config.json"


def _whole(value: Any) -> int | None:
    """``value`` as an int when it is a finite whole number (not a bool), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


class _Config:
    """Typed, bounded reading of one config dict; ``path`` and ``model_type`` are for messages."""

    def __init__(self, data: Mapping[str, Any], path: Path, model_type: str, text_keys: frozenset[str]):
        self.data = data
        self.path = path
        self.model_type = model_type
        self.text_keys = text_keys

    def name(self, key: str) -> str:
        return f"text_config.{key}" if key in self.text_keys else key

    def bad(self, key: str, value: Any, expected: str) -> InputError:
        name = self.name(key)
        return InputError(f"{self.path}: key {name!r} = {show_value(value)}: expected {expected}. {_fix(name)}")

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def req_int(self, key: str, minimum: int = 1, maximum: int = MAX_INT) -> int:
        value = self.opt_int(key, minimum, maximum)
        if value is None:
            raise InputError(
                f"{self.path}: key {self.name(key)!r} is missing; a {self.model_type} config.json has it. "
                "Fix: use the model's complete config.json"
            )
        return value

    def opt_int(self, key: str, minimum: int = 1, maximum: int = MAX_INT) -> int | None:
        raw = self.data.get(key)
        if raw is None:
            return None
        value = _whole(raw)
        if value is None or not minimum <= value <= maximum:
            raise self.bad(key, raw, f"a whole number from {minimum} to {maximum}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        raw = self.data.get(key)
        if raw is None:
            return default
        if not isinstance(raw, bool):
            raise self.bad(key, raw, "true or false")
        return raw

    def str_list(self, key: str) -> list[str] | None:
        raw = self.data.get(key)
        if raw is None:
            return None
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise self.bad(key, raw, "a list of strings")
        return raw

    def int_list(self, key: str, minimum: int, maximum: int, what: str) -> list[int] | None:
        raw = self.data.get(key)
        if raw is None:
            return None
        values = [_whole(v) for v in raw] if isinstance(raw, list) else None
        if values is None or any(v is None or not minimum <= v <= maximum for v in values):
            raise self.bad(key, raw, f"a list of {what} ({minimum} to {maximum})")
        return [v for v in values if v is not None]


def _count_sliding(c: _Config) -> int:
    """Layers with sliding or chunked attention according to ``layer_types`` (0 when absent)."""
    return sum(1 for t in c.str_list("layer_types") or () if "sliding" in t or "chunked" in t)


def _dense(c: _Config, n_layers: int) -> dict[str, Any]:
    """llama, mistral, mistral3, qwen2, qwen3: dense MLPs, optional sliding window on every layer."""
    out: dict[str, Any] = {"intermediate_size": c.req_int("intermediate_size")}
    window = c.opt_int("sliding_window", minimum=0)  # 0 or null: no window
    use_sw = c.flag("use_sliding_window", default=c.model_type == "mistral")
    max_pos = c.opt_int("max_position_embeddings")
    if window and use_sw and window < (max_pos or 1 << 62):
        out.update(sliding_window_tokens=window, num_sliding_layers=_count_sliding(c) or n_layers)
    return out


def _mixtral(c: _Config, n_layers: int) -> dict[str, Any]:
    """Mixtral: every layer is MoE; ``intermediate_size`` is the expert width."""
    return {
        "num_experts": c.req_int("num_local_experts"),
        "experts_per_token": c.req_int("num_experts_per_tok"),
        "moe_intermediate_size": c.req_int("intermediate_size"),
        "num_moe_layers": n_layers,
    }


def _qwen3_moe(c: _Config, n_layers: int) -> dict[str, Any]:
    """Qwen3-MoE: MoE every ``decoder_sparse_step`` layers except ``mlp_only_layers``."""
    step = c.opt_int("decoder_sparse_step", maximum=MAX_LAYERS) or 1
    dense_only = set(c.int_list("mlp_only_layers", 0, n_layers - 1, "layer indices") or ())
    moe_layers = [i for i in range(n_layers) if i not in dense_only and (i + 1) % step == 0]
    out: dict[str, Any] = {
        "num_experts": c.req_int("num_experts"),
        "experts_per_token": c.req_int("num_experts_per_tok"),
        "moe_intermediate_size": c.req_int("moe_intermediate_size"),
        "num_moe_layers": len(moe_layers),
    }
    if len(moe_layers) < n_layers:
        out["intermediate_size"] = c.req_int("intermediate_size")
    return out


def _mla_moe(c: _Config, n_layers: int) -> dict[str, Any]:
    """DeepSeek-V3 and Kimi K2: MLA attention; MoE after ``first_k_dense_replace`` dense layers."""
    rope, nope = c.req_int("qk_rope_head_dim"), c.req_int("qk_nope_head_dim")
    first_dense = c.opt_int("first_k_dense_replace", minimum=0, maximum=n_layers) or 0
    n_shared = c.opt_int("n_shared_experts", minimum=0) or 0
    moe_inter = c.req_int("moe_intermediate_size")
    out: dict[str, Any] = {
        "attention": "mla",
        "head_dim": rope + nope,
        "num_kv_heads": c.req_int("num_attention_heads"),
        "kv_lora_rank": c.req_int("kv_lora_rank"),
        "q_lora_rank": c.opt_int("q_lora_rank"),
        "qk_rope_head_dim": rope,
        "qk_nope_head_dim": nope,
        "v_head_dim": c.req_int("v_head_dim"),
        "num_experts": c.req_int("n_routed_experts"),
        "experts_per_token": c.req_int("num_experts_per_tok"),
        "num_shared_experts": n_shared,
        "moe_intermediate_size": moe_inter,
        "shared_expert_intermediate_size": moe_inter if n_shared else None,
        "num_moe_layers": n_layers - first_dense,
        "architecture": "deepseek_v3",
    }
    if first_dense:
        out["intermediate_size"] = c.req_int("intermediate_size")
    return out


def _gpt_oss(c: _Config, n_layers: int) -> dict[str, Any]:
    """gpt-oss: every layer MoE; sliding window on alternate layers (or as ``layer_types`` says)."""
    return {
        "num_experts": c.req_int("num_local_experts"),
        "experts_per_token": c.opt_int("experts_per_token") or c.req_int("num_experts_per_tok"),
        "moe_intermediate_size": c.req_int("intermediate_size"),
        "num_moe_layers": n_layers,
        "sliding_window_tokens": c.req_int("sliding_window"),
        "num_sliding_layers": _count_sliding(c) or n_layers // 2,
        "attention_bias": c.flag("attention_bias", True),
    }


def _gemma3(c: _Config, n_layers: int) -> dict[str, Any]:
    """Gemma 3: dense; one global layer every ``sliding_window_pattern`` layers, the rest local."""
    pattern = c.opt_int("sliding_window_pattern", maximum=MAX_LAYERS) or 6
    return {
        "intermediate_size": c.req_int("intermediate_size"),
        "sliding_window_tokens": c.req_int("sliding_window"),
        "num_sliding_layers": _count_sliding(c) or n_layers - n_layers // pattern,
        "tie_embeddings": c.flag("tie_word_embeddings", True),
        "architecture": "gemma3",
    }


def _llama4(c: _Config, n_layers: int) -> dict[str, Any]:
    """Llama 4: MoE every ``interleave_moe_layer_step`` layers with one shared expert; chunked
    local attention on the layers with RoPE (``no_rope_layers`` 1), global on the others."""
    step = c.opt_int("interleave_moe_layer_step", maximum=MAX_LAYERS) or 1
    n_moe = n_layers // step
    chunk = c.opt_int("attention_chunk_size")
    rope_flags = c.int_list("no_rope_layers", 0, 1, "0/1 flags")
    n_global = sum(1 for v in rope_flags if not v) if rope_flags else n_layers // 4
    inter = c.req_int("intermediate_size")
    out: dict[str, Any] = {
        "num_experts": c.req_int("num_local_experts"),
        "experts_per_token": c.req_int("num_experts_per_tok"),
        "num_shared_experts": 1,
        "moe_intermediate_size": inter,
        "shared_expert_intermediate_size": inter,
        "num_moe_layers": n_moe,
        "architecture": "llama4",
    }
    if n_moe < n_layers:
        out["intermediate_size"] = c.req_int("intermediate_size_mlp")
    if chunk:
        out.update(sliding_window_tokens=chunk, num_sliding_layers=n_layers - n_global, local_attention="chunked")
    return out


_FAMILIES: dict[str, Callable[[_Config, int], dict[str, Any]]] = {
    "llama": _dense,
    "mistral": _dense,
    "mixtral": _mixtral,
    "qwen2": _dense,
    "qwen3": _dense,
    "qwen3_moe": _qwen3_moe,
    "deepseek_v3": _mla_moe,
    "kimi_k2": _mla_moe,
    "gpt_oss": _gpt_oss,
    "gemma3": _gemma3,
    "gemma3_text": _gemma3,
    "llama4": _llama4,
    "llama4_text": _llama4,
    "mistral3": _dense,
}
SUPPORTED: tuple[str, ...] = tuple(_FAMILIES)


def _section(cfg: Mapping[str, Any], key: str, path: Path, what: str) -> dict[str, Any]:
    """A nested object of the config (``text_config``, ``quantization_config``); {} when absent."""
    raw = cfg.get(key)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InputError(f"{path}: key {key!r} = {show_value(raw)}: expected a JSON object ({what}). {_fix(key)}")
    return raw


def _model_type(cfg: Mapping[str, Any], path: Path) -> str:
    top_type = cfg.get("model_type")
    if not isinstance(top_type, str) or top_type not in _FAMILIES:
        hint = did_you_mean(str(top_type), SUPPORTED) if isinstance(top_type, str) else ""
        raise InputError(
            f"{path}: model_type = {show_value(top_type)} is not supported; "
            f"{hint + ' ' if hint else ''}supported: {', '.join(SUPPORTED)}. "
            "Fix: write the models.yaml row by hand for other architectures"
        )
    return top_type


def _common(c: _Config, top: _Config) -> dict[str, Any]:
    """The fields every family shares: sizes, heads, vocabulary, flags, release dtype."""
    n_layers = c.req_int("num_hidden_layers", maximum=MAX_LAYERS)
    hidden = c.req_int("hidden_size")
    heads = c.req_int("num_attention_heads")
    kv_heads = c.opt_int("num_key_value_heads") or heads
    quant = _section(top.data, "quantization_config", top.path, "the quantization settings")
    method = quant.get("quant_method")
    if method is not None and not isinstance(method, str):
        raise top.bad("quantization_config.quant_method", method, "a name such as 'fp8'")
    fields: dict[str, Any] = {
        "num_layers": n_layers,
        "hidden_size": hidden,
        "num_attention_heads": heads,
        "num_kv_heads": kv_heads,
        "head_dim": c.opt_int("head_dim") or hidden // heads,
        "vocab_size": c.req_int("vocab_size"),
        "tie_embeddings": c.flag("tie_word_embeddings", False),
        "attention": "mha" if kv_heads == heads else "gqa",
        "attention_bias": c.flag("attention_bias", c.model_type == "qwen2"),
        "max_position_embeddings": c.opt_int("max_position_embeddings"),
        "architecture": c.model_type.removesuffix("_text"),
    }
    if method in ("fp8", "mxfp4"):
        fields["release_dtype"] = method
    if method == "fp8" and quant.get("weight_block_size") is not None:
        block = quant["weight_block_size"]
        if not (isinstance(block, list) and len(block) == 2
                and all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in block)):
            raise top.bad("quantization_config.weight_block_size", block, "two positive integers such as [128, 128]")
        fields["fp8_block_scales"] = True  # per-block weight scales (DeepSeek-V3's 128 x 128)
    if method == "mxfp4":  # a weight-only MXFP4 checkpoint: stacks run it against 8-bit activations
        fields["activation_dtype_4bit"] = "fp8"
        kept = quant.get("modules_to_not_convert") or []
        if isinstance(kept, list) and any(isinstance(k, str) and "self_attn" in k for k in kept):
            fields["attention_dtype_4bit"] = "bf16"  # attention left out of the quantization
    return fields


def _identity(cfg: Mapping[str, Any], path: Path, model_id: str | None) -> tuple[str, str, str | None]:
    """(row id, display name, Hugging Face repo) from ``_name_or_path`` or the folder name."""
    repo = cfg.get("_name_or_path")
    if repo is not None and not isinstance(repo, str):
        raise InputError(f"{path}: key '_name_or_path' = {show_value(repo)}: expected a string. {_fix('_name_or_path')}")
    name = repo or path.parent.name
    return model_id or name.rstrip("/").split("/")[-1].lower(), name, repo or None


def spec_from_hf_config(cfg: dict[str, Any], path: Path, model_id: str | None = None) -> ModelSpec:
    """Map a config dict to a ModelSpec (pure; ``path`` is only used in messages)."""
    mt = _model_type(cfg, path)
    text = _section(cfg, "text_config", path, "the language model's settings")
    text = text if mt in _MULTIMODAL else {}
    c = _Config({**cfg, **text}, path, mt, frozenset(text))
    fields = _common(c, _Config(cfg, path, mt, frozenset()))
    fields.update(_FAMILIES[mt](c, fields["num_layers"]))
    row_id, name, repo = _identity(cfg, path, model_id)
    fields = {k: v for k, v in fields.items() if v is not None}
    try:
        return ModelSpec(
            id=row_id,
            name=name,
            hf_repo=repo,
            source=f"Hugging Face config.json read from {path}",
            as_of=_dt.date.today(),
            kind="datasheet",
            **fields,
        )
    except ValidationError as exc:
        first = exc.errors()[0]["loc"][:1]
        fix = (
            "pass --id with lowercase letters, digits, '.', '_' or '-'"
            if first == ("id",)
            else "the config.json values do not describe a consistent model; check them against the model card"
        )
        raise input_error_from(exc, str(path), fix) from None


def _load_json(p: Path) -> Any:
    from .files import read_text_bounded

    if not p.exists():
        raise InputError(f"{p}: no such file. Fix: pass the path of a Hugging Face config.json")
    text = read_text_bounded(p, MAX_CONFIG_BYTES, error=InputError,
                             not_file_fix="pass the path of a Hugging Face config.json",
                             too_large_fix="pass the model's config.json (a few kB), not a weights or index file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}:{exc.lineno}: malformed JSON: {exc.msg}. Fix: check the file is the full config.json") from None
    except ValueError as exc:  # an integer with thousands of digits
        raise InputError(f"{p}: {str(exc).split(': ')[0]}. Fix: pass the model's published config.json") from None
    except RecursionError:
        raise InputError(f"{p}: nested too deeply to be a config.json. Fix: pass the model's config.json") from None


def read_hf_config(path: str | Path, model_id: str | None = None) -> ModelSpec:
    """Read ``config.json`` (or a folder holding one) and return a ModelSpec."""
    p = Path(path)
    if p.is_dir():
        p = p / "config.json"
    cfg = _load_json(p)
    if not isinstance(cfg, dict):
        raise InputError(f"{p}: expected a JSON object, got {type(cfg).__name__}. Fix: pass the model's config.json")
    return spec_from_hf_config(cfg, p, model_id)
