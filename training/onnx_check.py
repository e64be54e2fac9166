#!/usr/bin/env python3
"""model-onnx check: torch fp32 vs ONNX Runtime fp32 / int8 on the test sentences.

* inputs exactly as the Rust side builds them (ner_common: chunking at 126 pieces, [CLS]/[SEP],
  case-flag token_type_ids, attention_mask), length-sorted padded batches of --batch segments;
* max |logit difference| vs torch over all real (unpadded) tokens;
* entity agreement vs torch fp32: argmax on each word's first piece, BIO grouping
  (ner_common.decode_entities), exact (sentence, start, end, type) -> micro P/R/F1;
* speed: model forward only (tokenisation excluded, identical for all engines) over the same
  batches, --threads intra-op threads (torch.set_num_threads; ORT intra_op_num_threads, inter_op 1),
  engines interleaved round-robin, median of --reps runs; words = whitespace tokens that contain a
  letter or digit.

--variants additionally quantises every int8 variant of export_onnx.INT8_VARIANTS (and the
offline-fused fp32 graph) into a temporary folder and reports them all (used to pick the
shipped variant).
"""
import argparse, json, os, re, statistics, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
import numpy as np
import torch

from ner_common import chunk_text, encode_segment, decode_entities, load_tokenizer, prf

WORD_RE = re.compile(r"[^\W_]", re.UNICODE)


def build_batches(tok, texts, batch):
    segs = []  # (text_idx, offset, ids, tt, ws)
    for i, t in enumerate(texts):
        for off, seg in chunk_text(tok, t):
            ids, tt, ws = encode_segment(tok, seg)
            segs.append((i, off, ids, tt, ws))
    order = sorted(range(len(segs)), key=lambda k: (len(segs[k][2]), k))
    batches = []
    for b in range(0, len(order), batch):
        idx = order[b:b + batch]
        n = max(len(segs[k][2]) for k in idx)
        ids = np.zeros((len(idx), n), np.int64); tt = np.zeros_like(ids); am = np.zeros_like(ids)
        for j, k in enumerate(idx):
            L = len(segs[k][2])
            ids[j, :L] = segs[k][2]; tt[j, :L] = segs[k][3]; am[j, :L] = 1
        batches.append((idx, ids, am, tt))
    return segs, batches


class TorchEngine:
    def __init__(self, model_dir):
        from transformers import BertForTokenClassification
        self.m = BertForTokenClassification.from_pretrained(model_dir).eval()

    @torch.inference_mode()
    def __call__(self, ids, am, tt):
        return self.m(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(am),
                      token_type_ids=torch.from_numpy(tt)).logits.numpy()


class OrtEngine:
    def __init__(self, path, threads):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        t0 = time.time()
        self.s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        self.load_s = time.time() - t0
        self.names = [i.name for i in self.s.get_inputs()]

    def __call__(self, ids, am, tt):
        feed = {"input_ids": ids, "attention_mask": am, "token_type_ids": tt}
        return self.s.run(["logits"], {k: feed[k] for k in self.names})[0]


