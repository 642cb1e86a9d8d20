#!/usr/bin/env python3
"""Near-duplicate pairs with Spark ML's MinHashLSH over a Winnow export, for `flags import`.

    winnow export v1 --out out/pq --format parquet --shard-size 100000
    examples/spark_minhash.py out/pq out/pairs
    winnow flags import out/pairs --shape pairs --detector spark-minhash

Reads a Parquet export (`--format parquet`: its *.parquet files, the sample's uid as the id,
rows without a `text` — other kinds — left out), or documents shards (documents/*.jsonl.gz),
shingles each text as Winnow's near-duplicate detector does (lower-cased words of [a-z0-9'],
word 5-grams; a text of fewer than five words is one shingle of all of them), hashes the
shingles into a binary HashingTF vector, fits MinHashLSH, and keeps the pairs whose exact
Jaccard similarity, computed by approxSimilarityJoin on the vectors, is at least --threshold.
Writes them as JSON lines {"id_a", "id_b", "similarity"} (id_a < id_b) into OUT as Spark
writes a folder (part-*.json, _SUCCESS); `flags import` reads the folder and skips the markers.

Runs in local mode (local[*]) here; on a cluster the same script runs under spark-submit with
--master yarn/k8s and s3:// or hdfs:// folders, nothing else changed. Prints one JSON line:
{"documents": N, "pairs": P, "seconds": S}.
"""

import argparse
import glob
import json
import os
import sys
import time

from pyspark.ml.feature import HashingTF, MinHashLSH, NGram, RegexTokenizer
from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("documents", help="the documents/ folder of `winnow export --format documents`")
    parser.add_argument("out", help="the folder the pairs are written to (replaced)")
    parser.add_argument("--threshold", type=float, default=0.8, help="Jaccard similarity of word 5-gram sets (Winnow's default)")
    parser.add_argument("--tables", type=int, default=8, help="MinHashLSH hash tables (more: better recall, slower)")
    parser.add_argument("--master", default="local[*]")
    args = parser.parse_args()

    started = time.time()
    spark = (
        SparkSession.builder.master(args.master)
        .appName("winnow-minhash")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")

    if glob.glob(os.path.join(args.documents, "*.parquet")):
        docs = spark.read.parquet(os.path.join(args.documents, "*.parquet"))
        if "uid" in docs.columns and "id" not in docs.columns:
            docs = docs.withColumnRenamed("uid", "id")
        docs = docs.filter(F.col("text").isNotNull())
    else:
        docs = spark.read.json(os.path.join(args.documents, "*.jsonl.gz"))
    docs = docs.select("id", "text")

    words = RegexTokenizer(inputCol="text", outputCol="words", pattern="[^a-z0-9']+", gaps=True, toLowercase=True).transform(docs)
    grams = NGram(n=5, inputCol="words", outputCol="grams").transform(words)
    # Fewer than five words: one shingle of all of them (as Winnow does); no words: no shingle.
    grams = grams.withColumn(
        "shingles",
        F.when(F.size("grams") > 0, F.col("grams")).otherwise(
            F.when(F.size("words") > 0, F.array(F.concat_ws(" ", "words"))).otherwise(F.array().cast("array<string>"))
        ),
    )
    vectors = HashingTF(inputCol="shingles", outputCol="features", numFeatures=1 << 24, binary=True).transform(grams)
    vectors = vectors.filter(F.size("shingles") > 0).select("id", "features").cache()

    model = MinHashLSH(inputCol="features", outputCol="hashes", numHashTables=args.tables, seed=7).fit(vectors)
    pairs = (
        model.approxSimilarityJoin(vectors, vectors, 1.0 - args.threshold, distCol="distance")
        .select(F.col("datasetA.id").alias("id_a"), F.col("datasetB.id").alias("id_b"), "distance")
        .filter(F.col("id_a") < F.col("id_b"))
        .select("id_a", "id_b", F.round(1.0 - F.col("distance"), 6).alias("similarity"))
        .orderBy("id_a", "id_b")
        .cache()
    )
    n_docs, n_pairs = vectors.count(), pairs.count()
    pairs.coalesce(1).write.mode("overwrite").json(args.out)
    spark.stop()
    print(json.dumps({"documents": n_docs, "pairs": n_pairs, "seconds": round(time.time() - started, 1)}))


if __name__ == "__main__":
    sys.exit(main())
