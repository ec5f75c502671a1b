"""What changed between two catalogs: rows added, removed, and each figure changed.

``tokenfab catalog diff OLD NEW`` compares two catalog directories (a full catalog such as an
older release's ``data/`` folder, or two overlays), or ``bundled`` for the catalog this
release ships. A directory holds files named like the bundled ones; a kind whose file only
one side has is not compared (it is listed in ``skipped``), so ``diff bundled MY_OVERLAY``
shows what the overlay's files change, add and drop.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from ..errors import InputError
from ..inputs import ResultModel
from .loader import KIND_FILES, _load_kind, bundled_dir
from .records import Record

BUNDLED = "bundled"


class FigureChange(ResultModel):
    kind: str
    id: str
    change: Literal["added", "removed", "changed"]
    field: str | None = None  # the changed field (None for whole rows)
    old: Any = None
    new: Any = None


class CatalogDiff(ResultModel):
    old: str
    new: str
    changes: tuple[FigureChange, ...]
    skipped: tuple[str, ...] = ()  # kinds whose file only one side has

    def count(self, change: str) -> int:
        return sum(1 for c in self.changes if c.change == change)


def _dir(where: str | Path) -> Path:
    if str(where) == BUNDLED:
        return bundled_dir()
    path = Path(where).expanduser()
    if not path.is_dir():
        raise InputError(f"catalog = {str(where)!r}: not a directory. Fix: give a catalog directory "
                         f"(files named like {', '.join(f for f, _ in list(KIND_FILES.values())[:3])}, ...) or 'bundled'")
    if not any((path / fname).is_file() for fname, _ in KIND_FILES.values()):
        raise InputError(f"catalog = {str(where)!r}: holds no catalog file (accelerators.yaml, offers.csv, ...). "
                         "Fix: point at a catalog directory or 'bundled'")
    return path


def read_dir(where: str | Path) -> dict[str, dict[str, Record]]:
    """Every row of a catalog directory by kind and id, for the kinds it has a file for."""
    path, errors = _dir(where), list[str]()
    rows: dict[str, dict[str, Record]] = {}
    for kind, (fname, _) in KIND_FILES.items():
        file = path / fname
        if file.is_file():
            rows[kind] = {rec.id: rec for rec, _ in _load_kind(file, kind, errors)}
    if errors:
        raise InputError(f"catalog {str(where)!r}: {errors[0]}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
    return rows


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def diff_catalogs(old: str | Path, new: str | Path) -> CatalogDiff:
    a, b = read_dir(old), read_dir(new)
    changes: list[FigureChange] = []
    skipped = tuple(k for k in KIND_FILES if (k in a) != (k in b))
    for kind in KIND_FILES:
        if kind not in a or kind not in b:
            continue
        old_rows, new_rows = a[kind], b[kind]
        for rid in sorted(new_rows.keys() - old_rows.keys()):
            changes.append(FigureChange(kind=kind, id=rid, change="added"))
        for rid in sorted(old_rows.keys() - new_rows.keys()):
            changes.append(FigureChange(kind=kind, id=rid, change="removed"))
        for rid in sorted(old_rows.keys() & new_rows.keys()):
            x, y = old_rows[rid].model_dump(mode="json"), new_rows[rid].model_dump(mode="json")
            for field in [*x, *(k for k in y if k not in x)]:
                if not _same(x.get(field), y.get(field)):
                    changes.append(FigureChange(kind=kind, id=rid, change="changed", field=field,
                                                old=x.get(field), new=y.get(field)))
    return CatalogDiff(old=str(old), new=str(new), changes=tuple(changes), skipped=skipped)
