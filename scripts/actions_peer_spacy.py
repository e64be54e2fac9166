#!/usr/bin/env python3
"""Plain spaCy subject-verb-object baseline for claimed actions (the peer of `make actions-eval`).

The typical "100-line spaCy script": for every VERB token that has an nsubj, nsubjpass or dobj
child, one row with
  agent   = the nsubj subtree (passive: the pobj subtree of the `agent` child, "by ..."),
  target  = the dobj subtree (passive: the nsubjpass subtree),
  verb    = lemma (+ " " + prt particle: "roll back"),
  negated = the verb has a `neg` child,
  source  = the nsubj subtree of the governing verb when the verb is the ccomp of a reporting
            verb (say, tell, ...), else empty.
Nothing else: no conjunct or control inheritance, no relative-clause resolution. It is not tuned
to the dev set and must not be.

Input: JSON Lines {"id", "text"} (actions_eval.py --to-jsonl). Output CSV: doc_id, sentence_idx,
sent_start_char, sent_end_char, agent_text, verb_lemma, target_text, negated, source_text
(offsets are Python str indices into the text, like actorlens's sentences.csv).

  actions_peer_spacy.py --model DIR --input passages.jsonl --out peer.csv
"""
import argparse
import csv
import json

import spacy

REPORTING = {"say", "tell", "announce", "state", "claim", "allege", "deny", "stress", "add",
             "write", "report", "argue", "insist", "warn", "charge", "note", "explain"}


def span_text(tok):
    """The token's subtree as written (empty for None)."""
    if tok is None:
        return ""
    sub = list(tok.subtree)
    return tok.doc[sub[0].i : sub[-1].i + 1].text


def child(tok, *deps):
    for c in tok.children:
        if c.dep_ in deps:
            return c
    return None


def verb_source(verb):
    """nsubj of the reporting verb this verb is the clausal complement of."""
    head = verb
    while head.dep_ in ("conj",) and head.head is not head:
        head = head.head
    if head.dep_ == "ccomp" and head.head.lemma_.lower() in REPORTING:
        return span_text(child(head.head, "nsubj"))
    return ""


def rows_for(doc_id, doc):
    out = []
    for si, sent in enumerate(doc.sents):
        for tok in sent:
            if tok.pos_ != "VERB":
                continue
            nsubj = child(tok, "nsubj")
            nsubjpass = child(tok, "nsubjpass")
            dobj = child(tok, "dobj")
            if not (nsubj or nsubjpass or dobj):
                continue
            if nsubjpass is not None:
                by = child(tok, "agent")
                agent = span_text(child(by, "pobj")) if by is not None else ""
                target = span_text(nsubjpass)
            else:
                agent = span_text(nsubj)
                target = span_text(dobj)
            prt = child(tok, "prt")
            lemma = tok.lemma_.lower() + (" " + prt.text.lower() if prt is not None else "")
            out.append({
                "doc_id": doc_id,
                "sentence_idx": si,
                "sent_start_char": sent.start_char,
                "sent_end_char": sent.end_char,
                "agent_text": agent,
                "verb_lemma": lemma,
                "target_text": target,
                "negated": "true" if child(tok, "neg") is not None else "false",
                "source_text": verb_source(tok),
            })
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="spaCy model folder (en_core_web_md)")
    ap.add_argument("--input", required=True, help="JSON Lines with id and text")
    ap.add_argument("--out", required=True, help="CSV to write")
    a = ap.parse_args()
    nlp = spacy.load(a.model)
    with open(a.input, encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh if line.strip()]
    fields = ["doc_id", "sentence_idx", "sent_start_char", "sent_end_char", "agent_text",
              "verb_lemma", "target_text", "negated", "source_text"]
    n = 0
    with open(a.out, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for rec, doc in zip(recs, nlp.pipe(r["text"] for r in recs)):
            rows = rows_for(rec["id"], doc)
            w.writerows(rows)
            n += len(rows)
    print(f"{n} rows from {len(recs)} documents -> {a.out} (spaCy {spacy.__version__}, "
          f"{nlp.meta.get('name')} {nlp.meta.get('version')})")


if __name__ == "__main__":
    main()
