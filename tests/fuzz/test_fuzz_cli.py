"""Fuzz every CLI command in process with hypothesis-generated argument lists.

What is generated, per command (``plan``, ``estimate``, ``cost``, ``energy``, ``compare``,
``gigawatt``, ``sovereignty``, ``validate``, ``catalog list|show|validate``, ``model import``):

* a valid call (a model, a workload, a traffic or an offer, owned or rented, whatever the
  command needs),
* then extra options taken from the command itself (``typer.main.get_command``): the option
  names and aliases, ``--x/--no-x`` flags, ``--x=value``, and for options generated from a
  request model the field's own bounds (``ge``/``le``: values at, just inside and just outside
  them) and ``Literal`` choices; catalog ids (real, mistyped, upper case, look-alike letters).
  ``test_cli_fuzz_valid_options`` stops there (two thirds of the budget: deep paths, exit 0
  and 3 common);
* ``test_cli_fuzz_hostile`` also puts hostile values in any slot (nan, inf, 1e400, 1e-300,
  negative, zero, huge integers, words where numbers go, unicode digits, empty strings, NUL,
  very long text) and adds structural mischief: a dropped token, a repeated token, an unknown
  or misspelt flag, a stray positional, an overlay catalog (valid, overriding, broken, a file,
  a symbolic-link loop, ``~unknown-user``) by ``--catalog`` or ``$TOKENFAB_CATALOG``.

Every run goes through ``tests.conftest.cli`` (``tokenfab.cli.run``, in process; an
unexpected exception propagates and fails the test). The promise checked on every run:
exit code 0, 2 (bad input or usage) or 3 (an expected "no"), and 1 only for ``catalog
validate`` on a catalog with problems, as documented; on 2 or 3 stderr holds, apart from
click's ``Usage:`` line, exactly one line starting ``error: ``, of at most
:data:`~tests.fuzz.common.MAX_ERROR_CHARS` characters; never a ``Traceback``; stdout holds
no ``nan``/``inf`` token; with ``--json`` and exit 0 stdout is strict JSON (NaN and
Infinity refused); no Python warning is raised (the installed script would print a numpy
``RuntimeWarning`` on stderr). Paths a command writes (``--html``, ``--save``) only ever point
into a throw-away sandbox folder, which is also the working directory (checked before each run).

Examples per command (``BUDGET``) are sized so the file runs in about 20 s on two cores.
"""

from __future__ import annotations

import atexit
import csv
import io
import os
import shutil
import tempfile
import typing
import warnings
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from pydantic.fields import FieldInfo

import tokenfab.cli
from tokenfab.catalog import load_catalog
from tokenfab.catalog.loader import bundled_dir
from tokenfab.cli.options import literal_choices
from tokenfab.deployment.cost_report import CostQuestion
from tokenfab.deployment.site import SiteQuestion
from tokenfab.finops.move import MoveQuestion
from tokenfab.finops.summary import DIMENSIONS
from tokenfab.planner.compare import CompareQuestion
from tokenfab.planner.scenario import Scenario
from tokenfab.whatif.question import WhatIfQuestion

from ..conftest import FIXTURES, ROOT, cli
from .common import (
    assert_cli_promise,
    fuzz_settings,
    hostile_number,
    hostile_text,
    ids,
    note_input,
    typo_variants,
    weighted,
)

# ---------------------------------------------------------------- the commands, from the CLI itself


def _leaves() -> dict[tuple[str, ...], Any]:
    out: dict[tuple[str, ...], Any] = {}

    def walk(cmd: Any, path: tuple[str, ...]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, (*path, name))
        else:
            out[path] = cmd

    walk(typer.main.get_command(tokenfab.cli.app), ())
    return out


