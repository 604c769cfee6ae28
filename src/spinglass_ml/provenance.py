"""What produced a result: versions of this package and of its libraries, and digests of the code a rule runs
(the workflow's ``params: code=``, so that a change of what runs reruns the rule and nothing else does)."""

from __future__ import annotations

import ast
import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # the installed package: the code that runs


def package_version(name: str = "spinglass-ml") -> str:
    """Installed version of distribution ``name``, or "unknown" where it is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def installed_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Versions of the installed distributions among ``names``; those not installed are left out."""
    return {name: v for name in names if (v := package_version(name)) != "unknown"}


def source_digest(source: str) -> str:
    """SHA-256 of Python source as the interpreter sees it: its AST without docstrings, so comments,
    docstrings and formatting do not change it and any change of the code does."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()


def _package_imports(tree: ast.AST) -> set[str]:
    """Modules of this package an AST imports, dotted ("spinglass_ml.mc.simulation"), as far as they exist."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "spinglass_ml":
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "spinglass_ml"}
    return {name for name in found if _module_file(name) is not None}


def _module_file(name: str) -> Path | None:
    """The source file of a module of this package where it is installed (the code that runs), or None; found
    without importing it (a module that imports TensorFlow stays unimported)."""
    parts = name.split(".")[1:]
    for candidate in (PACKAGE.joinpath(*parts).with_suffix(".py"), PACKAGE.joinpath(*parts, "__init__.py")):
        if parts and candidate.is_file():
            return candidate
    return None


def code_digest(script: str | Path) -> str:
    """SHA-256 of the code a rule script runs: the script and, transitively, every module of this package it
    imports (:func:`source_digest` of each, so a docstring, comment or formatting change leaves it unchanged).

    The modules are read where Python imports them from, so the digest is of the installed code, wherever
    the checkout lies; it does not depend on paths. The compiled kernel is not included: the Monte Carlo is
    versioned by :data:`spinglass_ml.mc.simulation.CHAIN_VERSION` instead.
    """
    script = Path(script)
    todo, seen = [script], {}
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        source = path.read_text()
        seen[path] = source_digest(source)
        todo += [_module_file(name) for name in _package_imports(ast.parse(source))]
    names = sorted(
        (p.name if p == script else str(p.relative_to(Path(__file__).parent)), d) for p, d in seen.items()
    )
    return hashlib.sha256(repr(names).encode()).hexdigest()
