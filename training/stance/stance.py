"""Per-target stance head for actorlens (issue 12): NewsMTSC → `models/default-ner/stance.onnx`.

Design ("one encoder, many heads" without retraining the encoder): the NER encoder runs once per
sentence window as it does today; the stance head reads one of its intermediate hidden states
(`layer.K` output), adds a learned *target* vector to the word pieces of the mention being
scored, runs `N` transformer layers of its own (initialised from the NER encoder's next layers)
and classifies [CLS] + mean(target pieces) into negative / neutral / positive. The NER weights,
and so NER output, do not change; the head costs N/6 of an encoder pass per scored mention.

The features are computed with the engine that runs by default in Rust (ONNX Runtime, the int8
graph as the Rust side runs it) so the head is trained on exactly what it will see.

  python stance.py features   # NewsMTSC jsonl → build/stance/feat-*.pt
  python stance.py train      # → build/stance/head.pt (+ dev figures)
  python stance.py export     # → models/default-ner/stance.onnx + config.json heads entry
  python stance.py eval       # F1m / acc / per-class P/R on rw_dev, mt_dev (+ VADER beside)
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "training"))

LABELS = ["negative", "neutral", "positive"]
POLARITY = {2.0: 0, 4.0: 1, 6.0: 2}
MAX_LENGTH = 128
DIM = 384


def layer_output(k):
    """ONNX tensor name of encoder layer k's output (0-based), the same in the fp32 and int8 graphs."""
    return f"/m/bert/encoder/layer.{k}/output/LayerNorm/LayerNormalization_output_0"


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


# ----------------------------------------------------------------------------------------------
# Windows: the Rust contract (src/model/window.rs): words = pre-tokenizer words, windows of at most
# 126 pieces overlapping by a quarter, each [CLS] pieces [SEP]; token types = case flag.
def words_of(tok, text):
    enc = tok.encode(text, add_special_tokens=False)
    words = []
    last = None
    for i, (pid, (s, e)) in enumerate(zip(enc.ids, enc.offsets)):
        wid = enc.word_ids[i]
        flag = 1 if any(c.isupper() for c in text[s:e]) else 0
        if wid is None or wid != last or not words:
            words.append({"ids": [pid], "types": [flag], "start": s, "end": e})
        else:
            w = words[-1]
            w["ids"].append(pid)
            w["types"].append(flag)
            w["start"] = min(w["start"], s)
            w["end"] = max(w["end"], e)
        last = wid
    return words


def plan_windows(words, max_pieces=MAX_LENGTH - 2):
    out = []
    a = 0
    while a < len(words):
        b, n = a, 0
        while b < len(words) and (b == a or n + len(words[b]["ids"]) <= max_pieces):
            n += len(words[b]["ids"])
            b += 1
        out.append((a, b))
        if b == len(words):
            break
        a = max(b - (b - a) // 4, a + 1)
    return out


def build_window(words, ab, cls, sep, max_pieces=MAX_LENGTH - 2):
    a, b = ab
    ids, types, spans = [cls], [0], []
    for w in words[a:b]:
        keep = min(len(w["ids"]), max_pieces)
        for j in range(keep):
            spans.append((w["start"], w["end"]))
        ids.extend(w["ids"][:keep])
        types.extend(w["types"][:keep])
    ids.append(sep)
    types.append(0)
    # piece → char span of its word ([CLS]/[SEP] get none)
    return ids, types, [None] + spans + [None]


def window_for(words, windows, start, end):
    """The window that holds the whole mention with its centre nearest the window's centre
    (mirrors `stance_window` in src/tone.rs)."""
    best, best_d = None, None
    for i, (a, b) in enumerate(windows):
        ws, we = words[a]["start"], words[b - 1]["end"]
        if ws <= start and end <= we:
            d = abs((start + end) - (ws + we))
            if best_d is None or d < best_d:
                best, best_d = i, d
    return best if best is not None else 0


def target_mask(spans, start, end):
    """1 for pieces whose word overlaps [start, end)."""
    return [0 if sp is None else int(sp[0] < end and start < sp[1]) for sp in spans]


# ----------------------------------------------------------------------------------------------
def ner_session(engine, layers):
    import onnx
    import onnxruntime as ort
    from onnx import helper, TensorProto
    path = os.path.join(REPO, "models", "default-ner", "model.int8.onnx" if engine == "int8" else "model.onnx")
    m = onnx.load(path)
    have = {o.name for o in m.graph.output}
    for k in layers:
        if layer_output(k) not in have:
            m.graph.output.append(helper.make_tensor_value_info(layer_output(k), TensorProto.FLOAT, None))
    so = ort.SessionOptions()
    so.intra_op_num_threads = int(os.environ.get("STANCE_THREADS", "2"))
    so.inter_op_num_threads = 1
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])