def entities(segs, batches, logits):
    ents = set()
    for (idx, _, _, _), lg in zip(batches, logits):
        for j, k in enumerate(idx):
            ti, off, _, _, ws = segs[k]
            if ws:
                labs = lg[j, [p for (p, _, _) in ws]].argmax(-1).tolist()
                ents.update((ti,) + e for e in decode_entities(ws, labs, offset=off))
    return ents


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/default-ner")
    ap.add_argument("--data", default="build/ner/test.sents.jsonl")
    ap.add_argument("--max-sents", type=int, default=0, help="0 = all test sentences")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--engine", action="append", default=[], metavar="NAME=PATH.onnx",
                    help="extra ONNX files to compare (repeatable)")
    ap.add_argument("--variants", action="store_true", help="also quantise + test all int8 variants")
    ap.add_argument("--min-f1", type=float, default=0.99, help="fail if int8 F1 vs torch is below")
    ap.add_argument("--max-diff", type=float, default=1e-3, help="fail if fp32 max |dlogit| is above")
    ap.add_argument("--json", default=None)
    ap.add_argument("--report", default=None, help="also write the printed table here")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    tok = load_tokenizer(a.model)
    recs = [json.loads(l) for l in open(a.data, encoding="utf-8")]
    if a.max_sents:
        recs = recs[:a.max_sents]
    texts = [r["text"] for r in recs]
    nwords = sum(1 for t in texts for w in t.split() if WORD_RE.search(w))
    segs, batches = build_batches(tok, texts, a.batch)

    files = [("ort-fp32", os.path.join(a.model, "model.onnx")), ("ort-int8", os.path.join(a.model, "model.int8.onnx"))]
    files += [tuple(e.split("=", 1)) for e in a.engine]
    td = None
    if a.variants:
        import export_onnx
        td = tempfile.TemporaryDirectory(prefix="actorlens-variants-")
        p = os.path.join(td.name, "fused.onnx")
        export_onnx.optimize(files[0][1], p)
        files.append(("ort-fp32-fused", p))
        for v in export_onnx.INT8_VARIANTS:
            p = os.path.join(td.name, f"int8-{v}.onnx")
            export_onnx.quantize(files[0][1], p, v)
            files.append((f"int8:{v}", p))

    engines = {"torch": TorchEngine(a.model)}
    sizes = {"torch": os.path.getsize(os.path.join(a.model, "model.safetensors"))}
    for name, path in files:
        engines[name] = OrtEngine(path, a.threads)
        sizes[name] = os.path.getsize(path)
    times = {n: [] for n in engines}
    outs = {}
    for n, e in engines.items():  # warm-up (first-run allocations), output kept for agreement
        outs[n] = [e(ids, am, tt) for (_, ids, am, tt) in batches]
    for r in range(a.reps):
        for n, e in engines.items():
            t0 = time.perf_counter()
            for (_, ids, am, tt) in batches:
                e(ids, am, tt)
            times[n].append(time.perf_counter() - t0)

    ref = outs["torch"]
    gold = entities(segs, batches, ref)
    t_torch = statistics.median(times["torch"])
    rows, res = [], {}
    for n in engines:
        d = max(float(np.abs(o - r)[am.astype(bool)].max()) for o, r, (_, _, am, _) in zip(outs[n], ref, batches))
        p, rc, f, tp, ng, npred = prf(gold, entities(segs, batches, outs[n]))
        med = statistics.median(times[n])
        res[n] = {"max_abs_logit_diff": d, "P": p, "R": rc, "F1": f, "words_per_s": nwords / med,
                  "seconds": times[n], "bytes": sizes[n]}
        rows.append(f"| {n} | {sizes[n] / 1e6:.1f} | {d:.2e} | {p:.4f} | {rc:.4f} | {f:.4f} | "
                    f"{nwords / med:,.0f} | {t_torch / med:.2f}x |")
    import onnxruntime
    text = "\n".join([
        f"{len(texts)} sentences, {len(segs)} segments, {nwords} words, {len(batches)} length-sorted batches of "
        f"<= {a.batch}, {a.threads} threads (torch {torch.__version__}, onnxruntime {onnxruntime.__version__}), "
        f"words/s = median of {a.reps}, model forward only; reference entities (torch argmax): {len(gold)}",
        "| engine | MB | max abs logit diff vs torch | entity P | entity R | entity F1 vs torch | words/s | vs torch |",
        "|---|---|---|---|---|---|---|---|"] + rows)
    print(text)
    if a.report:
        with open(a.report, "w") as f:
            f.write(text + "\n")
    if a.json:
        json.dump({"sentences": len(texts), "words": nwords, "threads": a.threads, "results": res},
                  open(a.json, "w"), indent=1)
    if td:
        td.cleanup()
    bad = []
    if res["ort-fp32"]["max_abs_logit_diff"] > a.max_diff:
        bad.append(f"ort-fp32 max |dlogit| {res['ort-fp32']['max_abs_logit_diff']:.2e} > {a.max_diff}")
    if res["ort-int8"]["F1"] < a.min_f1:
        bad.append(f"ort-int8 entity F1 {res['ort-int8']['F1']:.4f} < {a.min_f1}")
    if bad:
        print("FAIL: " + "; ".join(bad))
        sys.exit(1)


if __name__ == "__main__":
    main()
