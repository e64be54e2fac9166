#!/usr/bin/env python3
"""Fine-tune the student (all-MiniLM-L6-v2 BERT) on teacher-labelled sentences.

Bucketed (length-sorted) batches, AdamW, linear warmup + decay. After every epoch the model
is exported to --export (so an interrupted run still leaves a usable model) and evaluated
on the dev split (case flag + Viterbi).
"""
import argparse, json, os, random, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
import torch
from ner_common import load_tokenizer, prf
from nermodel import encode_for_training, pad_batch, predict, load_model, export


def read(path, limit=0):
    recs = [json.loads(l) for l in open(path, encoding="utf-8")]
    return recs[:limit] if limit else recs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="folder with train/dev .sents.jsonl")
    ap.add_argument("--student", required=True)
    ap.add_argument("--export", required=True)
    ap.add_argument("--epochs", type=float, default=3)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--warmup", type=float, default=0.06)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--max-train-sents", type=int, default=0)
    ap.add_argument("--max-dev-sents", type=int, default=1500)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--deadline", type=float, default=0,
                    help="unix time by which training must end. The linear lr decay then follows "
                         "progress = max(step / total_steps, elapsed / (deadline - start)), so a slow "
                         "machine still ends with a fully decayed lr (fewer steps) instead of being cut off")
    ap.add_argument("--log", default=None, help="write training summary JSON here")
    ap.add_argument("--init", default=None,
                    help="continue from this exported model (second, low-lr stage) instead of the student")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed); random.seed(a.seed)
    tok = load_tokenizer(a.student)
    t0 = time.time()
    train = read(os.path.join(a.data, "train.sents.jsonl"))
    if a.max_train_sents and len(train) > a.max_train_sents:
        train = random.Random(a.seed).sample(train, a.max_train_sents)
    dev = read(os.path.join(a.data, "dev.sents.jsonl"))
    if a.max_dev_sents and len(dev) > a.max_dev_sents:
        dev = random.Random(a.seed).sample(dev, a.max_dev_sents)
    data = encode_for_training(tok, train)
    print(f"[train] {len(train)} sentences -> {len(data)} segments, "
          f"{sum(len(x[0]) for x in data)} pieces, encoded in {time.time() - t0:.0f}s", flush=True)
    model = load_model(a.init or a.student)
    model.train()
    nd = ["bias", "LayerNorm.weight"]
    groups = [{"params": [p for n, p in model.named_parameters() if not any(x in n for x in nd)], "weight_decay": a.weight_decay},
              {"params": [p for n, p in model.named_parameters() if any(x in n for x in nd)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=a.lr)
    steps_per_epoch = (len(data) + a.batch_size - 1) // a.batch_size
    total = max(1, int(round(steps_per_epoch * a.epochs)))
    warm = max(1, int(total * a.warmup))
    t_train0 = time.time()
    budget = (a.deadline - t_train0) if a.deadline else 0

    def progress():
        pr = step / total
        if budget > 0:
            pr = max(pr, (time.time() - t_train0) / budget)
        return pr

    def lr_at():
        pr = progress()
        wf = warm / total
        return a.lr * (min(1.0, (step + 1) / warm) if pr < wf else max(0.0, (1 - pr) / (1 - wf)))
    rng = random.Random(a.seed)
    seen, hist = 0, []
    stopped = False
    tstart = time.time()
    ep = 0
    step = 0
    while step < total and not stopped:
        ep += 1
        # bucketing: sort by (length + noise), cut into batches, shuffle the batches
        order = sorted(range(len(data)), key=lambda i: len(data[i][0]) + rng.uniform(0, 4))
        batches = [order[i:i + a.batch_size] for i in range(0, len(order), a.batch_size)]
        rng.shuffle(batches)
        model.train()
        loss_sum, nb = 0.0, 0
        for bi in batches:
            if step >= total:
                break
            ids, tt, am, lab = pad_batch([data[i] for i in bi])
            out = model(input_ids=ids, token_type_ids=tt, attention_mask=am, labels=lab)
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            for g in opt.param_groups:
                g["lr"] = lr_at()
            opt.step(); opt.zero_grad(set_to_none=True)
            step += 1; seen += len(bi); loss_sum += out.loss.item(); nb += 1
            if step % 50 == 0 or step == total:
                el = time.time() - tstart
                print(f"[train] ep {ep} step {step}/{total} loss {loss_sum / nb:.4f} lr {lr_at():.2e} "
                      f"{seen / el:.1f} seg/s elapsed {el / 60:.1f} min eta {(total - step) * el / step / 60:.1f} min",
                      flush=True)
            if progress() >= 1.0 and step < total:
                print(f"[train] time budget used up at step {step}/{total} (lr decayed to 0); stopping", flush=True)
                stopped = True
                break
        export(model, a.student, a.export)
        te = time.time()
        pred = predict(model, tok, [r["text"] for r in dev])
        gold = {(i, s, e, t) for i, r in enumerate(dev) for s, e, t in r["ents"]}
        pp = {(i, s, e, t) for i, ents in enumerate(pred) for s, e, t in ents}
        p, r, f, *_ = prf(gold, pp)
        h = {"epoch": ep, "step": step, "total_steps": total, "train_loss": round(loss_sum / max(1, nb), 4),
             "dev_p": round(p, 4), "dev_r": round(r, 4), "dev_f1": round(f, 4),
             "train_minutes": round((time.time() - tstart) / 60, 1), "dev_eval_s": round(time.time() - te, 1)}
        hist.append(h)
        print("[train] epoch done:", json.dumps(h), flush=True)
        model.train()
    summary = {"train_sentences": len(train), "train_segments": len(data), "dev_sentences": len(dev),
               "epochs": a.epochs, "steps": step, "planned_steps": total, "stopped_early": stopped,
               "init": "student" if not a.init else "continued", "seed": a.seed,
               "lr": a.lr, "batch_size": a.batch_size, "warmup": a.warmup, "threads": a.threads,
               "seconds": round(time.time() - t0, 1), "history": hist}
    if a.log:
        json.dump(summary, open(a.log, "w"), indent=1)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
