#!/usr/bin/env python3
"""Score claimed-action extractors against the hand-labelled dev set (make actions-eval).

Gold: tests/data/actions_dev.jsonl (one object per action), passages: tests/data/actions_dev.txt.
Conventions: tests/data/ACTIONS_DEV.md. Standard library only.

  actions_eval.py --passages P.txt --to-jsonl OUT.jsonl        # passages -> {"id","text"} JSONL
  actions_eval.py --passages P.txt --gold G.jsonl \
      --actorlens DIR [--peer peer.csv] [--dump judgments.csv]  # the table

Systems: an actorlens --out folder (actions.csv + sentences.csv; a row's sentence span comes from
sentence_idx and sentences.csv start_char/end_char, Python str indices), and/or a CSV with
doc_id, sent_start_char, sent_end_char, agent_text, verb_lemma, target_text, negated,
source_text (scripts/actions_peer_spacy.py writes it).

Matching rules (also in ACTIONS_DEV.md):
 1. Sentence: a row can only match gold actions of the same passage (doc_id) whose gold sentence
    (located by its text in the passage) overlaps the row's sentence span by >= 50% of the
    shorter of the two spans (so a segmenter that merges or splits sentences still matches).
 2. Verb: strict = system verb_lemma equals gold verb (lower-cased, spaces collapsed);
    lenient = equal first word (particles/prepositions/light-verb nouns dropped: "take" ~
    "take advantage of"). A pair needs at least a lenient verb match.
 3. Phrases (agent, target, source): gold null <=> system empty; else the system text must
    contain one of the gold heads (agent_head etc., '|'-separated alternatives, as a token,
    case-insensitive) AND either token-overlap F1 with the gold phrase >= 0.5 or all system
    tokens occur in the gold phrase (a shorter phrase with the right head is fine).
 4. Negation: equal booleans.
 5. One-to-one: every (row, gold) pair with a lenient verb match gets a score (strict verb 2,
    then +1 each for agent, target, negation, source right); pairs are taken greedily, best
    first, so each gold action matches at most one row and each row at most one gold action.
 6. Coordinated arguments: a gold action whose agent or target coordinates several heads
    ('|'-separated heads of a phrase holding "and"/"or"/",") may be matched by one row per
    head (a system that writes one row per conjunct actor, as actorlens does, is not charged for
    the second row); each such row must still pass rules 1-5 on its own.
Reported: recall = gold actions matched with a strict verb match (lenient in its own column);
fully correct = system rows (in dev passages) matched with strict verb AND agent, target and
negation right, over all system rows; agent/target/negation/source ok = over strictly matched
pairs.
"""
import argparse
import csv
import json
import re
import sys
from collections import defaultdict

TOKEN = re.compile(r"\w+(?:['’]\w+)*|'s", re.UNICODE)


def read_passages(path):
    ps, cur = [], None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("### "):
                pid, _, note = line[4:].partition(" ")
                cur = {"id": pid, "note": note, "lines": []}
                ps.append(cur)
            elif cur is not None:
                cur["lines"].append(line)
    for p in ps:
        p["text"] = "\n".join(p["lines"]).strip()
    return ps


def toks(s):
    return [t.lower().replace("’", "'") for t in TOKEN.findall(s or "")]


def norm_verb(v):
    return " ".join((v or "").lower().split())


def phrase_ok(sys_text, gold_text, gold_heads):
    sys_text = (sys_text or "").strip()
    if not gold_text:
        return not sys_text
    if not sys_text:
        return False
    st, gt = toks(sys_text), toks(gold_text)
    heads = [toks(h) for h in (gold_heads or "").split("|") if h]
    if heads and not any(h and all(x in st for x in h) for h in heads):
        return False
    common = sum(min(st.count(t), gt.count(t)) for t in set(st))
    if common == 0:
        return False
    p, r = common / len(st), common / len(gt)
    return 2 * p * r / (p + r) >= 0.5 or all(t in gt for t in st)


def truthy(v):
    return str(v).strip().lower() in ("true", "1", "yes", "t")


