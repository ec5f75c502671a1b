"""Fuzz the files users hand tokenfab: catalog overlays, Hugging Face config.json, and
measured-results CSVs for ``tokenfab validate``.

(a) Catalog overlays (``validate_catalog(dir)`` and ``load_catalog(dir)``). Generated:
bundled rows (read with the catalog's own reader) with one field mutated (deleted, wrong
type, nan/inf/1e400/huge integers, negative, empty, very long, nested, a bogus date) or an
unknown field added, dumped as YAML; bundled CSV rows with one cell mutated, a column
dropped, a duplicate header, a ragged row; random YAML structures; and a list of hand-made
hostile documents (aliases of mappings, billion laughs, deep nesting, python tags, duplicate
and non-string keys, several documents, ``!!binary``, bad timestamps, 5,000-digit integers);
then byte-level damage (a BOM, CRLF ends, binary garbage, a cut-off tail) and a file name that
may be another kind's or unknown. Promise: only ``CatalogError``/``InputError`` escape, every
problem is one line of bounded length, ``load_catalog`` succeeds exactly when
``validate_catalog`` reports nothing, and every overlay row then dumps to strict JSON. The
hand-made documents also run one by one (``test_hostile_yaml_documents``), every time.

(b) ``read_hf_config``: the real configs in ``tests/fixtures/hf_configs`` with keys deleted,
given the wrong type, nan/Infinity/huge numbers, nested garbage, an unknown ``model_type``
(plus raw-text damage). Promise: a ``ModelSpec`` that dumps to strict JSON, or one
``InputError`` line; ``tokenfab model import`` on the same file keeps the CLI promise, and a
model that imports is saved to an overlay and estimated on 8 x H200 (the engine must not turn
an absurd architecture into NaN, infinity or a traceback).

(c) ``measure_accuracy`` on CSVs in the ``tokenfab validate`` format: rows of
``validation/measured.csv`` with cells mutated, random rows, a broken header, byte damage.
Promise: an ``AccuracyReport`` whose every figure is finite or None, or one ``InputError``.

Everywhere a numpy ``RuntimeWarning`` (overflow, 0/0) fails the test: the installed script
would print it on stderr. The working directory is a scratch folder.

Speed: the bundled catalog files are parsed once per module (``read_rows`` is memoized for
files of the bundled folder only; overlay files are always read), so an overlay example
costs a few milliseconds instead of the ~150 ms of parsing the bundled YAML again. About 7 s.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, note
from hypothesis import strategies as st

import tokenfab
from tokenfab.accuracy.measured import VALIDATION_HEADER
from tokenfab.catalog import hf_config, loader
from tokenfab.catalog.files import _csv_lines, load_yaml_text, strip_lines
from tokenfab.catalog.loader import KIND_FILES, bundled_dir
from tokenfab.errors import CatalogError, InputError

from ..conftest import FIXTURES, ROOT, cli
from .common import (
    HOSTILE_TEXT,
    assert_cli_promise,
    assert_finite,
    assert_one_line_message,
    fuzz_settings,
    weighted,
)

# numpy's RuntimeWarning (overflow, 0/0) is printed on stderr by the installed script: an error here
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


@pytest.fixture(scope="module", autouse=True)
def _bundled_files_read_once() -> Iterator[None]:
    """Parse each bundled catalog file once for the whole module (they do not change)."""
    real = loader.read_rows
    base = bundled_dir()
    memo: dict[Path, Any] = {}

    def read_rows(path: Path) -> Any:
        if path.parent != base:
            return real(path)
        if path not in memo:
            memo[path] = real(path)
        return memo[path]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(loader, "read_rows", read_rows)
        yield


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """A throw-away folder, also the working directory (relative paths never reach the checkout)."""
    root = Path(tempfile.mkdtemp(prefix="tokenfab-fuzz-files-"))
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        yield root
    shutil.rmtree(root, ignore_errors=True)


def _fresh_dir(root: Path) -> Path:
    """A new folder per example: ``load_catalog`` caches per path."""
    return Path(tempfile.mkdtemp(dir=root))


# ---------------------------------------------------------------- hostile values for files

HUGE_INT = 10**400
HOSTILE_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, -0.0, 1.5, 1e308, -1e308, 5e-324, 2**63, -(2**63), HUGE_INT, math.nan, math.inf,
    -math.inf, "", " ", "nan", "inf", "1e400", "-1", "80 GB", "0x10", "1_000", "\u0663", "true", "2026-02-30",
    "x" * 10_000, "line\nbreak", "\x00", "\u202e\U0001f4a5", [], {}, [1, [2, [3]]], {"a": {"b": None}},
    dt.date(2026, 2, 28), dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.datetime(2026, 1, 1, 12, 0),
)


def _yaml_rows(fname: str) -> list[dict[str, Any]]:
    text = (bundled_dir() / fname).read_text(encoding="utf-8")
    return [strip_lines(r) for r in load_yaml_text(text, fname)["rows"]]


def _csv_table(fname: str) -> list[list[str]]:
    text = (bundled_dir() / fname).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO("\n".join(ln for _, ln in _csv_lines(text)))))


YAML_KINDS = {k: f for k, (f, _) in KIND_FILES.items() if f.endswith(".yaml")}
CSV_KINDS = {k: f for k, (f, _) in KIND_FILES.items() if f.endswith(".csv")}
YAML_ROWS = {f: _yaml_rows(f) for f in YAML_KINDS.values()}
CSV_TABLES = {f: _csv_table(f) for f in CSV_KINDS.values()}
# no discount is bundled (they are the user's): fuzz from one valid row
CSV_TABLES["discounts.csv"].append(["contract-1", "scaleway", "", "0.2", "my contract 2026-11", "2026-11-01", "measured", ""])
FILE_NAMES = tuple(f for f, _ in KIND_FILES.values())


def _paths(value: Any, prefix: tuple[Any, ...] = (), depth: int = 0) -> list[tuple[Any, ...]]:
    """Every place in a row a value sits (keys and list indices, three levels deep)."""
    out = [prefix] if prefix else []
    if depth >= 3:
        return out
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k), depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            out += _paths(v, (*prefix, i), depth + 1)
    return out


def _set(row: Any, path: tuple[Any, ...], value: Any, delete: bool) -> None:
    for key in path[:-1]:
        row = row[key]
    if delete:
        del row[path[-1]]
    else:
        row[path[-1]] = value


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=4096)


@st.composite
def mutated_yaml(draw: st.DrawFn) -> tuple[str, str]:
    """(file name, text): 1-3 bundled rows of one kind, one of them with one field mutated."""
    fname = draw(st.sampled_from(sorted(YAML_ROWS)))
    pool = YAML_ROWS[fname]
    rows = [_copy(r) for r in draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))]
    target = rows[0]
    action = draw(st.sampled_from(["set", "set", "set", "delete", "unknown", "id"]))
    if action == "unknown":
        target[draw(st.sampled_from(["memory_gb", "price", "Id", "x" * 300, "", "as_of ", "kind\n"]))] = 1
    elif action == "id":
        target["id"] = draw(st.sampled_from(["", "UPPER", "a b", "-x", "x" * 81, "h200", rows[-1]["id"], 7, None]))
    else:
        path = draw(st.sampled_from(_paths(target)))
        _set(target, path, draw(st.sampled_from(HOSTILE_VALUES)), delete=action == "delete")
    version = draw(weighted(st.just(1), st.sampled_from([0, 2, "1", 1.0, None, True]), 8))
    return fname, _dump({"schema_version": version, "rows": rows})


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
                     st.sampled_from(HOSTILE_VALUES[:40]), st.dates())
random_structure = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


@st.composite
def random_yaml(draw: st.DrawFn) -> tuple[str, str]:
    body = draw(random_structure)
    doc = draw(st.sampled_from(["bare", "rows", "row"]))
    if doc == "rows":
        body = {"schema_version": 1, "rows": body}
    elif doc == "row":
        body = {"schema_version": 1, "rows": [body]}
    return draw(st.sampled_from(FILE_NAMES)), _dump(body)


LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
HOSTILE_YAML: tuple[str, ...] = (
    "schema_version: 1\nrows:\n  - &a {id: x, source: abc, as_of: 2026-01-01, kind: estimate}\n  - *a\n",
    "schema_version: 1\nrows:\n  - &src source text\n  - {id: x, source: *src}\n",
    LAUGHS,
    "schema_version: 1\nrows: " + "[" * 200 + "]" * 200 + "\n",
    "schema_version: 1\nrows: " + "{a: " * 100 + "1" + "}" * 100 + "\n",
    "schema_version: 1\nrows: !!python/object/apply:os.system ['echo owned']\n",
    "schema_version: 1\nrows:\n  - !!binary aGVsbG8=\n",
    "schema_version: 1\nrows:\n  - {id: a, memory_bytes: !!float 'abc'}\n",
    "schema_version: 1\nrows:\n  - {id: a, memory_bytes: !!int '0x'}\n",
    "schema_version: 1\nrows:\n  - {id: a, as_of: 2026-02-30}\n",
    "schema_version: 1\nrows:\n  - {id: a, as_of: !!timestamp 'yesterday'}\n",
    "schema_version: 1\nrows:\n  - {id: a, id: b}\n",
    "schema_version: 1\nrows:\n  - {? [a, b] : c}\n",
    "schema_version: 1\nrows:\n  - {1: 2, null: 3, true: 4}\n",
    "schema_version: 1\nrows:\n  - {id: a, <<: {source: merged}}\n",
    "schema_version: 1\nrows:\n  - {id: a, source: *undefined}\n",
    "schema_version: 1\nrows:\n  - {id: a, memory_bytes: 1" + "0" * 5000 + "}\n",
    "schema_version: 1\nrows:\n  - {id: a, memory_bytes: .nan, tdp_w: -.inf}\n",
    "schema_version: 1\nrows:\n  - {id: a, memory_bytes: 1e400}\n",
    "schema_version: 1\nrows:\n  - !!set {a, b}\n",
    "schema_version: 1\nrows:\n  - !!omap [a: 1, b: 2]\n",
    "schema_version: 1\nrows:\n  - !custom {id: a}\n",
    "---\nschema_version: 1\nrows: []\n---\nschema_version: 1\nrows: []\n",
    "%YAML 1.1\n---\nschema_version: 1\nrows: []\n",
    "%YAML 9.9\n---\nschema_version: 1\nrows: []\n",
    "schema_version: 1\n\trows: []\n",
    "schema_version: true\nrows: []\n",
    "schema_version: 1\nrows: ~\n",
    "schema_version: 1\nrows: {id: a}\n",
    "schema_version: 1\nrows: [1, 'two', [3]]\n",
    "schema_version: 1\nrows:\n  - {id: a\n",
    "schema_version: 1\nrows:\n  - \"unterminated\n",
    "",
    "\n\n# only a comment\n",
    "\ufeffschema_version: 1\nrows: []\n",
    "schema_version: 1\nrows:\n  - {id: \"\\uD800\"}\n",
    "schema_version: 1\nrows:\n  - {id: a, notes: \"\\x00\\x85\\u2028\"}\n",
)


def _csv_text(table: list[list[str]], raw: bool) -> str:
    if raw:  # no quoting: cells with commas or quotes break the row
        return "\n".join(",".join(r) for r in table) + "\n"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(table)
    return buf.getvalue()


CSV_CELLS: tuple[str, ...] = (
    "nan", "NaN", "inf", "-inf", "1e400", "-1e400", "1e-400", "-1", "0", "", "  ", "x" * 5000, '"', "a,b", 'a"b',
    "\x00", "\u0663", "1_000", "0x10", "true", "2026-02-30", "9999-12-31", "0001-01-01", "EUR ", "usd", "1" + "0" * 400,
    "line\nbreak", "\r", "\u202e", "=cmd|' /C calc'!A0",
)


@st.composite
def mutated_csv(draw: st.DrawFn) -> tuple[str, str]:
    """(file name, text): bundled CSV rows of one kind with cells, columns or the header damaged."""
    fname = draw(st.sampled_from(sorted(CSV_TABLES)))
    header, *body = CSV_TABLES[fname]
    rows = [list(r) for r in draw(st.lists(st.sampled_from(body), min_size=1, max_size=3))]
    table = [list(header), *rows]
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["cell", "cell", "cell", "drop_column", "dup_header", "ragged", "dup_row"]))
        if action == "cell":
            r = draw(st.integers(1, len(table) - 1))
            if table[r]:
                c = draw(st.integers(0, len(table[r]) - 1))
                table[r][c] = draw(st.one_of(st.sampled_from(CSV_CELLS), st.text(max_size=10)))
        elif action == "drop_column" and table[0]:
            c = draw(st.integers(0, len(table[0]) - 1))
            table = [r[:c] + r[c + 1:] for r in table]
        elif action == "dup_header" and table[0]:
            table[0] = [*table[0][:-1], table[0][0]]
        elif action == "ragged":
            table[-1] = table[-1][: draw(st.integers(0, len(table[-1])))]
        elif action == "dup_row":
            table.append(list(table[-1]))
    return fname, _csv_text(table, raw=draw(st.integers(0, 5)) == 0)


@st.composite
def random_csv(draw: st.DrawFn) -> tuple[str, str]:
    cell = st.one_of(st.sampled_from(CSV_CELLS), st.text(max_size=8))
    width = draw(st.integers(1, 6))
    table = draw(st.lists(st.lists(cell, min_size=width, max_size=width), min_size=0, max_size=4))
    return draw(st.sampled_from(sorted(CSV_TABLES))), _csv_text(table, raw=draw(st.booleans()))


def damaged(text: str) -> st.SearchStrategy[bytes]:
    """The file as bytes, intact mostly, else with a BOM, CRLF ends, a cut tail or garbage."""
    data = text.encode("utf-8", "surrogatepass")
    damage = st.sampled_from([
        lambda b: b"\xef\xbb\xbf" + b,
        lambda b: b.replace(b"\n", b"\r\n"),
        lambda b: b.replace(b"\n", b"\r"),
        lambda b: b[: len(b) // 2],
        lambda b: b + b"\xff\xfe\x00\x80",
        lambda b: b"\x00" * 16 + b,
        lambda b: b.replace(b"\n", b"\n\t", 1),
    ])
    return weighted(st.just(data), damage.map(lambda f: f(data)), 3)


overlay_file = st.one_of(mutated_yaml(), mutated_yaml(), mutated_csv(), mutated_csv(), random_yaml(), random_csv(),
                         st.tuples(st.sampled_from(FILE_NAMES), st.sampled_from(HOSTILE_YAML)))


@st.composite
def overlay(draw: st.DrawFn) -> tuple[str, bytes]:
    fname, text = draw(overlay_file)
    if draw(weighted(st.just(False), st.just(True), 9)):  # a wrong or unknown file name
        fname = draw(st.sampled_from(["offer.csv", "models.yml", "README", ".hidden.yaml", "accelerators.YAML",
                                      *FILE_NAMES]))
    return fname, draw(damaged(text))


def check_overlay(folder: Path) -> None:
    try:
        _cat, errors = tokenfab.validate_catalog(folder)
    except (CatalogError, InputError) as exc:
        assert_one_line_message(exc)
        errors = [str(exc)]
    for err in errors:
        assert isinstance(err, str)
        assert_one_line_message(Exception(err))
    try:
        cat = tokenfab.load_catalog(folder)
    except (CatalogError, InputError) as exc:
        assert_one_line_message(exc)
        assert errors, f"load_catalog refused what validate_catalog accepted: {exc}"
        return
    assert not errors, f"load_catalog accepted what validate_catalog refused: {errors[:3]}"
    for (kind, row_id), _origin in cat.origins.items():
        json.dumps(cat.get(kind, row_id).model_dump(mode="json"), allow_nan=False)


@fuzz_settings(180)
@given(files=st.lists(overlay(), min_size=1, max_size=2))
def test_overlay_files(files: list[tuple[str, bytes]], scratch: Path) -> None:
    folder = _fresh_dir(scratch)
    for name, data in files:
        note(f"{name}: {data[:1500]!r}")
        (folder / name).write_bytes(data)
    check_overlay(folder)


@pytest.mark.parametrize("text", HOSTILE_YAML, ids=range(len(HOSTILE_YAML)))
def test_hostile_yaml_documents(text: str, scratch: Path) -> None:
    """Every hand-made hostile document, every run (the random mix reaches each only sometimes)."""
    folder = _fresh_dir(scratch)
    (folder / "accelerators.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    check_overlay(folder)


@pytest.mark.parametrize("rows", [
    [{"id": HUGE_INT, "source": "x" * 300, "as_of": "2026-01-01", "kind": "estimate"}],  # a 400-digit id in the message
    [{**YAML_ROWS["accelerators.yaml"][0], "x" * 300: 1}],  # a 300-character unknown field, all fields listed
    [{**YAML_ROWS["accelerators.yaml"][0], "id": "line\nbreak"}],
])
def test_overlay_found_by_fuzzing(rows: list[dict[str, Any]], scratch: Path) -> None:
    """Rows whose error lines echoed a value whole (541 and 652 characters) before values were cut."""
    folder = _fresh_dir(scratch)
    (folder / "accelerators.yaml").write_text(_dump({"schema_version": 1, "rows": rows}), encoding="utf-8")
    check_overlay(folder)


def test_overlay_odd_entries(scratch: Path) -> None:
    """A folder, a symbolic-link loop and an unreadable file under catalog file names."""
    folder = _fresh_dir(scratch)
    (folder / "offers.csv").mkdir()
    (folder / "grids.csv").symlink_to(folder / "grids.csv")
    (folder / "models.yaml").symlink_to(folder / "missing.yaml")
    check_overlay(folder)


# ---------------------------------------------------------------- (b) Hugging Face config.json

HF_FILES = sorted((FIXTURES / "hf_configs").glob("*/config.json"))
HF_CONFIGS = {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in HF_FILES}
HF_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 1, 2, 3, 2**31 - 1, 2**31, 2**63, 10**30, 1.5, 1e308, -0.0, math.nan, math.inf,
    -math.inf, "", "12", "fp8", "mxfp4", "llama", [], [0], [1, 2, 3], ["sliding_attention"] * 3, {}, {"a": [{}]},
    {"quant_method": 7}, {"quant_method": "fp8"}, "x" * 300,
)
HF_KEYS = sorted({k for cfg in HF_CONFIGS.values() for k in cfg} | {
    "text_config", "quantization_config", "model_type", "_name_or_path", "num_hidden_layers", "hidden_size",
    "num_attention_heads", "num_key_value_heads", "head_dim", "vocab_size", "intermediate_size", "layer_types",
    "mlp_only_layers", "no_rope_layers", "sliding_window", "use_sliding_window", "max_position_embeddings"})


@st.composite
def hf_config_text(draw: st.DrawFn) -> str:
    cfg = _copy(HF_CONFIGS[draw(st.sampled_from(sorted(HF_CONFIGS)))])
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["set", "set", "delete", "text_config", "model_type", "name"]))
        key = draw(st.sampled_from(HF_KEYS))
        if action == "set":
            cfg[key] = draw(st.sampled_from(HF_VALUES))
        elif action == "delete":
            cfg.pop(key, None)
        elif action == "text_config":
            section = cfg.setdefault("text_config", {})
            if isinstance(section, dict):
                section[key] = draw(st.sampled_from(HF_VALUES))
            else:
                cfg["text_config"] = draw(st.sampled_from(HF_VALUES))
        elif action == "model_type":
            cfg["model_type"] = draw(st.sampled_from([*hf_config.SUPPORTED, "Llama", "llama2", "bert", "", None, 3]))
        else:
            cfg["_name_or_path"] = draw(st.sampled_from(["", "/", "org/", "../../x", "Org/Model Name", "x" * 200,
                                                         "a/b/c", "\u00e9/\u00e8", 5]))
    text = json.dumps(cfg, indent=1)  # NaN and Infinity as Python's json writes them
    raw = draw(st.integers(0, 7))
    if raw == 0:
        text = text[: draw(st.integers(0, len(text)))]
    elif raw == 1:
        text = text.replace('"num_hidden_layers": ', '"num_hidden_layers": 1' + "0" * 5000 + ", \"x\": ", 1)
    elif raw == 2:
        text = "[" * 100_000 + "]" * 100_000
    return text


def _check_imported(path: Path, model_id: str | None) -> None:
    args = ["model", "import", str(path), "--json", *(["--id", model_id] if model_id is not None else [])]
    proc = cli(*args)
    assert_cli_promise(" ".join(args), proc.returncode, proc.stdout, proc.stderr, {0, 2}, True, echoed=" ".join(args))


@fuzz_settings(90)
@given(text=hf_config_text(), model_id=weighted(st.none(), st.sampled_from([*HOSTILE_TEXT[:12], "fuzz-model"]), 4),
       estimate=st.integers(0, 2))
def test_hf_config(text: str, model_id: str | None, estimate: int, scratch: Path) -> None:
    note(f"config.json: {text[:1500]!r}, model_id={model_id!r}")
    folder = _fresh_dir(scratch)
    path = folder / "config.json"
    path.write_text(text, encoding="utf-8")
    try:
        spec = tokenfab.read_hf_config(path, model_id)
    except InputError as exc:
        assert_one_line_message(exc)
    else:
        json.dumps(spec.model_dump(mode="json"), allow_nan=False)
    _check_imported(path, model_id)
    if estimate == 0 and model_id is None:  # a model that imports must also estimate, or say why not
        overlay_dir = folder / "overlay"
        proc = cli("model", "import", str(path), "--id", "fuzz-model", "--save", str(overlay_dir))
        if proc.returncode != 0:
            return
        args = ["estimate", "--catalog", str(overlay_dir), "--model", "fuzz-model", "--accelerator", "h200", "--count",
                "8", "--isl", "1000", "--osl", "200", "--json"]
        out = cli(*args)
        assert_cli_promise(" ".join(args), out.returncode, out.stdout, out.stderr, {0, 2, 3}, True)


# ---------------------------------------------------------------- (c) tokenfab validate CSVs

MEASURED = list(csv.reader(io.StringIO((ROOT / "validation" / "measured.csv").read_text(encoding="utf-8"))))
MEASURED_ROWS = [r for r in MEASURED[1:] if r and r[1] in ("llama-3.1-8b", "llama-2-70b", "mixtral-8x7b")] or MEASURED[1:]
VALIDATION_CELLS: tuple[str, ...] = (*CSV_CELLS, "1", "8", "1000000", "1000001", "1e7", "1e12", "1e13", "0.45",
                                     "3600", "3601", "60", "offline", "server", "interactive", "fp4", "fp8", "bf16",
                                     "int4", "output_tok_per_s", "tpot_s", "ttft_s", "tokens", "h200", "b200",
                                     "llama-3.1-8b", "deepseek-r1", "kimi-k2", "tpu-v6e", "groq-lpu", "trtllm", "vllm")


@st.composite
def validation_csv(draw: st.DrawFn) -> bytes:
    header = list(VALIDATION_HEADER)
    hdr = draw(st.sampled_from(range(16)))
    if hdr == 0:
        header = header[:-1]
    elif hdr == 1:
        header = [h.upper() for h in header]
    elif hdr == 2:
        header = [*header, "extra"]
    rows = [list(r) for r in draw(st.lists(st.sampled_from(MEASURED_ROWS), min_size=0, max_size=4))]
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 4]))):
        if rows and draw(st.booleans()):
            r = draw(st.integers(0, len(rows) - 1))
            c = draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = draw(st.one_of(st.sampled_from(VALIDATION_CELLS), st.text(max_size=8)))
        else:
            width = draw(st.sampled_from([len(VALIDATION_HEADER), len(VALIDATION_HEADER), 3, 20]))
            rows.append(draw(st.lists(st.sampled_from(VALIDATION_CELLS), min_size=width, max_size=width)))
    text = _csv_text([header, *rows], raw=draw(st.integers(0, 5)) == 0)
    return draw(damaged(text))


@fuzz_settings(70)
@given(data=validation_csv(), fidelity=weighted(st.sampled_from(["calibrated", "derated", "roofline"]),
                                                 st.sampled_from(["", "CALIBRATED", "measured", "x" * 200]), 12))
def test_validation_csv(data: bytes, fidelity: str, scratch: Path) -> None:
    note(f"measured.csv: {data[:1500]!r}, fidelity={fidelity!r}")
    path = _fresh_dir(scratch) / "measured.csv"
    path.write_bytes(data)
    try:
        rep = tokenfab.measure_accuracy(path, fidelity=fidelity)
    except InputError as exc:
        assert_one_line_message(exc)
        return
    assert isinstance(rep, tokenfab.AccuracyReport)
    assert rep.n_rows == len(rep.rows) > 0
    assert_finite(rep.model_dump(), "report")
    json.dumps(rep.to_dict(), allow_nan=False)