LEAVES = _leaves()
NOT_FUZZED = {("serve",)}  # starts a server; its options are checked by tests/web/test_serve.py
# examples per command: ~20 ms each for most, ~40-150 ms for plan and compare
BUDGET: dict[tuple[str, ...], int] = {
    ("plan",): 45, ("estimate",): 60, ("cost",): 50, ("energy",): 40, ("compare",): 30, ("gigawatt",): 35,
    ("sovereignty",): 36, ("validate",): 24, ("catalog", "list"): 24, ("catalog", "show"): 24,
    ("catalog", "validate"): 6, ("model", "import"): 36, ("catalog", "stale"): 16, ("catalog", "diff"): 16,
    ("calibrate",): 24, ("bill",): 20, ("whatif",): 24,
}
# the request models whose fields the generated options are made from (most specific last)
MODELS = (MoveQuestion, CompareQuestion, Scenario, CostQuestion, SiteQuestion, WhatIfQuestion)

CAT = load_catalog()
CHEAP_MODELS = ("llama-3.1-8b", "llama-2-7b", "qwen2.5-72b", "gemma-3-27b", "mistral-small-3.1", "llama-3.1-70b",
                "mixtral-8x7b", "qwen3-30b-a3b", "deepseek-r1", "gpt-oss-20b", "kimi-k2")
POOLS: dict[str, tuple[str, ...]] = {
    "model": CHEAP_MODELS,
    "offer": tuple(CAT.rows["offers"]),
    "accelerator": tuple(CAT.rows["accelerators"]),
    "system": tuple(CAT.rows["systems"]),
    "grid": tuple(CAT.rows["grids"]),
    "facility": tuple(CAT.rows["facilities"]),
    "stack": tuple(CAT.rows["stacks"]),
    "provider": tuple(CAT.rows["providers"]),
    "region": tuple(sorted({o.region for o in CAT.rows["offers"].values()})) + ("fr", "de", "us", "se"),
    "kind": tuple(CAT.rows),
    "any_id": tuple(CAT.all_ids()),
    "subject": tuple(CAT.rows["offers"])[:30] + tuple(CAT.rows["providers"]),
    "recipe": ("vllm", "sglang", "trtllm", "k8s"),
    "by": DIMENSIONS,
    # whatif: small sample counts (the 1,000,000 bound is slow by design), shocks of every form,
    # and no Ray (starting a cluster inside the fuzz run is tests/whatif/test_ray.py's job)
    "samples": ("1", "10", "200", "0", "-1", "1000001"),
    "shocks": ("tariff:25%", "power-price:+80%", "rent-halving:2y", "export-ban:buyer=CN", "fx:eur-usd=1.0",
               "require:eu-jurisdiction@2027-01-01", "hbm-price:+50%", "price:+100%", "tariff:", "fx:eur-usd=0"),
    "backend": ("local",),
    "address": ("127.0.0.1:1", "auto"),
}
POOL_OF = {"deployments": "offer", "accelerators": "accelerator", "exclude_accelerators": "accelerator", "providers": "provider",
           "exclude_providers": "provider", "regions": "region", "own_grid": "grid", "row_id": "any_id"}
DATES = ("2026-01-01", "2025-06-30", "2026-02-30", "2024-02-29", "1900-01-01", "0001-01-01", "9999-12-31",
         "2026-13-01", "2026-1-1", "20260101", "today", "2026-01-01T00:00:00")
COUNTRIES = ("FR", "fr", "US", "CN", "DE", "zz", "F", "FRA", "\u00c9\u00c9", "12")

# ---------------------------------------------------------------- a sandbox for paths