def cmd_features(args):
    import torch
    from ner_common import load_tokenizer
    tok = load_tokenizer(os.path.join(REPO, "models", "default-ner"))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    layers = [int(k) for k in args.layers.split(",")]
    sess = ner_session(args.engine, layers)
    names = [layer_output(k) for k in layers]
    os.makedirs(args.out, exist_ok=True)
    for split in args.splits.split(","):
        recs = read_jsonl(os.path.join(args.data, f"{split}.jsonl"))
        feats = {k: [] for k in layers}
        items = []  # (window index, target mask, label)
        t0 = time.time()
        for r in recs:
            text = r["sentence_normalized"]
            words = words_of(tok, text)
            if not words:
                continue
            wins = plan_windows(words)
            built = [build_window(words, ab, cls, sep) for ab in wins]
            base = len(feats[layers[0]])
            for ids, types, _ in built:
                out = sess.run(names, {"input_ids": np.array([ids], np.int64),
                                       "attention_mask": np.ones((1, len(ids)), np.int64),
                                       "token_type_ids": np.array([types], np.int64)})
                for k, o in zip(layers, out):
                    feats[k].append(torch.from_numpy(o[0]).half())
            for t in r["targets"]:
                wi = window_for(words, wins, t["from"], t["to"])
                tm = target_mask(built[wi][2], t["from"], t["to"])
                if sum(tm) == 0:
                    continue
                items.append((base + wi, tm, POLARITY[t["polarity"]]))
        torch.save({"layers": layers, "feats": feats, "items": items},
                   os.path.join(args.out, f"feat-{args.engine}-{split}.pt"))
        print(f"{split}: {len(recs)} sentences, {len(items)} targets, {time.time() - t0:.0f}s", flush=True)


