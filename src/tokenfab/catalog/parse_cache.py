"""A cache of parsed catalog YAML, keyed by the file's text, so that a command does not parse
the same unchanged files again in every process. It matters for users' overlay files, which the
checking pure-Python parser reads (about 2 ms per kB); the package's own files go through
libyaml (``files.load_yaml_text``), which parses the whole bundled catalog in about 0.05 s, about
what reading it back costs.

An entry is keyed by the SHA-256 of the text, of the parser module's own source and of the
Python and PyYAML versions, so a changed file, parser or interpreter never reads a stale entry;
only successful parses are stored (errors are raised afresh, with their line). The directory is
``$TOKENFAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/tokenfab/yaml``, else ``~/.cache/tokenfab/yaml``;
``TOKENFAB_NO_CACHE=1`` turns it off. Entries are pickles, so one is only read from a directory
that belongs to the current user and that no one else may write; a cache that cannot be read
or written (read-only home, full disk, a corrupt entry) is skipped, and the file is parsed.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

_PARSER_SOURCE = Path(__file__).with_name("files.py")
MAX_ENTRIES = 512
"""Entries kept; past this, a write removes the oldest (edited overlays leave old entries)."""


def cache_dir() -> Path | None:
    """Where entries live, or None when the cache is off."""
    if os.environ.get("TOKENFAB_NO_CACHE", "").strip() not in ("", "0"):
        return None
    base = os.environ.get("TOKENFAB_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "tokenfab" / "yaml"


@functools.cache
def _salt() -> bytes:
    try:
        parser = _PARSER_SOURCE.read_bytes()
    except OSError:
        parser = b"?"
    return hashlib.sha256(parser + f"|py{sys.version_info[:3]}|yaml{yaml.__version__}".encode()).digest()


def _safe(d: Path) -> bool:
    """The directory is ours and nobody else can write it (POSIX); elsewhere, that it exists."""
    try:
        st = d.stat()
    except OSError:
        return False
    if not hasattr(os, "getuid"):
        return stat.S_ISDIR(st.st_mode)
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def cached_parse(text: str, parse: Callable[[str], Any]) -> Any:
    """``parse(text)``, read from the cache when this exact text was parsed before."""
    d = cache_dir()
    if d is None:
        return parse(text)
    key = hashlib.sha256(_salt() + text.encode("utf-8")).hexdigest()
    entry = d / f"{key}.pickle"
    if _safe(d):
        try:
            with entry.open("rb") as fh:
                return pickle.load(fh)
        except Exception:  # a missing, unreadable or corrupt entry: parse instead
            pass
    doc = parse(text)
    try:
        d.mkdir(mode=0o700, parents=True, exist_ok=True)
        if _safe(d):
            fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(doc, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, entry)
            _prune(d)
    except OSError:
        pass  # read-only or full: the next process parses again
    return doc


def _prune(d: Path) -> None:
    entries = list(d.glob("*.pickle"))
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for old in entries[: len(entries) - MAX_ENTRIES]:
        old.unlink(missing_ok=True)
