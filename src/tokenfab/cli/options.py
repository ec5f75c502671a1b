"""CLI options generated from the library's request models, so flags map 1:1 to fields.

Each field ``foo_bar`` becomes ``--foo-bar`` (booleans ``--foo-bar/--no-foo-bar``, tuples a
repeatable option that also takes comma-separated values). Every option defaults to
"unset" and only the flags a user gives reach the model, so defaults live in the model
alone; the help text is the field's description plus the model's default.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar, Union

import typer
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..inputs import parse_input

M = TypeVar("M", bound=BaseModel)

# extra (older or singular) spellings of a few flags
ALIASES: dict[str, tuple[str, ...]] = {
    "providers": ("--provider",), "exclude_providers": ("--exclude-provider",), "regions": ("--region",),
    "accelerators": ("--accelerator",), "exclude_accelerators": ("--exclude-accelerator",),
    "objectives": ("--objective",), "cost_of_capital_frac": ("--cost-of-capital",),
    "rental_value_halving_years": ("--rental-halving-years",), "exit_volume_tb": ("--exit-tb",),
    "discounts": ("--discount",),
    "shocks": ("--shock",),
}
CatalogDir = Annotated[Optional[Path], typer.Option("--catalog", help="Overlay catalog directory (or set $TOKENFAB_CATALOG).")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _strip_optional(tp: Any) -> Any:
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0] if len(rest) == 1 else tp
    return tp


def _base(tp: Any) -> Any:
    """The CLI type of a field's annotation: bool, int, float, str, or list[str] for tuples."""
    tp = _strip_optional(tp)
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
        tp = _strip_optional(tp)
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        return list
    if tp in (bool, int, float):
        return tp
    return str  # str, Literal[...], dates: the model parses and checks them


def literal_choices(tp: Any) -> tuple[str, ...]:
    """The values of a Literal inside an annotation (also inside Optional, Annotated, tuple)."""
    if typing.get_origin(tp) is typing.Literal:
        return tuple(str(a) for a in typing.get_args(tp))
    for arg in typing.get_args(tp):
        found = literal_choices(arg)
        if found:
            return found
    return ()


def _metavar(info: FieldInfo, base: Any) -> str:
    choices = literal_choices(info.annotation)
    if choices:
        return "|".join(choices) + (",..." if base is list else "")
    return {int: "INT", float: "NUMBER", list: "ID,..."}.get(base, "TEXT")


def _default_text(info: FieldInfo) -> str:
    d = info.default
    if info.is_required() or d is None or d == () or d is False:
        return ""
    if isinstance(d, tuple):
        d = ",".join(map(str, d))
    return f" [default: {d}]"


def _param(name: str, info: FieldInfo) -> inspect.Parameter:
    flag = "--" + name.replace("_", "-")
    base = _base(info.annotation)
    help_text = (info.description or "") + _default_text(info)
    required = info.is_required()
    decls: tuple[str, ...]
    if base is bool:
        decls, annotation = (f"{flag}/--no-{name.replace('_', '-')}",), Optional[bool]
    elif base is list:
        decls, annotation = (flag, *ALIASES.get(name, ())), Optional[list[str]]
    else:
        decls, annotation = (flag, *ALIASES.get(name, ())), (base if required else Optional[base])
    option = typer.Option(*decls, help=help_text, show_default=False,
                          metavar=None if base is bool else _metavar(info, base))
    default = inspect.Parameter.empty if required else None
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=Annotated[annotation, option])


def model_data(model: type[BaseModel], given: dict[str, Any]) -> dict[str, Any]:
    """The fields a user set: lists split on commas and made tuples; unset (None) dropped."""
    out: dict[str, Any] = {}
    for name, value in given.items():
        if value is None or name not in model.model_fields:
            continue
        if isinstance(value, list):
            value = tuple(v.strip() for item in value for v in str(item).split(",") if v.strip())
        elif isinstance(value, dt.date):
            value = value.isoformat()
        out[name] = value
    return out


def from_model(model: type[M], exclude: tuple[str, ...] = ()) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorate ``fn(question: M, **own_options)``: the command takes every field of ``model``
    as an option (plus ``fn``'s own options) and ``fn`` receives the parsed model."""

    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        own = list(inspect.signature(fn, eval_str=True).parameters.values())[1:]
        own_names = {p.name for p in own}
        fields = [_param(n, f) for n, f in model.model_fields.items() if n not in exclude and n not in own_names]

        @functools.wraps(fn)
        def command(**kwargs: Any) -> None:
            data = model_data(model, {k: v for k, v in kwargs.items() if k not in own_names})
            fn(parse_input(model, data), **{k: v for k, v in kwargs.items() if k in own_names})

        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
        command.__signature__ = inspect.Signature(fields + params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in fields + params}
        del command.__wrapped__  # typer must read the generated signature, not fn's
        return command

    return wrap
