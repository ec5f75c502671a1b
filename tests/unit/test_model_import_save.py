"""`tokenfab model import PATH --save DIR` writes safely (fuzzing report regressions).

No silent overwrite of an id (``--force``), never inside the installed package, a file given
as DIR is refused, the other rows and the comments of DIR/models.yaml are kept, the write is
atomic, nothing is printed when the save is refused, and the saved overlay loads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, assert_one_line_error
from tests.conftest import cli as run_cli
from tokenfab.catalog import validate_catalog
from tokenfab.catalog.loader import bundled_dir
from tokenfab.catalog.model_spec import ModelSpec
from tokenfab.catalog.writer import plan_model_save, save_model_row
from tokenfab.errors import CatalogError

QWEN3_8B = str(FIXTURES / "hf_configs" / "qwen3-8b")
DSV3 = str(FIXTURES / "hf_configs" / "deepseek-v3")

# a user's overlay with comments and a private model (a tiny llama: sizes need no derivation)
USER_FILE = """\
# my private models -- keep this comment
schema_version: 1
rows:
  # the in-house model
  - id: house-llm   # inline comment
    name: House LLM
    architecture: llama
    num_layers: 2
    hidden_size: 64
    intermediate_size: 128
    num_attention_heads: 4
    num_kv_heads: 4
    head_dim: 16
    vocab_size: 1000
    attention: mha
    source: internal design doc
    as_of: 2026-10-01
    kind: datasheet
  # end of my rows
