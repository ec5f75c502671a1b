"""Recipes: from one evaluated deployment to a running server and the benchmark that checks
it. ``recipe(evaluation, 'vllm' | 'sglang' | 'trtllm' | 'k8s')`` returns the launch command,
Kubernetes manifests and benchmark command (with the expected figures); ``write_recipe``
writes them to a folder. Everything is read off the Evaluation; nothing is re-derived."""

from __future__ import annotations

import shlex
from pathlib import Path

from ..catalog.loader import Catalog, load_catalog
from ..deployment.result import Evaluation
from ..errors import InputError
from ..inputs import ResultModel
from . import bench, k8s
from .bench import Expected
from .launch import BUILDERS
from .shape import shape_of
from .stacks import BENCH_FOR_STACK, SERVE, check_runs, recipe_stack

RECIPES = ("vllm", "sglang", "trtllm", "k8s")

__all__ = ["RECIPES", "Recipe", "recipe", "write_recipe"]


class Recipe(ResultModel):
    """Files of one recipe (name -> text) and what they were made from."""

    kind: str
    stack: str
    stack_name: str
    stack_version: str
    bench_tool: str
    bench_version: str
    launch: str
    bench: str
    expected: Expected
    manifests: str | None
    notes: tuple[str, ...]
    files: dict[str, str]


def recipe(ev: Evaluation, kind: str, catalog: Catalog | None = None) -> Recipe:
    """The recipe of ``kind`` for ``ev``; a stack that cannot run the evaluated chip, or whose
    figures the evaluation does not hold, is refused in one line."""
    if kind not in RECIPES:
        raise InputError(f"recipe = {kind!r}: use one of {', '.join(RECIPES)}")
    cat = catalog or load_catalog()
    acc = cat.accelerator(ev.deployment.accelerator)
    evaluated = recipe_stack(ev.deployment.stack)
    stack = evaluated if kind == "k8s" else kind
    if stack is None:
        raise InputError(f"recipe = 'k8s': the evaluation's stack {ev.deployment.stack!r} has no recipe; "
                         f"evaluate with --stack vllm, sglang or trtllm")
    check_runs(cat, stack, acc)
    if evaluated != stack:
        raise InputError(f"recipe = {kind!r}: the figures were evaluated for stack {ev.deployment.stack!r}; add "
                         f"--stack {stack} so they are {SERVE[stack].name}'s")
    s = shape_of(ev, cat)
    launch = BUILDERS[stack](s)
    tool = BENCH_FOR_STACK[stack]
    bench_text = bench.text(tool, ev, s)
    launch_text = shlex.join(launch.argv) + "\n"
    if launch.worker_argv:
        launch_text += "# on each worker node ({leader} = the first node's address, {rank} = 1, 2, ...):\n" + \
            shlex.join(launch.worker_argv) + "\n"
    files = {f"launch-{stack}.sh": "#!/bin/sh\n" + "".join(f"# {n}\n" for n in launch.notes) + launch_text,
             "bench.sh": "#!/bin/sh\n" + bench_text, **launch.files}
    manifests = None
    if kind == "k8s":
        manifests = k8s.to_yaml(k8s.manifests(launch, s, acc, stack, ev.model))
        files = {"k8s.yaml": manifests, "bench.sh": files["bench.sh"]}
    return Recipe(kind=kind, stack=stack, stack_name=SERVE[stack].name, stack_version=SERVE[stack].version,
                  bench_tool=bench.BENCH[tool].name,
                  bench_version=bench.BENCH[tool].version, launch=launch_text, bench=bench_text,
                  expected=bench.expected(ev), manifests=manifests, notes=launch.notes, files=files)


def write_recipe(r: Recipe, folder: str | Path) -> list[Path]:
    """Write the recipe's files into ``folder`` (created if missing)."""
    out = Path(folder).expanduser()
    if out.exists() and not out.is_dir():
        raise InputError(f"out = {str(out)!r} is a file; pass a folder (it is created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, text in r.files.items():
            p = out / name
            p.write_text(text, encoding="utf-8")
            paths.append(p)
    except OSError as exc:
        raise InputError(f"out = {str(out)!r}: cannot write ({exc.strerror}); choose a writable folder") from None
    return paths
