"""Score ClearNLP-style parses (actorlens syntax, spaCy en_core_web_md) against UD English EWT
gold trees, after converting them to UD v2 content-head conventions.

Both parsers predict spaCy's English label set (ClearNLP: prep/pobj, attr/acomp, dobj, ...)
with function-word heads; EWT gold is UD v2 (case/cop/mark attach to the content word). The
same deterministic converter (`convert`, rules below) is applied to both predictions, then
UAS / LAS are computed word by word against gold (gold tokenization and sentences are given to
both parsers, so words align 1:1).

Conversion rules, applied in this order (ClearNLP -> UD v2):
 1. prep + pobj: the object takes the preposition's head; the preposition becomes `case` of the
    object and its other dependents move to the object. The object's label is `obl` when the
    preposition's head is a VERB/AUX/ADJ/ADV (or anything non-nominal), `nmod` when it is a
    NOUN/PROPN/PRON/NUM; `obl:agent` for `agent` ("by"); `obl` for `dative` + pobj ("to him").
    prep + pcomp with a verbal complement ("after leaving"): the verb takes the preposition's
    head as `advcl` (verbal/adjectival head) or `acl` (nominal head), the preposition becomes
    `mark`. Other pcomp complements are treated like pobj. A prep without object (stranded
    / intransitive) keeps its head, labelled `advmod`.
 2. Copula: "be" (AUX/VERB, lemma be) with an `attr` or `acomp` dependent and no `expl`:
    the predicate takes be's head and label, be becomes `cop`, all other dependents of be
    (subject, aux, neg, mark, punct, cc, conj, obl, ...) move to the predicate. With `expl`
    ("there is a man") be stays the head and attr becomes `nsubj`. [PP copula: also a PP
    predicate, "she is in Paris", when be has a subject and no other complement; on by
    default, chosen on EWT dev (+0.9 UAS for both parsers); --no-pp-copula turns it off.]
 3. Labels: nsubj, csubj, amod, det, compound, nummod, advmod, advcl, ccomp, xcomp, acl,
    mark, punct, cc, conj, appos, expl, case, nmod, parataxis, dep kept; ROOT->root,
    dobj->obj, dative->iobj, nsubjpass->nsubj:pass, csubjpass->csubj:pass, auxpass->aux:pass,
    aux "to"->mark (else aux), neg->advmod, poss->nmod:poss, prt->compound:prt,
    relcl->acl:relcl, attr/acomp/oprd (not under a copula)->xcomp, npadvmod->obl:unmarked
    (nmod:unmarked under a nominal head), quantmod->advmod, predet->det:predet,
    preconj->cc:preconj, intj->discourse, meta->parataxis, pobj left without a preposition->obl,
    compound on an ADJ->amod.
 4. Coordination (UD v2): chains of conj are flattened onto the first conjunct; cc and the
    commas/semicolons between conjuncts attach to the following conjunct.
 5. A hyphen between two words of a compound ("search - engine") attaches to the word before.
 6. [--flat-names, off: lowers dev scores] chains of PROPN joined by compound become head-first
    `flat` (EWT uses flat mainly for person names, compound for other names).

Scores: UAS (head), LAS (head + universal label, the part before ':', as the CoNLL 2018
shared-task LAS), LAS full (head + full label), with and without punctuation (gold UPOS PUNCT).
Headline: punctuation included (CoNLL 2018 convention). UPOS accuracy vs gold UPOS. Also the
unconverted scores (ClearNLP trees straight against UD gold) and two checks of the converter on
gold: (a) the share of gold arcs whose label the converter can never produce (flat, list, fixed,
vocative, goeswith, ...: a LAS ceiling), (b) a round trip: gold UD -> function-head
(case/cop undone as ClearNLP prep/pobj and attr/acomp) -> convert -> compare with gold.

    python3 training/syntax/ewt_eval.py --gold en_ewt-ud-test.conllu \
        --pred "actorlens syntax=build/ewt/actorlens.test.conllu" \
        --pred "spaCy en_core_web_md=build/ewt/spacy.test.conllu" --json build/ewt/scores.json
"""

import argparse
import json
import sys
from collections import Counter

NOMINAL = {"NOUN", "PROPN", "PRON", "NUM"}
BE_FORMS = {"be", "is", "am", "are", "was", "were", "been", "being", "'s", "'re", "'m", "\u2019s",
            "\u2019re", "\u2019m", "s", "re", "m"}
