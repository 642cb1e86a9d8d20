#!/usr/bin/env python3
"""A bad `winnow augment --command` generator for the tests: reads the parents (text kind),
then writes, in this order,
  line 1: a good candidate of the first parent
  line 2: text that is not JSON
  line 3: a candidate naming a parent that was not sent
  line 4: a candidate without the "text" field (wrong fields for a text parent)
  line 5: the same content as line 1 (duplicate of an earlier candidate)
  line 6: the first parent's own text (unchanged: already in the store)
  line 7: a good candidate of the second parent
  line 8: a pair-kind candidate of a text parent."""
import json
import sys

parents = [json.loads(line) for line in sys.stdin]
first, second = parents[0], parents[1 % len(parents)]
print(json.dumps({"parent": first["uid"], "text": first["text"] + " rewritten"}))
print("this is not json")
print(json.dumps({"parent": "no-such-parent", "text": "made up"}))
print(json.dumps({"parent": first["uid"], "sentence": "wrong field"}))
print(json.dumps({"parent": first["uid"], "text": first["text"] + " rewritten"}))
print(json.dumps({"parent": first["uid"], "text": first["text"]}))
print(json.dumps({"parent": second["uid"], "text": second["text"] + " rewritten too"}))
print(json.dumps({"parent": first["uid"], "kind": "pair", "text_a": "a", "text_b": "b"}))
