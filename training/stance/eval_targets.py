"""F1m / accuracy / per-class P/R of `actorlens score-targets` output against NewsMTSC gold.

  python3 eval_targets.py NAME=FILE.jsonl ...   (plain Python 3, no packages)

NewsMTSC polarity: 2 = negative, 4 = neutral, 6 = positive; the metric is the paper's macro-F1
over the three classes. A target the engine could not score counts as wrong (neutral guessed
would flatter the engine), and is reported.
"""
import json
import sys

GOLD = {2.0: "against", 4.0: "neutral", 6.0: "favour"}
CLASSES = ["against", "neutral", "favour"]
SHOW = {"against": "neg", "neutral": "neu", "favour": "pos"}


def score(path):
    gold, pred, missing = [], [], 0
    for line in open(path):
        r = json.loads(line)
        if "polarity" not in r or r.get("polarity") is None:
            continue
        gold.append(GOLD[float(r["polarity"])])
        if r.get("stance") is None:
            missing += 1
            pred.append(None)
        else:
            pred.append(r["stance"])
    per, f1s = {}, []
    for c in CLASSES:
        tp = sum(g == c and p == c for g, p in zip(gold, pred))
        fp = sum(g != c and p == c for g, p in zip(gold, pred))
        fn = sum(g == c and p != c for g, p in zip(gold, pred))
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * pr * rc / (pr + rc) if pr + rc else 0.0)
        per[c] = (pr, rc)
    acc = sum(g == p for g, p in zip(gold, pred)) / max(len(gold), 1)
    return {"n": len(gold), "f1m": sum(f1s) / 3, "acc": acc, "per": per, "missing": missing}


def main():
    print(f"| engine | split | n | F1m | acc | " + " | ".join(f"{SHOW[c]} P/R" for c in CLASSES) + " | unscored |")
    print("|---|---|---|---|---|" + "---|" * len(CLASSES) + "---|")
    for arg in sys.argv[1:]:
        name, path = arg.split("=", 1)
        engine, split = name.split(":", 1) if ":" in name else (name, "")
        s = score(path)
        cells = " | ".join(f"{s['per'][c][0]:.3f} / {s['per'][c][1]:.3f}" for c in CLASSES)
        print(f"| {engine} | {split} | {s['n']} | {s['f1m']:.3f} | {s['acc']:.3f} | {cells} | {s['missing']} |")
    print("\nPublished (NewsMTSC paper, Table 2, F1m on the *test* splits rw / mt): "
          "RoBERTa GRU-TSC 83.1 / 82.5; BERT SPC 80.1 / 73.7.")


if __name__ == "__main__":
    main()
