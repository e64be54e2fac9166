//! Tiny BERT token classifiers generated at test time with tch (no files committed, no network).
//!
//! `case_model`: hand-set weights that tag capitalised words as PER (B-PER then I-PER), through the
//! same code path as the default model (case flag in token types + BIO Viterbi). It makes entity
//! output predictable so tests can check offsets, windowing and determinism exactly.
//! `random_model`: random weights, stock config (zero token types, argmax), vocab.txt only.
#![allow(dead_code)]

use rust_bert::bert::{BertConfig, BertForTokenClassification};
use rust_bert::Activation;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tch::{nn, Device, Kind, Tensor};

const VOCAB: &[&str] = &[
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "the",
    "us",
    "let",
    "go",
    "met",
    "in",
    "and",
    "said",
    "president",
    "##s",
    ".",
    ",",
    "!",
    "?",
    "'",
    "\"",
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "v",
    "w",
    "x",
    "y",
    "z",
    "##a",
    "##e",
    "##i",
    "##o",
    "##n",
    "##r",
    "##t",
];

fn config(max_pos: i64) -> BertConfig {
    let labels = ["O", "B-PER", "I-PER"];
    let id2label: HashMap<i64, String> = labels.iter().enumerate().map(|(i, l)| (i as i64, l.to_string())).collect();
    let label2id = id2label.iter().map(|(k, v)| (v.clone(), *k)).collect();
    BertConfig {
        hidden_act: Activation::gelu,
        attention_probs_dropout_prob: 0.0,
        hidden_dropout_prob: 0.0,
        hidden_size: 8,
        initializer_range: 0.02,
        intermediate_size: 16,
        max_position_embeddings: max_pos,
        num_attention_heads: 2,
        num_hidden_layers: 1,
        type_vocab_size: 2,
        vocab_size: VOCAB.len() as i64,
        output_attentions: None,
        output_hidden_states: None,
        is_decoder: None,
        id2label: Some(id2label),
        label2id: Some(label2id),
    }
}

