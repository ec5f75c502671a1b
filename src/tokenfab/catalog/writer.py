"""Saving a model row into a user overlay's ``models.yaml``, safely.

* Never inside the installed package (its bundled data or anywhere under it).
* An id already in the file is replaced only with ``force=True``.
* The other rows and every comment of the file are kept (ruamel.yaml round trip).
* The file is written atomically: a temporary file in the same folder, then ``os.replace``.
* Everything is checked first (:func:`plan_model_save`); :meth:`PendingSave.commit` only writes,
  so a caller can print the row once it knows the save will go through.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import tempfile
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import CatalogError, show_value
from .files import (
    SCHEMA_VERSION,
    _Loader,
    load_yaml_text,
    read_text_bounded,
    read_yaml_rows,
    strip_lines,
)

MODELS_FILE = "models.yaml"
_NEW_FILE_HEADER = "# tokenfab catalog overlay: model architectures (written by 'tokenfab model import').\n"
_STR_TAG = "tag:yaml.org,2002:str"


@dataclass(frozen=True)
class PendingSave:
    """A checked save: ``text`` goes to ``target`` when :meth:`commit` is called."""

    directory: Path
    target: Path
    text: str
    replaced: bool
    stamp: tuple[int, int] | None  # (size, mtime_ns) of the file when it was read; None = new file

    def commit(self) -> Path:
        """Write ``text`` atomically; refuse if the file changed since it was read."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if _stamp(self.target) != self.stamp:
                raise CatalogError(
                    f"{self.target}: changed while the row was being prepared. Fix: run the command again"
                )
            mode = self.target.stat().st_mode & 0o777 if self.stamp else 0o644
            fd, tmp = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                    fh.write(self.text)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, mode)
                os.replace(tmp, self.target)
            except BaseException:
                with suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise CatalogError(
                f"{self.target}: cannot write: {exc.strerror or exc}. Fix: choose a folder you can write to"
            ) from None
        return self.target


def package_dir() -> Path:
    """The installed ``tokenfab`` package folder (holding the bundled data)."""
    return Path(str(resources.files("tokenfab"))).resolve()


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_size, st.st_mtime_ns)


def _real(path: Path) -> Path:
    """``path`` with ``~`` expanded and links followed; a path that cannot be (``~name`` of an
    unknown user, a symbolic-link loop) is one :class:`CatalogError` line."""
    try:
        return path.expanduser().resolve()
    except (RuntimeError, OSError) as exc:  # 3.11: RuntimeError for both; 3.13: OSError for a loop
        raise CatalogError(
            f"{path}: cannot resolve the path ({exc}). Fix: pass an existing folder, without a symbolic-link "
            "loop or an unknown ~user"
        ) from None


def _check_directory(directory: Path) -> None:
    """Refuse a folder inside the package, a file given as the folder, or a path under a file."""
    real = _real(directory)
    if real == package_dir() or real.is_relative_to(package_dir()):
        raise CatalogError(
            f"{directory}: inside the installed tokenfab package ({package_dir()}); bundled files are "
            "never written. Fix: save to an overlay folder of your own, e.g. ~/tokenfab-catalog"
        )
    if directory.exists() and not directory.is_dir():
        raise CatalogError(
            f"{directory}: is a file, not a folder. Fix: pass the overlay folder; the row goes into "
            f"FOLDER/{MODELS_FILE}"
        )
    for parent in directory.parents:
        if parent.exists():
            if not parent.is_dir():
                raise CatalogError(f"{directory}: {parent} is a file, not a folder. Fix: choose another folder")
            break


def _resolve_target(directory: Path) -> Path:
    target = directory / MODELS_FILE
    if target.exists() and not target.is_file():
        raise CatalogError(f"{target}: exists and is not a file. Fix: remove it or choose another folder")
    real = _real(target)  # a symlinked models.yaml is written where it points
    if real.is_relative_to(package_dir()):
        raise CatalogError(
            f"{target}: points into the installed tokenfab package ({real}); bundled files are never "
            "written. Fix: replace the link with a file of your own"
        )
    return real


