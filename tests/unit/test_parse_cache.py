"""The parsed-YAML cache: the same text is parsed once across processes, a changed text is
parsed anew, errors are never cached, and an unsafe or corrupt cache is passed over."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tokenfab.catalog import files
from tokenfab.catalog.parse_cache import cache_dir, cached_parse
from tokenfab.errors import CatalogError


@pytest.fixture
def cache(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("TOKENFAB_CACHE_DIR", str(d))
    monkeypatch.delenv("TOKENFAB_NO_CACHE", raising=False)
    return d


def _counting():
    calls: list[str] = []

    def parse(text: str):
        calls.append(text)
        return {"text": text, "n": len(calls)}

    return parse, calls


def test_same_text_is_parsed_once_changed_text_again(cache):
    parse, calls = _counting()
    first = cached_parse("a: 1\n", parse)
    again = cached_parse("a: 1\n", parse)
    assert calls == ["a: 1\n"] and again == first
    cached_parse("a: 2\n", parse)
    assert calls == ["a: 1\n", "a: 2\n"]
    assert len(list(cache.glob("*.pickle"))) == 2
    assert oct(cache.stat().st_mode & 0o777) == "0o700"


def test_off_switch(cache, monkeypatch):
    monkeypatch.setenv("TOKENFAB_NO_CACHE", "1")
    assert cache_dir() is None
    parse, calls = _counting()
    cached_parse("a: 1\n", parse)
    cached_parse("a: 1\n", parse)
    assert len(calls) == 2 and not cache.exists()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_directory_others_may_write_is_not_read(cache):
    parse, calls = _counting()
    cached_parse("a: 1\n", parse)
    cache.chmod(0o777)
    cached_parse("a: 1\n", parse)
    assert len(calls) == 2


def test_a_corrupt_entry_is_parsed_again(cache):
    parse, calls = _counting()
    cached_parse("a: 1\n", parse)
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert cached_parse("a: 1\n", parse) == {"text": "a: 1\n", "n": 2}


def test_yaml_errors_are_not_cached_and_keep_their_line(cache):
    bad = "rows:\n  - id: x\n    a: [1, 2\n"
    for _ in range(2):
        with pytest.raises(CatalogError, match=r"bad.yaml:\d+: YAML syntax error"):
            files.load_yaml_text(bad, "bad.yaml")
    assert not list(cache.glob("*.pickle")) if cache.exists() else True


def test_cached_catalog_equals_a_fresh_parse(cache, monkeypatch):
    """The bundled catalog read back from the cache (second process) is the catalog a parse
    without the cache builds: same rows, same values, same line numbers."""
    code = ("import json, sys; from tokenfab.catalog import load_catalog; c = load_catalog(); "
            "print(json.dumps({k: [r.model_dump(mode='json') for r in rows.values()] for k, rows in c.rows.items()}, "
            "sort_keys=True, default=str), json.dumps(c.efficiency, sort_keys=True, default=str), "
            "sorted(map(str, c.origins.items())))")
    run = [sys.executable, "-c", code]
    first = subprocess.run(run, capture_output=True, text=True, check=True, env=os.environ.copy()).stdout
    assert list(cache.glob("*.pickle"))
    second = subprocess.run(run, capture_output=True, text=True, check=True, env=os.environ.copy()).stdout
    off = subprocess.run(run, capture_output=True, text=True, check=True,
                         env={**os.environ, "TOKENFAB_NO_CACHE": "1"}).stdout
    assert first == second == off and len(off) > 10_000


def test_an_overlay_error_read_back_from_the_cache_keeps_its_line(cache, tmp_path):
    """A well-formed overlay with a missing field is cached as parsed YAML; the second process
    reads it back and still names file, line, row and field (installed script)."""
    from tests.conftest import assert_one_line_error, run_cli
    from tests.unit.test_catalog_bad_input import GOOD_CHIP

    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "accelerators.yaml").write_text(GOOD_CHIP.replace("    source: internal datasheet rev 3\n", ""),
                                                encoding="utf-8")
    lines = []
    for _ in range(2):
        proc = run_cli("catalog", "list", "accelerators", "--json", "--catalog", str(overlay),
                       env={"TOKENFAB_CACHE_DIR": str(cache)})
        lines.append(assert_one_line_error(proc, "accelerators.yaml:3", "private-npu", "'source'"))
    assert lines[0] == lines[1] and list(cache.glob("*.pickle"))