fn write_config(dir: &Path, cfg: &BertConfig, actorlens: Option<serde_json::Value>) {
    let mut v = serde_json::to_value(cfg).unwrap();
    v["model_type"] = "bert".into();
    v["architectures"] = serde_json::json!(["BertForTokenClassification"]);
    if let Some(a) = actorlens {
        v["actorlens"] = a;
    }
    std::fs::write(dir.join("config.json"), serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

fn set(vs: &nn::VarStore, name: &str, value: Tensor) {
    let vars = vs.variables();
    let mut t = vars.get(name).unwrap_or_else(|| panic!("no variable {name}")).shallow_clone();
    tch::no_grad(|| t.copy_(&value));
}

/// Capitalised words → PER, everything else → O. Position embeddings are zero, so the output
/// does not depend on where a word sits in a window (windowing must not change results).
pub fn write_case_model(dir: &Path, max_pos: i64) {
    write_case_model_sized(dir, max_pos, VOCAB.len() as i64)
}

/// `vocab_size` below the tokenizer's vocabulary makes the model fail (index out of range in
/// libtorch) on any word piece with a larger id: a stand-in for a model that breaks on some input.
pub fn write_case_model_sized(dir: &Path, max_pos: i64, vocab_size: i64) {
    std::fs::create_dir_all(dir).unwrap();
    let mut cfg = config(max_pos);
    cfg.vocab_size = vocab_size;
    let vs = nn::VarStore::new(Device::Cpu);
    let _model = BertForTokenClassification::new(vs.root(), &cfg).unwrap();
    tch::no_grad(|| {
        for (name, mut t) in vs.variables() {
            if name.ends_with("LayerNorm.weight") {
                let _ = t.fill_(1.0);
            } else {
                let _ = t.zero_();
            }
        }
    });
    let tt = Tensor::zeros([2, 8], (Kind::Float, Device::Cpu));
    let tt = tt.index_put(
        &[Some(Tensor::from_slice(&[0i64, 0, 1, 1])), Some(Tensor::from_slice(&[0i64, 1, 0, 1]))],
        &Tensor::from_slice(&[1f32, -1., -1., 1.]),
        false,
    );
    set(&vs, "bert.embeddings.token_type_embeddings.weight", tt);
    // After LayerNorm h = [2,-2,0..] (lowercase) or [-2,2,0..] (capitalised).
    let w = Tensor::zeros([3, 8], (Kind::Float, Device::Cpu));
    let w = w.index_put(
        &[Some(Tensor::from_slice(&[0i64, 1, 2])), Some(Tensor::from_slice(&[0i64, 1, 1]))],
        &Tensor::from_slice(&[2f32, 1., 2.]),
        false,
    );
    set(&vs, "classifier.weight", w);
    vs.save(dir.join("model.safetensors")).unwrap();
    write_config(
        dir,
        &cfg,
        Some(serde_json::json!({"token_types": "case_flag", "decoding": "bio_viterbi", "label_scheme": "BIO"})),
    );
    // tokenizer.json, built with the tokenizers crate (exercises the tokenizer.json path).
    let vocab = dir.join("vocab.txt");
    std::fs::write(&vocab, VOCAB.join("\n") + "\n").unwrap();
    let wp = tokenizers::models::wordpiece::WordPiece::from_file(&vocab.to_string_lossy())
        .unk_token("[UNK]".into())
        .build()
        .unwrap();
    let mut tok = tokenizers::Tokenizer::new(wp);
    tok.with_normalizer(Some(tokenizers::normalizers::bert::BertNormalizer::new(true, true, Some(true), true)));
    tok.with_pre_tokenizer(Some(tokenizers::pre_tokenizers::bert::BertPreTokenizer));
    tok.save(dir.join("tokenizer.json"), true).unwrap();
}

/// Random weights, stock Hugging Face config (no `actorlens` key), vocab.txt only.
pub fn write_random_model(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    tch::manual_seed(7);
    let cfg = config(64);
    let vs = nn::VarStore::new(Device::Cpu);
    let _model = BertForTokenClassification::new(vs.root(), &cfg).unwrap();
    vs.save(dir.join("model.safetensors")).unwrap();
    write_config(dir, &cfg, None);
    std::fs::write(dir.join("vocab.txt"), VOCAB.join("\n") + "\n").unwrap();
}

fn fixtures_root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fixtures-{}", std::process::id()));
        write_case_model(&root.join("case"), 512);
        write_case_model(&root.join("case-short"), 16);
        write_random_model(&root.join("random"));
        write_case_model_sized(&root.join("broken"), 512, 10);
        root
    })
}

/// `case_model` plus a second head over the encoder's hidden states (declared in config.json
/// under `actorlens.heads.stance`): row 0 ("negative") reads hidden dim 0, which is +2 for
/// lowercase pieces, row 2 ("positive") reads dim 1, which is +2 for capitalised ones.
pub fn two_head_model() -> PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let dir = fixtures_root().join("two-heads");
        write_case_model(&dir, 512);
        let w = Tensor::zeros([3, 8], (Kind::Float, Device::Cpu));
        let w = w.index_put(
            &[Some(Tensor::from_slice(&[0i64, 2])), Some(Tensor::from_slice(&[0i64, 1]))],
            &Tensor::from_slice(&[1f32, 1.]),
            false,
        );
        let b = Tensor::zeros([3], (Kind::Float, Device::Cpu));
        Tensor::write_safetensors(&[("weight", &w), ("bias", &b)], dir.join("stance_head.safetensors")).unwrap();
        let path = dir.join("config.json");
        let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        v["actorlens"]["heads"] = serde_json::json!({
            "stance": {"input": "hidden", "labels": ["negative", "neutral", "positive"], "weights": "stance_head.safetensors"}
        });
        std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        dir
    })
    .clone()
}

pub fn case_model() -> PathBuf {
    fixtures_root().join("case")
}

