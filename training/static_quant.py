#!/usr/bin/env python3
"""Static (calibrated) int8 quantisation of models/default-ner/model.onnx (issue 17, point 3).

Fixed activation scales, computed once on calibration windows from the NER *train* split, make a
window's result independent of the other windows in its batch (integer GEMMs accumulate exactly),
so int8 can batch length-sorted windows like the fp32 engine. This script builds the variants
of STATIC_VARIANTS and prints, per variant, entity agreement with torch on the test split
(onnx_check's decoding) at batch 1 and batch 8, and model-forward words/s with one intra-op
thread (how each Rust worker session runs).

  build/venv/bin/python training/static_quant.py --variants all --out build/ner/static
"""
import argparse, json, os, re, statistics, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
import numpy as np

from ner_common import load_tokenizer, prf

# name -> settings. exclude = regexes on MatMul node names kept fp32; calib = calibration method
STATIC_VARIANTS = {
    "s-minmax":            dict(calib="MinMax"),
    "s-pct9999":           dict(calib="Percentile", pct=99.99),
    "s-pct999":            dict(calib="Percentile", pct=99.9),
    "s-minmax-nolayer012": dict(calib="MinMax", exclude=[r"layer\.[012]/"]),
    "s-pct9999-nolayer012": dict(calib="Percentile", pct=99.99, exclude=[r"layer\.[012]/"]),
    "s-minmax-noffnout":   dict(calib="MinMax", exclude=[r"layer\.\d/output/dense/"]),
    "s-pct9999-noffnout":  dict(calib="Percentile", pct=99.99, exclude=[r"layer\.\d/output/dense/"]),
    "s-minmax-noffnout012": dict(calib="MinMax", exclude=[r"layer\.[012]/output/dense/"]),
    "s-entropy":           dict(calib="Entropy"),
    "sq5-minmax":          dict(calib="MinMax", smooth=0.5),
    "sq7-minmax":          dict(calib="MinMax", smooth=0.7),
    "sq3-minmax":          dict(calib="MinMax", smooth=0.3),
    "sq5-minmax-nolayer0": dict(calib="MinMax", smooth=0.5, exclude=[r"layer\.0/"]),
    "sq5-minmax-noffnout012": dict(calib="MinMax", smooth=0.5, exclude=[r"layer\.[012]/output/dense/"]),
    # per-token dynamic scales (one scale and zero point per window position, computed in the
    # graph): a row's result depends on that row only, so batching is still exact
    "pt":                  dict(pertoken=True),
    "pt-sq5":              dict(pertoken=True, smooth=0.5),
    "pt-nolayer0":         dict(pertoken=True, exclude=[r"layer\.0/"]),
    "pt-noffnout0":        dict(pertoken=True, exclude=[r"layer\.0/output/dense/"]),
    "pt-sym-sq5":          dict(pertoken=True, smooth=0.5, sym=True),
    "pt-sym":              dict(pertoken=True, sym=True),
    "pt-sq3":              dict(pertoken=True, smooth=0.3),
    "pt-sq7":              dict(pertoken=True, smooth=0.7),
    "pt-sq5-noffnout0":    dict(pertoken=True, smooth=0.5, exclude=[r"layer\.0/output/dense/"]),
}


def weight_matmuls(mp):
    """MatMul nodes whose second input is an initializer (dense layers, not Q.K^T / attn.V)."""
    inits = {i.name for i in mp.graph.initializer}
    return [n.name for n in mp.graph.node if n.op_type == "MatMul" and n.input[1] in inits]


class Reader:
    def __init__(self, batches, names):
        self.it = iter([{k: v for k, v in zip(("input_ids", "attention_mask", "token_type_ids"), b[1:]) if k in names}
                        for b in batches])

    def get_next(self):
        return next(self.it, None)