LABEL_MAP = {
    "root": "root", "dobj": "obj", "dative": "iobj", "nsubjpass": "nsubj:pass",
    "csubjpass": "csubj:pass", "auxpass": "aux:pass", "neg": "advmod", "poss": "nmod:poss",
    "prt": "compound:prt", "relcl": "acl:relcl", "attr": "xcomp", "acomp": "xcomp",
    "oprd": "xcomp", "quantmod": "advmod", "predet": "det:predet", "preconj": "cc:preconj",
    "intj": "discourse", "meta": "parataxis", "pobj": "obl", "pcomp": "obl", "prep": "advmod",
    "agent": "obl",
}
KEPT = {"nsubj", "csubj", "amod", "det", "compound", "nummod", "advmod", "advcl", "ccomp", "xcomp",
        "acl", "mark", "punct", "cc", "conj", "appos", "expl", "case", "nmod", "parataxis", "dep",
        "aux", "cop", "obl", "iobj", "obj"}
# every label the converter can emit (universal part)
REACHABLE = {l.split(":")[0] for l in list(LABEL_MAP.values()) + list(KEPT)} | {"flat"}


def read_conllu(path):
    """Sentences as lists of dicts (word lines only; head as 0-based index, -1 = root)."""
    sents, cur = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                if cur:
                    sents.append(cur)
                cur = []
                continue
            if line.startswith("#"):
                continue
            c = line.split("\t")
            if "-" in c[0] or "." in c[0]:
                continue
            cur.append({"form": c[1], "lemma": c[2], "upos": c[3], "head": int(c[6]) - 1,
                        "rel": c[7]})
    if cur:
        sents.append(cur)
    return sents


def is_be(t):
    return t["upos"] in ("AUX", "VERB") and (t["lemma"].lower() == "be" or t["form"].lower() in BE_FORMS)


def convert(sent, pp_copula=True, flat_names=False):
    """ClearNLP-style tree -> UD v2. Returns (heads, rels): 0-based heads (-1 = root), labels."""
    n = len(sent)
    head = [t["head"] for t in sent]
    rel = [t["rel"].lower() for t in sent]
    upos = [t["upos"] for t in sent]

    def kids(i):
        return [j for j in range(n) if head[j] == i]

    def move_children(src, dst, keep=()):
        for k in kids(src):
            if k != dst and k not in keep:
                head[k] = dst

    # 1. prepositions
    for p in range(n):
        if rel[p] not in ("prep", "agent", "dative"):
            continue
        ks = kids(p)
        objs = [k for k in ks if rel[k] == "pobj"]
        comps = [k for k in ks if rel[k] == "pcomp"]
        h = head[p]
        hpos = upos[h] if h >= 0 else "VERB"
        if objs or (comps and upos[comps[0]] not in ("VERB", "AUX")):
            o = (objs or comps)[0]
            if rel[p] == "agent":
                new = "obl:agent"
            elif rel[p] == "dative":
                new = "obl"
            else:
                new = "nmod" if hpos in NOMINAL else "obl"
            head[o], rel[o] = h, new
            move_children(p, o)
            head[p], rel[p] = o, "case"
        elif comps:
            v = comps[0]
            head[v], rel[v] = h, ("acl" if hpos in NOMINAL else "advcl")
            move_children(p, v)
            head[p], rel[p] = v, "mark"

    # 2. copula
    for c in range(n):
        if not is_be(sent[c]):
            continue
        ks = kids(c)
        if any(rel[k] == "expl" for k in ks):
            for k in ks:
                if rel[k] == "attr":
                    rel[k] = "nsubj"
            continue
        preds = [k for k in ks if rel[k] in ("attr", "acomp")]
        if not preds and pp_copula:
            has_subj = any(rel[k] in ("nsubj", "csubj") for k in ks)
            other = any(rel[k] in ("dobj", "xcomp", "ccomp", "oprd") for k in ks)
            if has_subj and not other:
                preds = [k for k in ks if k > c and rel[k] == "obl"][:1]
        if not preds:
            continue
        x = preds[0]
        head[x], rel[x] = head[c], rel[c]
        move_children(c, x)
        head[c], rel[c] = x, "cop"

    # 3. labels
    for i in range(n):
        r = rel[i]
        h = head[i]
        if r == "aux" and (sent[i]["form"].lower() == "to" or upos[i] == "PART"):
            rel[i] = "mark"
        elif r == "npadvmod":
            rel[i] = "nmod:unmarked" if h >= 0 and upos[h] in NOMINAL else "obl:unmarked"
        elif r == "dative" and upos[i] == "ADP":
            rel[i] = "obl"
        elif r == "compound" and upos[i] == "ADJ":
            rel[i] = "amod"
        elif r in LABEL_MAP:
            rel[i] = LABEL_MAP[r]

    # 4. coordination: flatten conj chains, cc / separators to the following conjunct
    for i in range(n):
        if rel[i] == "conj":
            h, seen = head[i], 0
            while h >= 0 and rel[h] == "conj" and seen < n:
                h, seen = head[h], seen + 1
            head[i] = h
    for i in range(n):
        if rel[i] == "cc" or (rel[i] == "punct" and sent[i]["form"] in (",", ";")):
            h = head[i]
            if h < 0:
                continue
            r = head[h] if rel[h] == "conj" else h
            group = [r] + [k for k in kids(r) if rel[k] == "conj"] if r >= 0 else []
            right = [k for k in group if k > i]
            if len(group) > 1 and right and (rel[i] == "cc" or any(k < i for k in group)):
                head[i] = min(right)

    # 5. hyphens inside a word ("search - engine", "full - fledged") attach to the word before
    for i in range(1, n - 1):
        if upos[i] == "PUNCT" and sent[i]["form"] in ("-", "\u2013") and head[i] == i + 1 \
                and head[i - 1] == i + 1:
            head[i] = i - 1

    # 6. flat names
    if flat_names:
        i = 0
        while i < n:
            j = i
            while j + 1 < n and upos[j] == "PROPN" and rel[j] == "compound" and head[j] > j \
                    and all(upos[k] == "PROPN" for k in range(j, head[j] + 1)):
                j = head[j]
            if j > i and upos[j] == "PROPN":
                top_h, top_r = head[j], rel[j]
                span = range(i, j + 1)
                for k in span:
                    if k != i:
                        move_children(k, i, keep=span)
                for k in span:
                    if k != i:
                        head[k], rel[k] = i, "flat"
                head[i], rel[i] = top_h, top_r
                i = j + 1
            else:
                i += 1
    return head, rel


