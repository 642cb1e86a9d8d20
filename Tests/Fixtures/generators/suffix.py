#!/usr/bin/env python3
"""A good `winnow augment --command` generator for the tests: for each parent line read on
standard input, writes the variants asked of it, each the parent's text fields with
" (variant N)" appended. Writes each parent's candidates as soon as it reads the parent, so
a large run fills both pipes at once (winnow must read and write concurrently)."""
import json
import sys

FIELDS = {"text": ["text"], "pair": ["text_a", "text_b"], "instruction": ["instruction", "input"], "chat": []}

for line in sys.stdin:
    parent = json.loads(line)
    for n in range(1, parent["variants"] + 1):
        candidate = {"parent": parent["uid"]}
        for field in FIELDS[parent["kind"]]:
            candidate[field] = parent[field] + f" (variant {n})"
        if parent["kind"] == "instruction":
            candidate["output"] = parent["output"]
        if parent["kind"] == "chat":
            candidate["messages"] = [
                dict(m, content=m["content"] + f" (variant {n})") if m["role"] == "user" else m for m in parent["messages"]
            ]
        print(json.dumps(candidate), flush=True)