def smooth(fp32, out, calib_batches, alpha, skip=()):
    """SmoothQuant (Xiao et al. 2023) on the ONNX graph: for each activation X feeding weight
    MatMuls, per input channel j s_j = max|X_j|^alpha / max|W_j.|^(1-alpha); X is divided by s
    (one Mul node) and the weights' rows multiplied by s, so X.W is unchanged in exact arithmetic
    but the outlier channels of X move into the (per-channel quantised) weights."""
    import onnx
    from onnx import numpy_helper, helper
    import onnxruntime as ort
    mp = onnx.load(fp32)
    inits = {i.name: i for i in mp.graph.initializer}
    groups = {}
    pats = [re.compile(x) for x in skip]
    for n in mp.graph.node:
        if n.op_type == "MatMul" and n.input[1] in inits and not any(p.search(n.name) for p in pats):
            groups.setdefault(n.input[0], []).append(n)
    # per-channel max |X| over the calibration windows (real positions only)
    probe = onnx.load(fp32)
    for x in groups:
        probe.graph.output.append(helper.make_tensor_value_info(x, onnx.TensorProto.FLOAT, None))
    so = ort.SessionOptions(); so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(probe.SerializeToString(), so, providers=["CPUExecutionProvider"])
    names = {i.name for i in sess.get_inputs()}
    amax = {x: None for x in groups}
    for (_, ids, am, tt) in calib_batches:
        feed = {k: v for k, v in (("input_ids", ids), ("attention_mask", am), ("token_type_ids", tt)) if k in names}
        outs = sess.run(list(groups), feed)
        m = am.astype(bool)
        for x, o in zip(groups, outs):
            cur = np.abs(o[m]).max(0)
            amax[x] = cur if amax[x] is None else np.maximum(amax[x], cur)
    for k, (x, nodes) in enumerate(groups.items()):
        ws = [numpy_helper.to_array(inits[n.input[1]]) for n in nodes]
        wmax = np.max([np.abs(w).max(1) for w in ws], 0)
        sc = (np.maximum(amax[x], 1e-5) ** alpha / np.maximum(wmax, 1e-5) ** (1 - alpha)).astype(np.float32)
        inv = numpy_helper.from_array((1.0 / sc).astype(np.float32), f"smooth_inv_{k}")
        mp.graph.initializer.append(inv)
        xs = f"{x}_smoothed"
        mp.graph.node.append(helper.make_node("Mul", [x, inv.name], [xs], name=f"smooth_mul_{k}"))
        for n, w in zip(nodes, ws):
            inits[n.input[1]].CopyFrom(numpy_helper.from_array((w * sc[:, None]).astype(np.float32), n.input[1]))
            n.input[0] = xs
    # keep the node list topologically sorted: each Mul right after its input's producer
    prod = {o: i for i, n in enumerate(mp.graph.node) for o in n.output}
    nodes = list(mp.graph.node)
    muls = [n for n in nodes if n.name.startswith("smooth_mul_")]
    rest = [n for n in nodes if not n.name.startswith("smooth_mul_")]
    order = []
    after = {}
    for m_ in muls:
        after.setdefault(nodes[prod[m_.input[0]]].name if m_.input[0] in prod else None, []).append(m_)
    order.extend(after.get(None, []))
    for n in rest:
        order.append(n)
        order.extend(after.get(n.name, []))
    del mp.graph.node[:]
    mp.graph.node.extend(order)
    onnx.checker.check_model(mp)
    onnx.save(mp, out)


