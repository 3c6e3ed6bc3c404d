"""The one direction of imports: plugin may import lti and xapi; lti and xapi import neither plugin nor
each other."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"lti": {"plugin", "xapi"}, "xapi": {"plugin", "lti"}}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_lti_and_xapi_never_reach_back() -> None:
    offences = []
    for package, forbidden in FORBIDDEN.items():
        for path in (ROOT / package).rglob("*.py"):
            bad = _imported_packages(path) & forbidden
            if bad:
                offences.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offences == []


def test_the_checker_sees_a_reaching_import(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("from plugin.db import get_session\nimport xapi.validation\n")
    assert _imported_packages(sample) == {"plugin", "xapi"}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module of ``known`` that ``path`` imports, at the top or inside a function. ``from P import m``
    imports P (its ``__init__`` runs) and, when m is a module, P.m too."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return (found & known) - {name}


def _import_graph(package: Path) -> dict[str, set[str]]:
    paths = {_module_name(path, package.parent): path for path in package.rglob("*.py")}
    return {name: _imported_modules(path, name, set(paths)) for name, path in paths.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return components


def _describe(graph: dict[str, set[str]], component: list[str]) -> str:
    inside = set(component)
    return "\n".join(f"  {module} -> {', '.join(sorted(graph[module] & inside))}" for module in component)


def test_no_import_cycle_in_plugin() -> None:
    # A cycle makes the import order decide whether a name exists yet, and is what lazy "import here to
    # avoid the cycle" imports paper over; shared pieces go below both sides instead.
    graph = _import_graph(ROOT / "plugin")
    cycles = _cycles(graph)
    assert cycles == [], "import cycles in plugin/:\n" + "\n\n".join(_describe(graph, c) for c in cycles)


def test_the_checker_sees_a_cycle_through_a_package_and_a_lazy_import(tmp_path: Path) -> None:
    package = tmp_path / "plugin"
    (package / "web").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "web" / "__init__.py").write_text("from plugin.web.views import bp\n")
    (package / "web" / "views.py").write_text("from . import forms\nbp = 1\n")
    (package / "web" / "forms.py").write_text("def f():\n    from plugin.cli import main\n")
    (package / "cli.py").write_text("from plugin import web\n")
    (package / "leaf.py").write_text("import plugin.cli\n")
    assert _cycles(_import_graph(package)) == [["plugin.cli", "plugin.web", "plugin.web.forms", "plugin.web.views"]]
