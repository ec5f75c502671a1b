"""Read a Hugging Face ``config.json`` from disk into a :class:`ModelSpec`.

Supported ``model_type`` values are listed in ``SUPPORTED``; anything else is
refused with the list. Nothing is fetched from the network.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError
from .model_spec import ModelSpec

SUPPORTED: tuple[str, ...] = (
    "llama", "mistral", "mixtral", "qwen2", "qwen3", "qwen3_moe", "deepseek_v3", "kimi_k2",
    "gpt_oss", "gemma3", "gemma3_text", "llama4", "llama4_text", "mistral3",
)


def _req(cfg: dict[str, Any], key: str, path: Path) -> Any:
    if key not in cfg or cfg[key] is None:
        raise InputError(f"{path}: key {key!r} is missing; a {cfg.get('model_type')} config.json has it")
    return cfg[key]


def _count_sliding(cfg: dict[str, Any], n_layers: int) -> int:
    types = cfg.get("layer_types")
    if isinstance(types, list):
        return sum(1 for t in types if "sliding" in str(t) or "chunked" in str(t))
    return 0


def spec_from_hf_config(cfg: dict[str, Any], path: Path, model_id: str | None = None) -> ModelSpec:
    """Map a config dict to a ModelSpec (pure; ``path`` is only used in messages)."""
    top_type = cfg.get("model_type")
    if top_type not in SUPPORTED:
        raise InputError(
            f"{path}: model_type = {top_type!r} is not supported; supported: {', '.join(SUPPORTED)}"
        )
    text = dict(cfg.get("text_config") or {}) if top_type in ("gemma3", "llama4", "mistral3") else {}
    c = {**cfg, **text}
    mt = top_type
    n_layers = int(_req(c, "num_hidden_layers", path))
    hidden = int(_req(c, "hidden_size", path))
    heads = int(_req(c, "num_attention_heads", path))
    kv_heads = int(c.get("num_key_value_heads") or heads)
    head_dim = int(c.get("head_dim") or hidden // heads)
    fields: dict[str, Any] = {
        "num_layers": n_layers,
        "hidden_size": hidden,
        "num_attention_heads": heads,
        "num_kv_heads": kv_heads,
        "head_dim": head_dim,
        "vocab_size": int(_req(c, "vocab_size", path)),
        "tie_embeddings": bool(c.get("tie_word_embeddings", False)),
        "attention": "mha" if kv_heads == heads else "gqa",
        "attention_bias": bool(c.get("attention_bias", mt == "qwen2")),
        "max_position_embeddings": c.get("max_position_embeddings"),
        "architecture": mt.removesuffix("_text"),
    }
    inter = c.get("intermediate_size")
    quant = (cfg.get("quantization_config") or {}).get("quant_method")
    if quant == "fp8":
        fields["release_dtype"] = "fp8"
    elif quant == "mxfp4":
        fields["release_dtype"] = "mxfp4"

    if mt in ("llama", "qwen2", "qwen3", "mistral", "mistral3"):
        fields["intermediate_size"] = int(_req(c, "intermediate_size", path))
        window = c.get("sliding_window")
        use_sw = c.get("use_sliding_window", mt in ("mistral",))
        if window and use_sw and window < (c.get("max_position_embeddings") or 1 << 62):
            fields["sliding_window_tokens"] = int(window)
            fields["num_sliding_layers"] = _count_sliding(c, n_layers) or n_layers
    elif mt == "mixtral":
        fields.update(
            num_experts=int(_req(c, "num_local_experts", path)),
            experts_per_token=int(_req(c, "num_experts_per_tok", path)),
            moe_intermediate_size=int(_req(c, "intermediate_size", path)),
            num_moe_layers=n_layers,
        )
    elif mt == "qwen3_moe":
        step = int(c.get("decoder_sparse_step", 1) or 1)
        dense_only = set(c.get("mlp_only_layers") or [])
        moe_layers = [i for i in range(n_layers) if i not in dense_only and (i + 1) % step == 0]
        fields.update(
            num_experts=int(_req(c, "num_experts", path)),
            experts_per_token=int(_req(c, "num_experts_per_tok", path)),
            moe_intermediate_size=int(_req(c, "moe_intermediate_size", path)),
            num_moe_layers=len(moe_layers),
        )
        if len(moe_layers) < n_layers:
            fields["intermediate_size"] = int(_req(c, "intermediate_size", path))
    elif mt in ("deepseek_v3", "kimi_k2"):
        rope, nope = int(_req(c, "qk_rope_head_dim", path)), int(_req(c, "qk_nope_head_dim", path))
        first_dense = int(c.get("first_k_dense_replace", 0) or 0)
        n_shared = int(c.get("n_shared_experts", 0) or 0)
        moe_inter = int(_req(c, "moe_intermediate_size", path))
        fields.update(
            attention="mla",
            head_dim=rope + nope,
            num_kv_heads=heads,
            kv_lora_rank=int(_req(c, "kv_lora_rank", path)),
            q_lora_rank=c.get("q_lora_rank"),
            qk_rope_head_dim=rope,
            qk_nope_head_dim=nope,
            v_head_dim=int(_req(c, "v_head_dim", path)),
            num_experts=int(_req(c, "n_routed_experts", path)),
            experts_per_token=int(_req(c, "num_experts_per_tok", path)),
            num_shared_experts=n_shared,
            moe_intermediate_size=moe_inter,
            shared_expert_intermediate_size=moe_inter if n_shared else None,
            num_moe_layers=n_layers - first_dense,
            architecture="deepseek_v3",
        )
        if first_dense:
            fields["intermediate_size"] = int(_req(c, "intermediate_size", path))
    elif mt == "gpt_oss":
        window = int(_req(c, "sliding_window", path))
        n_sliding = _count_sliding(c, n_layers) or n_layers // 2
        fields.update(
            num_experts=int(_req(c, "num_local_experts", path)),
            experts_per_token=int(c.get("experts_per_token") or _req(c, "num_experts_per_tok", path)),
            moe_intermediate_size=int(_req(c, "intermediate_size", path)),
            num_moe_layers=n_layers,
            sliding_window_tokens=window,
            num_sliding_layers=n_sliding,
            attention_bias=bool(c.get("attention_bias", True)),
        )
    elif mt in ("gemma3", "gemma3_text"):
        window = int(_req(c, "sliding_window", path))
        pattern = int(c.get("sliding_window_pattern", 6) or 6)
        n_sliding = _count_sliding(c, n_layers) or n_layers - n_layers // pattern
        fields.update(
            intermediate_size=int(_req(c, "intermediate_size", path)),
            sliding_window_tokens=window,
            num_sliding_layers=n_sliding,
            tie_embeddings=bool(c.get("tie_word_embeddings", True)),
            architecture="gemma3",
        )
    elif mt in ("llama4", "llama4_text"):
        step = int(c.get("interleave_moe_layer_step", 1) or 1)
        n_moe = n_layers // step
        chunk = c.get("attention_chunk_size")
        nope_layers = c.get("no_rope_layers")
        if isinstance(nope_layers, list) and nope_layers:
            n_global = sum(1 for v in nope_layers if not v)
        else:
            n_global = n_layers // 4
        fields.update(
            num_experts=int(_req(c, "num_local_experts", path)),
            experts_per_token=int(_req(c, "num_experts_per_tok", path)),
            num_shared_experts=1,
            moe_intermediate_size=int(_req(c, "intermediate_size", path)),
            shared_expert_intermediate_size=int(_req(c, "intermediate_size", path)),
            num_moe_layers=n_moe,
            architecture="llama4",
        )
        if n_moe < n_layers:
            fields["intermediate_size"] = int(_req(c, "intermediate_size_mlp", path))
        if chunk:
            fields.update(sliding_window_tokens=int(chunk), num_sliding_layers=n_layers - n_global)
    if inter is None and "intermediate_size" not in fields and not fields.get("num_moe_layers"):
        raise InputError(f"{path}: key 'intermediate_size' is missing")

    name = cfg.get("_name_or_path") or path.parent.name
    row_id = model_id or str(name).rstrip("/").split("/")[-1].lower()
    fields = {k: v for k, v in fields.items() if v is not None}
    try:
        return ModelSpec(
            id=row_id,
            name=str(name),
            hf_repo=cfg.get("_name_or_path"),
            source=f"Hugging Face config.json read from {path}",
            as_of=_dt.date.today(),
            kind="datasheet",
            **fields,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(config)"
        raise InputError(
            f"{path}: field {loc!r} = {err.get('input')!r}: {err['msg'].removeprefix('Value error, ')}"
            + (". Fix: pass --id with lowercase letters, digits, '.', '_' or '-'" if loc == "id" else "")
        ) from None


def read_hf_config(path: str | Path, model_id: str | None = None) -> ModelSpec:
    """Read ``config.json`` (or a folder holding one) and return a ModelSpec."""
    p = Path(path)
    if p.is_dir():
        p = p / "config.json"
    try:
        cfg = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{p}: no such file. Fix: pass the path of a Hugging Face config.json") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}:{exc.lineno}: malformed JSON: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read: {exc}") from None
    if not isinstance(cfg, dict):
        raise InputError(f"{p}: expected a JSON object, got {type(cfg).__name__}")
    return spec_from_hf_config(cfg, p, model_id)
