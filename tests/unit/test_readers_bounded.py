"""Catalog readers are bounded: hostile or broken overlay files give one line, quickly.

Regression tests for the fuzzing report: alias bombs, deep nesting, huge files, non-scalar
keys, non-finite numbers, invalid dates and huge integers in YAML; BOM and CRLF in CSV.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import assert_one_line_error
from tests.conftest import cli as run_cli
from tests.unit.test_catalog_bad_input import GOOD_CHIP, OFFERS_HEADER
from tokenfab.catalog import files, load_catalog, validate_catalog
from tokenfab.catalog.files import read_csv_rows, read_yaml_rows
from tokenfab.errors import CatalogError

# Each level holds nine aliases of the level below: expanded, level 9 is 9**9 (~387 million)
# strings. Read as a tree it never finishes; the reader must refuse it without expanding.
BILLION_LAUGHS = (
    "schema_version: 1\n"
    "_bomb:\n"
    '  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    + "".join(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    + "rows: [*l9]\n"
)


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def _line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` containing ``needle``."""
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


def test_billion_laughs_is_refused_without_expanding(tmp_path):
    path = _write(tmp_path, "accelerators.yaml", BILLION_LAUGHS)
    start = time.monotonic()
    with pytest.raises(CatalogError) as info:
        read_yaml_rows(path)
    assert time.monotonic() - start < 2.0
    msg = str(info.value)
    # the first alias of a list is on the line that defines l1
    assert f"accelerators.yaml:{_line_of(BILLION_LAUGHS, '  l1:')}:" in msg
    assert "alias *l0" in msg and "Fix:" in msg and "\n" not in msg


def test_billion_laughs_through_the_cli_is_one_line(tmp_path):
    _write(tmp_path, "accelerators.yaml", BILLION_LAUGHS)
    proc = run_cli("catalog", "list", "accelerators", "--catalog", str(tmp_path))
    assert_one_line_error(proc, "accelerators.yaml:", "alias")


def test_self_referencing_alias_is_refused(tmp_path):
    path = _write(tmp_path, "accelerators.yaml", "schema_version: 1\nrows: &r [*r]\n")
    with pytest.raises(CatalogError, match=r"accelerators.yaml:2: alias \*r"):
        read_yaml_rows(path)


def test_alias_of_a_single_value_still_works(tmp_path):
    """Anchors on scalars (the bundled providers.yaml's ``source: *anssi``) are kept."""
    text = GOOD_CHIP.replace("schema_version: 1\n", "schema_version: 1\n_src: &doc internal datasheet rev 3\n")
    text = text.replace("    source: internal datasheet rev 3", "    source: *doc")
    rows = read_yaml_rows(_write(tmp_path, "accelerators.yaml", text))
    assert rows[0].data["source"] == "internal datasheet rev 3"


def test_bundled_anchor_resolves_to_the_anssi_citation():
    outscale = load_catalog().provider("outscale")
    assert any(c.source.startswith("ANSSI SecNumCloud catalogue") for c in outscale.certifications)


def test_50000_nested_brackets_give_one_line_not_recursion_error(tmp_path):
    text = "schema_version: 1\nrows:\n  - id: " + "[" * 50_000 + "\n"
    _write(tmp_path, "accelerators.yaml", text)
    with pytest.raises(CatalogError, match=r"accelerators.yaml:3: nested deeper than \d+ levels"):
        read_yaml_rows(tmp_path / "accelerators.yaml")
    proc = run_cli("catalog", "list", "accelerators", "--catalog", str(tmp_path))
    assert_one_line_error(proc, "nested deeper than")


def test_file_over_5_mb_is_refused_before_parsing(tmp_path):
    text = GOOD_CHIP + "# padding\n" * 600_000  # 6 MB of comments: valid YAML, too big
    path = _write(tmp_path, "accelerators.yaml", text)
    with pytest.raises(CatalogError, match="larger than 5 MB"):
        read_yaml_rows(path)
    csv_path = _write(tmp_path, "offers.csv", OFFERS_HEADER + "# padding\n" * 600_000)
    with pytest.raises(CatalogError, match="larger than 5 MB"):
        read_csv_rows(csv_path)


@pytest.mark.parametrize("key", ["? [a, b]\n    : 1", "? {a: 1}\n    : 1"])
def test_non_scalar_mapping_key_is_one_line(tmp_path, key):
    text = GOOD_CHIP.replace("    kind: datasheet\n", f"    kind: datasheet\n    {key}\n")
    _write(tmp_path, "accelerators.yaml", text)
    proc = run_cli("catalog", "list", "accelerators", "--catalog", str(tmp_path))
    assert_one_line_error(proc, f"accelerators.yaml:{_line_of(text, '? ')}:", "key")


def test_key_that_yaml_reads_as_a_bool_is_refused(tmp_path):
    text = GOOD_CHIP.replace("    kind: datasheet\n", "    kind: datasheet\n    on: 1\n")
    with pytest.raises(CatalogError, match="key 'on' is read as True"):
        read_yaml_rows(_write(tmp_path, "accelerators.yaml", text))


