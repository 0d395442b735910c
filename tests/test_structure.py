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


# ---- every module imports on its own ---------------------------------------------------------
# Third-party libraries are imported once in the parent, which then forks a child per module:
# the child starts with none of the project's modules loaded, as a fresh interpreter would,
# so an import circle among them fails there exactly as in `python -c "import X"`, but the
# whole distribution takes seconds instead of a minute.
_IMPORT_EACH = r'''
import importlib, json, os, sys, traceback
for lib in ("sqlalchemy", "sqlalchemy.orm", "alembic", "click", "huey", "panoramisk",
            "starlette.applications", "jinja2", "uvicorn", "sse_starlette", "twilio.rest",
            "argon2", "itsdangerous", "openpyxl", "holidays", "pydub", "requests", "vosk"):
    importlib.import_module(lib)
modules = json.loads(sys.argv[1])
mine = {m.split(".")[0] for m in modules}
assert not [m for m in sys.modules if m.split(".")[0] in mine], "the parent loaded the project"
failed = {}
for name in modules:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(name)
            os._exit(0)
        except BaseException:
            os.write(write, traceback.format_exc()[-2000:].encode())
            os._exit(1)
    os.close(write)
    with os.fdopen(read) as out:
        text = out.read()
    _, status = os.waitpid(pid, 0)
    if status:
        failed[name] = text
print(json.dumps(failed))
'''


def distribution_modules() -> list[str]:
    """Every module of the packages pyproject.toml installs (not the migrations' env.py,
    which runs migrations when Alembic loads it)."""
    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]
    names = []
    for package in packages:
        folder = ROOT.joinpath(*package.split("."))
        for path in sorted(folder.glob("*.py")):
            if path.name == "__main__.py" or (package == "hotline.migrations"
                                              and path.name == "env.py"):
                continue
            names.append(package if path.name == "__init__.py" else f"{package}.{path.stem}")
    return names


def test_every_module_of_the_distribution_imports_on_its_own():
    """No import circle hides behind an import order: `python -c "import hotline.cli.orders"`
    works for every module (it failed for hotline.cli_orders before the CLI became a
    package)."""
    import json
    import subprocess
    import sys

    modules = distribution_modules()
    assert {"hotline.cli", "hotline.cli.orders", "hotline.cli.common", "hotline.bootstrap",
            "workorder.orders", "agi_scripts.incoming"} <= set(modules)
    proc = subprocess.run([sys.executable, "-c", _IMPORT_EACH, json.dumps(modules)],
                          capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    failed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert failed == {}, "\n\n".join(f"{m}:\n{t}" for m, t in failed.items())
