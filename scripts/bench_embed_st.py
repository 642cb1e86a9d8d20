#!/usr/bin/env python3
"""Peer for the embed benchmark: sentence-transformers on CPU, the same model folder and texts.

    PYTHON scripts/bench_embed_st.py MODEL_DIR TEXTS.jsonl [--batch 32] [--vectors OUT.f32]

Reads one {"text": ...} per line, loads SentenceTransformer(MODEL_DIR, device="cpu") and
encodes every text with model.encode(batch_size=--batch, normalize_embeddings=True) under
torch.inference_mode(); torch uses its default threads (all cores). Prints one JSON line:

  {"seconds", "load_seconds", "texts", "texts_per_second", "threads", "torch", "sentence_transformers"}

seconds covers encode() only (tokenising included; not importing torch, not loading the model:
load_seconds) — the most favourable figure for the peer. --vectors writes the vectors as raw
little-endian float32, row after row, for a cosine check against winnow's.
Needs torch and sentence-transformers: scripts/bench makes a venv with them when missing.
"""

import argparse
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("texts")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--vectors")
    a = ap.parse_args()
    with open(a.texts, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]

    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    t0 = time.perf_counter()
    model = SentenceTransformer(a.model, device="cpu")
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    with torch.inference_mode():
        vectors = model.encode(texts, batch_size=a.batch, convert_to_numpy=True, normalize_embeddings=True)
    seconds = time.perf_counter() - t0
    if a.vectors:
        vectors.astype("<f4").tofile(a.vectors)
    print(json.dumps({"seconds": round(seconds, 3), "load_seconds": round(load, 3), "texts": len(texts),
                      "texts_per_second": round(len(texts) / seconds, 1), "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__}))


if __name__ == "__main__":
    sys.exit(main())
