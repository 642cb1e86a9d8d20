#!/usr/bin/env python3
"""Peer for the label-noise benchmark (SPEC section 10): cleanlab on TF-IDF + logistic regression.

    scripts/bench_cleanlab.py DIR                 # DIR from scripts/gen-label-noise-corpus
    scripts/bench_cleanlab.py --corpus corpus.jsonl --flipped flipped.tsv [--folds 5] [--jobs 1]

Reads the noisy corpus ({"id", "text", "label"} per line) and the ground truth of flipped
labels (TSV with header id, true_label, noisy_label). Builds out-of-fold predicted
probabilities with scikit-learn's cross_val_predict(method="predict_proba") over a pipeline
TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2) + LogisticRegression
(max_iter=1000), StratifiedKFold(folds, shuffle=True, random_state=--seed), then
cleanlab.filter.find_label_issues(labels, pred_probs) with its default filter_by, and prints
one JSON line:

  {"seconds", "flagged", "precision", "recall", "f1", "n", "classes"}

seconds covers vectorising, cross-validation and find_label_issues (not reading the files,
not importing the libraries). precision / recall / f1 compare the flagged ids with the ids
in the flipped file. Installs scikit-learn and cleanlab with pip, quietly, if missing.
"""

import argparse
import importlib
import json
import os
import subprocess
import sys
import time


def ensure(modules, packages):
    missing = []
    for m in modules:
        try:
            importlib.import_module(m)
        except ImportError:
            missing.append(m)
    if not missing:
        return
    base = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    r = subprocess.run(base + packages, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0 and "externally-managed" in r.stderr:
        r = subprocess.run(base + ["--break-system-packages"] + packages,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"bench_cleanlab: pip install {' '.join(packages)} failed:\n{r.stderr[-2000:]}")
    importlib.invalidate_caches()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", nargs="?", help="directory holding corpus.jsonl and flipped.tsv")
    ap.add_argument("--corpus", help="noisy corpus JSONL (default DIR/corpus.jsonl)")
    ap.add_argument("--flipped", help="ground truth TSV (default DIR/flipped.tsv)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0, help="fold shuffle seed (default 0)")
    ap.add_argument("--jobs", type=int, default=1, help="n_jobs for cross_val_predict (default 1)")
    a = ap.parse_args()
    corpus = a.corpus or (a.dir and os.path.join(a.dir, "corpus.jsonl"))
    flipped = a.flipped or (a.dir and os.path.join(a.dir, "flipped.tsv"))
    if not corpus or not flipped:
        ap.error("give DIR, or --corpus and --flipped")

    ensure(["sklearn", "cleanlab"], ["scikit-learn", "cleanlab"])
    import numpy as np
    from cleanlab.filter import find_label_issues
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    ids, texts, names = [], [], []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                o = json.loads(line)
                ids.append(str(o["id"]))
                texts.append(o["text"])
                names.append(str(o["label"]))
    truth = set()
    with open(flipped, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        col = header.index("id") if "id" in header else 0
        for line in f:
            if line.strip():
                truth.add(line.rstrip("\n").split("\t")[col])
    classes = sorted(set(names))
    index = {c: i for i, c in enumerate(classes)}
    labels = np.array([index[c] for c in names])

    t0 = time.perf_counter()
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        LogisticRegression(max_iter=1000),
    )
    cv = StratifiedKFold(n_splits=a.folds, shuffle=True, random_state=a.seed)
    pred_probs = cross_val_predict(model, texts, labels, cv=cv, method="predict_proba",
                                   n_jobs=a.jobs)
    t_cv = time.perf_counter() - t0
    issues = find_label_issues(labels, pred_probs)
    seconds = time.perf_counter() - t0

    flagged = {ids[i] for i in np.flatnonzero(issues)}
    tp = len(flagged & truth)
    precision = tp / len(flagged) if flagged else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    acc = float((pred_probs.argmax(1) == labels).mean())
    print(f"bench_cleanlab: cross-validation {t_cv:.1f} s, out-of-fold accuracy vs noisy labels "
          f"{acc:.4f}, {tp} of {len(flagged)} flagged are flips, {len(truth)} flips",
          file=sys.stderr)
    print(json.dumps({
        "seconds": round(seconds, 3),
        "flagged": len(flagged),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "n": len(ids),
        "classes": len(classes),
    }))


if __name__ == "__main__":
    main()
