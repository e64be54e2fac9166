#!/usr/bin/env python3
"""model-eval: evaluate the exported student against the teacher labels on the test split.

* loads the EXPORTED model from --model (config.json / model.safetensors / tokenizer.json),
* entity-level micro P/R/F1 (exact char span + type) vs the teacher (en_core_web_md) for the
  student (case flag + BIO Viterbi; argmax shown for reference) and en_core_web_sm,
* spaCy md nlp.pipe words/s on the test documents, student words/s on the test sentences,
* writes build/ner/test.jsonl + build/ner/student_pred.jsonl for the Rust parity check,
* writes --card (MODEL_CARD.md) and prints the table.
"""
import argparse, datetime, json, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
import torch
from ner_common import TYPES, LABELS, prf, load_tokenizer, sha256
from nermodel import predict

REPORT_TYPES = ["PERSON", "ORG", "GPE", "NORP", "LOC", "DATE", "MONEY"]


def scores(recs, key_pred, preds=None):
    gold = {(r["id"], s, e, t) for r in recs for s, e, t in r["ents"]}
    if preds is None:
        pred = {(r["id"], s, e, t) for r in recs for s, e, t in r[key_pred]}
    else:
        pred = {(r["id"], s, e, t) for r, ents in zip(recs, preds) for s, e, t in ents}
    res = {"ALL": prf(gold, pred)}
    for t in TYPES:
        res[t] = prf({g for g in gold if g[3] == t}, {p for p in pred if p[3] == t})
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="build/ner")
    ap.add_argument("--model", default="models/default-ner")
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--card", default=None)
    ap.add_argument("--inputs", default=None, help="inputs.json written by the fetch step")
    ap.add_argument("--build-start", type=float, default=0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from transformers import BertForTokenClassification
    model = BertForTokenClassification.from_pretrained(a.model)
    tok = load_tokenizer(a.model)
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    assert cfg["actorlens"]["token_types"] == "case_flag" and len(cfg["id2label"]) == len(LABELS)
    recs = [json.loads(l) for l in open(os.path.join(a.data, "test.sents.jsonl"), encoding="utf-8")]
    texts = [r["text"] for r in recs]
    nwords = sum(len(t.split()) for t in texts)
    t0 = time.time()
    pv = predict(model, tok, texts, decoding="viterbi")
    student_s = time.time() - t0
    pa = predict(model, tok, texts, decoding="argmax")
    res = {"student": scores(recs, None, pv), "student_argmax": scores(recs, None, pa),
           "sm": scores(recs, "sm_ents")}
    with open(os.path.join(a.data, "test.jsonl"), "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps({"id": r["id"], "text": r["text"], "title": r["doc_id"], "source": r["doc_id"]},
                               ensure_ascii=False) + "\n")
    with open(os.path.join(a.data, "student_pred.jsonl"), "w", encoding="utf-8") as f:
        for r, ents in zip(recs, pv):
            f.write(json.dumps({"id": r["id"], "entities": [{"start_char": s, "end_char": e, "label": t}
                                                            for s, e, t in ents]}, ensure_ascii=False) + "\n")
    # per-source overall
    by_src = {}
    for src in ("sotu", "brown"):
        idx = [i for i, r in enumerate(recs) if r["doc_id"].startswith(src)]
        sub = [recs[i] for i in idx]
        by_src[src] = {"student": scores(sub, None, [pv[i] for i in idx])["ALL"], "sm": scores(sub, "sm_ents")["ALL"],
                       "sentences": len(sub)}
    # spaCy md speed on the test documents (full pipeline, as shipped)
    import spacy
    docs = [json.loads(l) for l in open(os.path.join(a.data, "docs.jsonl"), encoding="utf-8")]
    docs = [d["text"] for d in docs if d["split"] == "test"]
    nlp = spacy.load(a.teacher)
    nlp.max_length = 2_000_000
    dw = sum(len(t.split()) for t in docs)
    t0 = time.time()
    for _ in nlp.pipe(docs, batch_size=4):
        pass
    md_s = time.time() - t0
    speed = {"spacy_md_words_per_s": round(dw / md_s), "spacy_md_words": dw, "spacy_md_seconds": round(md_s, 1),
             "student_words_per_s": round(nwords / student_s), "student_words": nwords,
             "student_seconds": round(student_s, 1), "threads": a.threads}
    out = {"results": {k: {t: list(v) for t, v in d.items()} for k, d in res.items()},
           "by_source": by_src, "speed": speed, "test_sentences": len(recs),
           "build_minutes": round((time.time() - a.build_start) / 60, 1) if a.build_start else None,
           "evaluated_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    json.dump(out, open(os.path.join(a.data, "eval.json"), "w"), indent=1)
    table = format_table(res)
    print(table)
    print(json.dumps(speed))
    print("by source:", json.dumps({k: {"student_f1": round(v["student"][2], 4), "sm_f1": round(v["sm"][2], 4)} for k, v in by_src.items()}))
    if a.card:
        import model_card
        model_card.write(a.card, a, out, table)


def format_table(res):
    rows = ["| type | student P | student R | **student F1** | student F1 (argmax) | en_core_web_sm F1 | teacher entities |",
            "|---|---|---|---|---|---|---|"]
    for t in ["ALL"] + REPORT_TYPES + [t for t in TYPES if t not in REPORT_TYPES]:
        s, sa, m = res["student"][t], res["student_argmax"][t], res["sm"][t]
        name = "**overall (micro)**" if t == "ALL" else t
        rows.append(f"| {name} | {s[0]:.3f} | {s[1]:.3f} | **{s[2]:.3f}** | {sa[2]:.3f} | {m[2]:.3f} | {s[4]} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