"""
COMMENTS = [ln.strip() for ln in USER_FILE.splitlines() if "#" in ln]


def _import(*args: str):
    return run_cli("model", "import", *args)


def _models(directory: Path) -> dict[str, ModelSpec]:
    catalog, errors = validate_catalog(directory)  # uncached: each call reads the files again
    assert errors == []
    return {m.id: m for m in catalog.list("models")}  # type: ignore[misc]


def test_save_into_a_new_folder_loads_as_an_overlay(tmp_path):
    target = tmp_path / "overlay" / "nested"
    proc = _import(QWEN3_8B, "--id", "my-qwen", "--save", str(target))
    assert proc.returncode == 0, proc.stderr
    assert _models(target)["my-qwen"].num_layers == 36  # Qwen3-8B has 36 layers (model card)
    assert sorted(p.name for p in target.iterdir()) == ["models.yaml"]  # no temporary file left


def test_existing_id_is_not_overwritten_without_force(tmp_path):
    (tmp_path / "models.yaml").write_text(USER_FILE)
    proc = _import(QWEN3_8B, "--id", "house-llm", "--save", str(tmp_path))
    assert_one_line_error(proc, "'house-llm'", str(tmp_path / "models.yaml"), "--force")
    assert proc.stdout == ""  # nothing printed before it knew it could succeed
    assert (tmp_path / "models.yaml").read_text() == USER_FILE


def test_force_replaces_the_row_and_keeps_the_rest(tmp_path):
    (tmp_path / "models.yaml").write_text(USER_FILE)
    assert _import(DSV3, "--id", "dsv3", "--save", str(tmp_path)).returncode == 0
    proc = _import(QWEN3_8B, "--id", "house-llm", "--save", str(tmp_path), "--force")
    assert proc.returncode == 0, proc.stderr
    assert "replaced 'house-llm'" in proc.stderr
    models = _models(tmp_path)
    assert models["house-llm"].num_layers == 36 and models["house-llm"].architecture == "qwen3"
    assert models["dsv3"].attention == "mla"
    text = (tmp_path / "models.yaml").read_text()
    assert text.count("id: house-llm") == 1
    for comment in COMMENTS:
        assert comment in text, comment


def test_appending_keeps_other_rows_and_comments(tmp_path):
    (tmp_path / "models.yaml").write_text(USER_FILE)
    proc = _import(QWEN3_8B, "--id", "my-qwen", "--save", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "models.yaml").read_text()
    assert text.startswith(USER_FILE.rstrip("\n"))  # the user's part is byte-for-byte unchanged
    for comment in COMMENTS:
        assert comment in text
    assert set(_models(tmp_path)) >= {"house-llm", "my-qwen"}


def test_save_to_an_existing_file_is_refused(tmp_path):
    target = tmp_path / "models.yaml"
    target.write_text(USER_FILE)
    proc = _import(QWEN3_8B, "--save", str(target))
    assert_one_line_error(proc, str(target), "not a folder")
    assert proc.stdout == ""
    assert target.read_text() == USER_FILE


def test_save_into_the_bundled_data_is_refused():
    before = {p.name: p.stat().st_mtime_ns for p in bundled_dir().iterdir()}
    proc = _import(QWEN3_8B, "--id", "qwen3-8b-copy", "--save", str(bundled_dir()))
    assert_one_line_error(proc, "inside the installed tokenfab package")
    assert proc.stdout == ""
    assert {p.name: p.stat().st_mtime_ns for p in bundled_dir().iterdir()} == before


def test_save_anywhere_under_the_package_is_refused():
    inside = bundled_dir().parent / "catalog" / "my-overlay"
    proc = _import(QWEN3_8B, "--save", str(inside))
    assert_one_line_error(proc, "inside the installed tokenfab package")
    assert not inside.exists()


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_models_yaml_linked_into_the_package_is_refused(tmp_path):
    (tmp_path / "models.yaml").symlink_to(bundled_dir() / "models.yaml")
    before = (bundled_dir() / "models.yaml").read_bytes()
    assert_one_line_error(_import(QWEN3_8B, "--id", "x-1", "--save", str(tmp_path)), "points into")
    assert (bundled_dir() / "models.yaml").read_bytes() == before


def test_force_without_save_is_one_line():
    assert_one_line_error(_import(QWEN3_8B, "--force"), "--force only applies with --save")


def test_alias_bomb_in_the_existing_file_is_refused(tmp_path):
    from tests.unit.test_readers_bounded import BILLION_LAUGHS

    (tmp_path / "models.yaml").write_text(BILLION_LAUGHS)
    proc = _import(QWEN3_8B, "--save", str(tmp_path))
    assert_one_line_error(proc, "models.yaml:", "alias")
    assert (tmp_path / "models.yaml").read_text() == BILLION_LAUGHS


def test_json_output_with_save(tmp_path):
    proc = _import(QWEN3_8B, "--id", "q", "--save", str(tmp_path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["id"] == "q"


# --- library level: atomicity, races, YAML 1.1 look-alikes ---


def _row(**changes) -> dict:
    spec = ModelSpec.model_validate(
        {"id": "tiny", "name": "Tiny", "architecture": "llama", "num_layers": 2, "hidden_size": 64,
         "intermediate_size": 128, "num_attention_heads": 4, "num_kv_heads": 4, "head_dim": 16,
         "vocab_size": 1000, "attention": "mha", "source": "test", "as_of": "2026-10-01",
         "kind": "datasheet", **changes}
    )
    return spec.model_dump(mode="json", exclude_none=True)


def test_failed_replace_leaves_the_file_and_no_temporary(tmp_path, monkeypatch):
    (tmp_path / "models.yaml").write_text(USER_FILE)
    pending = plan_model_save(tmp_path, _row())

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tokenfab.catalog.writer.os.replace", boom)
    with pytest.raises(CatalogError, match="cannot write: No space left on device"):
        pending.commit()
    assert (tmp_path / "models.yaml").read_text() == USER_FILE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models.yaml"]


def test_file_changed_between_check_and_write_is_refused(tmp_path):
    (tmp_path / "models.yaml").write_text(USER_FILE)
    pending = plan_model_save(tmp_path, _row())
    (tmp_path / "models.yaml").write_text(USER_FILE + "  # edited meanwhile\n")
    with pytest.raises(CatalogError, match="changed while"):
        pending.commit()
    assert (tmp_path / "models.yaml").read_text().endswith("# edited meanwhile\n")


@pytest.mark.parametrize("name", ["yes", "on", "1:20", "0o17", "null", "2026-01-01", "~"])
def test_text_that_yaml_1_1_would_misread_is_saved_quoted(tmp_path, name):
    save_model_row(tmp_path, _row(name=name))
    assert _models(tmp_path)["tiny"].name == name


def test_saved_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "models.yaml"
    target.write_text(USER_FILE)
    target.chmod(0o600)
    save_model_row(tmp_path, _row())
    assert target.stat().st_mode & 0o777 == 0o600
