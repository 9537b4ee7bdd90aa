"""The layers import one way (docs/architecture.md): interfaces → services → domain → storage, and
`ocr/` and `index/` are libraries under them all. Read from the source, so an import that goes back
up fails here, not in a cycle at start-up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    """Every module `path` imports (at the top or inside a function), by its full name."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _modules(folder: str, but: str | None = None) -> list[Path]:
    return [p for p in sorted((ROOT / folder).rglob("*.py")) if but is None or not p.is_relative_to(ROOT / but)]


def _reaching(paths: list[Path], prefixes: tuple[str, ...]) -> dict[str, list[str]]:
    found = {str(p.relative_to(ROOT)): sorted(n for n in _imports(p) if n.startswith(prefixes)) for p in paths}
    return {k: v for k, v in found.items() if v}


def test_nothing_under_the_services_imports_them_or_the_command_line():
    assert _reaching(_modules("digitize", but="digitize/services"), ("digitize.services", "cli")) == {}
    assert _reaching(_modules("digitize/services"), ("cli",)) == {}


def test_the_storage_knows_only_itself_and_the_errors():
    inside = ("digitize.storage", "digitize.errors")
    found = {k: [n for n in v if not n.startswith(inside)]
             for k, v in _reaching(_modules("digitize/storage"), ("digitize",)).items()}
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.parametrize("folder", ["digitize", "cli.py"])
def test_only_the_catalog_picks_the_sqlite_implementation(folder):
    paths = _modules("digitize", but="digitize/storage") if folder == "digitize" else [ROOT / folder]
    assert set(_reaching(paths, ("digitize.storage.sqlite",))) <= {"digitize/catalog.py"}


@pytest.mark.parametrize("library", ["ocr", "index"])
def test_the_libraries_import_nothing_of_sohoa_above_them(library):
    assert _reaching(_modules(library), ("digitize", "cli")) == {}


def test_the_program_wrappers_know_only_the_errors():
    inside = ("digitize.tools", "digitize.errors")
    found = {k: [n for n in v if not n.startswith(inside)]
             for k, v in _reaching(_modules("digitize/tools"), ("digitize", "ocr", "index")).items()}
    assert {k: v for k, v in found.items() if v} == {}


def test_the_scan_steps_run_no_program_themselves_and_leave_sql_to_the_storage():
    # External programs are run by their wrapper (digitize/tools/), SQL errors are the storage's.
    assert _reaching(_modules("digitize/scan"), ("subprocess", "sqlite3", "zxingcpp")) == {}


def test_the_target_lookup_loads_none_of_the_scan_steps():
    # register and the services import it; the imaging and pool steps load only for a scan.
    assert _reaching([ROOT / "digitize/scan/targets.py", ROOT / "digitize/scan/__init__.py"], ("digitize.scan",)) == {}


def test_no_test_module_imports_another():
    # Shared helpers live in conftest.py or a helpers module (tests/pages.py), never in a test module.
    found = _reaching(_modules("tests"), ("tests.test_",))
    found.update(_reaching(_modules("tests"), ("test_",)))
    assert found == {}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """Each module of `folders` and the modules of `folders` it imports, anywhere in it; `from p
    import m` is an import of the module p.m when there is one, else of p (relative imports resolved)."""
    paths = {_module_name(p): p for folder in folders for p in _modules(folder)}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        wanted = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                wanted.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                wanted.update(f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base for a in node.names)
        graph[name] = {n for n in wanted if n in paths and n != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import one another, round (strongly connected, Tarjan)."""
    order, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        order[v] = low[v] = len(order)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in order:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], order[w])
        if low[v] == order[v]:
            group = []
            while not group or group[-1] != v:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in order:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_the_packages():
    graph = _graph(("digitize", "ocr", "index"))
    assert {"digitize.register", "digitize.coverage", "index.engine", "ocr.tesseract"} <= set(graph)
    assert {"index.errors", "ocr.errors"} <= graph["digitize.errors"]  # imported inside a function
    assert "index.analysis" in graph["index"]  # a relative import
    assert _cycles(graph) == []