def pertoken(fp32, out, exclude=(), sym=False):
    """Replace each weight MatMul X.W by integer GEMM with asymmetric uint8 X, scale and zero
    point per row of X (per token: ReduceMax/ReduceMin over the hidden axis), and symmetric int8
    W per output column:  X.W ~= s_r * w_c * (Xq.Wq - z_r * colsum(Wq)).  Rows never share a
    scale, so a window's result does not depend on the other windows in its batch."""
    import onnx
    from onnx import numpy_helper, helper, TensorProto as TP
    mp = onnx.load(fp32)
    inits = {i.name: i for i in mp.graph.initializer}
    pats = [re.compile(x) for x in exclude]
    groups = {}
    for n in mp.graph.node:
        if n.op_type == "MatMul" and n.input[1] in inits and not any(p.search(n.name) for p in pats):
            groups.setdefault(n.input[0], []).append(n)
    new_inits = []
    def const(name, arr):
        new_inits.append(numpy_helper.from_array(np.asarray(arr), name)); return name
    const("pt_zero", np.array(0.0, np.float32)); const("pt_255", np.array(255.0, np.float32))
    const("pt_inv255", np.array(1.0 / 255.0, np.float32)); const("pt_eps", np.array(1e-8, np.float32))
    const("pt_inv127", np.array(1.0 / 127.0, np.float32)); const("pt_128", np.array(128.0, np.float32))
    const("pt_zp128", np.array(128, np.uint8))
    replaced = {}
    for g, (x, nodes) in enumerate(groups.items()):
        p = f"pt{g}_"
        if sym:
            # symmetric: zero point 128 for every row (a scalar, which MatMulInteger applies itself)
            q = [helper.make_node("Abs", [x], [p + "ab"]),
                 helper.make_node("ReduceMax", [p + "ab"], [p + "mx"], axes=[-1], keepdims=1),
                 helper.make_node("Mul", [p + "mx", "pt_inv127"], [p + "s0"]),
                 helper.make_node("Max", [p + "s0", "pt_eps"], [p + "s"]),
                 helper.make_node("Div", [x, p + "s"], [p + "xd"]),
                 helper.make_node("Round", [p + "xd"], [p + "xr"]),
                 helper.make_node("Add", [p + "xr", "pt_128"], [p + "xz"]),
                 helper.make_node("Clip", [p + "xz", "pt_zero", "pt_255"], [p + "xc"]),
                 helper.make_node("Cast", [p + "xc"], [p + "xq"], to=TP.UINT8)]
            for j, n in enumerate(nodes):
                w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
                ws = np.maximum(np.abs(w).max(0), 1e-12) / 127.0
                pj = f"{p}{j}_"
                const(pj + "wq", np.clip(np.round(w / ws), -127, 127).astype(np.int8))
                const(pj + "ws", ws.astype(np.float32))
                q += [helper.make_node("MatMulInteger", [p + "xq", pj + "wq", "pt_zp128"], [pj + "yi"]),
                      helper.make_node("Cast", [pj + "yi"], [pj + "yf"], to=TP.FLOAT),
                      helper.make_node("Mul", [pj + "yf", p + "s"], [pj + "ys"]),
                      helper.make_node("Mul", [pj + "ys", pj + "ws"], [n.output[0]])]
                replaced[n.name] = None
            groups[x] = q
            continue
        q = [helper.make_node("ReduceMax", [x], [p + "mx"], axes=[-1], keepdims=1),
             helper.make_node("ReduceMin", [x], [p + "mn"], axes=[-1], keepdims=1),
             helper.make_node("Max", [p + "mx", "pt_zero"], [p + "mx0"]),
             helper.make_node("Min", [p + "mn", "pt_zero"], [p + "mn0"]),
             helper.make_node("Sub", [p + "mx0", p + "mn0"], [p + "rg"]),
             helper.make_node("Mul", [p + "rg", "pt_inv255"], [p + "s0"]),
             helper.make_node("Max", [p + "s0", "pt_eps"], [p + "s"]),
             helper.make_node("Div", [p + "mn0", p + "s"], [p + "nz"]),
             helper.make_node("Round", [p + "nz"], [p + "nzr"]),
             helper.make_node("Neg", [p + "nzr"], [p + "z"]),
             helper.make_node("Div", [x, p + "s"], [p + "xd"]),
             helper.make_node("Round", [p + "xd"], [p + "xr"]),
             helper.make_node("Add", [p + "xr", p + "z"], [p + "xz"]),
             helper.make_node("Clip", [p + "xz", "pt_zero", "pt_255"], [p + "xc"]),
             helper.make_node("Cast", [p + "xc"], [p + "xq"], to=TP.UINT8)]
        for j, n in enumerate(nodes):
            w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
            ws = np.maximum(np.abs(w).max(0), 1e-12) / 127.0
            wq = np.clip(np.round(w / ws), -127, 127).astype(np.int8)
            pj = f"{p}{j}_"
            const(pj + "wq", wq); const(pj + "ws", ws.astype(np.float32))
            const(pj + "cs", wq.astype(np.int64).sum(0).astype(np.float32))
            q += [helper.make_node("MatMulInteger", [p + "xq", pj + "wq"], [pj + "yi"]),
                  helper.make_node("Cast", [pj + "yi"], [pj + "yf"], to=TP.FLOAT),
                  helper.make_node("Mul", [p + "z", pj + "cs"], [pj + "zc"]),
                  helper.make_node("Sub", [pj + "yf", pj + "zc"], [pj + "yc"]),
                  helper.make_node("Mul", [pj + "yc", p + "s"], [pj + "ys"]),
                  helper.make_node("Mul", [pj + "ys", pj + "ws"], [n.output[0]])]
            replaced[n.name] = None
        groups[x] = q
    # splice: each group's nodes right after the producer of its input (graph inputs: at the top)
    prod = {o: n.name for n in mp.graph.node for o in n.output}
    after = {}
    for x, q in groups.items():
        after.setdefault(prod.get(x), []).extend(q)
    order = list(after.get(None, []))
    for n in mp.graph.node:
        if n.name in replaced:
            continue
        order.append(n)
        order.extend(after.get(n.name, []))
    del mp.graph.node[:]
    mp.graph.node.extend(order)
    used = {i for n in order for i in n.input}
    keep = [i for i in mp.graph.initializer if i.name in used]
    del mp.graph.initializer[:]
    mp.graph.initializer.extend(keep + new_inits)
    onnx.checker.check_model(mp)
    onnx.save(mp, out)


