"""Rust (`actorlens score-targets`) vs the Python reference (`stance.py predict`) on the same split:
label agreement and max |Δp|. Exit 1 if agreement < 0.99.

  python3 parity.py RUST.jsonl PY.jsonl
"""
import json
import sys


def load(p):
    return {(r["line"], r["target"]): r for r in map(json.loads, open(p))}


rust, py = load(sys.argv[1]), load(sys.argv[2])
keys = sorted(set(rust) | set(py))
same, both, dmax = 0, 0, 0.0
for k in keys:
    a, b = rust.get(k, {}), py.get(k, {})
    if a.get("stance") is None or b.get("stance") is None:
        same += a.get("stance") == b.get("stance")
        continue
    both += 1
    same += a["stance"] == b["stance"]
    dmax = max(dmax, *(abs(a[f] - b[f]) for f in ("p_negative", "p_neutral", "p_positive")))
agree = same / max(len(keys), 1)
print(f"{len(keys)} targets ({both} scored by both): label agreement {agree:.4f}, max |dp| {dmax:.4f}")
sys.exit(0 if agree >= 0.99 else 1)
