"""Model-side helpers: dataset encoding, batched prediction (case flag + Viterbi), export."""
import json, os, shutil
import numpy as np
import torch

from ner_common import (LABELS, LABEL2ID, ACTORLENS_META, MAX_LENGTH, chunk_text, encode_segment,
                        word_labels, viterbi, decode_entities, load_tokenizer)


def encode_for_training(tok, recs):
    """Sentence records {text, ents} -> list of (ids, type_ids, piece_labels)."""
    out = []
    for r in recs:
        for off, seg in chunk_text(tok, r["text"]):
            ids, tt, ws = encode_segment(tok, seg)
            ents = [(s - off, e - off, t) for s, e, t in r["ents"] if s >= off and e <= off + len(seg)]
            wl = word_labels([(0, s, e) for (_, s, e) in ws], ents)
            lab = [-100] * len(ids)
            for (p, _, _), l in zip(ws, wl):
                lab[p] = l
            out.append((ids, tt, lab))
    return out


def pad_batch(items, with_labels=True):
    n = max(len(x[0]) for x in items)
    B = len(items)
    ids = torch.zeros((B, n), dtype=torch.long)
    tt = torch.zeros((B, n), dtype=torch.long)
    am = torch.zeros((B, n), dtype=torch.long)
    lab = torch.full((B, n), -100, dtype=torch.long)
    for i, x in enumerate(items):
        L = len(x[0])
        ids[i, :L] = torch.tensor(x[0]); tt[i, :L] = torch.tensor(x[1]); am[i, :L] = 1
        if with_labels:
            lab[i, :L] = torch.tensor(x[2])
    return ids, tt, am, lab


@torch.inference_mode()
def predict(model, tok, texts, batch_size=64, decoding="viterbi"):
    """texts -> list of entity lists [(start_char, end_char, TYPE)] (char offsets into each text)."""
    model.eval()
    segs = []  # (text_idx, offset, ids, tt, ws)
    for i, t in enumerate(texts):
        for off, seg in chunk_text(tok, t):
            ids, tt, ws = encode_segment(tok, seg)
            segs.append((i, off, ids, tt, ws))
    order = sorted(range(len(segs)), key=lambda k: len(segs[k][2]))
    res = [[] for _ in texts]
    for b in range(0, len(order), batch_size):
        idx = order[b:b + batch_size]
        ids, tt, am, _ = pad_batch([(segs[k][2], segs[k][3]) for k in idx], with_labels=False)
        logits = model(input_ids=ids, token_type_ids=tt, attention_mask=am).logits
        logp = torch.log_softmax(logits.float(), dim=-1).numpy()
        for j, k in enumerate(idx):
            ti, off, _, _, ws = segs[k]
            if not ws:
                continue
            lp = logp[j, [p for (p, _, _) in ws]]
            labs = viterbi(lp) if decoding == "viterbi" else [int(x) for x in lp.argmax(-1)]
            res[ti].extend(decode_entities(ws, labs, offset=off))
    return res


def load_model(path, num_labels=len(LABELS)):
    from transformers import BertForTokenClassification
    return BertForTokenClassification.from_pretrained(
        path, num_labels=num_labels, id2label=dict(enumerate(LABELS)), label2id=LABEL2ID,
        ignore_mismatched_sizes=False)


def export(model, student_dir, out_dir, extra_card=None):
    """Write config.json (+actorlens key), model.safetensors (fp32, HF names), tokenizer files."""
    from safetensors.torch import save_file
    os.makedirs(out_dir, exist_ok=True)
    sd = {k: v.detach().float().contiguous().clone() for k, v in model.state_dict().items()
          if not k.startswith("bert.pooler") and not k.endswith("position_ids")}
    tmp = os.path.join(out_dir, "model.safetensors.tmp")
    save_file(sd, tmp, metadata={"format": "pt"})
    os.replace(tmp, os.path.join(out_dir, "model.safetensors"))
    full = model.config.to_dict()
    keep = ["attention_probs_dropout_prob", "classifier_dropout", "hidden_act", "hidden_dropout_prob",
            "hidden_size", "initializer_range", "intermediate_size", "layer_norm_eps",
            "max_position_embeddings", "num_attention_heads", "num_hidden_layers", "pad_token_id",
            "position_embedding_type", "type_vocab_size", "vocab_size"]
    cfg = {k: full[k] for k in keep}
    cfg.update({"is_decoder": False, "output_attentions": False, "output_hidden_states": False,
                "torch_dtype": "float32"})
    cfg["architectures"] = ["BertForTokenClassification"]
    cfg["model_type"] = "bert"
    cfg["id2label"] = {str(i): l for i, l in enumerate(LABELS)}
    cfg["label2id"] = dict(LABEL2ID)
    cfg["num_labels"] = len(LABELS)
    cfg["actorlens"] = dict(ACTORLENS_META)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True); f.write("\n")
    # tokenizer: same vocab / normaliser as the student; no fixed padding/truncation in the file
    tj = json.load(open(os.path.join(student_dir, "tokenizer.json"), encoding="utf-8"))
    tj["truncation"] = None
    tj["padding"] = None
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False)
    shutil.copyfile(os.path.join(student_dir, "vocab.txt"), os.path.join(out_dir, "vocab.txt"))
    shutil.copyfile(os.path.join(student_dir, "special_tokens_map.json"), os.path.join(out_dir, "special_tokens_map.json"))
    tc = json.load(open(os.path.join(student_dir, "tokenizer_config.json")))
    tc.pop("name_or_path", None)
    tc.update({"model_max_length": MAX_LENGTH, "do_lower_case": True, "strip_accents": None,
               "tokenize_chinese_chars": True, "tokenizer_class": "BertTokenizer"})
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(tc, f, indent=2); f.write("\n")
