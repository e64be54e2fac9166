#!/usr/bin/env python3
"""model-onnx: export models/default-ner to ONNX for the ONNX Runtime engine.

Writes, next to model.safetensors:
  * model.onnx       fp32, opset 17, standard ONNX ops only. Not pre-optimised: ONNX Runtime's
                     default session graph optimisation (ORT_ENABLE_ALL) does the BERT fusions at
                     load; the offline onnxruntime.transformers fusion (optimize(), opt_level 0) was
                     ~10% slower on CPU and ties the file to com.microsoft contrib ops.
  * model.int8.onnx  int8 graph, variant --int8 (default pt-sq5): SmoothQuant alpha 0.5 (scales
                     calibrated on 256 seeded sentences of --calib), then every weight MatMul as
                     in-graph per-token u8 activation quantisation x per-column s8 weights on
                     MatMulInteger (training/static_quant.py pertoken()). No statistic crosses
                     rows, so results do not depend on the batch and the Rust side batches it
                     (metadata int8_scales = per-token; config.json actorlens.int8_scales). Entity
                     F1 0.9951 vs torch on the test split, 1.44x the previous dynamic graph
                     (pc-nolayer012, quantize_dynamic, still selectable: per-call scales, run one
                     window per call). Full table: models/default-ner/ENGINES.md.

Graph contract (what the Rust `ort` side feeds):
  inputs  input_ids, attention_mask, token_type_ids: int64 [batch, seq] (both axes dynamic),
          token_type_ids = case flag (ner_common.case_flags), right padding with 0
  output  logits: float32 [batch, seq, 37] (label ids as config.json id2label)

The export is deterministic (same bytes for the same model.safetensors and the pinned
requirements-onnx.txt); --check-determinism exports a second time and compares.
"""
import argparse, json, os, re, shutil, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
import numpy as np
import torch

from ner_common import LABELS, sha256

INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
OPSET = 17
_FFN_IN = r"layer\.\d/intermediate/dense/"
_FFN_OUT = r"layer\.%s/output/dense/"   # FFN down-projection (not attention/output/dense)
# int8 variants compared by `onnx_check.py --variants` (name -> quantize_dynamic settings; exclude =
# regexes on node names, e.g. /m/bert/encoder/layer.3/intermediate/dense/MatMul). Only MatMuls with
# constant weights are quantised (q/k/v, attention output, FFN in/out, classifier); weights QInt8,
# activations dynamic per-tensor uint8.
INT8_VARIANTS = {
    "matmul":           dict(op_types=["MatMul"]),
    "matmul-rr":        dict(op_types=["MatMul"], reduce_range=True),
    "matmul-pc":        dict(op_types=["MatMul"], per_channel=True),
    "matmul-pc-rr":     dict(op_types=["MatMul"], per_channel=True, reduce_range=True),
    "all-pc":           dict(op_types=None, per_channel=True),  # ORT default op set (+ Gather: embeddings)
    "pc-nocls":         dict(op_types=["MatMul"], per_channel=True, exclude=["classifier"]),
    "pc-nolayer012":    dict(op_types=["MatMul"], per_channel=True, exclude=[r"layer\.[012]/"]),
    "pc-noffnin-out012": dict(op_types=["MatMul"], per_channel=True, exclude=[_FFN_IN, _FFN_OUT % "[012]"]),
    "pc-noffn":         dict(op_types=["MatMul"], per_channel=True, exclude=[_FFN_IN, _FFN_OUT % r"\d"]),
    "noffn":            dict(op_types=["MatMul"], exclude=[_FFN_IN, _FFN_OUT % r"\d"]),
    # FFN down-projections read GELU outputs, whose outliers per-tensor activation scales handle worst.
    "pc-noffnout":      dict(op_types=["MatMul"], per_channel=True, exclude=[_FFN_OUT % r"\d"]),
    "pc-noffnout012":   dict(op_types=["MatMul"], per_channel=True, exclude=[_FFN_OUT % "[012]"]),
    "pc-noffnout012-in0": dict(op_types=["MatMul"], per_channel=True,
                               exclude=[_FFN_OUT % "[012]", r"layer\.0/intermediate/dense/"]),
    "pc-noffnout0125":  dict(op_types=["MatMul"], per_channel=True, exclude=[_FFN_OUT % "[0125]"]),
    "pc-nolayer0":      dict(op_types=["MatMul"], per_channel=True, exclude=[r"layer\.0/"]),
    "pc-attnout":       dict(op_types=["MatMul"], per_channel=True,
                             exclude=[_FFN_IN, _FFN_OUT % r"\d", r"self/(query|key|value)/"]),
}
# Batch-invariant int8 (static_quant.py): per-token activation scales computed in the graph, after
# SmoothQuant (alpha 0.5) calibrated on --calib windows. Written with metadata int8_scales=per-token
# and config.json actorlens.int8_scales = "per-token", which lets the Rust int8 engine batch.
PERTOKEN_VARIANTS = {"pt-sq5": dict(pertoken=True, smooth=0.5), "pt": dict(pertoken=True)}
DEFAULT_INT8 = "pt-sq5"  # why: module docstring and ENGINES.md; compare with static_quant.py
CALIB_WINDOWS = 256


