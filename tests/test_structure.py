"""The shape of the code that every change crosses: where history rows are written, which
modules may import the composition root, and that every module of the distribution
imports on its own."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agi_scripts", "hotline", "ivr", "recordings", "workorder")


def project_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
                  if "versions" not in p.parts)


def calls_to(name: str) -> list[str]:
    """Every place (file:line) in the project that calls ``name(...)``."""
    found = []
    for path in project_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                fn = node.func
                called = fn.id if isinstance(fn, ast.Name) else getattr(fn, "attr", None)
                if called == name:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_history_row_is_built_by_the_one_history_writer():
    """workorder/history.py builds every row of the order's history (one shape for the
    rows the sweep inserts in bulk and the ones added one at a time)."""
    builders = calls_to("OrderHistory")
    assert builders and {b.split(":")[0] for b in builders} == {"workorder/history.py"}, builders
    # the sweep's bulk rows come from the writer too
    assert any(c.startswith("workorder/sweep.py:") for c in calls_to("history_row"))


def importers_of(module: str) -> set[str]:
    """The project's files that import ``module`` (in any form, at any depth)."""
    parent, _, name = module.rpartition(".")
    found = set()
    for path in project_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import) and any(a.name == module for a in node.names):
                found.add(str(path.relative_to(ROOT)))
            elif isinstance(node, ast.ImportFrom) and (
                    node.module == module
                    or (node.module == parent and any(a.name == name for a in node.names))):
                found.add(str(path.relative_to(ROOT)))
    return found


def test_nothing_imports_the_composition_root_back():
    """hotline/bootstrap.py builds the platform; the entry points (the command line) call
    it and hand the platform on. No other module looks the root up."""
    assert importers_of("hotline.bootstrap") <= {
        p for p in map(str, (p.relative_to(ROOT) for p in project_files()))
        if p.startswith("hotline/cli")}
    assert importers_of("hotline.bootstrap")  # the command line does build it
