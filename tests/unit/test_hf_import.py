"""`model import`: Hugging Face config.json files map to the catalog's architecture fields."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, assert_one_line_error
from tests.conftest import cli as run_cli
from tokenfab.catalog import load_catalog
from tokenfab.catalog.hf_config import read_hf_config, spec_from_hf_config
from tokenfab.errors import InputError

HF = FIXTURES / "hf_configs"
ARCH_FIELDS = (
    "num_layers hidden_size intermediate_size num_attention_heads num_kv_heads head_dim vocab_size attention "
    "kv_lora_rank qk_rope_head_dim qk_nope_head_dim v_head_dim num_experts experts_per_token num_shared_experts "
    "moe_intermediate_size num_moe_layers sliding_window_tokens num_sliding_layers local_attention tie_embeddings"
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


def test_what_a_4bit_release_leaves_unquantized():
    """gpt-oss's quantization_config lists model.layers.*.self_attn in modules_to_not_convert:
    its attention stays BF16, and an MXFP4 (weight-only) checkpoint runs against 8-bit activations;
    an FP8 release says nothing of 4-bit checkpoints."""
    oss = read_hf_config(HF / "gpt-oss-120b")
    assert (oss.attention_dtype_4bit, oss.activation_dtype_4bit) == ("bf16", "fp8")
    ds = read_hf_config(HF / "deepseek-v3")
    assert (ds.attention_dtype_4bit, ds.activation_dtype_4bit) == (None, "fp4")


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


# --- malformed values (fuzzing report): one line naming the key, the value and the fix ---


def _write_config(tmp_path, folder: str, key: str, value, *, in_text_config: bool = False):
    cfg = json.loads((HF / folder / "config.json").read_text())
    (cfg["text_config"] if in_text_config else cfg)[key] = value
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))  # NaN and Infinity are written as the JSON literals
    return path


MALFORMED = [
    # (fixture, key, value, what the line must show of the value)
    ("llama-3.1-8b", "num_hidden_layers", "thirty-two", "'thirty-two'"),
    ("llama-3.1-8b", "hidden_size", float("nan"), "= nan"),
    ("llama-3.1-8b", "hidden_size", float("inf"), "= inf"),
    ("llama-3.1-8b", "vocab_size", 10**400, "= 1000000000"),
    ("llama-3.1-8b", "num_attention_heads", [32, 32], "= [32, 32]"),
    ("llama-3.1-8b", "num_attention_heads", 0, "= 0"),
    ("llama-3.1-8b", "tie_word_embeddings", "false", "= 'false'"),
    ("deepseek-v3", "quantization_config", "fp8", "= 'fp8'"),
    ("qwen3-30b-a3b", "mlp_only_layers", 5, "= 5"),
    ("qwen3-30b-a3b", "mlp_only_layers", [0, 48], "= [0, 48]"),  # 48 layers: indices 0..47
    ("mistral-7b", "sliding_window", "big", "= 'big'"),
    ("gemma-3-27b", "text_config", "oops", "= 'oops'"),
]


@pytest.mark.parametrize("folder,key,value,shown", MALFORMED, ids=[f"{k}={v!r:.20}" for _, k, v, _ in MALFORMED])
def test_malformed_value_is_one_line_naming_key_value_fix(tmp_path, folder, key, value, shown):
    path = _write_config(tmp_path, folder, key, value)
    with pytest.raises(InputError) as info:
        read_hf_config(path)
    msg = str(info.value)
    assert f"'{key}'" in msg and shown in msg and "Fix:" in msg and "\n" not in msg
    assert len(msg) < 300  # a huge value is cut, never echoed whole


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_cli_json_non_finite_literal(tmp_path, literal):
    path = _write_config(tmp_path, "llama-3.1-8b", "hidden_size", 0)
    path.write_text(path.read_text().replace('"hidden_size": 0', f'"hidden_size": {literal}'))
    proc = run_cli("model", "import", str(path))
    assert_one_line_error(proc, "'hidden_size'", "Fix:")
    assert proc.stdout == ""


def test_cli_thirty_two_layers_in_words(tmp_path):
    path = _write_config(tmp_path, "llama-3.1-8b", "num_hidden_layers", "thirty-two")
    assert_one_line_error(run_cli("model", "import", str(path)), "'num_hidden_layers'", "'thirty-two'", "Fix:")


def test_bad_value_inside_text_config_is_named_with_its_section(tmp_path):
    path = _write_config(tmp_path, "gemma-3-27b", "num_hidden_layers", -1, in_text_config=True)
    with pytest.raises(InputError, match=r"key 'text_config.num_hidden_layers' = -1"):
        read_hf_config(path)


def test_whole_number_written_as_float_is_accepted(tmp_path):
    """4096.0 is a whole number: lenient, since some exporters write floats."""
    path = _write_config(tmp_path, "llama-3.1-8b", "hidden_size", 4096.0)
    assert read_hf_config(path).hidden_size == 4096


def test_integer_with_thousands_of_digits(tmp_path):
    path = _write_config(tmp_path, "llama-3.1-8b", "vocab_size", 0)
    path.write_text(path.read_text().replace('"vocab_size": 0', '"vocab_size": 1' + "0" * 5000))
    assert_one_line_error(run_cli("model", "import", str(path)), "config.json", "Fix:")


def test_deeply_nested_json(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "llama", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert_one_line_error(run_cli("model", "import", str(tmp_path)), "nested too deeply")


def test_oversized_config(tmp_path):
    cfg = json.loads((HF / "llama-3.1-8b" / "config.json").read_text())
    cfg["padding"] = "x" * 6_000_000
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    assert_one_line_error(run_cli("model", "import", str(tmp_path)), "larger than 5 MB")


def test_unsupported_model_type_suggests_the_closest():
    with pytest.raises(InputError, match="did you mean 'llama'"):
        spec_from_hf_config({"model_type": "lama"}, HF / "x" / "config.json")
