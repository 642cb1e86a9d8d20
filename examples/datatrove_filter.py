#!/usr/bin/env python3
"""A datatrove quality pass over a Winnow documents export, its drops written for `flags import`.

    winnow export v1 --out out/docs --format documents --shards 8
    examples/datatrove_filter.py out/docs/documents out/dt --tasks 8 --workers 2
    winnow flags import out/dt/removed --shape datatrove

The pipeline: datatrove's JsonlReader over documents/*.jsonl.gz (id = the sample's uid, text,
metadata), a length filter (documents longer than --max-chars characters are dropped, reason
`length_too_long`), then datatrove's GopherQualityFilter (Gopher's heuristics: too few or too
many words, symbol and bullet ratios, stop words; reasons `gopher_*`). Each filter has an
exclusion writer, so the documents it drops land in OUT/removed/<filter>/${rank}.jsonl.gz with
metadata.filter_reason; the kept ones in OUT/kept/. The same script runs on many machines by
changing the executor (SlurmPipelineExecutor, or tasks spread over nodes) and the folders
(s3://… paths work as datatrove folders): `flags import` reads the removed/ folder either way.

Prints one JSON line: {"read": N, "kept": K, "dropped": D, "dropped_by": {reason: n}}.
A length filter rather than LanguageFilter: the language model is a download, and this runs offline.
"""

import argparse
import gzip
import json
import os
import sys

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.filters import GopherQualityFilter
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter


class LengthFilter(BaseFilter):
    """Drops documents longer than max_chars characters (reason length_too_long)."""

    name = "📏 Length"

    def __init__(self, max_chars, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.max_chars = max_chars

    def filter(self, doc):
        return True if len(doc.text) <= self.max_chars else (False, "length_too_long")


def count_lines(folder):
    """Lines of every .jsonl.gz under folder, and the filter reasons they carry."""
    n, reasons = 0, {}
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            if not name.endswith(".jsonl.gz"):
                continue
            with gzip.open(os.path.join(root, name), "rt", encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        n += 1
                        reason = json.loads(line).get("metadata", {}).get("filter_reason")
                        if reason:
                            reasons[reason] = reasons.get(reason, 0) + 1
    return n, reasons


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("documents", help="the documents/ folder of `winnow export --format documents`")
    parser.add_argument("out", help="the output folder (removed/, kept/, logs/)")
    parser.add_argument("--tasks", type=int, default=1, help="datatrove tasks (each reads a share of the shards)")
    parser.add_argument("--workers", type=int, default=1, help="processes running the tasks")
    parser.add_argument("--max-chars", type=int, default=2500, help="the length filter's limit")
    args = parser.parse_args()

    removed = os.path.join(args.out, "removed")
    pipeline = [
        JsonlReader(args.documents, glob_pattern="*.jsonl.gz"),
        LengthFilter(args.max_chars, exclusion_writer=JsonlWriter(os.path.join(removed, "length"))),
        GopherQualityFilter(exclusion_writer=JsonlWriter(os.path.join(removed, "gopher"))),
        JsonlWriter(os.path.join(args.out, "kept")),
    ]
    executor = LocalPipelineExecutor(
        pipeline=pipeline, tasks=args.tasks, workers=args.workers, logging_dir=os.path.join(args.out, "logs"), skip_completed=False
    )
    executor.run()

    dropped, reasons = count_lines(removed)
    kept, _ = count_lines(os.path.join(args.out, "kept"))
    print(json.dumps({"read": kept + dropped, "kept": kept, "dropped": dropped, "dropped_by": dict(sorted(reasons.items()))}))


if __name__ == "__main__":
    sys.exit(main())
