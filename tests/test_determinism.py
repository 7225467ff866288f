"""Keep the sandbox honest. Every `conduct.*` module passes through the workflow sandbox, so
nothing at run time stops `datetime.now()` in conduct/rules.py from making a case
non-deterministic. This static check walks the import graph of the workflow modules
(workflows/*.py and the project modules they import, `conduct.*` and `workflows.*`) with `ast`
and fails on any call of wall-clock time, randomness or I/O in those modules, naming file:line.

Conservative on purpose: a whole module counts, not only the functions a workflow calls, since
the next edit may call them. Imports under `if TYPE_CHECKING:` are not followed (never run).
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from conduct.settings import PROJECT_ROOT

PROJECT_PACKAGES = ("conduct", "workflows")

WALL_CLOCK = {
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.datetime.today",
    "datetime.date.today",
    "time.time",
    "time.time_ns",
    "time.monotonic",
    "time.monotonic_ns",
    "time.perf_counter",
    "time.perf_counter_ns",
    "time.localtime",
    "time.gmtime",
}
RANDOMNESS = {"uuid.uuid1", "uuid.uuid4", "os.urandom"}
RANDOM_MODULES = ("random", "secrets")
IO_MODULES = ("os", "shutil", "subprocess", "socket", "urllib.request")
IO_LIBRARIES = ("sqlalchemy", "requests", "httpx")  # reported once, where imported
IO_NAMES = {"builtins.open", "io.open", "logging.FileHandler", "logging.basicConfig", "pathlib.Path.open"}
IO_NAME_PREFIXES = ("logging.handlers",)
IO_METHODS = {"read_text", "read_bytes", "write_text", "write_bytes", "open"}  # Path's, whatever the receiver


@dataclass(frozen=True)
class Offence:
    path: Path
    line: int
    what: str
    via: tuple[str, ...] = ()  # the import chain from a workflow module

    def __str__(self) -> str:
        where = self.path.relative_to(PROJECT_ROOT) if self.path.is_relative_to(PROJECT_ROOT) else self.path
        chain = f"  (imported by {' <- '.join(reversed(self.via))})" if self.via else ""
        return f"{where}:{self.line}: {self.what}{chain}"


def _within(name: str, modules: Iterable[str]) -> bool:
    return any(name == m or name.startswith(f"{m}.") for m in modules)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class ModuleCheck(ast.NodeVisitor):
    """One module: the project modules it imports, and its offences."""

    def __init__(self, path: Path, module: str, via: tuple[str, ...] = ()) -> None:
        self.path, self.module, self.via = path, module, via
        self.aliases: dict[str, str] = {}  # local name -> qualified name
        self.imports: set[str] = set()
        self.offences: list[Offence] = []

    # ------------------------------------------------------------------ imports

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imports.add(alias.name)
            head = alias.name.split(".")[0]
            self.aliases[alias.asname or head] = alias.name if alias.asname else head
            self._imported(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._absolute(node)
        self.imports.add(base)
        for alias in node.names:
            qualified = f"{base}.{alias.name}"
            self.imports.add(qualified)  # a submodule, or a name in `base` (then `base` is followed)
            self.aliases[alias.asname or alias.name] = qualified
        self._imported(node, base)

    def _absolute(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        package = self.module.split(".")
        if self.path.name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - node.level + 1]
        return ".".join([*package, *([node.module] if node.module else [])])

    def _imported(self, node: ast.stmt, name: str) -> None:
        library = name.split(".")[0]
        if library in IO_LIBRARIES and not any(o.what == f"I/O: imports {library}" for o in self.offences):
            self._offend(node, f"I/O: imports {library}")

    # ------------------------------------------------------------------ uses

    def qualified(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, f"builtins.{node.id}" if node.id == "open" else None)
        if isinstance(node, ast.Attribute):
            owner = self.qualified(node.value)
            return f"{owner}.{node.attr}" if owner else None
        return None

    def visit_Call(self, node: ast.Call) -> None:
        name = self.qualified(node.func)
        if name in WALL_CLOCK:
            self._offend(node, f"wall-clock time: {name}()")
        elif name in RANDOMNESS or (name and _within(name, RANDOM_MODULES)):
            self._offend(node, f"randomness: {name}()")
        elif name and (name in IO_NAMES or _within(name, IO_MODULES) or _within(name, IO_NAME_PREFIXES)):
            self._offend(node, f"I/O: {name}()")
        elif name is None and isinstance(node.func, ast.Attribute) and node.func.attr in IO_METHODS:
            self._offend(node, f"I/O: .{node.func.attr}()")
        else:
            self.generic_visit(node)
            return
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            self.visit(arg)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        """A module's attribute used without a call (`os.environ[...]`, `random.random` passed on)."""
        name = self.qualified(node)
        if name and isinstance(node.ctx, ast.Load) and (_within(name, RANDOM_MODULES) or _within(name, IO_MODULES)):
            self._offend(node, f"{'randomness' if _within(name, RANDOM_MODULES) else 'I/O'}: {name}")
            return
        self.generic_visit(node)

    def _offend(self, node: ast.AST, what: str) -> None:
        self.offences.append(Offence(self.path, getattr(node, "lineno", 0), what, self.via))


