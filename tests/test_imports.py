# SPDX-License-Identifier: BSD-3-Clause
"""No import circle in ``host/g2live``, no module writing another's private state, and a cheap
``import g2live`` whose namespace is the public API.

The graph is read from the source with ``ast``: every ``import g2live...`` / ``from g2live...``
(and relative) statement counts, wherever it stands (module level, inside a function, under
``if TYPE_CHECKING:``), because a function-level import that dodges a circle at import time is
still two modules that need each other. Only the import Python performs implicitly (a
submodule's parent package) is left out: it would make every package that re-exports one of its
own submodules a "circle".
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "host" / "g2live"


def module_files(root: Path = PACKAGE) -> dict[str, Path]:
    """``{dotted module name: file}`` of every ``.py`` file of the package."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def compiled_modules(root: Path = PACKAGE) -> set[str]:
    """Extension modules (``_core``: its ``.pyi`` stub or the built library); they import nothing."""
    found = set()
    for path in root.rglob("*"):
        if path.suffix in (".pyi", ".so", ".pyd"):
            parts = path.relative_to(root.parent).parts
            found.add(".".join([*parts[:-1], parts[-1].split(".")[0]]))
    return found - set(module_files(root))


def _resolve(name: str, modules: set[str]) -> str | None:
    """The most specific module of the package that ``name`` (a module or module.attribute) is."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, modules: set[str]) -> set[str]:
    """Modules of the package that ``module`` imports anywhere in its file."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: anchor at this module's package
                anchor = module.split(".")
                drop = node.level - 1 if is_package else node.level
                anchor = anchor[: len(anchor) - drop] if drop else anchor
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            # `from pkg import sub` imports the submodule when it is one, else the package.
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name, modules)
            if target is not None and target != module:
                found.add(target)
    return found


def lazy_exports(init: Path) -> dict[str, str]:
    """The top-level ``_EXPORTS`` table (name -> module) that ``g2live.__getattr__`` imports from."""
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_EXPORTS" for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """``{module: modules of the package it imports}``; the lazy top-level exports count too."""
    files = module_files(root)
    names = set(files) | compiled_modules(root)
    graph = {mod: imports_of(mod, path, names) for mod, path in files.items()}
    top = root.name
    graph[top] |= {_resolve(m, names) for m in lazy_exports(files[top]).values()} - {None}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One closed path per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_closed_path(graph, sorted(comp)) for comp in components]


def _closed_path(graph: dict[str, set[str]], comp: list[str]) -> list[str]:
    """A shortest path from the first module of ``comp`` back to itself, for the message."""
    members = set(comp)
    start = comp[0]
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [start, *reversed(path[:-1]), start] if v != start else [start, start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return comp


def test_the_graph_sees_every_kind_of_import(tmp_path: Path) -> None:
    """Top-level, function-level, TYPE_CHECKING, relative and `from pkg import submodule`."""
    pkg = tmp_path / "g2live"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text('_EXPORTS = {"f": "g2live.b"}\n')
    (pkg / "a.py").write_text("from g2live.b import thing\n")
    (pkg / "b.py").write_text("def f():\n    from g2live import c\n")
    (pkg / "c.py").write_text("if TYPE_CHECKING:\n    import g2live.sub.d\n")
    (pkg / "sub" / "__init__.py").write_text("from .d import x\n")
    (pkg / "sub" / "d.py").write_text("from ..a import y\n")
    graph = import_graph(pkg)
    assert graph["g2live"] == {"g2live.b"}
    assert graph["g2live.a"] == {"g2live.b"}
    assert graph["g2live.b"] == {"g2live.c"}
    assert graph["g2live.c"] == {"g2live.sub.d"}
    assert graph["g2live.sub"] == {"g2live.sub.d"}
    assert graph["g2live.sub.d"] == {"g2live.a"}
    assert cycles(graph) == [["g2live.a", "g2live.b", "g2live.c", "g2live.sub.d", "g2live.a"]]


def test_no_import_circle_in_g2live() -> None:
    found = cycles(import_graph())
    assert not found, "import circles in host/g2live:\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_module_writes_another_objects_private_state() -> None:
    """Parts talk through public methods: ``x._name = ...`` only on ``self`` (or ``cls``)."""
    found = []
    for path in module_files().values():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store | ast.Del)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {ast.unparse(node)}")
    assert not found, "writes to another object's private attribute:\n" + "\n".join(found)


HEAVY = ("zmq", "h5py", "bokeh", "scipy", "lmfit", "g2live._core", "g2live.server", "g2live.analysis")


def test_import_g2live_is_cheap_and_lists_the_public_api() -> None:
    """``import g2live`` loads none of the heavy parts; ``help(g2live)`` names every export."""
    code = (
        "import sys, pydoc, g2live\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(heavy)\n"
        "print(pydoc.render_doc(g2live, renderer=pydoc.plaintext))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    heavy, _, doc = out.partition("\n")
    assert heavy == "[]", f"import g2live loaded {heavy}"
    import g2live

    for name in g2live.__all__:
        assert name in doc, f"help(g2live) does not mention {name}"


EXPORTS = {
    "read": "g2live.io",
    "PhotonData": "g2live.photons",
    "Config": "g2live.config",
    "Emulator": "g2live.emulator",
    "analyze_photons": "g2live.analysis",
    "open_device": "g2live.device",
    "Subscriber": "g2live.client",
    "ControlClient": "g2live.client",
}


def test_the_top_level_exports_exactly_the_public_api() -> None:
    import g2live

    assert sorted(g2live.__all__) == sorted(["__version__", *EXPORTS])
    assert lazy_exports(PACKAGE / "__init__.py") == EXPORTS


@pytest.mark.parametrize(("name", "module"), EXPORTS.items())
def test_lazy_exports_are_the_real_objects(name: str, module: str) -> None:
    import importlib

    import g2live

    assert getattr(g2live, name) is getattr(importlib.import_module(module), name)
    assert name in dir(g2live)


def test_unknown_attribute_is_an_attribute_error() -> None:
    import g2live

    with pytest.raises(AttributeError, match="no_such_thing"):
        g2live.no_such_thing  # noqa: B018