def _sandbox() -> dict[str, str]:
    root = Path(tempfile.mkdtemp(prefix="tokenfab-fuzz-cli-"))
    atexit.register(shutil.rmtree, root, True)
    (root / "empty").mkdir()
    good = root / "overlay"  # a new grid row (no override, so no notes on stderr)
    good.mkdir()
    lines = [ln for ln in (bundled_dir() / "grids.csv").read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(lines[:2]))))
    rows[1][rows[0].index("id")] = "fuzz-grid"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (good / "grids.csv").write_text(buf.getvalue(), encoding="utf-8")
    override = root / "override"  # the bundled 'fr' grid again: a note on success, nothing on an error
    override.mkdir()
    fr = [r for r in csv.reader(io.StringIO("\n".join(lines))) if r and r[0] in ("id", "fr")]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(fr)
    (override / "grids.csv").write_text(buf.getvalue(), encoding="utf-8")
    bad = root / "broken"
    bad.mkdir()
    (bad / "offers.csv").write_text("id,provider\n\"unterminated,x\n", encoding="utf-8")
    (bad / "accelerators.yaml").write_text("schema_version: 1\nrows:\n  - id: [\n", encoding="utf-8")
    (root / "a-file.txt").write_text("not a folder\n", encoding="utf-8")
    (root / "loop").symlink_to(root / "loop")
    measured = (ROOT / "validation" / "measured.csv").read_text(encoding="utf-8").splitlines()
    (root / "few.csv").write_text("\n".join(measured[:4]) + "\n", encoding="utf-8")
    (root / "garbage.csv").write_bytes(b"\xff\xfe\x00garbage,\"\n1,2\r\n")
    (root / "bad-config.json").write_text('{"model_type": "llama", "hidden_size": 1e400}', encoding="utf-8")
    return {"root": str(root), "empty": str(root / "empty"), "overlay": str(good), "broken": str(bad),
            "override": str(override), "new_save": str(root / "new" / "save"),
            "file": str(root / "a-file.txt"), "loop": str(root / "loop"), "missing": str(root / "missing" / "x"),
            "few_csv": str(root / "few.csv"), "garbage_csv": str(root / "garbage.csv"),
            "bad_config": str(root / "bad-config.json")}


SBX = _sandbox()
CATALOG_DIRS = (SBX["empty"], SBX["overlay"], SBX["override"], SBX["broken"], SBX["file"], SBX["loop"],
                SBX["missing"], "~tokenfab-no-such-user")
HF_CONFIGS = tuple(str(p) for p in sorted((FIXTURES / "hf_configs").glob("*/config.json")))
RESULT_FILES = (*(str(p) for p in sorted((FIXTURES / "results").glob("*.json*"))), SBX["few_csv"], SBX["bad_config"],
                SBX["missing"], "/dev/null")
BILLS = tuple(str(p) for p in sorted((FIXTURES / "focus").glob("*.csv*")))

# ---------------------------------------------------------------- value strategies per option


def _field(name: str) -> FieldInfo | None:
    for model in reversed(MODELS):
        if name in model.model_fields:
            return model.model_fields[name]
    return None



def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in info.metadata:
        for attr in ("ge", "gt"):
            if getattr(m, attr, None) is not None:
                lo = getattr(m, attr)
        for attr in ("le", "lt"):
            if getattr(m, attr, None) is not None:
                hi = getattr(m, attr)
    return lo, hi