def module_file(root: Path, module: str) -> Path | None:
    parts = module.split(".")
    for candidate in (root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts, "__init__.py")):
        if candidate.is_file():
            return candidate
    return None


def check_module(path: Path, module: str, via: tuple[str, ...] = ()) -> ModuleCheck:
    check = ModuleCheck(path, module, via)
    check.visit(ast.parse(path.read_text(), filename=str(path)))
    return check


def walk(roots: Iterable[tuple[Path, str]], root: Path = PROJECT_ROOT) -> Iterator[ModuleCheck]:
    """Each module of the import graph from `roots` ((file, module name) pairs), once, breadth
    first (so each module's `via` is a shortest import chain from a root)."""
    seen: set[Path] = set()
    todo: deque[tuple[Path, str, tuple[str, ...]]] = deque((path, module, ()) for path, module in roots)
    while todo:
        path, module, via = todo.popleft()
        if path in seen:
            continue
        seen.add(path)
        check = check_module(path, module, via)
        yield check
        for name in sorted(check.imports):
            if not _within(name, PROJECT_PACKAGES):
                continue
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # the packages on the way are imported too
                found = module_file(root, ".".join(parts[:i]))
                if found is not None:
                    todo.append((found, ".".join(parts[:i]), (*via, module)))


def workflow_modules() -> list[tuple[Path, str]]:
    return [(p, f"workflows.{p.stem}") for p in sorted((PROJECT_ROOT / "workflows").glob("*.py"))]


def offences_in(roots: Iterable[tuple[Path, str]], root: Path = PROJECT_ROOT) -> list[Offence]:
    return sorted((o for check in walk(roots, root) for o in check.offences), key=lambda o: (str(o.path), o.line))


KNOWN: dict[tuple[str, str], str] = {}
"""Offences accepted for now, each with why; none today. Nothing may join without a reason."""


def _key(offence: Offence) -> tuple[str, str]:
    return str(offence.path.relative_to(PROJECT_ROOT)), offence.what


def test_workflow_import_graph_reads_no_clock_no_randomness_and_does_no_io() -> None:
    modules = {check.module for check in walk(workflow_modules())}
    assert {"workflows.complaint", "conduct.rules", "conduct.case"} <= modules  # the graph was really walked
    offences = [o for o in offences_in(workflow_modules()) if _key(o) not in KNOWN]
    assert not offences, "workflow code must be deterministic:\n" + "\n".join(map(str, offences))


FIXTURE = '''
"""A module that a workflow might import, with every kind of offence."""
import datetime as dt
import os
import random
from datetime import date, datetime
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING
from uuid import uuid4

import sqlalchemy

if TYPE_CHECKING:
    from os import environ  # not run: not an offence


def due() -> date:
    return datetime.now().date()


def also_due() -> date:
    return dt.date.today()


def pure(d: date) -> date:
    return d.replace(day=1)  # fine: no clock


def noisy() -> object:
    return (random.choice([1, 2]), uuid4(), monotonic(), os.environ["HOME"], open("x"), Path("y").read_text())
'''


def test_the_checker_reports_each_offence_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "conduct").mkdir()
    (tmp_path / "conduct" / "__init__.py").write_text("")
    (tmp_path / "conduct" / "bad.py").write_text(FIXTURE)
    (tmp_path / "workflows").mkdir()
    root = tmp_path / "workflows" / "wf.py"
    root.write_text("from conduct import bad\n")
    found = [f"{o.path.name}:{o.line}: {o.what}" for o in offences_in([(root, "workflows.wf")], root=tmp_path)]
    assert found == [
        "bad.py:12: I/O: imports sqlalchemy",
        "bad.py:19: wall-clock time: datetime.datetime.now()",
        "bad.py:23: wall-clock time: datetime.date.today()",
        "bad.py:31: randomness: random.choice()",
        "bad.py:31: randomness: uuid.uuid4()",
        "bad.py:31: wall-clock time: time.monotonic()",
        "bad.py:31: I/O: os.environ",
        "bad.py:31: I/O: builtins.open()",
        "bad.py:31: I/O: .read_text()",
    ]
