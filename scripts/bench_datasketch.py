#!/usr/bin/env python3
"""The datasketch peer of winnow's near-duplicate detector, run by scripts/bench.

    scripts/bench_datasketch.py CORPUS.jsonl PAIRS.tsv [--threshold 0.8] [--num-perm 128]

Reads JSONL records {"id", "text", ...}, skips a text equal to an earlier one (winnow's
import stores such a record once, so both tools see the same documents), builds a
MinHash(num_perm) over each text's shingles (see `shingles`), inserts it into a
MinHashLSH(threshold, num_perm), then queries every document and writes each candidate
pair once to PAIRS.tsv as "earlier_id<TAB>later_id" (earlier = first in the file). Prints a
JSON summary (counts and per-phase seconds) on stdout.

`shingles` is also what scripts/bench uses to compute true Jaccard similarities, so the
peer and the scoring agree by construction. datasketch is imported only by main().
"""

import json
import re
import sys
import time

WORD_RE = re.compile(r"\w+")


def shingles(text, size=5):
    """Set of lower-cased word `size`-grams (words = runs of \\w), each a space-joined string.

    A text of fewer than `size` words is one shingle of all its words; no words, no shingles.
    """
    w = WORD_RE.findall(text.lower())
    if len(w) < size:
        return {" ".join(w)} if w else set()
    return {" ".join(w[i:i + size]) for i in range(len(w) - size + 1)}


def jaccard(a, b):
    """Exact Jaccard similarity of two shingle sets (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("pairs")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--num-perm", type=int, default=128)
    a = ap.parse_args(argv)

    from datasketch import MinHash, MinHashLSH

    t0 = time.perf_counter()
    ids, sketches, seen = [], [], set()
    read = duplicates = empty = 0
    with open(a.corpus, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            read += 1
            text = rec["text"]
            if text in seen:
                duplicates += 1
                continue
            seen.add(text)
            sh = shingles(text)
            if not sh:
                empty += 1
                continue
            m = MinHash(num_perm=a.num_perm)
            m.update_batch([s.encode("utf-8") for s in sh])
            ids.append(rec["id"])
            sketches.append(m)
    seen = None
    t1 = time.perf_counter()

    lsh = MinHashLSH(threshold=a.threshold, num_perm=a.num_perm)
    with lsh.insertion_session() as session:
        for i, m in enumerate(sketches):
            session.insert(i, m)
    t2 = time.perf_counter()

    pairs = set()
    for i, m in enumerate(sketches):
        for j in lsh.query(m):
            if j != i:
                pairs.add((j, i) if j < i else (i, j))
    t3 = time.perf_counter()

    with open(a.pairs, "w", encoding="utf-8") as f:
        for i, j in sorted(pairs):
            f.write(f"{ids[i]}\t{ids[j]}\n")
    json.dump({"read": read, "indexed": len(ids), "duplicates_skipped": duplicates, "empty_skipped": empty,
               "pairs": len(pairs), "b": lsh.b, "r": lsh.r,
               "seconds": {"minhash": round(t1 - t0, 3), "insert": round(t2 - t1, 3),
                           "query": round(t3 - t2, 3), "total": round(time.perf_counter() - t0, 3)}},
              sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