def _edges(lo: float | None, hi: float | None, whole: bool) -> list[str]:
    """Values at, just inside and just outside a field's bounds."""
    out: list[float] = []
    for b, sign in ((lo, -1), (hi, 1)):
        if b is None:
            continue
        out += [b, b - sign * (1 if whole else abs(b) * 1e-9 or 1e-12), b + sign * (1 if whole else abs(b) * 1e-9 or 1e-12)]
    if lo is not None and hi is not None:
        out.append((lo + hi) / 2 if not whole else (int(lo) + int(hi)) // 2)
    return [str(int(v)) if whole else repr(float(v)) for v in out]


TYPICAL = {"isl": ("1000", "2000", "128", "1"), "osl": ("200", "300", "1", "1000"), "rate_rps": ("2", "5", "0.5", "100"),
           "tokens_per_day": ("2e9", "1e6", "1e12"), "count": ("1", "2", "8", "72"), "tp": ("1", "2", "8"),
           "pp": ("1", "2"), "ep": ("1", "8"), "concurrency": ("1", "16", "256"), "mw": ("1", "100", "1000"),
           "top": ("1", "3", "10"), "explain": ("1", "2", "50"), "years": ("4", "5"), "pue": ("1.1", "1.4"),
           "chunk_tokens": ("512", "8192"), "row": ("1", "2", "50")}


def _valid_values(name: str, annotation: Any) -> st.SearchStrategy[str] | None:
    """Plausible values for an option: ids from the catalog, choices, numbers within the bounds."""
    pool = POOLS.get(POOL_OF.get(name, name))
    if pool is not None:
        return ids(pool)
    if name == "date":
        return st.sampled_from(DATES)
    if name == "buyer_country":
        return st.sampled_from(COUNTRIES)
    info = _field(name)
    choices = literal_choices(info.annotation) if info is not None else ()
    if name in ("preset",):
        choices = ("none", "eu-residency", "eu-jurisdiction", "secnumcloud")
    if name == "fidelity":
        choices = ("roofline", "derated", "calibrated")
    if choices:
        one = st.sampled_from(choices)
        return weighted(one, one.flatmap(lambda c: st.sampled_from([c.upper(), c + "s", c[:-1]])), 4)
    if annotation in (int, float) or (info is not None and _bounds(info) != (None, None)):
        whole = annotation is int
        edges = _edges(*_bounds(info), whole) if info is not None else []
        typical = TYPICAL.get(name, ("1", "2"))
        return st.sampled_from(list(typical) + edges)
    return None


def _list_values(name: str) -> st.SearchStrategy[str]:
    pool = POOLS.get(POOL_OF.get(name, name))
    info = _field(name)
    choices = literal_choices(info.annotation) if info is not None else ()
    items = st.sampled_from(list(pool or choices or ("x",)))
    joined = st.lists(items, min_size=1, max_size=3).map(",".join)
    return weighted(st.one_of(items, joined), st.one_of(items.flatmap(typo_variants), st.sampled_from([",", ",,", " , ", ""])),
                    4)


def _path_values(name: str) -> st.SearchStrategy[str]:
    if name == "html_out":
        return st.sampled_from([SBX["root"] + "/report.html", SBX["root"], SBX["missing"], SBX["loop"], SBX["file"]])
    if name == "out":  # --out of a recipe: a folder written to
        return st.sampled_from([SBX["root"] + "/recipe", SBX["new_save"], SBX["file"], SBX["loop"],
                                "~tokenfab-no-such-user", "relative-recipe"])
    if name == "focus_out":  # tokenfab plan --focus-out
        return st.sampled_from([SBX["root"] + "/plan_focus.csv", SBX["root"], SBX["missing"], SBX["loop"], SBX["file"]])
    if name == "files":  # tokenfab bill FILES...
        return st.sampled_from([*BILLS, SBX["few_csv"], SBX["garbage_csv"], SBX["empty"], SBX["loop"], SBX["missing"],
                                SBX["file"], "/dev/null"])
    if name == "save":
        return st.sampled_from([SBX["root"] + "/saved", SBX["root"] + "/saved2", SBX["file"], SBX["loop"],
                                SBX["new_save"], "~tokenfab-no-such-user", "~/home-save", "relative-save"])
    if name == "catalog":
        return weighted(st.sampled_from(CATALOG_DIRS[:3]), st.sampled_from(CATALOG_DIRS), 2)
    if name == "file":  # tokenfab validate FILE
        return st.sampled_from([SBX["few_csv"], SBX["garbage_csv"], SBX["empty"], SBX["loop"], SBX["missing"],
                                SBX["bad_config"], str(ROOT / "validation" / "measured.csv"), "/dev/null"])
    if name == "path":  # tokenfab model import PATH
        return st.sampled_from([*HF_CONFIGS, str(Path(HF_CONFIGS[0]).parent), SBX["bad_config"], SBX["few_csv"],
                                SBX["loop"], SBX["missing"], SBX["empty"], "/dev/null"])
    raise AssertionError(name)


def _annotation(param: Any) -> Any:
    td = getattr(param, "type_descriptor", None)
    return td.annotation if td is not None else str


def option_values(param: Any, hostile: bool) -> st.SearchStrategy[list[str]]:
    """The tokens one occurrence of ``param`` adds: ``--flag VALUE``, ``--flag=VALUE``, ``--flag``
    or ``--no-flag``; ``hostile`` mixes hostile values in."""
    flags = st.sampled_from(list(param.opts))
    if getattr(param, "is_flag", False):
        return st.sampled_from(list(param.opts) + list(param.secondary_opts)).map(lambda f: [f])
    ann = _annotation(param)
    if ann is Path:
        values = _path_values(param.name)
        return st.tuples(flags, values).map(list)
    if typing.get_origin(ann) is list:
        values = _list_values(param.name)
    else:
        valid = _valid_values(param.name, ann)
        bad = hostile_number() if ann in (int, float) else hostile_text()
        if valid is None:
            values = st.one_of(hostile_text(), bad)
        else:
            values = weighted(valid, bad, 2) if hostile else valid
    return weighted(st.tuples(flags, values).map(list), st.tuples(flags, values).map(lambda t: [f"{t[0]}={t[1]}"]), 3)


# ---------------------------------------------------------------- valid starting points

WL = ["--isl", "1000", "--osl", "200"]


def _base(path: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    """A valid call of ``path`` (some answer "no": a model too big for the chips, say)."""
    cheap = CHEAP_MODELS[:6] if path in (("plan",), ("compare",), ("whatif",)) else CHEAP_MODELS
    model = st.sampled_from(cheap).map(lambda m: ["--model", m])
    rented = st.sampled_from(POOLS["offer"]).map(lambda o: ["--offer", o])
    bare = st.tuples(st.sampled_from(("h200", "h100-sxm", "b200", "mi300x", "l40s", "gb200", "tpu-v6e")),
                     st.sampled_from(("1", "2", "4", "8"))).map(lambda t: ["--accelerator", t[0], "--count", t[1]])
    owned = st.tuples(st.sampled_from(("h200", "h100-sxm", "b200", "mi300x")), st.sampled_from(("fr", "us", "de"))
                      ).map(lambda t: ["--own", "--accelerator", t[0], "--grid", t[1]])
    traffic = st.one_of(st.sampled_from(("1", "2", "5")).map(lambda r: ["--rate-rps", r]),
                        st.sampled_from(("1e9", "2e9")).map(lambda r: ["--tokens-per-day", r]))

    def join(*parts: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
        return st.tuples(*parts).map(lambda ps: [tok for p in ps for tok in p])

    wl = st.just(WL)
    also_own = weighted(st.just([]), st.sampled_from(("fr", "us", "de")).map(lambda g: ["--own", "--own-grid", g]), 3)
    bases: dict[tuple[str, ...], st.SearchStrategy[list[str]]] = {
        ("plan",): join(model, wl, traffic, also_own),
        ("estimate",): join(model, wl, st.one_of(bare, rented, owned)),
        ("energy",): join(model, wl, st.one_of(bare, rented)),
        ("cost",): join(model, wl, st.one_of(rented, owned, join(owned, rented))),
        ("compare",): join(model, wl),
        ("whatif",): join(model, wl, traffic, also_own),
        ("gigawatt",): join(model, wl, st.one_of(st.just(["--mw", "100"]), traffic,
                                                   st.sampled_from(POOLS["facility"]).map(lambda f: ["--facility", f]))),
        ("sovereignty",): ids(POOLS["subject"]).map(lambda s: [s]),
        ("validate",): weighted(st.sampled_from([SBX["few_csv"], str(ROOT / "validation" / "measured.csv")]),
                                _path_values("file"), 2).map(lambda f: [f]),
        ("catalog", "list"): ids(POOLS["kind"]).map(lambda k: [k]),
        ("catalog", "show"): ids(POOLS["any_id"]).map(lambda k: [k]),
        ("catalog", "validate"): st.just([]),
        ("catalog", "stale"): weighted(st.just([]), st.sampled_from(["--older-than", "--kind"]).flatmap(
            lambda f: st.sampled_from(["180d", "1y", "26w", "0", "offers", "fx_rates"]).map(lambda v: [f, v])), 2),
        ("catalog", "diff"): st.sampled_from([["bundled", "bundled"], ["bundled", str(ROOT / "src" / "tokenfab" / "data")]]),
        ("model", "import"): weighted(st.sampled_from(HF_CONFIGS), _path_values("path"), 2).map(lambda p: [p]),
        ("calibrate",): join(st.sampled_from(RESULT_FILES).map(lambda f: [f]),
                             st.sampled_from(("h100-sxm", "mi300x", "h200")).map(lambda a: ["--accelerator", a]),
                             st.just(["--count", "1", "--weights", "bf16", "--model", "llama-3.1-8b", "--stack",
                                      "vllm", "--save", SBX["root"] + "/calibrated"])),
        ("bill",): weighted(st.sampled_from(BILLS), _path_values("files"), 3).map(lambda f: [f]),
    }
    return bases[path]


UNKNOWN_FLAGS = ("--foo", "--jsn", "--rate_rps", "--MODEL", "-x", "--", "--model=", "-", "--no-json", "--isl=")


@st.composite
def argv(draw: st.DrawFn, path: tuple[str, ...], hostile: bool) -> tuple[list[str], dict[str, str]]:
    """(argument list after the command path, environment) for one run: a valid call plus
    options with valid values (at and around their bounds), or with ``hostile`` also hostile
    values and structural mischief."""
    cmd = LEAVES[path]
    options = [p for p in cmd.params if getattr(p, "param_type_name", "") == "option"]
    args = list(draw(_base(path)))
    for _ in range(draw(st.integers(0, 4 if hostile else 5))):
        param = draw(st.sampled_from(options))
        args += draw(option_values(param, hostile))
    mischief = draw(st.integers(0, 9)) if hostile else -1
    if mischief == 0:
        args.insert(draw(st.integers(0, len(args))), draw(st.sampled_from(UNKNOWN_FLAGS)))
    elif mischief == 1 and args:
        i = draw(st.integers(0, len(args) - 1))
        args.insert(i, args[i])  # a repeated token
    elif mischief == 2:
        args.append(draw(hostile_text()))  # a stray positional
    elif mischief == 3 and args:  # a dropped token (a required option's value, say)
        del args[draw(st.integers(0, len(args) - 1))]
    if any(p.name == "json_out" for p in options) and draw(st.booleans()):
        args.append("--json")
    env = {}
    if hostile and draw(st.integers(0, 9)) == 0:
        env["TOKENFAB_CATALOG"] = draw(st.sampled_from(CATALOG_DIRS))
    return args, env


# ---------------------------------------------------------------- the promise


def _parsed(path: tuple[str, ...], args: list[str]) -> dict[str, Any]:
    """The parameters click reads from ``args`` (a flag may be eaten as another option's value)."""
    try:
        return dict(LEAVES[path].make_context(path[-1], list(args), resilient_parsing=True).params)
    except Exception:
        return {}


WRITES = ("save", "html_out", "out", "focus_out")  # options whose value is a path tokenfab writes to
REFUSED_PATHS = ("~tokenfab-no-such-user",)  # written nowhere: refused with one line


@pytest.fixture(autouse=True)
def _in_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths and '~' resolve inside the sandbox, never in the checkout or the real home."""
    monkeypatch.chdir(SBX["root"])
    monkeypatch.setenv("HOME", SBX["root"])


def _inside_sandbox(target: Any) -> bool:
    text = str(target)
    if text in REFUSED_PATHS:
        return True
    full = os.path.abspath(os.path.expanduser(text))  # relative to the working directory: the sandbox
    return full == SBX["root"] or full.startswith(SBX["root"] + os.sep)


def check_run(path: tuple[str, ...], args: list[str], env: dict[str, str]) -> None:
    note_input(f"tokenfab {' '.join(path)} {args!r} env={env!r}")
    params = _parsed(path, args)
    for name in WRITES:  # the strategies must never point a write outside the sandbox
        target = params.get(name)
        assert target is None or _inside_sandbox(target), (name, args)
    with warnings.catch_warnings(record=True) as caught:  # the installed script prints them on stderr
        warnings.simplefilter("always")
        proc = cli(*path, *args, env=env)
    shown = [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught]
    assert not shown, (f"tokenfab {' '.join(path)} {args!r}", shown)
    allowed = {0, 2, 3} | ({1} if path == ("catalog", "validate") else set())
    assert_cli_promise(f"tokenfab {' '.join(path)} {args!r} env={env}", proc.returncode, proc.stdout, proc.stderr,
                       allowed, bool(params.get("json_out")), echoed=" ".join(args))
    if proc.returncode == 1:  # catalog validate: one line per problem on stdout, then the summary
        assert "catalog invalid:" in proc.stdout, proc.stdout[-2000:]


@pytest.mark.parametrize("path", sorted(BUDGET), ids=" ".join)
def test_cli_fuzz_valid_options(path: tuple[str, ...]) -> None:
    """Valid calls with extra options at, inside and just outside their bounds (deep paths)."""
    @fuzz_settings(BUDGET[path] * 2 // 3)
    @given(run=argv(path, hostile=False))
    def fuzz(run: tuple[list[str], dict[str, str]]) -> None:
        check_run(path, *run)

    fuzz()


@pytest.mark.parametrize("path", sorted(BUDGET), ids=" ".join)
def test_cli_fuzz_hostile(path: tuple[str, ...]) -> None:
    """Hostile values, unknown and repeated flags, stray and dropped tokens, broken overlays."""
    @fuzz_settings(BUDGET[path] // 3)
    @given(run=argv(path, hostile=True))
    def fuzz(run: tuple[list[str], dict[str, str]]) -> None:
        check_run(path, *run)

    fuzz()


def test_every_command_is_fuzzed() -> None:
    """A new command must be added to BUDGET (and to a starting point in ``_base``)."""
    assert set(LEAVES) == set(BUDGET) | NOT_FUZZED


@pytest.mark.parametrize("path,args", [
    (("plan",), ["--model", "llama-3.1-8b", "--rate-rps", "5", "--isl", "1000", "--osl", "200", "--own",
                 "--own-grid", "fr", "--json"]),
    (("plan",), ["--model", "llama-3.1-8b", "--tokens-per-day", "1e-300", "--isl", "1000", "--osl", "200", "--json"]),
    (("compare",), ["--model", "llama-3.1-8b", "--isl", "1000", "--osl", "200", "--scenario", "offline"]),
    (("compare",), ["--model", "llama-3.1-8b", "--isl", "1000", "--osl", "200", "--scenario", "offline", "--json"]),
    (("catalog", "list"), ["models", "--catalog", "~tokenfab-no-such-user"]),
    (("model", "import"), [HF_CONFIGS[0], "--save", "~tokenfab-no-such-user"]),
    (("model", "import"), [HF_CONFIGS[0], "--save", SBX["loop"]]),
    (("estimate",), ["--model", "llama-3.1-8b", "--isl", "1000", "--osl", "200", "--accelerator", "h200", "--count", "2",
                     "--pp", "2", "--json"]),
    (("plan",), ["--model", "llama-3.1-8b", "--isl", "1000", "--osl", "200", "--rate-rps", "1", "--scenario", "offline"]),
    (("plan",), ["--model", "llama-3.1-8b", "--isl", "1000", "--osl", "200", "--rate-rps", "1", "--scenario", "offline",
                 "--explain", "1", "--json"]),
    (("plan",), ["--model", "llama-3.1-8b", "--isl", "1000", "--osl", "200", "--rate-rps", "1", "--explain", "50",
                 "--html", SBX["root"] + "/report.html"]),
    (("sovereignty",), ["aws", "b" * 5000]),
    (("sovereignty",), ["aws", "--catalog", SBX["override"], "--date", "2026-02-30"]),
    (("estimate",), ["--model", "no-such-model", "--isl", "1000", "--osl", "200", "--catalog", SBX["override"]]),
    (("plan",), ["--model", "llama-3.1-8b", "--isl", "1000", "--osl", "200", "--tokens-per-day", "1e9", "--own",
                 "--own-grid", "fr", "--csv"]),
    (("model", "import"), [HF_CONFIGS[0], "--save", "~/tilde-save", "--force"]),
])
def test_found_by_fuzzing(path: tuple[str, ...], args: list[str]) -> None:
    """Inputs the fuzzer found that broke the promise: a traceback, a RuntimeWarning on stderr, inf
    in the output, a 5,000-character error line, notes or a 'report written' line before the error."""
    check_run(path, args, {})
