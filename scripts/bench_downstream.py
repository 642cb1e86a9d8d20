#!/usr/bin/env python3
"""Trainer for the downstream benchmark (issue 13): does curation help a classifier?

    scripts/bench_downstream.py JOB.json

JOB.json: {"seed": S, "test": "test.jsonl", "minority": "LABEL",
           "runs": [{"name", "train": "train.jsonl", "weights": null | "field" | {LABEL: w}}]}

For each run: reads the `train` split a Winnow export wrote ({"text", "label", ...} per line,
resampled copies as lines of their own), fits scikit-learn's
TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2) + LogisticRegression
(lbfgs, max_iter=3000, random_state=S) and scores it on the clean held-out test set (never
imported into the store). `weights`: "field" passes each line's `weight` (export --weights) as
sample_weight; an object passes those per-label weights as class_weight; null trains
unweighted. `"vocabulary": "unique"` fits the TF-IDF vocabulary and IDF on each uid's
first line only (a resampled split's copies counted once). Prints one JSON object:

  {"runs": [{"name", "train_lines", "train_labels": {LABEL: n}, "macro_f1", "accuracy",
             "minority_recall", "minority_precision", "minority_f1",
             "per_label": {LABEL: {"precision", "recall", "f1", "support"}}, "seconds"}]}

Installs scikit-learn quietly with pip if it is missing.
"""

import os

# One BLAS / OpenMP thread: the machine's cores are shared, and numpy's threads fighting over
# them made one LogisticRegression fit 6x slower here (31 s against 5 s).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import importlib
import json
import subprocess
import sys
import time


def ensure_sklearn():
    try:
        importlib.import_module("sklearn")
        return
    except ImportError:
        pass
    base = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "scikit-learn"]
    r = subprocess.run(base, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0 and "externally-managed" in r.stderr:
        r = subprocess.run(base + ["--break-system-packages"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"bench_downstream: pip install scikit-learn failed:\n{r.stderr[-2000:]}")
    importlib.invalidate_caches()


def read_jsonl(path, where):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                o = json.loads(line)
            except ValueError as e:
                sys.exit(f"bench_downstream: {path}:{n}: not JSON ({e}) in {where}")
            if not isinstance(o.get("text"), str) or not isinstance(o.get("label"), str):
                sys.exit(f"bench_downstream: {path}:{n}: a line without a string text and label in {where}")
            rows.append(o)
    if not rows:
        sys.exit(f"bench_downstream: {path}: no lines ({where})")
    return rows


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    ensure_sklearn()
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    seed = int(job["seed"])
    test = read_jsonl(job["test"], "the held-out test set")
    test_x = [o["text"] for o in test]
    test_y = [o["label"] for o in test]
    labels = sorted(set(test_y))
    minority = job["minority"]
    out = []
    for run in job["runs"]:
        t0 = time.perf_counter()
        train = read_jsonl(run["train"], run["name"])
        x = [o["text"] for o in train]
        y = [o["label"] for o in train]
        counts = {}
        for c in y:
            counts[c] = counts.get(c, 0) + 1
        weights = run.get("weights")
        class_weight, sample_weight = None, None
        if weights == "field":
            missing = sum(1 for o in train if not isinstance(o.get("weight"), (int, float)))
            if missing:
                sys.exit(f"bench_downstream: {run['train']}: {missing} lines without a numeric weight ({run['name']})")
            sample_weight = [float(o["weight"]) for o in train]
        elif isinstance(weights, dict):
            class_weight = {k: float(v) for k, v in weights.items()}
        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        if run.get("vocabulary") == "unique":
            # Vocabulary and IDF from each sample once (a resampled split's copies share a uid),
            # so copies change only the model's training, not which words it can see.
            first = {}
            for o in train:
                first.setdefault(o.get("uid"), o["text"])
            vec.fit(list(first.values()))
            xtr = vec.transform(x)
        else:
            xtr = vec.fit_transform(x)
        clf = LogisticRegression(max_iter=3000, random_state=seed, class_weight=class_weight)
        clf.fit(xtr, y, sample_weight=sample_weight)
        pred = clf.predict(vec.transform(test_x))
        p, r, f, s = precision_recall_fscore_support(test_y, pred, labels=labels, zero_division=0)
        per = {c: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                   "f1": round(float(f[i]), 4), "support": int(s[i])} for i, c in enumerate(labels)}
        m = per.get(minority, {"precision": 0.0, "recall": 0.0, "f1": 0.0})
        out.append({
            "name": run["name"], "train_lines": len(train),
            "train_labels": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
            "macro_f1": round(float(f1_score(test_y, pred, labels=labels, average="macro", zero_division=0)), 4),
            "accuracy": round(float(accuracy_score(test_y, pred)), 4),
            "minority_recall": m["recall"], "minority_precision": m["precision"], "minority_f1": m["f1"],
            "per_label": per, "seconds": round(time.perf_counter() - t0, 2),
        })
        print(f"bench_downstream: seed {seed} {run['name']}: {len(train)} lines, macro-F1 "
              f"{out[-1]['macro_f1']:.4f}, {minority} recall {m['recall']:.4f} "
              f"({out[-1]['seconds']:.1f} s)", file=sys.stderr)
    print(json.dumps({"runs": out}))


if __name__ == "__main__":
    main()
