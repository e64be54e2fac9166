#!/usr/bin/env python3
"""Run actorlens over a JSON Lines corpus with PySpark and write Parquet tables.

    spark-submit examples/spark/actorlens_spark.py INPUT OUTPUT [options] [-- ACTORLENS-ARGS...]

INPUT is a .jsonl file, a folder (its *.jsonl / *.jsonl.gz / *.jsonl.bz2 files, recursively) or
a glob, on any Hadoop file system (local, hdfs://, s3a://, ...). Each record is one line
`{"id", "text", optional "title", "url", "published", "source"}`, as for `actorlens extract`.

What happens:
  1. the lines are read with their file and line number (blank lines dropped, as actorlens does),
  2. repartitioned to --partitions,
  3. each partition is piped through one `actorlens extract --stream --quiet --threads T`
     process with RDD.pipe (one JSON line out per line in, in input order),
  4. the job fails if any partition got back a different number of lines than it sent, or a
     line that is not the expected JSON, or a line out of order,
  5. the lines are parsed with an explicit schema and written as Parquet tables under OUTPUT:
     documents/, mentions/, actors/, actions/, sentences/, stances/ and errors/, with the same
     columns and types as `actorlens extract --format parquet` (list fields joined with "|").

`source` is the input file (as Hadoop names it) and `line` its 1-based line number, as in the
single-process run; records without an id get the doc_id `<source>:<line>`, as there.

Finding the binary and its models on the executors (see examples/spark/README.md):
  --binary NAME_OR_PATH   default `actorlens`. A bare name is looked up in the files shipped with
                          spark-submit --files/--archives (SparkFiles), then on the executor's
                          PATH; a relative path is tried against the executor's working directory,
                          then the SparkFiles folder.
  --models DIR            sets ACTORLENS_MODELS for the binary (resolved the same way); without it
                          the binary uses $ACTORLENS_MODELS or a models/ folder next to itself.
  --lib-dir DIR           prepended to LD_LIBRARY_PATH (libtorch/lib shipped with --archives).
  --env KEY=VALUE         any other variable for the binary.
The binary's environment is the executor's own (so spark.executorEnv.* reach it) plus the above:
RDD.pipe would otherwise start it with an empty environment.

Exit status: 0 = tables written (error records are data: see errors/ and the summary);
1 = the job failed (e.g. the pipe broke: a partition's line counts differ).
"""

import argparse
import json
import os
import shlex
import sys
import time

from pyspark import RDD, SparkFiles, StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

# One line of `actorlens extract --stream`: a document object (the documents.jsonl schema) or an
# error object {"doc_id", "source", "line", "error": {"kind", "message"}}. Fields not listed here
# are ignored; a field that is missing reads as null.
STREAM_SCHEMA = """
doc_id string, source string, line bigint, title string, url string, published string,
outlet string, n_chars bigint, n_sentences bigint, n_tokens bigint, n_windows bigint,
n_mentions bigint, n_actors bigint, flags array<string>, input_sha256 string,
sentences array<struct<start_byte: bigint, end_byte: bigint, start_char: bigint, end_char: bigint>>,
mentions array<struct<mention_id: bigint, sentence_idx: bigint, start_byte: bigint, end_byte: bigint,
    start_char: bigint, end_char: bigint, text: string, label: string, type: string, score: double,
    actor_id: string, stance: string, p_negative: double, p_neutral: double, p_positive: double>>,
actors array<struct<actor_id: string, name: string, type: string, aliases: array<string>,
    roles: array<string>, n_mentions: bigint, n_pronoun_mentions: bigint, n_role_mentions: bigint,
    first_char: bigint, kb_id: string,
    linked_actor_id: string, sentiment_mean: double, stance: string, stance_score: double,
    stance_evidence: array<bigint>>>,
sentiment_label string, sentiment_score double,
sentence_tone array<struct<sentence_idx: bigint, sentiment: string, compound: double, pos: double,
    neg: double, neu: double>>,
stances array<struct<source_actor_id: string, target_actor_id: string, stance: string, score: double,
    evidence_action_id: string, evidence_sentence_idx: bigint, cue: string>>,
actions array<struct<action_id: bigint, sentence_idx: bigint, agent_actor_id: string,
    agent_text: string, predicate: string, verb_lemma: string, target_actor_id: string,
    target_text: string, source_actor_id: string, source_text: string, negated: boolean,
    modality: string, is_quote: boolean, category: string, quad_class: string,
    start_char: bigint, end_char: bigint, confidence: double>>,
error struct<kind: string, message: string>
"""