def quantize(fp32, out, v, calib_batches):
    import onnx
    from onnxruntime.quantization import quantize_static, QuantFormat, QuantType, CalibrationMethod
    if v.get("smooth") is not None:
        sm = out + ".smooth.onnx"
        smooth(fp32, sm, calib_batches, v["smooth"], v.get("smooth_skip", ()))
        fp32 = sm
    if v.get("pertoken"):
        return pertoken(fp32, out, v.get("exclude", ()), v.get("sym", False))
    mp = onnx.load(fp32)
    names = {i.name for i in mp.graph.input}
    pats = [re.compile(x) for x in v.get("exclude", [])]
    nodes = [n for n in weight_matmuls(mp) if not any(p.search(n) for p in pats)]
    if v["calib"] != "MinMax":
        # histogram calibrators stack every batch's tensors: give them one shape
        w = max(b[1].shape[1] for b in calib_batches)
        pad = lambda x: np.pad(x, ((0, 0), (0, w - x.shape[1])))
        calib_batches = [(b[0],) + tuple(pad(x) for x in b[1:]) for b in calib_batches]
    extra = {"ActivationSymmetric": False, "WeightSymmetric": True}
    if v["calib"] == "Percentile":
        extra["CalibPercentile"] = v["pct"]
    quantize_static(fp32, out, Reader(calib_batches, names), quant_format=QuantFormat.QDQ,
                    op_types_to_quantize=["MatMul"], nodes_to_quantize=nodes, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    calibrate_method=getattr(CalibrationMethod, v["calib"]), extra_options=extra)


