#!/usr/bin/env python3
"""nDCG@10 of Steward's search against SQLite FTS5 with its default tokenizer (issue 19).

The judged set is in this folder: corpus.jsonl (documents) and queries.jsonl (queries with
graded judgments: 2 answers it, 1 partly; unlisted documents are 0). Steward's rankings come
from `steward bench relevance --out FILE` (a JSON object: query id -> document ids, best
first). FTS5 gets the same documents in a `fts5(title, body)` table (tokenizer unicode61, the
default) and, for each query, its words (Python's \\w+ runs) quoted and joined by OR, ranked
by FTS5's default bm25 `rank`.

Usage: compare.py --steward rankings.json [--min-lead 0.0]
Prints per-language and overall nDCG@10 for both; exits 1 when Steward does not beat FTS5
by more than --min-lead overall.
"""

import argparse
import json
import math
import os
import re
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def ndcg_at_10(ranking, judged):
    dcg = sum((2 ** judged.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranking[:10]))
    ideal = sorted(judged.values(), reverse=True)[:10]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def fts5_rankings(corpus, queries):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body)")
    db.executemany("INSERT INTO docs (id, title, body) VALUES (?, ?, ?)", [(d["id"], d["title"], d["body"]) for d in corpus])
    out = {}
    for q in queries:
        words = re.findall(r"\w+", q["query"])
        if not words:
            out[q["id"]] = []
            continue
        expr = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        rows = db.execute("SELECT id FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10", (expr,)).fetchall()
        out[q["id"]] = [r[0] for r in rows]
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steward", required=True)
    p.add_argument("--min-lead", type=float, default=0.0)
    args = p.parse_args()
    corpus, queries = load("corpus.jsonl"), load("queries.jsonl")
    with open(args.steward, encoding="utf-8") as f:
        steward = json.load(f)
    fts5 = fts5_rankings(corpus, queries)
    scores = {"steward": {}, "fts5": {}}
    for q in queries:
        for name, rankings in (("steward", steward), ("fts5", fts5)):
            scores[name].setdefault(q["lang"], []).append(ndcg_at_10(rankings.get(q["id"], []), q["relevant"]))
    langs = sorted({q["lang"] for q in queries})
    counts = ", ".join(f"{lang}: {len(scores['steward'][lang])}" for lang in langs)
    print(f"{len(corpus)} documents, {len(queries)} queries ({counts})")
    print("| | " + " | ".join(langs) + " | all |")
    print("|---|" + "---|" * (len(langs) + 1))
    overall = {}
    for name in ("steward", "fts5"):
        per = [sum(scores[name][l]) / len(scores[name][l]) for l in langs]
        every = [s for l in langs for s in scores[name][l]]
        overall[name] = sum(every) / len(every)
        print(f"| {name} nDCG@10 | " + " | ".join(f"{v:.3f}" for v in per) + f" | {overall[name]:.3f} |")
    lead = overall["steward"] - overall["fts5"]
    print(f"steward leads by {lead:+.3f}")
    sys.exit(0 if lead > args.min_lead else 1)


if __name__ == "__main__":
    main()