# Output tables: (name, nested array field or None, [(column, kind)]). Column names, order and
# kinds follow src/sink/tables.rs: str = never null ("" when absent), optstr = null when absent
# or empty, list = array joined with "|", int/float/bool = typed.
TABLES = [
    ("documents", None, [
        ("doc_id", "str"), ("source", "str"), ("line", "int"), ("title", "optstr"),
        ("n_chars", "int"), ("n_sentences", "int"), ("n_tokens", "int"), ("n_windows", "int"),
        ("n_mentions", "int"), ("flags", "list"), ("input_sha256", "str"), ("url", "optstr"),
        ("published", "optstr"), ("outlet", "optstr"), ("n_actors", "int"),
        ("sentiment_label", "optstr"), ("sentiment_score", "float")]),
    ("mentions", "mentions", [
        ("mention_id", "int"), ("sentence_idx", "int"), ("start_char", "int"), ("end_char", "int"),
        ("start_byte", "int"), ("end_byte", "int"), ("text", "str"), ("label", "str"),
        ("type", "str"), ("score", "float"), ("actor_id", "optstr"), ("stance", "optstr"),
        ("p_negative", "float"), ("p_neutral", "float"), ("p_positive", "float")]),
    ("actors", "actors", [
        ("actor_id", "str"), ("name", "str"), ("type", "str"), ("aliases", "list"),
        ("roles", "list"), ("n_mentions", "int"), ("n_pronoun_mentions", "int"),
        ("n_role_mentions", "int"), ("first_char", "int"), ("kb_id", "optstr"),
        ("linked_actor_id", "optstr"), ("sentiment_mean", "float"), ("stance", "optstr"),
        ("stance_score", "float"), ("stance_evidence", "list")]),
    ("sentences", "sentences", [
        ("sentence_idx", "int"), ("start_char", "int"), ("end_char", "int"), ("start_byte", "int"),
        ("end_byte", "int"), ("sentiment", "str"), ("compound", "float"), ("pos", "float"),
        ("neg", "float"), ("neu", "float")]),
    ("stances", "stances", [
        ("source_actor_id", "str"), ("target_actor_id", "str"), ("stance", "str"),
        ("score", "float"), ("evidence_action_id", "optstr"), ("evidence_sentence_idx", "int"),
        ("cue", "str")]),
    ("actions", "actions", [
        ("action_id", "int"), ("sentence_idx", "int"), ("agent_actor_id", "optstr"),
        ("agent_text", "optstr"), ("predicate", "str"), ("verb_lemma", "str"),
        ("target_actor_id", "optstr"), ("target_text", "optstr"), ("source_actor_id", "optstr"),
        ("source_text", "optstr"), ("negated", "bool"), ("modality", "str"), ("is_quote", "bool"),
        ("category", "str"), ("quad_class", "str"), ("start_char", "int"), ("end_char", "int"),
        ("confidence", "float")]),
    ("errors", None, [
        ("source", "str"), ("line", "int"), ("doc_id", "str"), ("kind", "str"),
        ("message", "str")]),
]

INPUT_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.bz2")


class PipeBroken(RuntimeError):
    """actorlens did not answer every input line of a partition with exactly one output line."""


# ---------------------------------------------------------------------------------------------
# The binary's environment, built on the executor.
#
# RDD.pipe starts the command with exactly the `env` dict it is given ({} when none), not with the
# executor's environment, so PATH, LD_LIBRARY_PATH, ACTORLENS_MODELS and spark.executorEnv.* would
# all be lost. ExecutorEnv is a dict that, when Spark ships the pipe function to a Python worker,
# unpickles as that worker's own os.environ plus our settings, with paths resolved there (the
# worker's working directory and its SparkFiles folder differ from the driver's).
# ---------------------------------------------------------------------------------------------

def _spark_files_root():
    try:
        return SparkFiles.getRootDirectory()
    except Exception:  # no SparkContext and not inside a worker
        return None


def _resolve(spec, what, must_be_executable=False):
    """Path of `spec` on this executor: absolute as is; bare names in SparkFiles, then PATH;
    relative paths against the working directory, then SparkFiles."""
    import shutil
    import socket

    cands = []
    root = _spark_files_root()
    if os.path.isabs(spec):
        cands.append(spec)
    elif "/" not in spec:
        if root:
            cands.append(os.path.join(root, spec))
        found = shutil.which(spec) if must_be_executable else None
        if found:
            cands.append(found)
        if not must_be_executable:
            cands.append(os.path.abspath(spec))
    else:
        cands.append(os.path.abspath(spec))
        if root:
            cands.append(os.path.join(root, spec))
    for c in cands:
        if os.path.isfile(c) if must_be_executable else os.path.exists(c):
            if must_be_executable and not os.access(c, os.X_OK):
                raise FileNotFoundError(f"{what} {c!r} on executor {socket.gethostname()} is not executable")
            return c
    raise FileNotFoundError(
        f"{what} {spec!r} not found on executor {socket.gethostname()} (cwd {os.getcwd()}, "
        f"SparkFiles {root}, tried {cands}; PATH={os.environ.get('PATH')!r}). Ship it with "
        f"spark-submit --files/--archives, bake it into the image, or pass an absolute path.")