# ----------------------------------------------------------------------------------------------
def build_head(n_layers, dropout=0.1, pool="cls+target", inject_at=0):
    import torch
    from torch import nn

    class Layer(nn.Module):
        """A BERT encoder layer (post-LN, exact GELU) under the HF parameter names."""

        def __init__(self):
            super().__init__()
            self.q, self.k, self.v = nn.Linear(DIM, DIM), nn.Linear(DIM, DIM), nn.Linear(DIM, DIM)
            self.o = nn.Linear(DIM, DIM)
            self.ln1 = nn.LayerNorm(DIM, eps=1e-12)
            self.ff1, self.ff2 = nn.Linear(DIM, 4 * DIM), nn.Linear(4 * DIM, DIM)
            self.ln2 = nn.LayerNorm(DIM, eps=1e-12)
            self.drop = nn.Dropout(dropout)

        def forward(self, x, bias):
            B, T, _ = x.shape
            h = 12
            q = self.q(x).view(B, T, h, DIM // h).transpose(1, 2)
            k = self.k(x).view(B, T, h, DIM // h).transpose(1, 2)
            v = self.v(x).view(B, T, h, DIM // h).transpose(1, 2)
            a = (q @ k.transpose(-1, -2)) / math.sqrt(DIM // h) + bias
            a = self.drop(torch.softmax(a, dim=-1))
            c = (a @ v).transpose(1, 2).reshape(B, T, DIM)
            x = self.ln1(x + self.drop(self.o(c)))
            f = self.ff2(torch.nn.functional.gelu(self.ff1(x)))
            return self.ln2(x + self.drop(f))

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.target = nn.Parameter(torch.zeros(DIM))
            self.layers = nn.ModuleList([Layer() for _ in range(n_layers)])
            self.drop = nn.Dropout(dropout)
            self.use_cls = pool == "cls+target"
            self.inject_at = inject_at
            self.out = nn.Linear((2 if self.use_cls else 1) * DIM, len(LABELS))

        def forward(self, hidden, mask, tmask):
            # The target vector enters at the input of layer `inject_at`: the layers below it see
            # no target, so at inference they run once per window for all of its targets.
            x = hidden
            bias = (1.0 - mask.unsqueeze(1).unsqueeze(2)) * -10000.0
            for i, l in enumerate(self.layers):
                if i == self.inject_at:
                    x = x + tmask.unsqueeze(-1) * self.target
                x = l(x, bias)
            t = (x * tmask.unsqueeze(-1)).sum(1) / tmask.sum(1, keepdim=True).clamp(min=1.0)
            # Without [CLS] the classifier sees the target's pieces only, which pushes the head
            # to tell targets of one sentence apart rather than score the sentence.
            z = torch.cat([x[:, 0], t], dim=-1) if self.use_cls else t
            return self.out(self.drop(z))

    return Head()


def init_from_ner(head, first_layer, weights=None):
    """Copy encoder layers first_layer.. (of the NER model, or of `weights`) into the head's layers."""
    import torch
    from safetensors.torch import load_file
    sd = load_file(weights or os.path.join(REPO, "models", "default-ner", "model.safetensors"))
    pre = next(k for k in sd if k.endswith("encoder.layer.0.attention.self.query.weight")).split("encoder.layer.0")[0]
    m = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
         "o": "attention.output.dense", "ln1": "attention.output.LayerNorm", "ff1": "intermediate.dense",
         "ff2": "output.dense", "ln2": "output.LayerNorm"}
    with torch.no_grad():
        for i, l in enumerate(head.layers):
            for ours, hf in m.items():
                mod = getattr(l, ours)
                mod.weight.copy_(sd[f"{pre}encoder.layer.{first_layer + i}.{hf}.weight"])
                mod.bias.copy_(sd[f"{pre}encoder.layer.{first_layer + i}.{hf}.bias"])


def batches(data, layer, idx, bs):
    import torch
    feats, items = data["feats"][layer], data["items"]
    for i in range(0, len(idx), bs):
        chunk = [items[j] for j in idx[i:i + bs]]
        T = max(feats[w].shape[0] for w, _, _ in chunk)
        h = torch.zeros(len(chunk), T, DIM)
        mask = torch.zeros(len(chunk), T)
        tm = torch.zeros(len(chunk), T)
        for r, (w, t, _) in enumerate(chunk):
            f = feats[w]
            h[r, :f.shape[0]] = f.float()
            mask[r, :f.shape[0]] = 1
            tm[r, :len(t)] = torch.tensor(t, dtype=torch.float32)
        y = torch.tensor([lab for _, _, lab in chunk])
        yield h, mask, tm, y


def predict(head, data, layer, bs=64):
    import torch
    head.eval()
    out = []
    with torch.no_grad():
        idx = list(range(len(data["items"])))
        for h, mask, tm, _ in batches(data, layer, idx, bs):
            out.append(torch.softmax(head(h, mask, tm), -1))
    return torch.cat(out).numpy() if out else np.zeros((0, 3))


def scores(gold, pred):
    gold, pred = np.asarray(gold), np.asarray(pred)
    per = {}
    f1s = []
    for c, name in enumerate(LABELS):
        tp = int(((pred == c) & (gold == c)).sum())
        p = tp / max(int((pred == c).sum()), 1)
        r = tp / max(int((gold == c).sum()), 1)
        f = 2 * p * r / (p + r) if p + r else 0.0
        per[name] = (p, r, f)
        f1s.append(f)
    return {"f1m": float(np.mean(f1s)), "acc": float((gold == pred).mean()), "per": per, "n": len(gold)}


def cmd_train(args):
    import torch
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(int(os.environ.get("STANCE_THREADS", "2")))
    eng = args.engine
    train = torch.load(os.path.join(args.feats, f"feat-{eng}-train.pt"))
    devs = {s: torch.load(os.path.join(args.feats, f"feat-{eng}-{s}.pt")) for s in ("rw_dev", "mt_dev")}
    layer = args.from_layer
    head = build_head(args.n_layers, args.dropout, args.pool, args.inject_at)
    if args.n_layers:
        init_from_ner(head, layer + 1, args.init)
    body = [p for n, p in head.named_parameters() if n.startswith("layers.")]
    rest = [p for n, p in head.named_parameters() if not n.startswith("layers.")]
    opt = torch.optim.AdamW([{"params": body, "lr": args.lr}, {"params": rest, "lr": args.head_lr}],
                            weight_decay=0.01)
    n = len(train["items"])
    steps = args.epochs * math.ceil(n / args.batch)
    warm = int(0.06 * steps)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(warm, 1)) * max(0.0, (steps - s) / max(steps - warm, 1)))
    # length-bucketed shuffles: sort by window length inside random blocks
    lens = [train["feats"][layer][w].shape[0] for w, _, _ in train["items"]]
    best, best_state, history = -1, None, []
    for ep in range(args.epochs):
        head.train()
        idx = list(range(n))
        random.shuffle(idx)
        blocks = [sorted(idx[i:i + args.batch * 50], key=lambda j: lens[j]) for i in range(0, n, args.batch * 50)]
        bl = [b[i:i + args.batch] for b in blocks for i in range(0, len(b), args.batch)]
        random.shuffle(bl)
        t0, tot = time.time(), 0.0
        for b in bl:
            for h, mask, tm, y in batches(train, layer, b, len(b)):
                loss = torch.nn.functional.cross_entropy(head(h, mask, tm), y, label_smoothing=args.smooth)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
                opt.step()
                sched.step()
                tot += loss.item() * len(b)
        res = {}
        for s, d in devs.items():
            p = predict(head, d, layer)
            res[s] = scores([lab for _, _, lab in d["items"]], p.argmax(1))["f1m"]
        avg = (res["rw_dev"] + res["mt_dev"]) / 2
        history.append({"epoch": ep + 1, "loss": tot / n, **res, "secs": time.time() - t0})
        print(f"epoch {ep + 1}: loss {tot / n:.4f} rw {res['rw_dev']:.4f} mt {res['mt_dev']:.4f} "
              f"({time.time() - t0:.0f}s)", flush=True)
        if avg > best:
            best = avg
            best_state = {k: v.clone() for k, v in head.state_dict().items()}
    if args.select == "last":
        best_state = head.state_dict()
    torch.save({"state": best_state, "n_layers": args.n_layers, "from_layer": layer, "history": history,
                "pool": args.pool, "inject_at": args.inject_at,
                "args": vars(args)}, args.out)
    print(f"saved {args.out}")


def load_head(path):
    import torch
    ck = torch.load(path)
    head = build_head(ck["n_layers"], pool=ck.get("pool", "cls+target"), inject_at=ck.get("inject_at", 0))
    head.load_state_dict(ck["state"])
    head.eval()
    return head, ck


def head_inputs(states, masks):
    """The exported graph's inputs for one window: its rows once, a 0/1 mask per target, and the
    positions of each target's pieces (padded with 0, the [CLS] position, whose mask is 0)."""
    tm = np.array(masks, np.float32)
    idx = [np.flatnonzero(m) for m in tm]
    k = max(len(i) for i in idx)
    ti = np.zeros((len(idx), k), np.int64)
    for r, i in enumerate(idx):
        ti[r, :len(i)] = i
    return {"hidden": states.astype(np.float32), "attention_mask": np.ones((1, states.shape[1]), np.int64),
            "target_mask": tm, "target_index": ti}


def shared_forward(head):
    """The head as exported: the same function as `Head.forward`, computed for the T targets of one
    window without repeating what they share. Layers below `inject_at` run once on the window;
    in layer `inject_at` the target vector's Q/K/V are added to the window's (a Linear of a sum);
    the last layer runs only at [CLS] and the target's pieces, the rows the classifier reads
    (the other rows only feed its keys and values)."""
    import torch
    import torch.nn.functional as F

    H = 12

    def heads(x):
        return x.view(x.shape[0], x.shape[1], H, DIM // H).transpose(1, 2)

    def finish(l, xq, q, k, v, bias):
        a = torch.softmax(heads(q) @ heads(k).transpose(-1, -2) / math.sqrt(DIM // H) + bias, dim=-1)
        c = (a @ heads(v)).transpose(1, 2).reshape(q.shape[0], q.shape[1], DIM)
        x = l.ln1(xq + l.o(c))
        return l.ln2(x + l.ff2(F.gelu(l.ff1(x))))

    class Shared(torch.nn.Module):
        def __init__(self, h):
            super().__init__()
            self.h = h

        def forward(self, hidden, attention_mask, target_mask, target_index):
            h = self.h
            bias = (1.0 - attention_mask.float().unsqueeze(1).unsqueeze(2)) * -10000.0
            x = hidden  # [1, n, d]
            layers = list(h.layers)
            j = h.inject_at
            for l in layers[:j]:
                x = l(x, bias)
            tm = target_mask.unsqueeze(-1)  # [T, n, 1]
            T = target_mask.shape[0]
            rows = torch.cat([torch.zeros_like(target_index[:, :1]), target_index], 1)  # [T, 1 + k]
            last = len(layers) - 1
            for i in range(j, len(layers)):
                l = layers[i]
                if i == j:
                    # x is the window's [1, n, d]; x + m·target goes through Linear layers.
                    add = lambda lin: F.linear(h.target, lin.weight)  # noqa: E731
                    k = l.k(x) + tm * add(l.k)
                    v = l.v(x) + tm * add(l.v)
                    if i < last:
                        xq = x + tm * h.target
                        q = l.q(x) + tm * add(l.q)
                        x = finish(l, xq, q, k, v, bias)
                    else:
                        mq = torch.gather(target_mask, 1, rows).unsqueeze(-1)
                        xq = x[0][rows] + mq * h.target
                        x = finish(l, xq, l.q(xq), k, v, bias)
                elif i < last:
                    x = l(x, bias)
                else:
                    xq = torch.gather(x, 1, rows.unsqueeze(-1).expand(T, rows.shape[1], DIM))
                    x = finish(l, xq, l.q(xq), l.k(x), l.v(x), bias)
            w = torch.gather(target_mask, 1, target_index).unsqueeze(-1)
            t = (x[:, 1:] * w).sum(1) / w.sum(1).clamp(min=1.0)
            z = torch.cat([x[:, 0], t], dim=-1) if h.use_cls else t
            return torch.softmax(h.out(z), -1)

    return Shared(head)


def cmd_export(args):
    """stance.onnx: (hidden [1,n,384], attention_mask [1,n], target_mask [T,n], target_index [T,k])
    → probs [T,3] for the T targets of one window (see `shared_forward`)."""
    import torch
    head, ck = load_head(args.head)
    if not head.layers:
        raise SystemExit("export needs a head with at least one layer")
    mod = shared_forward(head)
    dst = os.path.join(REPO, "models", "default-ner", "stance.onnx")
    torch.manual_seed(0)
    h = torch.randn(1, 9, DIM)
    m = torch.ones(1, 9, dtype=torch.int64)
    t = torch.zeros(2, 9)
    t[0, 2] = 1
    t[1, 4:6] = 1
    ti = torch.tensor([[2, 0], [4, 5]])
    with torch.no_grad():
        ref = torch.softmax(head(h.repeat(2, 1, 1), m.repeat(2, 1).float(), t), -1)
        got = mod(h, m, t, ti)
    if (ref - got).abs().max() > 1e-5:
        raise SystemExit(f"shared forward differs from the head: {(ref - got).abs().max():.2e}")
    torch.onnx.export(mod, (h, m, t, ti), dst,
                      input_names=["hidden", "attention_mask", "target_mask", "target_index"],
                      output_names=["probs"], opset_version=17,
                      dynamic_axes={"hidden": {1: "n"}, "attention_mask": {1: "n"},
                                    "target_mask": {0: "T", 1: "n"}, "target_index": {0: "T", 1: "k"},
                                    "probs": {0: "T"}})
    cfg_path = os.path.join(REPO, "models", "default-ner", "config.json")
    cfg = json.load(open(cfg_path))
    cfg.setdefault("actorlens", {}).setdefault("heads", {})["stance"] = {
        "input": f"layer.{ck['from_layer']}", "labels": LABELS, "weights": "stance.onnx",
        "kind": "span_encoder", "graph_tensor": layer_output(ck["from_layer"])}
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {dst} ({os.path.getsize(dst) / 1e6:.1f} MB) and config.json heads.stance")


def cmd_eval(args):
    import torch
    head, ck = load_head(args.head)
    layer = ck["from_layer"]
    rows = []
    for s in ("rw_dev", "mt_dev"):
        d = torch.load(os.path.join(args.feats, f"feat-{args.engine}-{s}.pt"))
        p = predict(head, d, layer).argmax(1)
        sc = scores([lab for _, _, lab in d["items"]], p)
        rows.append((s, sc))
        print(f"{s}: F1m {sc['f1m']:.4f} acc {sc['acc']:.4f} n {sc['n']} " +
              " ".join(f"{k} P/R {v[0]:.3f}/{v[1]:.3f}" for k, v in sc["per"].items()))


def cmd_predict(args):
    """The Python reference for `make stance-parity`: each target of a NewsMTSC split through the
    int8 NER graph (as the Rust side runs it) and the exported stance.onnx, one JSON line per target
    in `actorlens score-targets`'s format."""
    import onnxruntime as ort
    from ner_common import load_tokenizer
    cfg = json.load(open(os.path.join(REPO, "models", "default-ner", "config.json")))
    spec = cfg["actorlens"]["heads"]["stance"]
    k = int(spec["input"].split(".")[1])
    tok = load_tokenizer(os.path.join(REPO, "models", "default-ner"))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    enc = ner_session(args.engine, [k])
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    head = ort.InferenceSession(os.path.join(REPO, "models", "default-ner", spec["weights"]), so,
                                providers=["CPUExecutionProvider"])
    with open(args.out, "w") as out:
        for line_no, r in enumerate(read_jsonl(os.path.join(args.data, f"{args.split}.jsonl")), 1):
            text = r["sentence_normalized"]
            words = words_of(tok, text)
            wins = plan_windows(words) if words else []
            built = [build_window(words, ab, cls, sep) for ab in wins]
            states = [enc.run([layer_output(k)], {"input_ids": np.array([ids], np.int64),
                                                  "attention_mask": np.ones((1, len(ids)), np.int64),
                                                  "token_type_ids": np.array([types], np.int64)})[0]
                      for ids, types, _ in built]
            # Targets of one window go in one call, as in Rust.
            by_win = {}
            for ti, t in enumerate(r["targets"]):
                if not words:
                    continue
                wi = window_for(words, wins, t["from"], t["to"])
                tm = target_mask(built[wi][2], t["from"], t["to"])
                if sum(tm):
                    by_win.setdefault(wi, []).append((ti, tm))
            probs = {}
            for wi, ts in sorted(by_win.items()):
                p = head.run(["probs"], head_inputs(states[wi], [x for _, x in ts]))[0]
                for (ti, _), row in zip(ts, p):
                    probs[ti] = row
            for ti, t in enumerate(r["targets"]):
                row = {"line": line_no, "target": ti, "from": t["from"], "to": t["to"],
                       "mention": t.get("mention"), "polarity": t.get("polarity")}
                if ti in probs:
                    p = probs[ti]
                    row.update(stance=["against", "neutral", "favour"][int(np.argmax(p))],
                               p_negative=round(float(p[0]), 4), p_neutral=round(float(p[1]), 4),
                               p_positive=round(float(p[2]), 4))
                else:
                    row["error"] = "target span covers no word of the sentence"
                out.write(json.dumps(row) + "\n")
    print(f"wrote {args.out}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("features")
    f.add_argument("--data", default=os.path.join(REPO, "data", "newsmtsc"))
    f.add_argument("--splits", default="train,rw_dev,mt_dev")
    f.add_argument("--engine", default="int8", choices=["int8", "fp32"])
    f.add_argument("--layers", default="3,4,5")
    f.add_argument("--out", default=os.path.join(REPO, "build", "stance"))
    t = sub.add_parser("train")
    t.add_argument("--feats", default=os.path.join(REPO, "build", "stance"))
    t.add_argument("--engine", default="int8")
    t.add_argument("--from-layer", type=int, default=3)
    t.add_argument("--n-layers", type=int, default=2)
    t.add_argument("--epochs", type=int, default=6)
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--lr", type=float, default=5e-5)
    t.add_argument("--head-lr", type=float, default=1e-3)
    t.add_argument("--dropout", type=float, default=0.1)
    t.add_argument("--smooth", type=float, default=0.0)
    t.add_argument("--seed", type=int, default=13)
    t.add_argument("--init", default=None, help="safetensors to take the head's layers from (default: NER)")
    t.add_argument("--select", default="last", choices=["last", "best"])
    t.add_argument("--pool", default="cls+target", choices=["cls+target", "target"])
    t.add_argument("--inject-at", type=int, default=0,
                   help="head layer whose input gets the target vector (0 = the first)")
    t.add_argument("--out", default=os.path.join(REPO, "build", "stance", "head.pt"))
    e = sub.add_parser("export")
    e.add_argument("--head", default=os.path.join(REPO, "build", "stance", "head.pt"))
    v = sub.add_parser("eval")
    v.add_argument("--head", default=os.path.join(REPO, "build", "stance", "head.pt"))
    v.add_argument("--feats", default=os.path.join(REPO, "build", "stance"))
    v.add_argument("--engine", default="int8")
    pr = sub.add_parser("predict")
    pr.add_argument("--data", default=os.path.join(REPO, "data", "newsmtsc"))
    pr.add_argument("--split", default="rw_dev")
    pr.add_argument("--engine", default="int8", choices=["int8", "fp32"])
    pr.add_argument("--out", required=True)
    args = ap.parse_args()
    {"features": cmd_features, "train": cmd_train, "export": cmd_export, "eval": cmd_eval,
     "predict": cmd_predict}[args.cmd](args)


if __name__ == "__main__":
    main()
