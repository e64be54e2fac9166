#!/usr/bin/env python3
"""make gemm-bench: what this CPU can do on the NER encoder's matrix shapes, and how close the NER
stage gets to it (issue 17, "know the limit"). A report, not a test.

1. Sustained GEMM throughput through ONNX Runtime (the default engine's library, same version):
   fp32 MatMul, and int8 MatMulInteger (u8 activations x s8 weights, as ORT's dynamic
   quantisation runs it), for the encoder's weight shapes K x N = 384x384 (Q, K, V, attention
   output), 384x1536 (FFN up), 1536x384 (FFN down), at M rows = tokens per call (one window of
   ~48 pieces, a batch of 8 windows, 1024). One session per thread count, intra-op threads 1
   and 2; medians of timed runs after warm-up.
2. FLOPs per word piece of the model in models/default-ner (from config.json): per layer
   2*H*(4*H + 2*I) for the projections and FFN plus 4*L*H for attention scores and context at
   sequence length L, times the layers, plus the classifier.
3. Word pieces per word on a corpus (tokenizer.json of the model, with [CLS]/[SEP] per sentence)
   and, given the NER stage's measured seconds per 1k words (scripts/bench-stages.sh), the
   fraction of the fp32 GEMM peak the NER stage reaches.

usage: gemm_bench.py --model models/default-ner [--ner-s-per-1k-words S] [--corpus FILE.jsonl]
"""
import argparse
import json
import statistics
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

SHAPES = [(384, 384), (384, 1536), (1536, 384)]
ROWS = [48, 384, 1024]


def matmul_graph(m, k, n, int8):
    rng = np.random.default_rng(0)
    if int8:
        w = rng.integers(-127, 128, size=(k, n), dtype=np.int8)
        inits = [numpy_helper.from_array(w, "W"), numpy_helper.from_array(np.array(0, np.uint8), "xz"),
                 numpy_helper.from_array(np.array(0, np.int8), "wz")]
        node = helper.make_node("MatMulInteger", ["X", "W", "xz", "wz"], ["Y"])
        x = helper.make_tensor_value_info("X", TensorProto.UINT8, [m, k])
        y = helper.make_tensor_value_info("Y", TensorProto.INT32, [m, n])
    else:
        w = rng.standard_normal((k, n), dtype=np.float32)
        inits = [numpy_helper.from_array(w, "W")]
        node = helper.make_node("MatMul", ["X", "W"], ["Y"])
        x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [m, k])
        y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [m, n])
    g = helper.make_graph([node], "gemm", [x], [y], initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def gflops(m, k, n, int8, threads, seconds=0.6):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "1")
    sess = ort.InferenceSession(matmul_graph(m, k, n, int8), so, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    x = rng.integers(0, 255, size=(m, k), dtype=np.uint8) if int8 else rng.standard_normal((m, k), dtype=np.float32)
    for _ in range(20):
        sess.run(None, {"X": x})
    rates = []
    for _ in range(5):
        n_calls, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds / 5:
            sess.run(None, {"X": x})
            n_calls += 1
        dt = time.perf_counter() - t0
        rates.append(2.0 * m * k * n * n_calls / dt / 1e9)
    return statistics.median(rates)


def flops_per_piece(cfg, seq_len, n_labels):
    h, i, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    per_layer = 2 * h * (4 * h + 2 * i) + 4 * seq_len * h
    return layers * per_layer + 2 * h * n_labels


def pieces_per_word(model_dir, corpus):
    from tokenizers import Tokenizer  # the tokenizer the Rust side uses, same file

    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    words = pieces = 0
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["text"]
            for para in text.split("\n"):
                ws = [w for w in para.split() if any(c.isalnum() for c in w)]
                if not ws:
                    continue
                words += len(ws)
                pieces += len(tok.encode(para, add_special_tokens=False).ids) + 2
    return pieces / max(words, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/default-ner")
    ap.add_argument("--corpus", default="data/sotu_paragraphs.jsonl")
    ap.add_argument("--ner-s-per-1k-words", type=float, default=0.0,
                    help="NER stage seconds per 1,000 words at 2 threads (scripts/bench-stages.sh)")
    ap.add_argument("--seq-len", type=int, default=48, help="typical window length in pieces")
    args = ap.parse_args()
    cfg = json.load(open(f"{args.model}/config.json"))
    n_labels = len(cfg.get("id2label", {})) or 19

    print(f"ONNX Runtime {ort.__version__}, onnx {onnx.__version__}")
    print("| kind | threads | M | K x N | GFLOP/s (median) |")
    print("|---|---|---|---|---|")
    table = {}
    for int8 in (False, True):
        for threads in (1, 2):
            for m in ROWS:
                for k, n in SHAPES:
                    r = gflops(m, k, n, int8, threads)
                    table[(int8, threads, m, k, n)] = r
                    print(f"| {'int8' if int8 else 'fp32'} | {threads} | {m} | {k}x{n} | {r:.1f} |", flush=True)

    fpp = flops_per_piece(cfg, args.seq_len, n_labels)
    h, i = cfg["hidden_size"], cfg["intermediate_size"]
    # FLOP-weighted mean over one layer's GEMMs at the batch shape (M = 384 rows, 2 threads)
    w = {(h, h): 4 * h * h, (h, i): h * i, (i, h): h * i}
    def peak(int8, threads, m=384):
        total = sum(w.values())
        return sum(table[(int8, threads, m, k, n)] * wt for (k, n), wt in w.items()) / total
    p32, p8 = peak(False, 2), peak(True, 2)
    # The shipped engine (onnx-int8, per-token scales `pt-sq5`): every weight GEMM int8, batches
    # of 8 windows (M ~ 384 rows) in one single-threaded session per worker, 2 workers.
    w8 = 2 * peak(True, 1, 384)
    print()
    print(f"FLOPs per word piece (L={args.seq_len}): {fpp / 1e6:.2f} MFLOP "
          f"(GEMMs {cfg['num_hidden_layers'] * 2 * h * (4 * h + 2 * i) / 1e6:.2f}, attention "
          f"{cfg['num_hidden_layers'] * 4 * args.seq_len * h / 1e6:.2f}, classifier {2 * h * n_labels / 1e6:.3f})")
    print(f"sustained GEMM at the batch shape (M=384, 2 threads, FLOP-weighted over the layer): "
          f"fp32 {p32:.1f} GFLOP/s, int8 {p8:.1f} GOP/s ({p8 / p32:.2f}x)")
    ppw = pieces_per_word(args.model, args.corpus)
    print(f"word pieces per word on {args.corpus}: {ppw:.3f} (with [CLS]/[SEP] per paragraph)")
    bound = p32 * 1e9 / (fpp * ppw)
    bound_mix = w8 * 1e9 / (fpp * ppw)
    bound_int8 = p8 * 1e9 / (fpp * ppw)
    print(f"compute bounds for the encoder (words/s): all fp32 at M=384 {bound:,.0f}; shipped engine "
          f"(all int8, M=384, 2 workers x 1 thread at {w8:.0f} GOP/s) {bound_mix:,.0f}; all int8, one "
          f"session with 2 threads {bound_int8:,.0f}")
    if args.ner_s_per_1k_words > 0:
        ner_wps = 1000.0 / args.ner_s_per_1k_words
        print(f"NER stage measured: {ner_wps:,.0f} words/s = {ner_wps / bound_mix:.1%} of the shipped "
              f"engine's bound, {ner_wps / bound:.1%} of the all-fp32 bound, {ner_wps / bound_int8:.1%} of "
              f"the all-int8 bound")


if __name__ == "__main__":
    main()