def _build_executor_env(settings):
    env = dict(os.environ)
    env["ACTORLENS_BIN"] = _resolve(settings["binary"], "actorlens binary", must_be_executable=True)
    if settings.get("models"):
        env["ACTORLENS_MODELS"] = _resolve(settings["models"], "models folder")
    if settings.get("lib_dir"):
        lib = _resolve(settings["lib_dir"], "library folder")
        env["LD_LIBRARY_PATH"] = lib + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    env.update(settings.get("env") or {})
    return env


class ExecutorEnv(dict):
    def __init__(self, settings):
        super().__init__()
        self.settings = settings
        # Driver-side view, for messages only; the real one is built on each executor.
        self.update({k: str(v) for k, v in (settings.get("env") or {}).items()})

    def __reduce__(self):
        return (_build_executor_env, (self.settings,))


def pipe_command(threads, chunk_size, extra):
    # /bin/sh resolves nothing itself: it only execs the path ExecutorEnv put in $ACTORLENS_BIN.
    argv = ["/bin/sh", "-c", 'exec "$ACTORLENS_BIN" "$@"', "actorlens",
            "extract", "--stream", "--quiet", "--threads", str(threads)]
    if chunk_size:
        argv += ["--chunk-size", str(chunk_size)]
    return shlex.join(argv + list(extra))


# ---------------------------------------------------------------------------------------------
# Input: every line with its file and 1-based line number.
# ---------------------------------------------------------------------------------------------

def list_input_files(spark, path):
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    p = jvm.org.apache.hadoop.fs.Path(path)
    fs = p.getFileSystem(conf)
    statuses = fs.globStatus(p) or []
    files = []
    for st in statuses:
        if st.isDirectory():
            it = fs.listFiles(st.getPath(), True)
            while it.hasNext():
                f = it.next().getPath()
                name = f.getName()
                if not name.startswith((".", "_")) and name.endswith(INPUT_SUFFIXES):
                    files.append(f.toString())
        else:
            files.append(st.getPath().toString())
    if not files:
        raise SystemExit(f"error: no input files at {path} (a file, a folder of *.jsonl, or a glob)")
    return sorted(set(files))


def _is_blank(line):
    # actorlens skips lines made only of ASCII whitespace (Rust's is_ascii_whitespace).
    return not line.strip(" \t\n\r\x0c")


def numbered_lines(spark, files):
    """RDD of (file, line_no, text) for every non-blank line.

    Lines are split on "\\n" only (Hadoop's default would also split on a lone "\\r", which
    actorlens does not) and a trailing "\\r" is dropped, as actorlens does."""
    sc = spark.sparkContext
    conf = {"textinputformat.record.delimiter": "\n"}
    per_file = [
        sc.newAPIHadoopFile(f, "org.apache.hadoop.mapreduce.lib.input.TextInputFormat",
                            "org.apache.hadoop.io.LongWritable", "org.apache.hadoop.io.Text",
                            conf=conf).values()
        for f in files
    ]
    owner = []  # union partition -> index into files
    for i, r in enumerate(per_file):
        owner += [i] * r.getNumPartitions()
    union = sc.union(per_file).persist(StorageLevel.MEMORY_AND_DISK)
    # Lines per partition (one cheap job), hence each partition's first line number in its file.
    counts = dict(union.mapPartitionsWithIndex(lambda i, it: [(i, sum(1 for _ in it))]).collect())
    first, seen = [], {}
    for i, fi in enumerate(owner):
        first.append(seen.get(fi, 0) + 1)
        seen[fi] = seen.get(fi, 0) + counts.get(i, 0)

    def number(i, it):
        name = files[owner[i]]
        if name.startswith("file:/"):  # local files: the plain path, as actorlens would name it
            name = "/" + name[len("file:"):].lstrip("/")
        for k, text in enumerate(it):
            if text.endswith("\r"):
                text = text[:-1]
            if not _is_blank(text):
                yield (name, first[i] + k, text)

    return union.mapPartitionsWithIndex(number), union, sum(counts.values())