def unconvert_gold(sent):
    """UD gold -> function-head ClearNLP-style (case -> prep/pobj, cop -> be head with attr/acomp);
    used to check the converter by a round trip."""
    out = [dict(t) for t in sent]
    n = len(out)
    kids = lambda i: [j for j in range(n) if out[j]["head"] == i]  # noqa: E731
    # cop first (the predicate's clause dependents go back to be)
    clause = {"nsubj", "nsubj:pass", "csubj", "aux", "aux:pass", "mark", "punct", "cc", "conj",
              "advmod", "advcl", "obl", "obl:unmarked", "parataxis", "discourse", "ccomp", "xcomp",
              "expl", "vocative", "nsubj:outer", "dep", "cc:preconj"}
    for x in range(n):
        cops = [k for k in kids(x) if out[k]["rel"] == "cop"]
        if not cops:
            continue
        c = cops[0]
        out[c]["head"], out[c]["rel"] = out[x]["head"], ("ROOT" if out[x]["rel"] == "root" else out[x]["rel"])
        for k in kids(x):
            if k != c and out[k]["rel"] in clause:
                out[k]["head"] = c
        out[x]["head"] = c
        out[x]["rel"] = "acomp" if out[x]["upos"] in ("ADJ", "ADV") else "attr"
    for o in range(n):
        cases = [k for k in kids(o) if out[k]["rel"] == "case" and out[k]["upos"] == "ADP"
                 and out[k]["form"].lower() not in ("'s", "'", "\u2019s")]
        if not cases or out[o]["rel"] not in ("obl", "nmod", "obl:agent"):
            continue
        p = cases[0]
        out[p]["head"] = out[o]["head"]
        out[p]["rel"] = "agent" if out[o]["rel"] == "obl:agent" else "prep"
        out[o]["head"], out[o]["rel"] = p, "pobj"
    return out