class Wrapper(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.m(input_ids=input_ids, attention_mask=attention_mask,
                      token_type_ids=token_type_ids, return_dict=True).logits


def export_fp32(model_dir, out_path, opset=OPSET):
    """torch (TorchScript exporter) -> ONNX, eager attention (plain MatMul/Softmax graph)."""
    from transformers import BertForTokenClassification
    torch.manual_seed(0)
    m = BertForTokenClassification.from_pretrained(model_dir, attn_implementation="eager").eval()
    assert m.config.num_labels == len(LABELS)
    w = Wrapper(m).eval()
    # dummy batch with padding and both token types so nothing is specialised to a constant
    ids = torch.tensor([[101, 7592, 2088, 1010, 2577, 102, 0, 0], [101, 1996, 2343, 1012, 2003, 1996, 2154, 102]])
    am = (ids != 0).long()
    tt = torch.tensor([[0, 1, 0, 0, 1, 0, 0, 0], [0, 1, 1, 0, 0, 0, 0, 0]])
    dyn = {n: {0: "batch", 1: "seq"} for n in INPUTS}
    dyn["logits"] = {0: "batch", 1: "seq"}
    with torch.inference_mode():
        torch.onnx.export(w, (ids, am, tt), out_path, input_names=INPUTS, output_names=["logits"],
                          dynamic_axes=dyn, opset_version=opset, do_constant_folding=True,
                          export_params=True)
    import onnx
    mp = onnx.load(out_path)
    onnx.checker.check_model(mp, full_check=True)
    got = [i.name for i in mp.graph.input]
    assert got == INPUTS, f"graph inputs {got} (an input was pruned?)"
    for i in mp.graph.input:
        assert i.type.tensor_type.elem_type == onnx.TensorProto.INT64, i.name
    assert [o.name for o in mp.graph.output] == ["logits"]
    # fixed metadata (no timestamps in ONNX protos; stamp what the Rust side may want to check)
    # producer_name stays "pytorch" (onnxruntime.transformers checks it); ours goes to doc_string
    mp.doc_string = "actorlens default-ner: BertForTokenClassification, case-flag token_type_ids, 37 BIO labels"
    del mp.metadata_props[:]
    for k, v in (("labels", json.dumps(LABELS)), ("token_types", "case_flag"), ("max_length", "128"),
                 ("source_sha256", sha256(os.path.join(model_dir, "model.safetensors")))):
        e = mp.metadata_props.add(); e.key = k; e.value = v
    onnx.save(mp, out_path)


def optimize(in_path, out_path):
    """Offline BERT fusion with onnxruntime.transformers (Python fusions only, opt_level 0:
    Attention/SkipLayerNormalization/EmbedLayerNormalization/BiasGelu com.microsoft ops; they run
    on the default CPU EP). Not used for the shipped model.onnx (no speed gain measured)."""
    from onnxruntime.transformers.optimizer import optimize_model
    from onnxruntime.transformers.fusion_options import FusionOptions, AttentionMaskFormat
    fo = FusionOptions("bert")
    fo.attention_mask_format = AttentionMaskFormat.AttentionMask  # raw 2D mask, any padding side
    opt = optimize_model(in_path, model_type="bert", num_heads=12, hidden_size=384, opt_level=0,
                         optimization_options=fo, use_gpu=False)
    opt.save_model_to_file(out_path)
    return opt.get_fused_operator_statistics()


def calib_batches(model_dir, calib_path, n=CALIB_WINDOWS, seed=0):
    """n sentences drawn (seeded) from the NER train split, as length-sorted batches of 8."""
    import onnx_check as oc
    from ner_common import load_tokenizer
    recs = [json.loads(l)["text"] for l in open(calib_path, encoding="utf-8")]
    rng = np.random.default_rng(seed)
    recs = [recs[i] for i in sorted(rng.choice(len(recs), size=min(n, len(recs)), replace=False))]
    return oc.build_batches(load_tokenizer(model_dir), recs, 8)[1]


def quantize_pertoken(in_path, out_path, variant, batches):
    import onnx
    import static_quant as sq
    v = PERTOKEN_VARIANTS[variant]
    with tempfile.TemporaryDirectory(prefix="actorlens-pt-") as td:
        src = in_path
        if v.get("smooth") is not None:
            src = os.path.join(td, "smooth.onnx")
            sq.smooth(in_path, src, batches, v["smooth"])
        tmp = os.path.join(td, "q.onnx")
        sq.pertoken(src, tmp, v.get("exclude", ()))
        q = onnx.load(tmp)
    q.doc_string = (q.doc_string or "") + f" int8 per-token dynamic quantisation, variant {variant}"
    for k, val in (("int8_variant", variant), ("int8_scales", "per-token")):
        e = q.metadata_props.add(); e.key = k; e.value = val
    onnx.save(q, out_path)


def quantize(in_path, out_path, variant=DEFAULT_INT8, batches=None):
    import onnx
    from onnxruntime.quantization import quantize_dynamic, QuantType
    if variant in PERTOKEN_VARIANTS:
        return quantize_pertoken(in_path, out_path, variant, batches)
    v = INT8_VARIANTS[variant]
    mp = onnx.load(in_path)
    pats = [re.compile(x) for x in v.get("exclude", [])]
    excl = [n.name for n in mp.graph.node if any(p.search(n.name) for p in pats)] or None
    with tempfile.TemporaryDirectory(prefix="actorlens-q-") as td:
        tmp = os.path.join(td, "q.onnx")
        quantize_dynamic(in_path, tmp, op_types_to_quantize=v["op_types"],
                         per_channel=v.get("per_channel", False), reduce_range=v.get("reduce_range", False),
                         weight_type=QuantType.QInt8, nodes_to_exclude=excl,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        q = onnx.load(tmp)
    q.doc_string = (q.doc_string or "") + f" int8 dynamic quantisation, variant {variant}"
    e = q.metadata_props.add(); e.key = "int8_variant"; e.value = variant
    onnx.save(q, out_path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/default-ner")
    ap.add_argument("--out", default=None, help="output folder (default: --model)")
    ap.add_argument("--opset", type=int, default=OPSET)
    ap.add_argument("--optimize", action="store_true",
                    help="save the offline-fused graph as model.onnx instead of the plain one")
    ap.add_argument("--int8", default=DEFAULT_INT8, choices=sorted(INT8_VARIANTS) + sorted(PERTOKEN_VARIANTS))
    ap.add_argument("--calib", default="build/ner/train.sents.jsonl",
                    help="sentences (JSONL, `text`) whose activations calibrate the smoothing scales")
    ap.add_argument("--check-determinism", action="store_true")
    a = ap.parse_args()
    out = a.out or a.model
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    batches = calib_batches(a.model, a.calib) if a.int8 in PERTOKEN_VARIANTS else None

    def build(dst):
        with tempfile.TemporaryDirectory(prefix="actorlens-onnx-") as td:
            raw = os.path.join(td, "raw.onnx")
            export_fp32(a.model, raw, a.opset)
            if a.optimize:
                print("fusions:", optimize(raw, os.path.join(td, "opt.onnx")))
                shutil.move(os.path.join(td, "opt.onnx"), raw)
            shutil.move(raw, os.path.join(dst, "model.onnx.tmp"))
            quantize(os.path.join(dst, "model.onnx.tmp"), os.path.join(dst, "model.int8.onnx.tmp"), a.int8, batches)
        for n in ("model.onnx", "model.int8.onnx"):
            os.replace(os.path.join(dst, n + ".tmp"), os.path.join(dst, n))
        return {n: sha256(os.path.join(dst, n)) for n in ("model.onnx", "model.int8.onnx")}

    h = build(out)
    # `--engine auto` runs the int8 graph: the fastest engine whose entities agree with torch at
    # F1 >= 0.99 (models/default-ner/ENGINES.md; check with onnx_check.py / the Rust binary).
    cfg_path = os.path.join(out, "config.json")
    if os.path.exists(cfg_path) and not os.path.islink(cfg_path):
        cfg = json.load(open(cfg_path))
        cfg.setdefault("actorlens", {})["default_engine"] = "onnx-int8"
        if a.int8 in PERTOKEN_VARIANTS:
            cfg["actorlens"]["int8_scales"] = "per-token"
        else:
            cfg["actorlens"].pop("int8_scales", None)
        with open(cfg_path, "w") as f:
            json.dump(cfg, f, indent=2, sort_keys=True); f.write("\n")
    for n, d in h.items():
        print(f"{os.path.join(out, n)}  {os.path.getsize(os.path.join(out, n))} bytes  sha256 {d}")
    if a.check_determinism:
        with tempfile.TemporaryDirectory(prefix="actorlens-onnx2-") as td:
            h2 = build(td)
        same = h2 == h
        print("deterministic:", "yes (second export byte-identical)" if same else f"NO: {h2}")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
