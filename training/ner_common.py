"""Shared definitions for the actorlens default NER model (labels, case flag, Viterbi).

The Rust side (src/) implements the identical logic; keep them in sync:
  * labels: id 0 = "O", then B-T, I-T for T in TYPES (order below) -> 37 labels
  * token_type_ids = case flag: 1 if the ORIGINAL text slice of a word piece
    (tokenizer offset_mapping into the un-lowercased string) contains an uppercase char
  * words = BertPreTokenizer words (whitespace + punctuation split); the label of a
    word is read from its FIRST word piece
  * decoding = BIO-constrained Viterbi over per-word log-softmax scores
"""
import hashlib
import os
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np

TYPES = ["PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART",
         "LAW", "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"]
LABELS = ["O"] + [f"{p}-{t}" for t in TYPES for p in ("B", "I")]
LABEL2ID = {l: i for i, l in enumerate(LABELS)}
MAX_LENGTH = 128  # word pieces incl. [CLS] and [SEP]
ACTORLENS_META = {"token_types": "case_flag", "decoding": "bio_viterbi", "label_scheme": "BIO",
                  "max_length": MAX_LENGTH}


def sha256(path):
    """Hex sha256 of a file (model cards, ONNX metadata)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def case_flags(text, offsets, special_mask=None):
    """token_type_ids: 1 if text[s:e] has an uppercase char; special tokens (0,0 offsets) get 0."""
    out = []
    for i, (s, e) in enumerate(offsets):
        if (special_mask is not None and special_mask[i]) or e <= s:
            out.append(0)
        else:
            out.append(1 if any(c.isupper() for c in text[s:e]) else 0)
    return out


def load_tokenizer(path):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def encode_words(tok, text):
    """Tokenise text (no specials). Returns (ids, offsets, word_ids) for the pieces."""
    enc = tok.encode(text, add_special_tokens=False)
    return enc.ids, enc.offsets, enc.word_ids


def word_spans(offsets, word_ids):
    """Per word: (first_piece_index, start_char, end_char)."""
    spans = []
    cur = None
    for i, (w, (s, e)) in enumerate(zip(word_ids, offsets)):
        if w is None:
            continue
        if w != cur:
            spans.append([i, s, e])
            cur = w
        else:
            spans[-1][2] = e
    return [tuple(x) for x in spans]


def chunk_text(tok, text, max_pieces=MAX_LENGTH - 2):
    """Split text at word boundaries into segments of <= max_pieces pieces.
    Returns list of (char_offset, segment_text)."""
    ids, offs, wids = encode_words(tok, text)
    if len(ids) <= max_pieces:
        return [(0, text)]
    ws = word_spans(offs, wids)
    segs = []
    start_w = 0
    while start_w < len(ws):
        first_piece = ws[start_w][0]
        end_w = start_w
        while end_w + 1 < len(ws) and (ws[end_w + 2][0] if end_w + 2 < len(ws) else len(ids)) - first_piece <= max_pieces:
            end_w += 1
        if end_w == start_w and (ws[start_w + 1][0] if start_w + 1 < len(ws) else len(ids)) - first_piece > max_pieces:
            pass  # a single word longer than max_pieces: truncated by encode_segment
        cs, ce = ws[start_w][1], ws[end_w][2]
        segs.append((cs, text[cs:ce]))
        start_w = end_w + 1
    return segs


def encode_segment(tok, text):
    """Model inputs for one segment: ids/type_ids with [CLS]/[SEP], plus word spans
    (piece index in the full sequence incl. [CLS], start_char, end_char)."""
    ids, offs, wids = encode_words(tok, text)
    ids = ids[:MAX_LENGTH - 2]
    offs = offs[:MAX_LENGTH - 2]
    wids = wids[:MAX_LENGTH - 2]
    cls_id = tok.token_to_id("[CLS]")
    sep_id = tok.token_to_id("[SEP]")
    tt = case_flags(text, offs)
    ws = [(i + 1, s, e) for (i, s, e) in word_spans(offs, wids)]
    return [cls_id] + ids + [sep_id], [0] + tt + [0], ws


def word_labels(ws, ents):
    """BIO label id per word from char-span entities [(start,end,label)], snapping
    entity boundaries to the words they overlap."""
    lab = [0] * len(ws)
    for (s, e, t) in sorted(ents):
        if t not in TYPES:
            continue
        idx = [k for k, (_, ws_, we_) in enumerate(ws) if ws_ < e and we_ > s]
        if not idx or any(lab[k] != 0 for k in idx):
            continue
        lab[idx[0]] = LABEL2ID["B-" + t]
        for k in idx[1:]:
            lab[k] = LABEL2ID["I-" + t]
    return lab


def _allowed():
    n = len(LABELS)
    trans = np.zeros((n, n), dtype=np.float32)  # trans[prev, cur]
    start = np.zeros(n, dtype=np.float32)
    for j, l in enumerate(LABELS):
        if l.startswith("I-"):
            start[j] = -np.inf
            t = l[2:]
            for i, p in enumerate(LABELS):
                if p not in ("B-" + t, "I-" + t):
                    trans[i, j] = -np.inf
    return trans, start


TRANS, START = _allowed()


def viterbi(logp):
    """logp: [n_words, n_labels] log-softmax scores. Returns best BIO-valid label ids.
    Ties broken towards the lowest label id (np.argmax)."""
    n = logp.shape[0]
    if n == 0:
        return []
    score = START + logp[0]
    back = np.zeros((n, logp.shape[1]), dtype=np.int64)
    for k in range(1, n):
        cand = score[:, None] + TRANS  # [prev, cur]
        back[k] = np.argmax(cand, axis=0)
        score = cand[back[k], np.arange(cand.shape[1])] + logp[k]
    best = [int(np.argmax(score))]
    for k in range(n - 1, 0, -1):
        best.append(int(back[k][best[-1]]))
    return best[::-1]


def decode_entities(ws, labels, offset=0):
    """Word spans + BIO label ids -> [(start_char, end_char, TYPE)]. An I-X not following
    B-X/I-X starts a new entity (cannot happen after Viterbi)."""
    ents = []
    cur = None
    for (_, s, e), li in zip(ws, labels):
        l = LABELS[li]
        if l == "O":
            if cur:
                ents.append(tuple(cur)); cur = None
            continue
        p, t = l.split("-", 1)
        if p == "I" and cur and cur[2] == t:
            cur[1] = e + offset
        else:
            if cur:
                ents.append(tuple(cur))
            cur = [s + offset, e + offset, t]
    if cur:
        ents.append(tuple(cur))
    return ents


def prf(gold, pred):
    """Micro P/R/F1 over sets of hashable entity tuples."""
    gold, pred = set(gold), set(pred)
    tp = len(gold & pred)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(gold) if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, tp, len(gold), len(pred)