def overlap_ok(a, b):
    inter = min(a[1], b[1]) - max(a[0], b[0])
    shorter = max(1, min(a[1] - a[0], b[1] - b[0]))
    return inter > 0 and inter / shorter >= 0.5


def load_gold(path, passages):
    gold = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if not line.strip():
                continue
            g = json.loads(line)
            text = passages[g["passage"]]["text"]
            start = text.find(g["sentence"])
            if start < 0:
                sys.exit(f"gold line {n + 1}: sentence not found in passage {g['passage']}")
            g["span"] = (start, start + len(g["sentence"]))
            g["n"] = n
            gold.append(g)
    return gold


def load_actorlens(folder):
    spans = {}
    with open(f"{folder}/sentences.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            spans[(r["doc_id"], r["sentence_idx"])] = (int(r["start_char"]), int(r["end_char"]))
    rows = []
    with open(f"{folder}/actions.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            span = spans.get((r["doc_id"], r["sentence_idx"]), (int(r["start_char"]), int(r["end_char"])))
            rows.append(dict(r, span=span))
    return rows


def load_peer(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return [dict(r, span=(int(r["sent_start_char"]), int(r["sent_end_char"]))) for r in csv.DictReader(fh)]


def judge(row, g):
    return {
        "verb_strict": norm_verb(row["verb_lemma"]) == norm_verb(g["verb"]),
        "verb_lenient": norm_verb(row["verb_lemma"]).split()[:1] == norm_verb(g["verb"]).split()[:1],
        "agent": phrase_ok(row.get("agent_text"), g["agent"], g["agent_head"]),
        "target": phrase_ok(row.get("target_text"), g["target"], g["target_head"]),
        "negation": truthy(row.get("negated")) == bool(g["negated"]),
        "source": phrase_ok(row.get("source_text"), g["source"], g["source_head"]),
    }


def score(name, rows, gold, passages, dump):
    by_doc = defaultdict(list)
    for g in gold:
        by_doc[g["passage"]].append(g)
    rows = [r for r in rows if r["doc_id"] in passages]
    pairs = []
    for i, r in enumerate(rows):
        for g in by_doc[r["doc_id"]]:
            if not overlap_ok(r["span"], g["span"]):
                continue
            j = judge(r, g)
            if j["verb_lenient"]:
                s = 2 * j["verb_strict"] + j["agent"] + j["target"] + j["negation"] + j["source"]
                pairs.append((-s, i, g["n"], j))
    pairs.sort(key=lambda p: (p[0], p[1], p[2]))
    row_match, gold_match = {}, {}
    gidx_all = {g["n"]: g for g in gold}

    def capacity(g):
        best = 1
        for ph, hd in ((g["agent"], g["agent_head"]), (g["target"], g["target_head"])):
            if ph and hd and re.search(r"\b(and|or)\b|,", ph):
                best = max(best, len([h for h in hd.split("|") if h]))
        return best

    used = defaultdict(int)
    for s, i, n, j in pairs:
        if i in row_match:
            continue
        if n in gold_match:
            # a further conjunct row of a coordinated argument (rule 6)
            if used[n] >= capacity(gidx_all[n]) or not (j["verb_strict"] and gold_match[n][1]["verb_strict"]):
                continue
            row_match[i] = (n, j)
            used[n] += 1
            continue
        row_match[i], gold_match[n] = (n, j), (i, j)
        used[n] = 1
    strict = [j for _, j in gold_match.values() if j["verb_strict"]]
    full = [j for _, j in row_match.values() if j["verb_strict"] and j["agent"] and j["target"] and j["negation"]]
    pct = lambda a, b: f"{100 * a / b:.1f}%" if b else "–"
    res = {
        "system": name, "gold": len(gold), "rows": len(rows),
        "recall": pct(len(strict), len(gold)), "recall (lenient verb)": pct(len(gold_match), len(gold)),
        "fully correct": f"{pct(len(full), len(rows))} ({len(full)})",
        "agent ok": pct(sum(j["agent"] for j in strict), len(strict)),
        "target ok": pct(sum(j["target"] for j in strict), len(strict)),
        "negation ok": pct(sum(j["negation"] for j in strict), len(strict)),
        "source ok": pct(sum(j["source"] for j in strict), len(strict)),
    }
    groups = defaultdict(lambda: [0, 0])
    for g in gold:
        for key in ("kind:" + g["kind"], "from:" + g["passage"].split("-")[0]):
            groups[key][0] += 1
            m = gold_match.get(g["n"])
            groups[key][1] += bool(m and m[1]["verb_strict"])
    res["breakdown"] = {k: pct(v[1], v[0]) + f" of {v[0]}" for k, v in sorted(groups.items())}
    if dump is not None:
        gidx = {g["n"]: g for g in gold}
        for i, r in enumerate(rows):
            n, j = row_match.get(i, (None, None))
            g = gidx.get(n)
            dump.append({"system": name, "doc_id": r["doc_id"], "sys_agent": r.get("agent_text", ""),
                         "sys_verb": r["verb_lemma"], "sys_target": r.get("target_text", ""),
                         "sys_negated": truthy(r.get("negated")), "sys_source": r.get("source_text", ""),
                         "gold_line": "" if g is None else n + 1, "gold_agent": g and g["agent"],
                         "gold_verb": g and g["verb"], "gold_target": g and g["target"],
                         "gold_negated": g and g["negated"], "gold_source": g and g["source"],
                         **{k: ("" if j is None else j[k]) for k in ("verb_strict", "agent", "target", "negation", "source")},
                         "sentence": "" if g is None else g["sentence"]})
        for g in gold:
            if g["n"] not in gold_match:
                dump.append({"system": name, "doc_id": g["passage"], "gold_line": g["n"] + 1,
                             "gold_agent": g["agent"], "gold_verb": g["verb"], "gold_target": g["target"],
                             "gold_negated": g["negated"], "gold_source": g["source"], "verb_strict": "MISSED",
                             "sentence": g["sentence"]})
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--passages", required=True)
    ap.add_argument("--to-jsonl")
    ap.add_argument("--gold")
    ap.add_argument("--actorlens", help="actorlens --out folder")
    ap.add_argument("--peer", help="peer CSV (scripts/actions_peer_spacy.py)")
    ap.add_argument("--peer-name", default="spaCy SVO peer")
    ap.add_argument("--dump", help="per-row judgments CSV")
    a = ap.parse_args()
    plist = read_passages(a.passages)
    if a.to_jsonl:
        with open(a.to_jsonl, "w", encoding="utf-8") as fh:
            for p in plist:
                fh.write(json.dumps({"id": p["id"], "text": p["text"]}, ensure_ascii=False) + "\n")
        print(f"{len(plist)} passages -> {a.to_jsonl}")
        return
    passages = {p["id"]: p for p in plist}
    gold = load_gold(a.gold, passages)
    dump = [] if a.dump else None
    results = []
    if a.actorlens:
        results.append(score("actorlens", load_actorlens(a.actorlens), gold, passages, dump))
    if a.peer:
        results.append(score(a.peer_name, load_peer(a.peer), gold, passages, dump))
    cols = ["system", "gold", "rows", "recall", "recall (lenient verb)", "fully correct",
            "agent ok", "target ok", "negation ok", "source ok"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in results:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    keys = sorted({k for r in results for k in r["breakdown"]})
    print("\nrecall by group (strict verb):\n")
    print("| group | " + " | ".join(r["system"] for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for k in keys:
        print(f"| {k} | " + " | ".join(r["breakdown"].get(k, "–") for r in results) + " |")
    if dump is not None:
        fields = ["system", "doc_id", "sys_agent", "sys_verb", "sys_target", "sys_negated", "sys_source",
                  "gold_line", "gold_agent", "gold_verb", "gold_target", "gold_negated", "gold_source",
                  "verb_strict", "agent", "target", "negation", "source", "sentence"]
        with open(a.dump, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(dump)
        print(f"\nper-row judgments: {a.dump} (gold_line = line in the gold file; verb_strict MISSED = unmatched gold)")


if __name__ == "__main__":
    main()
