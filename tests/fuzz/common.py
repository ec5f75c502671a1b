"""Shared pieces of the fuzz suite: the hypothesis settings every fuzz test runs under, the
hostile values the strategies mix into valid input, and the checks of the hardening promise
(one ``error:`` line naming the problem, a documented exit code, no traceback, no NaN or
infinity in any output, strict JSON).

Every fuzz test is deterministic (``derandomize=True``, no example database), so CI runs the
same examples on every change and a failure reproduces locally with the same command.
``TOKENFAB_FUZZ_SCALE=N`` multiplies the example budgets for a longer hunt (still deterministic).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

MAX_ERROR_CHARS = 600
"""Longest one-line CLI error accepted [characters] (the web caps its detail at 300). Values in
messages are cut to 60 characters (``errors.show_value``), so a longer line echoes input whole."""
MAX_FILE_ERROR_CHARS = 600
"""Longest one-line error accepted from a file reader [characters]."""


SCALE = float(os.environ.get("TOKENFAB_FUZZ_SCALE", "0.5"))
"""Multiplies every example budget: 0.5 by default (what CI runs on every change, ~20 s);
``TOKENFAB_FUZZ_SCALE=20`` for a long local hunt (runs at 8 and 25 were clean, 2026-11-30)."""


def fuzz_settings(max_examples: int) -> settings:
    """Deterministic, no deadline (the planner takes tens of ms), no example database; no
    'explain' phase, so a failure prints its whole input rather than eliding parts."""
    return settings(max_examples=max(1, round(max_examples * SCALE)), deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


# ---------------------------------------------------------------- hostile values (as command-line text)

HOSTILE_NUMBERS: tuple[str, ...] = (
    "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "+inf", "1e400", "-1e400", "1e-400", "5e-324", "1e308",
    "1.7976931348623157e308", "-1", "-0", "0", "0.0", "1e-300", "99999999999999999999999", "2147483648",
    "-2147483649", "1.5", "1e3", " 12 ", "12abc", "+5", "0x10", "1_000", "1,000", "\u0663", "\u00bd", "",
)
HOSTILE_TEXT: tuple[str, ...] = (
    "", " ", "\t", "nan", "inf", "null", "None", "true", "[]", "{}", "-", "--", "--json", "'", '"', "\\",
    "%s", "{0}", "x\ny", "\r\n", "\x00", "\u202e", "\u00a0", "\U0001f4a5", "\u00e9t\u00e9", "\u0430\u0441\u0441",
    "../../etc/passwd", "a" * 300, "b" * 5000, "\u0663\u0664",
)


def typo_variants(value: str) -> st.SearchStrategy[str]:
    """The id as a user might mistype it: upper case, a dropped or doubled letter, spaces,
    a Cyrillic look-alike, a prefix, a suffix."""
    n = max(len(value), 1)
    return st.one_of(
        st.just(value.upper()),
        st.just(value.title()),
        st.just(f" {value} "),
        st.just(value + "x"),
        st.just(value[: n // 2]),
        st.just(value.replace("a", "\u0430", 1)),
        st.integers(0, n - 1).map(lambda i: value[:i] + value[i + 1:]),
        st.integers(0, n - 1).map(lambda i: value[:i] + value[i:i + 1] * 2 + value[i + 1:]),
    )


def weighted(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], odds: int = 4) -> st.SearchStrategy[Any]:
    """``usual`` about ``odds`` times as often as ``rare`` (``st.one_of`` weighs its branches
    equally, whatever the repetitions; ``st.integers`` favours its bounds)."""
    return st.sampled_from([False] * odds + [True]).flatmap(lambda r: rare if r else usual)


def ids(pool: tuple[str, ...] | list[str]) -> st.SearchStrategy[str]:
    """A catalog id: a real one, mostly, else a mistyped one."""
    real = st.sampled_from(list(pool))
    return weighted(real, real.flatmap(typo_variants), 4)


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=12))


def hostile_number() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE_NUMBERS), st.sampled_from(HOSTILE_TEXT))


# ---------------------------------------------------------------- checks

# how Python prints a non-finite float in text (``format(nan)``) and JSON (``json.dumps``)
_NON_FINITE = re.compile(r"(?<![\w.])[-+]?(?:nan|inf|NaN|Infinity)(?![\w])")
_ALLOWED_WORDS = ("Infinity Fabric",)  # AMD's scale-up link, in the catalog


def note_input(text: str) -> None:
    """``hypothesis.note`` inside a hypothesis test (printed with a failure), nothing outside one."""
    if currently_in_test_context():
        note(text)


def non_finite_tokens(text: str, echoed: str = "") -> list[str]:
    """NaN/infinity tokens in ``text`` (ignoring catalog prose and values the user passed in)."""
    found = []
    for m in _NON_FINITE.finditer(text):
        if any(text.startswith(w, m.start()) for w in _ALLOWED_WORDS):
            continue
        if m.group(0) in echoed:
            continue
        found.append(m.group(0))
    return found


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-finite JSON constant {name}")


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses NaN, Infinity and -Infinity."""
    return json.loads(text, parse_constant=_refuse_constant)


def assert_finite(value: Any, where: str = "") -> None:
    """Every number in a nested structure is finite (None is fine)."""
    if isinstance(value, float):
        assert value == value and value not in (float("inf"), float("-inf")), (where, value)
    elif isinstance(value, dict):
        for k, v in value.items():
            assert_finite(v, f"{where}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            assert_finite(v, f"{where}[{i}]")


def assert_cli_promise(shown: str, returncode: int, stdout: str, stderr: str, allowed: set[int],
                       json_requested: bool, echoed: str = "") -> None:
    """The hardening promise for one CLI run: an allowed exit code, no traceback, on 2 or 3 one
    ``error:`` line (after click's ``Usage:`` line) of reasonable length, no NaN or infinity in
    stdout, strict JSON when ``--json`` was given and the run succeeded."""
    shown = f"{shown}\nrc={returncode}\nstderr={stderr[-2000:]}"
    assert returncode in allowed, shown
    assert "Traceback" not in stderr and "Traceback" not in stdout, shown
    if returncode in (2, 3):
        lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("Usage:")]
        assert len(lines) == 1, shown
        assert lines[0].startswith("error: "), shown
        assert len(lines[0]) <= MAX_ERROR_CHARS, (len(lines[0]), shown)
    bad = non_finite_tokens(stdout, echoed)
    assert not bad, (bad, shown, stdout[:3000])
    if returncode == 0 and json_requested:
        strict_json(stdout)


def assert_one_line_message(exc: BaseException, limit: int = MAX_FILE_ERROR_CHARS) -> str:
    """An error meant for a user: one line, not empty, not a dump of the input."""
    text = str(exc)
    assert text.strip(), repr(exc)
    assert len(text.splitlines()) == 1, text
    assert len(text) <= limit, (len(text), text[:300])
    assert "Traceback" not in text, text
    return text