def score(gold, pred, conv=True, **kw):
    c = Counter()
    for gs, ps in zip(gold, pred):
        assert len(gs) == len(ps), "tokenization mismatch"
        if conv:
            heads, rels = convert(ps, **kw)
        else:
            heads = [t["head"] for t in ps]
            rels = ["root" if t["rel"] == "ROOT" else t["rel"] for t in ps]
        for g, p, h, r in zip(gs, ps, heads, rels):
            punct = g["upos"] == "PUNCT"
            hok = h == g["head"]
            lok = hok and r.split(":")[0] == g["rel"].split(":")[0]
            fok = hok and r == g["rel"]
            for suf in ("", "_np") if not punct else ("",):
                c["n" + suf] += 1
                c["uas" + suf] += hok
                c["las" + suf] += lok
                c["lasfull" + suf] += fok
            c["upos"] += p["upos"] == g["upos"]
    pc = lambda a: round(100.0 * c[a] / max(1, c["n" + ("_np" if a.endswith("_np") else "")]), 2)  # noqa: E731
    return {"words": c["n"], "words_no_punct": c["n_np"], "upos": pc("upos"), "uas": pc("uas"),
            "las": pc("las"), "las_full": pc("lasfull"), "uas_no_punct": pc("uas_np"),
            "las_no_punct": pc("las_np"), "las_full_no_punct": pc("lasfull_np")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", required=True)
    ap.add_argument("--pred", action="append", required=True, help="NAME=PATH (CoNLL-U)")
    ap.add_argument("--json")
    ap.add_argument("--no-pp-copula", dest="pp_copula", action="store_false")
    ap.add_argument("--flat-names", action="store_true")
    a = ap.parse_args()
    kw = {"pp_copula": a.pp_copula, "flat_names": a.flat_names}
    gold = read_conllu(a.gold)
    res = {"gold": a.gold, "options": kw, "parsers": {}}
    for spec in a.pred:
        name, path = spec.split("=", 1)
        pred = read_conllu(path)
        if len(pred) != len(gold):
            sys.exit(f"{path}: {len(pred)} sentences, gold has {len(gold)}")
        res["parsers"][name] = {"converted": score(gold, pred, True, **kw),
                                "unconverted": score(gold, pred, False)}
    # converter checks on gold
    labels = Counter(t["rel"].split(":")[0] for s in gold for t in s)
    total = sum(labels.values())
    reach = REACHABLE if a.flat_names else REACHABLE - {"flat"}
    unreach = {l: k for l, k in labels.most_common() if l not in reach}
    rt = score(gold, [unconvert_gold(s) for s in gold], True, **kw)
    res["gold_checks"] = {
        "unreachable_label_share": round(100.0 * sum(unreach.values()) / total, 2),
        "unreachable_labels": unreach,
        "round_trip_uas": rt["uas"], "round_trip_las": rt["las"], "round_trip_las_full": rt["las_full"],
    }

    print("| parser | UPOS | UAS | LAS | UAS (no punct) | LAS (no punct) |")
    print("|---|---|---|---|---|---|")
    for name, r in res["parsers"].items():
        m = r["converted"]
        print(f"| {name} | {m['upos']:.2f} | {m['uas']:.2f} | {m['las']:.2f} | "
              f"{m['uas_no_punct']:.2f} | {m['las_no_punct']:.2f} |")
    print()
    print("full-label LAS (with subtypes, punct incl. / excl.) and unconverted ClearNLP trees vs UD gold:")
    print("| parser | LAS full | LAS full (no punct) | unconverted UAS | unconverted LAS |")
    print("|---|---|---|---|---|")
    for name, r in res["parsers"].items():
        m, u = r["converted"], r["unconverted"]
        print(f"| {name} | {m['las_full']:.2f} | {m['las_full_no_punct']:.2f} | {u['uas']:.2f} | {u['las']:.2f} |")
    g = res["gold_checks"]
    print()
    print(f"converter checks on gold: {g['unreachable_label_share']:.2f}% of gold arcs carry a label the "
          f"converter never emits ({', '.join(f'{l} {k}' for l, k in unreach.items())}); round trip "
          f"gold -> function heads -> convert: UAS {g['round_trip_uas']:.2f}, LAS {g['round_trip_las']:.2f}")
    print(f"({res['parsers'][next(iter(res['parsers']))]['converted']['words']} words; headline: "
          f"punctuation included; LAS = universal label)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
