#!/usr/bin/env python3
"""Local check of the Spark example (`make spark-example`).

1. Writes a temporary corpus: data/sotu_paragraphs.jsonl plus deliberately bad lines (invalid
   JSON, a JSON array, a record without text, a non-string text), an empty text, a record without
   an id, a CRLF line and blank lines.
2. Runs examples/spark/actorlens_spark.py with spark-submit in local mode (local[2]).
3. Runs the single-process `actorlens extract` on the same corpus (Parquet output).
4. Reads both outputs back with PySpark and compares, table by table: row counts (against the
   single-process manifest.json and its Parquet files), column names and types, and for
   documents and errors the (doc_id, line, ...) keys. Exits 1 on any difference.

Run it with the Python of a venv that has examples/spark/requirements.txt installed.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TABLES = ["documents", "mentions", "actors", "actions", "sentences", "stances", "errors"]

# Appended to the sample. Blank and whitespace-only lines are not records (no output line).
EXTRA_LINES = [
    '{"id": "bad-json", "text": "an unterminated string}',           # malformed_jsonl
    '[1, 2, 3]',                                                       # malformed_jsonl (not an object)
    '',                                                                # blank: skipped
    '{"id": "no-text", "title": "a record without text"}',           # missing_text
    '{"id": "bad-text", "text": 42}',                                  # invalid_field
    '   \t ',                                                          # whitespace only: skipped
    '{"id": "empty-text", "text": ""}',                                # a document, empty
    '{"text": "Angela Merkel met Barack Obama in Berlin on Tuesday."}',  # no id: <source>:<line>
    '{"id": "crlf", "text": "The Senate met in Washington with NATO officials."}\r',  # CRLF ending
]


def java_major():
    java = shutil.which("java") or (os.path.join(os.environ["JAVA_HOME"], "bin", "java")
                                    if os.environ.get("JAVA_HOME") else None)
    if not java:
        return None, "no `java` on PATH and no JAVA_HOME"
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not m:
        return None, out.strip()
    major = int(m.group(1))
    if major == 1 and m.group(2):  # 1.8 -> 8
        major = int(m.group(2))
    return major, out.splitlines()[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "actorlens"))
    ap.add_argument("--sample", default=os.path.join(ROOT, "data", "sotu_paragraphs.jsonl"))
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder and print it")
    args = ap.parse_args()

    major, desc = java_major()
    if major is None or major < 17:
        print(f"error: Spark 4 needs Java 17 or newer ({desc}). On Debian/Ubuntu: "
              "apt-get install openjdk-17-jre-headless", file=sys.stderr)
        return 2
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        print(f"error: {binary} is missing: run `make build`", file=sys.stderr)
        return 2

    tmp = tempfile.mkdtemp(prefix="actorlens-spark-check-")
    try:
        return check(args, binary, tmp, desc)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def check(args, binary, tmp, java_desc):
    corpus = os.path.join(tmp, "corpus.jsonl")
    with open(args.sample, "rb") as f:
        sample = f.read()
    with open(corpus, "wb") as f:
        f.write(sample if sample.endswith(b"\n") else sample + b"\n")
        for line in EXTRA_LINES:
            f.write(line.encode() + b"\n")
    with open(corpus, "rb") as f:
        raw_lines = f.read().split(b"\n")[:-1]
    nonblank = sum(1 for b in raw_lines if b.rstrip(b"\r").strip(b" \t\n\r\x0c"))
    print(f"corpus: {corpus}: {len(raw_lines)} lines, {nonblank} records "
          f"({len(raw_lines) - nonblank} blank)")
    print(f"java: {java_desc}")

    env = dict(os.environ)
    env.setdefault("PYSPARK_PYTHON", sys.executable)      # workers use this venv, not `python3`
    env.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")         # local mode: no external interface needed
    spark_submit = os.path.join(os.path.dirname(sys.executable), "spark-submit")
    if not os.path.exists(spark_submit):
        import pyspark
        spark_submit = os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-submit")

    spark_out = os.path.join(tmp, "spark")
    summary_path = os.path.join(tmp, "summary.json")
    cmd = [spark_submit, "--master", args.master,
           "--conf", "spark.ui.enabled=false",
           "--conf", "spark.log.level=WARN",
           "--conf", f"spark.local.dir={tmp}/spark-local",
           "--conf", "spark.sql.shuffle.partitions=4",
           os.path.join(HERE, "actorlens_spark.py"), corpus, spark_out,
           "--partitions", str(args.partitions), "--threads", str(args.threads),
           "--binary", binary, "--summary-json", summary_path]
    print("$ " + " ".join(cmd), flush=True)
    t0 = time.time()
    rc = subprocess.run(cmd, env=env).returncode
    t_spark = time.time() - t0
    if rc != 0:
        print(f"FAIL: the Spark job exited {rc}", file=sys.stderr)
        return 1
    with open(summary_path) as f:
        summary = json.load(f)

    single_out = os.path.join(tmp, "single")
    cmd = [binary, "extract", corpus, "--out", single_out, "--quiet", "--threads", "2",
           "--format", "csv,parquet"]
    print("$ " + " ".join(cmd), flush=True)
    t0 = time.time()
    rc = subprocess.run(cmd).returncode
    t_single = time.time() - t0
    if rc not in (0, 1):
        print(f"FAIL: actorlens extract exited {rc}", file=sys.stderr)
        return 1
    with open(os.path.join(single_out, "manifest.json")) as f:
        manifest = json.load(f)

    from pyspark.sql import SparkSession
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (SparkSession.builder.master("local[1]").appName("actorlens-spark-check")
             .config("spark.ui.enabled", "false").config("spark.log.level", "ERROR")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.local.dir", f"{tmp}/spark-local").getOrCreate())
    try:
        return compare(spark, args, summary, manifest, spark_out, single_out, nonblank,
                       t_spark, t_single, rc)
    finally:
        spark.stop()


def _key_id(doc_id, source):
    # Records without an id are named <source>:<line>; the source differs (file URI vs path).
    return "<source>" + doc_id[len(source):] if doc_id.startswith(source + ":") else doc_id


def compare(spark, args, summary, manifest, spark_out, single_out, nonblank, t_spark, t_single, rc):
    failures = []
    rows = []
    for t in TABLES:
        sp = spark.read.parquet(os.path.join(spark_out, t))
        se = spark.read.parquet(os.path.join(single_out, f"{t}.parquet"))
        n_sp, n_se = sp.count(), se.count()
        n_man = manifest["counts"].get(t)
        cols_ok = sp.dtypes == se.dtypes
        ok = n_sp == n_se == n_man == summary["tables"][t] and cols_ok
        rows.append((t, n_man, n_se, n_sp, "yes" if cols_ok else "NO", "ok" if ok else "MISMATCH"))
        if not ok:
            failures.append(f"{t}: single manifest {n_man}, single parquet {n_se}, spark {n_sp} "
                            f"(job said {summary['tables'][t]})"
                            + ("" if cols_ok else f"; columns {sp.dtypes} vs {se.dtypes}"))

    def keys(path, cols):
        df = spark.read.parquet(path)
        return sorted((_key_id(r["doc_id"], r["source"]),) + tuple(r[c] for c in cols)
                      for r in df.select("doc_id", "source", *cols).collect())

    for t, cols in (("documents", ["line", "n_sentences", "n_mentions", "n_actors", "input_sha256"]),
                    ("errors", ["line", "kind"])):
        a = keys(os.path.join(single_out, f"{t}.parquet"), cols)
        b = keys(os.path.join(spark_out, t), cols)
        if a != b:
            failures.append(f"{t}: rows differ: single-only {sorted(set(a) - set(b))[:5]}, "
                            f"spark-only {sorted(set(b) - set(a))[:5]}")
    if summary["output_lines"] != nonblank:
        failures.append(f"pipe: {summary['output_lines']} output lines for {nonblank} records")

    print()
    print(f"Spark ({args.master}, {summary['partitions']} partitions, --threads {args.threads}) "
          f"vs single-process actorlens extract (exit {rc}), {nonblank} records:")
    head = ("table", "single manifest", "single parquet", "spark parquet", "same columns", "result")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  " + "  ".join(str(c).rjust(w) if isinstance(c, int) else str(c).ljust(w)
                               for c, w in zip(r, widths)))
    print(f"  pipe: {summary['nonblank_lines']} records in, {summary['output_lines']} lines out")
    print(f"  time: spark-submit {t_spark:.1f}s (job {summary['seconds']}s), single process {t_single:.1f}s")
    if failures:
        print("\nFAIL:\n  " + "\n  ".join(failures))
        return 1
    print("\nOK: the Spark tables match the single-process run table by table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