# ---------------------------------------------------------------------------------------------
# Output tables
# ---------------------------------------------------------------------------------------------

def _column(expr, kind):
    if kind == "str":
        return F.coalesce(expr.cast("string"), F.lit(""))
    if kind == "optstr":
        return F.when(expr != "", expr)
    if kind == "list":
        return F.coalesce(F.array_join(expr.cast("array<string>"), "|"), F.lit(""))
    if kind == "int":
        return expr.cast("bigint")
    if kind == "float":
        return expr.cast("double")
    if kind == "bool":
        return expr.cast("boolean")
    raise ValueError(kind)


def table_frames(parsed):
    docs = parsed.where(F.col("r.error").isNull())
    errs = parsed.where(F.col("r.error").isNotNull())
    out = {}
    for name, nested, cols in TABLES:
        if name == "documents":
            out[name] = docs.select([_column(F.col("r." + c), k).alias(c) for c, k in cols])
        elif name == "errors":
            src = {"source": F.col("r.source"), "line": F.col("r.line"), "doc_id": F.col("r.doc_id"),
                   "kind": F.col("r.error.kind"), "message": F.col("r.error.message")}
            out[name] = errs.select([_column(src[c], k).alias(c) for c, k in cols])
        elif name == "sentences":
            # actorlens zips sentences with sentence_tone (one row per sentence that has a tone).
            z = docs.select(F.col("r.doc_id").alias("doc_id"),
                            F.explode(F.arrays_zip("r.sentences", "r.sentence_tone")).alias("z"))
            z = z.where(F.col("z.sentences").isNotNull() & F.col("z.sentence_tone").isNotNull())
            src = {c: F.col("z.sentences." + c) for c in ("start_char", "end_char", "start_byte", "end_byte")}
            src.update({c: F.col("z.sentence_tone." + c)
                        for c in ("sentence_idx", "sentiment", "compound", "pos", "neg", "neu")})
            out[name] = z.select([F.col("doc_id")] + [_column(src[c], k).alias(c) for c, k in cols])
        else:
            e = docs.select(F.col("r.doc_id").alias("doc_id"), F.explode("r." + nested).alias("e"))
            out[name] = e.select([F.col("doc_id")] + [_column(F.col("e." + c), k).alias(c) for c, k in cols])
    return out


# ---------------------------------------------------------------------------------------------

def parse_args(argv):
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(
        description="Pipe a JSONL corpus through `actorlens extract --stream` with Spark; write Parquet tables.",
        epilog="Arguments after `--` are passed to `actorlens extract` (e.g. -- --no-actions).")
    ap.add_argument("input", help="JSONL file, folder of *.jsonl, or glob (any Hadoop file system)")
    ap.add_argument("output", help="output folder: OUTPUT/documents/, mentions/, ... (Parquet)")
    ap.add_argument("--partitions", type=int, default=0,
                    help="partitions = actorlens processes (default: spark.default.parallelism)")
    ap.add_argument("--threads", type=int, default=1,
                    help="--threads for each actorlens process; match spark.task.cpus [1]")
    ap.add_argument("--chunk-size", type=int, default=0, help="--chunk-size for actorlens (default: its own)")
    ap.add_argument("--binary", default="actorlens", help="actorlens executable on the executors [actorlens]")
    ap.add_argument("--models", help="models folder on the executors (sets ACTORLENS_MODELS)")
    ap.add_argument("--lib-dir", help="folder prepended to LD_LIBRARY_PATH on the executors (libtorch/lib)")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="extra environment variable for actorlens (repeatable)")
    ap.add_argument("--overwrite", action="store_true", help="replace existing tables under OUTPUT")
    ap.add_argument("--summary-json", help="also write the row counts to this local file")
    args = ap.parse_args(argv)
    args.extra = extra
    env = {}
    for kv in args.env:
        k, sep, v = kv.partition("=")
        if not sep or not k:
            ap.error(f"--env wants KEY=VALUE, got {kv!r}")
        env[k] = v
    args.env = env
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    t0 = time.time()
    spark = SparkSession.builder.appName("actorlens-spark").getOrCreate()
    sc = spark.sparkContext
    try:
        return run(spark, sc, args, t0)
    finally:
        spark.stop()


