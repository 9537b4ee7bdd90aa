"""Search at scale: the postgres engine beside tantivy on the same synthetic papers (issue 15).

    .venv/bin/python bench/scale_search.py --papers 100000                  # starts its own PostgreSQL
    .venv/bin/python bench/scale_search.py --papers 100000 --search-url postgresql://sohoa@db/bench
    .venv/bin/python bench/scale.py --only search --papers 100000           # the same, from bench/scale.py

The papers, queries and timing are bench/search.py's (the build through `rebuild()`, killed with
SIGKILL half-way and resumed; `search()` with snippets in a fresh process: 40 % names, 20 % citizen
IDs, 20 % document types, 20 % common words, then fielded, fuzzy, slip and --valid queries). Without
--search-url a PostgreSQL cluster is started in a temporary folder as the tests do (tests/postgres.py:
fsync off, default memory settings), and removed after. The postgres index's size is that of its
tables and indexes in the database.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import search as bench  # noqa: E402  bench/search.py


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=250, help="sampled papers the queries are made from (≥ 200)")
    ap.add_argument("--engines", default="postgres,tantivy")
    ap.add_argument("--search-url", help="an existing PostgreSQL database [default: start one]")
    ap.add_argument("--kill-at", type=float, default=0.5, help="kill each build at this fraction, then resume (0: no)")
    ap.add_argument("--out", type=Path, help="work folder [default bench/out/scale-search-N]")
    return ap.parse_args(argv)


def table_size(url: str, path: Path) -> float:
    """MB of the tables (with their indexes and TOAST) the postgres index at ``path`` names."""
    import psycopg

    from index.postgres_tables import table_of

    table = table_of(path)
    with psycopg.connect(url) as db:
        return sum(db.execute("SELECT pg_total_relation_size(%s)", (name,)).fetchone()[0]
                   for name in (table, table + "_words")) / 1e6


def measure(a: argparse.Namespace, url: str) -> dict:
    out = a.out or ROOT / "bench" / "out" / f"scale-search-{a.papers}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    os.environ["SOHOA_SEARCH_URL"] = url  # the build and query processes' server
    report = {"papers": a.papers, "queries": a.queries, "generator_papers_per_s": bench.generator_rate(), "engines": {}}
    for engine in a.engines.split(","):
        build = bench.run_build(engine, a.papers, out, a.kill_at)
        if engine == "postgres":
            build["size_mb"] = table_size(url, out / engine / "index")
        report["engines"][engine] = {"build": build, "search": bench.run_queries(engine, a.papers, a.queries, out)}
        (out / "report.json").write_text(json.dumps(report, indent=2))
    return report


def run(args) -> None:
    """bench/scale.py's entry: its options are in ``args.rest`` (or ``args`` is already ours)."""
    a = parse(getattr(args, "rest", None) or []) if not hasattr(args, "engines") else args
    if a.search_url:
        report = measure(a, a.search_url)
    else:
        from tests.postgres import Server, available

        reason = available()
        if reason:
            print(f"scale_search: {reason}; give --search-url")
            return
        root = Path(tempfile.mkdtemp(prefix="sohoa-bench-pg-"))
        server = Server(root)
        try:
            report = measure(a, server.database())
        finally:
            server.stop()
            shutil.rmtree(root, ignore_errors=True)
    bench.print_report(report)


if __name__ == "__main__":
    run(parse(sys.argv[1:]))