@pytest.mark.parametrize("literal", [".inf", "-.inf", ".nan", ".NaN", "1e400"])
def test_non_finite_yaml_number_is_refused(tmp_path, literal):
    text = GOOD_CHIP.replace("    kind: datasheet\n", f"    kind: datasheet\n    on_chip_sram_bytes: {literal}\n")
    _write(tmp_path, "accelerators.yaml", text)
    proc = run_cli("catalog", "list", "accelerators", "--json", "--catalog", str(tmp_path))
    line = assert_one_line_error(proc, f"accelerators.yaml:{_line_of(text, 'on_chip_sram')}:", "not a finite number")
    assert literal in line


@pytest.mark.parametrize("cell", ["inf", "-inf", "nan", "NaN", "1e400", "Infinity"])
def test_non_finite_csv_number_is_refused(tmp_path, cell):
    row = f"neg,lambda,us,x,h100-sxm,8,USD,{cell},,,,quote,2026-10-01,datasheet,\n"
    _write(tmp_path, "offers.csv", OFFERS_HEADER + row)
    _, errors = validate_catalog(tmp_path)
    assert len(errors) == 1
    assert "offers.csv:2" in errors[0] and "on_demand_price_per_accel_hour" in errors[0]
    assert "finite" in errors[0]


def test_impossible_date_is_one_line(tmp_path):
    text = GOOD_CHIP.replace("as_of: 2026-10-01", "as_of: 2026-02-30")
    with pytest.raises(CatalogError, match=r"accelerators.yaml:\d+: cannot read '2026-02-30'.*Fix: .*YYYY-MM-DD"):
        read_yaml_rows(_write(tmp_path, "accelerators.yaml", text))


def test_integer_with_thousands_of_digits_is_one_line(tmp_path):
    text = GOOD_CHIP.replace("memory_bytes: 96e9", "memory_bytes: 9" + "0" * 5000)
    _write(tmp_path, "accelerators.yaml", text)
    proc = run_cli("catalog", "list", "accelerators", "--catalog", str(tmp_path))
    line = assert_one_line_error(proc, f"accelerators.yaml:{_line_of(text, 'memory_bytes')}:", "cannot read")
    assert len(line) < 400  # the value is cut, not echoed


def test_non_utf8_file_names_the_line(tmp_path):
    data = GOOD_CHIP.replace("Example Corp", "Example \udcff Corp").encode("utf-8", "surrogateescape")
    with pytest.raises(CatalogError, match="accelerators.yaml:5: not UTF-8"):
        read_yaml_rows(_write(tmp_path, "accelerators.yaml", data))


def test_csv_with_bom_and_crlf_loads(tmp_path):
    row = "lambda-h100-8,lambda,us,8x H100,h100-sxm,8,USD,2.10,,,,our contract,2026-10-01,datasheet,\n"
    data = ("\ufeff# negotiated prices\n" + OFFERS_HEADER + row).replace("\n", "\r\n").encode("utf-8")
    path = _write(tmp_path, "offers.csv", data)
    rows = read_csv_rows(path)
    assert [r.line for r in rows] == [3]  # comment, header, row
    assert rows[0].data["id"] == "lambda-h100-8"
    assert "\r" not in "".join(rows[0].data.values())
    assert load_catalog(tmp_path).offer("lambda-h100-8").on_demand_price_per_accel_hour == 2.10


def test_csv_with_bom_first_header_cell_is_the_id(tmp_path):
    row = "x1,lambda,us,x,h100-sxm,8,USD,2.5,,,,quote,2026-10-01,datasheet,\n"
    rows = read_csv_rows(_write(tmp_path, "offers.csv", ("\ufeff" + OFFERS_HEADER + row).encode("utf-8")))
    assert rows[0].data["id"] == "x1"


def test_crlf_csv_error_keeps_the_line_number(tmp_path):
    row = "short,lambda,us\n"
    _write(tmp_path, "offers.csv", (OFFERS_HEADER + row).replace("\n", "\r\n"))
    with pytest.raises(CatalogError, match="offers.csv:2: row has 3 cells"):
        read_csv_rows(tmp_path / "offers.csv")


# The package's own files go through libyaml (files.load_yaml_text bundled=True); users' files keep the
# Python composer and its checks. The reference for "the same values" is the strict Python loader itself.
BUNDLED_YAML = sorted((Path(files.__file__).resolve().parents[1] / "data").glob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED_YAML, ids=lambda p: p.name)
def test_bundled_files_read_the_same_with_both_parsers(path):
    text = path.read_text(encoding="utf-8")
    strict = yaml.load(text, Loader=files._Loader)
    assert yaml.load(text, Loader=files._BundledLoader) == strict  # values and __line__ keys
    assert files.load_bundled_yaml(text) == yaml.safe_load(text)
    assert files.is_bundled(path)


def test_only_the_package_data_directory_counts_as_bundled(tmp_path):
    copy = _write(tmp_path, "accelerators.yaml", BUNDLED_YAML[0].read_text(encoding="utf-8"))
    assert not files.is_bundled(copy)
    bomb = _write(tmp_path, "accelerators.yaml", BILLION_LAUGHS)
    with pytest.raises(CatalogError, match="alias"):  # a user's file keeps the alias check
        read_yaml_rows(bomb)
