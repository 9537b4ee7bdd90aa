"""The search desk's page under a staff session: server time of GET /search (20 results a page) on N papers.

    .venv/bin/python bench/web.py                          # 10,000 papers, whoosh (issue 14's size)
    .venv/bin/python bench/web.py --engine tantivy --papers 10000 --rounds 5

Makes a fresh archive (`sohoa init --engine E`, a user of each role: tests/serving.py), puts in N
synthetic papers as bench/serve.py's `--prefill` does (catalog and index, no OCR), starts a real
`sohoa serve`, logs in as staff (the session cookie, as a browser) and asks the search desk's page
for a mix of queries, each kind `--rounds` times over varied values: names without diacritics, a
document type, common words, a citizen ID, fielded queries, filters (valid only, issue dates) and
page 2. Reads the server's own time from the `Server-Timing: app;dur=` header (server/app.py)
beside the client's, and prints p50/p95/max of both per kind and over all. The goal (issue 14):
server time under 300 ms for a page of 20 results on 10,000 papers. Writes bench/out/web/ (gitignored).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.search import make_paper  # noqa: E402
from bench.serve import prefill  # noqa: E402
from tests.conftest import Sohoa  # noqa: E402
from tests.serving import PASSWORD, Server, add_accounts  # noqa: E402

OUT = ROOT / "bench" / "out" / "web"
GOAL_MS = 300
TIMING = re.compile(r"app;dur=([0-9.]+)")


def strip_marks(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def queries(papers: int, rounds: int, seed: int = 11) -> list[tuple[str, dict]]:
    """(kind, GET /search parameters), `rounds` of each kind, values from the synthetic papers."""
    r = random.Random(seed)
    made = [make_paper(r.randrange(papers)) for _ in range(rounds)]
    kinds = {
        "name": lambda p: {"q": strip_marks(p["holder_name"])},
        "type": lambda p: {"q": f'type:"{p["doc_type"]}"'},
        "words": lambda p: {"q": r.choice(["giay chung nhan", "cong hoa", "uy ban nhan dan", "noi cu tru"])},
        "id": lambda p: {"q": p["holder_id"]},
        "fielded": lambda p: {"q": f'holder:"{strip_marks(p["holder_name"])}"'},
        "filters": lambda p: {"q": strip_marks(p["holder_name"].split()[0]), "valid": "1",
                              "issued_from": "2010-01-01", "issued_to": "2024-12-31"},
        "page 2": lambda p: {"q": strip_marks(p["holder_name"].split()[-1]), "page_number": "2"},
    }
    return [(kind, build(p)) for p in made for kind, build in kinds.items()]


def pct(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--engine", choices=["whoosh", "tantivy"], default="whoosh")
    parser.add_argument("--rounds", type=int, default=10, help="queries of each kind [10]")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    out = args.out / args.engine
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    root = out / "archive"
    Sohoa(root, "bench")("init", "--engine", args.engine)
    add_accounts(root, out)
    filled = prefill(root, args.papers)
    print(f"{args.papers} papers, {args.engine}: pre-filled in {filled:.0f} s; load {os.getloadavg()[0]:.2f}")

    server = Server(root)
    timings: dict[str, list[tuple[float, float]]] = {}
    hits: dict[str, list[int]] = {}  # results shown on each page (at most 20)
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            login = client.post("/api/v1/login", json={"name": "staff", "password": PASSWORD})
            login.raise_for_status()
            client.get("/search", params={"q": "warm up"}).raise_for_status()  # first use: catalogue, templates
            for kind, params in queries(args.papers, args.rounds):
                start = time.perf_counter()
                answer = client.get("/search", params=params)
                took = (time.perf_counter() - start) * 1000
                answer.raise_for_status()
                server_ms = float(TIMING.search(answer.headers["server-timing"]).group(1))
                timings.setdefault(kind, []).append((server_ms, took))
                hits.setdefault(kind, []).append(answer.text.count('<p class="snippet">'))
    finally:
        server.stop()

    print(f"{'kind':10} {'n':>3} {'hits':>5}  server ms p50 / p95 / max    client ms p50 / p95 / max")
    everything = [t for rows in timings.values() for t in rows]
    for kind, rows in [*timings.items(), ("all", everything)]:
        s, c = [t[0] for t in rows], [t[1] for t in rows]
        shown = statistics.mean(hits.get(kind) or [n for h in hits.values() for n in h])
        print(f"{kind:10} {len(rows):>3} {shown:5.1f}  {pct(s, 50):9.0f} / {pct(s, 95):4.0f} / {max(s):4.0f}"
              f"    {pct(c, 50):9.0f} / {pct(c, 95):4.0f} / {max(c):4.0f}")
    p95 = pct([t[0] for t in everything], 95)
    print(f"server p95 {p95:.0f} ms: {'within' if p95 <= GOAL_MS else 'over'} the {GOAL_MS} ms goal; "
          f"load {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
