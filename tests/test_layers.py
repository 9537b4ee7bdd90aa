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
