"""The curated public API stays complete, and importing tokenfab is cheap and silent."""

from __future__ import annotations

import subprocess
import sys

import tokenfab


def test_every_name_in_all_resolves():
    for name in tokenfab.__all__:
        assert getattr(tokenfab, name) is not None


def test_unknown_attribute():
    import pytest

    with pytest.raises(AttributeError):
        tokenfab.no_such_thing  # noqa: B018


def test_import_is_light_and_writes_nothing(tmp_path):
    code = (
        "import sys, time; t=time.perf_counter(); import tokenfab; dt=time.perf_counter()-t;"
        "heavy=[m for m in ('numpy','pydantic','typer','rich','yaml','socket') if m in sys.modules];"
        "print(dt, heavy)"
    )
    out = subprocess.run([sys.executable, "-X", "frozen_modules=off", "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, check=True).stdout.split(maxsplit=1)
    assert float(out[0]) < 0.5
    assert out[1].strip() == "[]"
    assert list(tmp_path.iterdir()) == []