def run(spark, sc, args, t0):
    if __name__ != "__main__":
        # Imported (not spark-submitted): ship this module's functions by value, so executors
        # need no copy of it (otherwise: --py-files).
        from pyspark import cloudpickle
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    files = list_input_files(spark, args.input)
    lines, raw, n_raw = numbered_lines(spark, files)
    parts = args.partitions or sc.defaultParallelism
    # Persisted so that the count below, the pipe and the zip all see the same partitions.
    inputs = lines.repartition(parts).persist(StorageLevel.MEMORY_AND_DISK)

    settings = {"binary": args.binary, "models": args.models, "lib_dir": args.lib_dir, "env": args.env}
    command = pipe_command(args.threads, args.chunk_size, args.extra)
    # checkCode=False: actorlens exits 1 when some records are errors (they come back as error
    # lines). A crash or a refusal to start (exit 2) shows up as missing lines, checked below.
    piped = (inputs.map(lambda r: r[2])
             .pipe(command, env=ExecutorEnv(settings), checkCode=False)
             .persist(StorageLevel.MEMORY_AND_DISK))

    def count(i, it):
        yield (i, sum(1 for _ in it))

    n_in = dict(inputs.mapPartitionsWithIndex(count).collect())
    n_out = dict(piped.mapPartitionsWithIndex(count).collect())
    bad = [(i, n_in.get(i, 0), n_out.get(i, 0)) for i in range(parts) if n_in.get(i, 0) != n_out.get(i, 0)]
    if bad:
        detail = "; ".join(f"partition {i}: {a} lines in, {b} out" for i, a, b in bad[:20])
        raise PipeBroken(
            f"actorlens returned the wrong number of lines ({sum(n_out.values())} for "
            f"{sum(n_in.values())} non-blank input lines): {detail}. The process died, was killed "
            f"(memory?) or could not start: see the executors' stderr for its messages. "
            f"Command: {command}")

    # Pair each output line with its input line (same partition, same position) to restore the
    # input file and line number, which the binary only knows as "-" and its position in the pipe.
    def with_pos(i, it):
        for k, ((name, line_no, _text), out) in enumerate(it):
            yield (out, name, line_no, k + 1)

    rows = inputs.zip(piped).mapPartitionsWithIndex(with_pos)
    df = spark.createDataFrame(rows, "json string, input_file string, input_line bigint, pipe_line bigint")
    parsed = df.select(F.from_json("json", STREAM_SCHEMA).alias("r"), "json", "input_file",
                       "input_line", "pipe_line")

    # Checks: every line parsed, in order (the binary numbers its stdin lines 1, 2, ...).
    checks = parsed.agg(
        F.count(F.when(F.col("r.source").isNull(), 1)).alias("unparsed"),
        F.count(F.when(F.col("r.source").isNotNull() & (F.col("r.line") != F.col("pipe_line")), 1)).alias("misordered"),
        F.first(F.when(F.col("r.source").isNull(), F.substring("json", 1, 200)), ignorenulls=True).alias("example"),
    ).first()
    if checks["unparsed"] or checks["misordered"]:
        raise PipeBroken(
            f"{checks['unparsed']} output lines are not actorlens JSON and {checks['misordered']} "
            f"are out of order (e.g. {checks['example']!r}); is --binary an actorlens build with --stream?")

    # Restore provenance: source = input file, line = its line number; records without an id get
    # <source>:<line> as doc_id, as in a single-process run (the binary said "-:<pipe line>").
    r = F.col("r")
    auto_id = r["doc_id"] == F.concat(F.lit("-:"), F.col("pipe_line").cast("string"))
    fixed = parsed.select(
        r.withField("source", F.col("input_file"))
         .withField("line", F.col("input_line"))
         .withField("doc_id", F.when(auto_id, F.concat_ws(":", "input_file", F.col("input_line").cast("string")))
                    .otherwise(r["doc_id"])).alias("r")
    ).persist(StorageLevel.MEMORY_AND_DISK)

    mode = "overwrite" if args.overwrite else "errorifexists"
    counts = {}
    for name, frame in table_frames(fixed).items():
        path = args.output.rstrip("/") + "/" + name
        frame.write.mode(mode).parquet(path)
        counts[name] = spark.read.parquet(path).count()

    summary = {
        "input": args.input,
        "input_files": len(files),
        "input_lines": n_raw,
        "nonblank_lines": sum(n_in.values()),
        "output_lines": sum(n_out.values()),
        "partitions": parts,
        "command": command,
        "tables": counts,
        "seconds": round(time.time() - t0, 1),
    }
    for x in (fixed, piped, inputs, raw):
        x.unpersist()
    print("actorlens-spark: " + json.dumps(summary), flush=True)
    if args.summary_json:
        with open(args.summary_json, "w") as f:
            json.dump(summary, f, indent=2)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except PipeBroken as e:
        print(f"actorlens-spark: PIPE BROKEN: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