/// Same weights as `case_model`, but at most 16 positions: 14 word pieces per window.
pub fn case_model_short() -> PathBuf {
    fixtures_root().join("case-short")
}

/// Fails on every word piece id ≥ 10 ("the us go let met" work; punctuation does not).
pub fn broken_model() -> PathBuf {
    fixtures_root().join("broken")
}

pub fn random_model() -> PathBuf {
    fixtures_root().join("random")
}

/// A tiny random BERT sequence classifier (pooler + classifier) for the rust-bert pipelines:
/// 2 labels for sentiment, 3 NLI labels (entailment last) for zero-shot stance.
pub fn write_seq_model(dir: &Path, labels: &[&str], max_pos: i64) {
    std::fs::create_dir_all(dir).unwrap();
    tch::manual_seed(11);
    let mut cfg = config(max_pos);
    let id2label: HashMap<i64, String> = labels.iter().enumerate().map(|(i, l)| (i as i64, l.to_string())).collect();
    cfg.label2id = Some(id2label.iter().map(|(k, v)| (v.clone(), *k)).collect());
    cfg.id2label = Some(id2label);
    let vs = nn::VarStore::new(Device::Cpu);
    let _model = rust_bert::bert::BertForSequenceClassification::new(vs.root(), &cfg).unwrap();
    vs.save(dir.join("model.safetensors")).unwrap();
    write_config(dir, &cfg, None);
    std::fs::write(dir.join("vocab.txt"), VOCAB.join("\n") + "\n").unwrap();
    std::fs::write(dir.join("tokenizer_config.json"), "{\"do_lower_case\": true}").unwrap();
}

pub fn sentiment_model() -> PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let p = fixtures_root().join("sentiment");
        write_seq_model(&p, &["NEGATIVE", "POSITIVE"], 32);
        p
    })
    .clone()
}

pub fn nli_model() -> PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let p = fixtures_root().join("nli");
        write_seq_model(&p, &["contradiction", "neutral", "entailment"], 64);
        p
    })
    .clone()
}

/// A document whose mentions are the given (surface, type) pairs, found in text order.
pub fn doc_with(text: &str, ents: &[(&str, &str)]) -> actorlens::Document {
    use actorlens::document::{Document, Mention, Meta, Origin};
    let mut d = Document::new("d".into(), Origin::default(), Meta::default(), text.into(), vec![], String::new());
    actorlens::segment::segment(&mut d);
    let mut from = 0;
    for (surface, kind) in ents {
        let pos = from + d.text[from..].find(surface).unwrap_or_else(|| panic!("{surface} not in text after {from}"));
        let end = pos + surface.len();
        let sentence_idx = d.sentences.iter().position(|s| s.span.start_byte <= pos && pos < s.span.end_byte).unwrap();
        let m = Mention {
            mention_id: d.mentions.len(),
            sentence_idx,
            span: d.span(pos, end),
            text: surface.to_string(),
            label: kind.to_string(),
            kind: actorlens::ner::coarse_type(kind),
            score: 1.0,
            actor_id: None,
            stance: Default::default(),
        };
        d.mentions.push(m);
        from = end;
    }
    d
}

#[allow(dead_code)]
pub fn sha256(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// The built `actorlens` binary.
pub fn actorlens() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("actorlens").expect("binary")
}

/// `actorlens extract --quiet -j THREADS INPUTS --out OUT` with the tiny case model, plus `extra`.
pub fn extract_case(out: &Path, inputs: &[&Path], threads: usize, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = actorlens();
    cmd.args(["extract", "--quiet", "--threads", &threads.to_string()])
        .args(inputs)
        .arg("--out")
        .arg(out)
        .arg("--ner-model")
        .arg(case_model())
        .args(extra);
    cmd
}

pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Data rows of a CSV file (header excluded).
pub fn csv_rows(p: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(p).unwrap().records().map(|r| r.unwrap()).collect()
}