def main():
    import onnx_check as oc
    import onnxruntime as ort
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/default-ner")
    ap.add_argument("--data", default="build/ner/test.sents.jsonl")
    ap.add_argument("--calib", default="build/ner/train.sents.jsonl")
    ap.add_argument("--calib-windows", type=int, default=256)
    ap.add_argument("--variants", default="all")
    ap.add_argument("--out", default="build/ner/static")
    ap.add_argument("--max-sents", type=int, default=0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--extra", action="append", default=[], metavar="NAME=PATH.onnx")
    a = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    tok = load_tokenizer(a.model)
    fp32 = os.path.join(a.model, "model.onnx")

    rng = np.random.default_rng(0)
    crecs = [json.loads(l)["text"] for l in open(a.calib, encoding="utf-8")]
    crecs = [crecs[i] for i in sorted(rng.choice(len(crecs), size=min(a.calib_windows, len(crecs)), replace=False))]
    _, cbatches = oc.build_batches(tok, crecs, 8)

    recs = [json.loads(l)["text"] for l in open(a.data, encoding="utf-8")]
    if a.max_sents:
        recs = recs[:a.max_sents]
    nwords = sum(1 for t in recs for w in t.split() if oc.WORD_RE.search(w))
    segs1, b1 = oc.build_batches(tok, recs, 1)
    segs8, b8 = oc.build_batches(tok, recs, 8)
    ref = oc.TorchEngine(a.model)
    gold = oc.entities(segs8, b8, [ref(ids, am, tt) for (_, ids, am, tt) in b8])

    files = [("fp32", fp32), ("dyn-int8 (shipped)", os.path.join(a.model, "model.int8.onnx"))]
    files += [tuple(e.split("=", 1)) for e in a.extra]
    todo = list(STATIC_VARIANTS) if a.variants == "all" else a.variants.split(",")
    for name in todo:
        p = os.path.join(a.out, f"{name}.onnx")
        if not os.path.exists(p):
            t0 = time.time()
            quantize(fp32, p, STATIC_VARIANTS[name], cbatches)
            print(f"quantised {name} in {time.time() - t0:.0f} s", flush=True)
        files.append((name, p))

    print(f"{len(recs)} test sentences, {nwords} words; reference entities {len(gold)}; 1 intra-op thread")
    print("| graph | F1 b1 | F1 b8 | b1 = b8 entities | words/s b1 | words/s b8 |")
    print("|---|---|---|---|---|---|")
    res = {}
    for name, p in files:
        so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
        s = ort.InferenceSession(p, so, providers=["CPUExecutionProvider"])
        inn = {i.name for i in s.get_inputs()}
        run = lambda ids, am, tt: s.run(["logits"], {k: v for k, v in
                                                    (("input_ids", ids), ("attention_mask", am), ("token_type_ids", tt)) if k in inn})[0]
        o1 = [run(ids, am, tt) for (_, ids, am, tt) in b1]
        o8 = [run(ids, am, tt) for (_, ids, am, tt) in b8]
        e1, e8 = oc.entities(segs1, b1, o1), oc.entities(segs8, b8, o8)
        f1b1, f1b8 = prf(gold, e1)[2], prf(gold, e8)[2]
        t = {1: [], 8: []}
        for _ in range(a.reps):
            for k, bb in ((1, b1), (8, b8)):
                t0 = time.perf_counter()
                for (_, ids, am, tt) in bb:
                    run(ids, am, tt)
                t[k].append(time.perf_counter() - t0)
        w1, w8 = nwords / statistics.median(t[1]), nwords / statistics.median(t[8])
        res[name] = dict(f1_b1=f1b1, f1_b8=f1b8, same=e1 == e8, wps_b1=w1, wps_b8=w8)
        print(f"| {name} | {f1b1:.4f} | {f1b8:.4f} | {'yes' if e1 == e8 else 'no'} | {w1:,.0f} | {w8:,.0f} |", flush=True)
    json.dump(res, open(os.path.join(a.out, "results.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