def _plain(value: Any) -> Any:
    """The row for ruamel: dates as dates; strings that YAML 1.1 (our reader) would read as something
    else (``yes``, ``1:20``, ``0o17``) quoted, so the file reads back exactly as written."""
    from ruamel.yaml.scalarstring import SingleQuotedScalarString

    if isinstance(value, Mapping):
        return {k: (_as_date(v) if k == "as_of" else _plain(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str) and _Loader("").resolve(yaml.ScalarNode, value, (True, False)) != _STR_TAG:
        return SingleQuotedScalarString(value)
    return value


def _as_date(value: Any) -> Any:
    if isinstance(value, str):
        with suppress(ValueError):
            return _dt.date.fromisoformat(value)
    return value


def _dump(doc: Any, indent: tuple[int, int]) -> str:
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.width = 4096  # never fold long source or notes lines
    rt.preserve_quotes = True
    rt.indent(mapping=2, sequence=indent[0], offset=indent[1])
    buf = io.StringIO()
    rt.dump(doc, buf)
    return buf.getvalue()


def _updated_text(text: str, target: Path, row: dict[str, Any], index: int | None) -> str:
    """``text`` (an existing catalog file) with ``row`` appended, or replacing row ``index``."""
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.util import load_yaml_guess_indent

    try:
        doc, ind, bsi = load_yaml_guess_indent(text)
    except YAMLError as exc:
        raise CatalogError(f"{target}: cannot be updated in place: {show_value(str(exc))}. Fix: check the file") from None
    if index is None:
        doc["rows"].append(row)
    else:
        doc["rows"][index] = _keep_comments(doc["rows"][index], row)
    return _dump(doc, (ind or 4, bsi if bsi is not None else 2))


def _keep_comments(old: Any, row: dict[str, Any]) -> Any:
    """``row`` as a ruamel mapping carrying the comments of the row it replaces: each key keeps
    its own, and the comments after the old row's last line follow the new row's last line."""
    from ruamel.yaml.comments import CommentedMap

    new = CommentedMap(row)
    if not isinstance(old, CommentedMap) or not old or not new:
        return new
    old_last, new_last = list(old)[-1], list(new)[-1]
    for key, token in old.ca.items.items():
        if key in new and key != old_last:
            new.ca.items[key] = token
    if old_last in old.ca.items:
        new.ca.items[new_last] = old.ca.items[old_last]
    return new


def _check_round_trip(text: str, target: Path, row: dict[str, Any]) -> None:
    """The written file must read back with our own reader, holding ``row`` exactly once."""
    doc = load_yaml_text(text, target.name)
    rows = [strip_lines(r) for r in doc["rows"] if isinstance(r, dict) and r.get("id") == row["id"]]
    if rows != [_plain(row)]:  # pragma: no cover - a ruamel/PyYAML disagreement, a bug
        raise RuntimeError(f"{target}: the row {row['id']!r} would not read back as written")


def plan_model_save(directory: Path, row: Mapping[str, Any], *, force: bool = False) -> PendingSave:
    """Check that ``row`` (a ModelSpec as JSON) can be saved into ``directory/models.yaml`` and
    prepare the new file text. Raises :class:`CatalogError` (one line) when it cannot."""
    row_id = row.get("id")
    if not isinstance(row_id, str) or not row_id:
        raise CatalogError(f"model row id = {show_value(row_id)}: a saved row needs an id. Fix: pass --id")
    _check_directory(directory)
    directory = directory.expanduser()  # '~/x' is written in the home folder, as checked (not in ./~/x)
    target = _resolve_target(directory)
    new_row = _plain(dict(row))
    stamp = _stamp(target)
    text = read_text_bounded(target) if stamp else ""
    if not text.strip():
        text = _NEW_FILE_HEADER + _dump({"schema_version": SCHEMA_VERSION, "rows": [new_row]}, (4, 2))
        _check_round_trip(text, target, dict(row))
        return PendingSave(directory, target, text, False, stamp)
    existing = read_yaml_rows(target)  # bounded, validated structure; also gives the lines
    index = next((i for i, r in enumerate(existing) if r.data.get("id") == row_id), None)
    if index is not None and not force:
        raise CatalogError(
            f"{target}:{existing[index].line}: model id {row_id!r} is already in this file. "
            "Fix: pass --force to replace it, or choose another --id"
        )
    text = _updated_text(text, target, new_row, index)
    _check_round_trip(text, target, dict(row))
    return PendingSave(directory, target, text, index is not None, stamp)


def save_model_row(directory: Path, row: Mapping[str, Any], *, force: bool = False) -> Path:
    """Add ``row`` to ``directory/models.yaml`` (created if needed); returns the file written."""
    return plan_model_save(directory, row, force=force).commit()
