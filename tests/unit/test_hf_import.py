"""`model import`: Hugging Face config.json files map to the catalog's architecture fields."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, assert_one_line_error, run_cli
from tokenfab.catalog import load_catalog
from tokenfab.catalog.hf_config import read_hf_config
from tokenfab.errors import InputError

HF = FIXTURES / "hf_configs"
ARCH_FIELDS = (
    "num_layers hidden_size intermediate_size num_attention_heads num_kv_heads head_dim vocab_size attention "
    "kv_lora_rank qk_rope_head_dim qk_nope_head_dim v_head_dim num_experts experts_per_token num_shared_experts "
    "moe_intermediate_size num_moe_layers sliding_window_tokens num_sliding_layers tie_embeddings"
).split()


@pytest.mark.parametrize(
    "folder,catalog_id",
    [
        ("llama-3.1-8b", "llama-3.1-8b"),
        ("mixtral-8x7b", "mixtral-8x7b"),
        ("qwen2.5-72b", "qwen2.5-72b"),
        ("qwen3-30b-a3b", "qwen3-30b-a3b"),
        ("deepseek-v3", "deepseek-v3"),
        ("gpt-oss-120b", "gpt-oss-120b"),
        ("gemma-3-27b", "gemma-3-27b"),
        ("llama-4-scout", "llama-4-scout"),
    ],
)
def test_import_matches_the_catalog_entry(folder, catalog_id):
    """The bundled rows were transcribed from the reference tables; the importer reads raw configs."""
    imported = read_hf_config(HF / folder / "config.json")
    bundled = load_catalog().model(catalog_id)
    for f in ARCH_FIELDS:
        assert getattr(imported, f) == getattr(bundled, f), f


def test_mistral_sliding_window_applies_to_every_layer():
    spec = read_hf_config(HF / "mistral-7b")
    assert spec.sliding_window_tokens == 4096 and spec.num_sliding_layers == 32
    assert spec.attention == "gqa"


def test_qwen3_dense():
    spec = read_hf_config(HF / "qwen3-8b" / "config.json", model_id="qwen3-8b")
    assert (spec.id, spec.num_layers, spec.head_dim, spec.num_moe_layers) == ("qwen3-8b", 36, 128, 0)


def test_release_dtypes_from_quantization_config():
    assert read_hf_config(HF / "deepseek-v3").release_dtype == "fp8"
    assert read_hf_config(HF / "gpt-oss-120b").release_dtype == "mxfp4"


def test_unsupported_model_type(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 768}))
    with pytest.raises(InputError, match="model_type = 'bert' is not supported"):
        read_hf_config(tmp_path)


def test_cli_import_prints_yaml_with_derived_params():
    proc = run_cli("model", "import", str(HF / "deepseek-v3" / "config.json"), "--id", "dsv3")
    assert proc.returncode == 0, proc.stderr
    assert "id: dsv3" in proc.stdout and "attention: mla" in proc.stdout
    assert "params_total: derived" in proc.stdout


def test_cli_import_save_then_use_as_overlay(tmp_path):
    proc = run_cli("model", "import", str(HF / "qwen3-8b"), "--id", "qwen3-8b", "--save", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    shown = run_cli("catalog", "show", "qwen3-8b", "--json", "--catalog", str(tmp_path))
    assert shown.returncode == 0, shown.stderr
    row = json.loads(shown.stdout)
    assert row["num_layers"] == 36 and row["params_total"] == pytest.approx(8.2e9, rel=0.02)


def test_cli_import_malformed_json(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "llama", ')
    assert_one_line_error(run_cli("model", "import", str(tmp_path)), "malformed JSON")


def test_cli_import_missing_key(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": 4096}))
    assert_one_line_error(run_cli("model", "import", str(tmp_path)), "'num_hidden_layers' is missing")


def test_cli_import_missing_file(tmp_path):
    assert_one_line_error(run_cli("model", "import", str(tmp_path / "none.json")), "no such file")
