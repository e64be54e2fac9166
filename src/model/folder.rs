//! A model folder, parsed once: config.json (with id2label and the `actorlens` keys), the
//! tokenizer, the weights files. Every model-backed stage (NER, tone) starts from here.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use tokenizers::Tokenizer;

/// `config.json` → `"actorlens"`: how the model was trained to be run.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct ActorlensKeys {
    /// `zeros` (stock models) or `case_flag`: token type 1 where the piece's original text has
    /// an uppercase letter (lets an uncased vocabulary tell "US" from "us").
    pub token_types: Option<String>,
    /// `argmax` or `bio_viterbi`.
    pub decoding: Option<String>,
    pub max_length: Option<usize>,
    /// `torch`, `onnx` or `onnx-int8`: what `--engine auto` runs.
    pub default_engine: Option<String>,
    /// How model.int8.onnx scales its activations (the graph's `int8_scales` metadata must agree):
    /// `per-token` (a scale per window position, computed in the graph) or `static` (calibrated,
    /// fixed) make a window's result independent of its batch, so the int8 engine batches like
    /// fp32. Absent or `dynamic`: one scale per call (ORT's quantize_dynamic), one window per call.
    pub int8_scales: Option<String>,
    /// Extra heads over the encoder's outputs, by name (see [`super::heads::PooledHead`]).
    pub heads: std::collections::BTreeMap<String, HeadSpec>,
}

/// A head declared in config.json: `{"input": "hidden", "labels": [...], "weights": "file"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct HeadSpec {
    /// Which encoder output it reads (`hidden`, `logits`, or `layer.K`: encoder layer K's output,
    /// 0-based).
    pub input: String,
    pub labels: Vec<String>,
    /// `pooled` (default): a safetensors file with `weight` [labels, dim] and `bias` [labels].
    /// `span_encoder`: an ONNX graph (hidden, attention_mask, target_mask → probs), see
    /// [`super::heads::SpanEncoderHead`].
    pub weights: String,
    #[serde(default)]
    pub kind: Option<String>,
    /// For a `layer.K` input: the tensor's name inside the encoder's ONNX graphs.
    #[serde(default)]
    pub graph_tensor: Option<String>,
}

impl HeadSpec {
    /// K of a `layer.K` input.
    pub fn layer(&self) -> Option<usize> {
        self.input.strip_prefix("layer.")?.parse().ok()
    }
}

pub struct ModelFolder {
    pub dir: PathBuf,
    pub config: serde_json::Value,
    pub keys: ActorlensKeys,
    /// `bert`, `roberta`, `distilbert`, ...
    pub model_type: String,
    /// id2label in id order (empty for models without labels).
    pub labels: Vec<String>,
    /// Longest input the position embeddings allow (incl. special tokens).
    pub max_positions: usize,
    /// config.json's `max_position_embeddings` as written (512 when absent).
    pub max_position_embeddings: usize,
    tokenizer: std::result::Result<Tokenizer, String>,
}

pub fn invalid(dir: &Path, message: impl Into<String>) -> Error {
    Error::ModelInvalid { dir: dir.into(), message: message.into() }
}

fn read_json(dir: &Path, file: &str) -> Result<serde_json::Value> {
    let path = dir.join(file);
    let text =
        std::fs::read_to_string(&path).map_err(|_| Error::ModelMissing { dir: dir.into(), file: file.into() })?;
    serde_json::from_str(&text).map_err(|e| invalid(dir, format!("{file}: {e}")))
}

impl ModelFolder {
    pub fn open(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::ModelMissing { dir: dir.into(), file: "(the folder itself)".into() });
        }
        let config = read_json(dir, "config.json")?;
        let keys: ActorlensKeys = match config.get("actorlens") {
            Some(v) => {
                serde_json::from_value(v.clone()).map_err(|e| invalid(dir, format!("config.json actorlens: {e}")))?
            }
            None => ActorlensKeys::default(),
        };
        if let Some(v) = keys.int8_scales.as_deref().filter(|v| !matches!(*v, "dynamic" | "per-token" | "static")) {
            return Err(invalid(dir, format!("unknown actorlens.int8_scales `{v}` (dynamic, per-token or static)")));
        }
        let model_type = config.get("model_type").and_then(|v| v.as_str()).unwrap_or("bert").to_string();
        let mut labels = Vec::new();
        if let Some(map) = config.get("id2label").and_then(|v| v.as_object()) {
            for i in 0..map.len() {
                let label = map
                    .get(&i.to_string())
                    .and_then(|v| v.as_str())
                    .ok_or_else(|| invalid(dir, format!("id2label has no entry for {i}")))?;
                labels.push(label.to_string());
            }
        }
        let max_pos = config.get("max_position_embeddings").and_then(|v| v.as_u64()).unwrap_or(512) as usize;
        // RoBERTa positions start after the padding index.
        let offset = if matches!(model_type.as_str(), "roberta" | "xlm-roberta" | "camembert") { 2 } else { 0 };
        let tokenizer = load_tokenizer(dir).map_err(|e| e.to_string());
        Ok(ModelFolder {
            dir: dir.into(),
            config,
            keys,
            model_type,
            labels,
            max_positions: max_pos.saturating_sub(offset),
            max_position_embeddings: max_pos,
            tokenizer,
        })
    }

    /// The tokenizer, or why the folder has none usable.
    pub fn tokenizer(&self) -> Result<&Tokenizer> {
        self.tokenizer.as_ref().map_err(|e| invalid(&self.dir, e.clone()))
    }

    pub fn tokenizer_opt(&self) -> Option<&Tokenizer> {
        self.tokenizer.as_ref().ok()
    }

    /// The torch weights file: safetensors (loaded directly by tch) or rust_model.ot.
    pub fn torch_weights(&self) -> Result<PathBuf> {
        ["model.safetensors", "rust_model.ot"].iter().map(|f| self.dir.join(f)).find(|p| p.is_file()).ok_or_else(|| {
            Error::ModelMissing { dir: self.dir.clone(), file: "model.safetensors or rust_model.ot".into() }
        })
    }

    /// A special token's id, trying each spelling in turn.
    pub fn special_id(&self, candidates: &[&str]) -> Option<i64> {
        let tok = self.tokenizer_opt()?;
        candidates.iter().find_map(|c| tok.token_to_id(c)).map(i64::from)
    }

    pub fn pad_id(&self) -> i64 {
        self.special_id(&["[PAD]", "<pad>"]).unwrap_or(0)
    }

    /// `do_lower_case` from tokenizer_config.json.
    pub fn lower_case(&self) -> Option<bool> {
        read_json(&self.dir, "tokenizer_config.json").ok()?.get("do_lower_case")?.as_bool()
    }

    pub fn has_labels(&self) -> bool {
        !self.labels.is_empty()
    }
}

/// tokenizer.json, or WordPiece from vocab.txt (plain BERT folders), never truncating or padding.
fn load_tokenizer(dir: &Path) -> Result<Tokenizer> {
    let json = dir.join("tokenizer.json");
    let mut tok = if json.is_file() {
        Tokenizer::from_file(&json).map_err(|e| invalid(dir, format!("tokenizer.json: {e}")))?
    } else if dir.join("vocab.txt").is_file() {
        // Plain BERT folders: WordPiece from vocab.txt, lowercasing as tokenizer_config.json says.
        let lowercase = read_json(dir, "tokenizer_config.json")
            .ok()
            .and_then(|v| v.get("do_lower_case").and_then(|b| b.as_bool()))
            .unwrap_or(true);
        let vocab = dir.join("vocab.txt");
        let wp = tokenizers::models::wordpiece::WordPiece::from_file(&vocab.to_string_lossy())
            .unk_token("[UNK]".into())
            .build()
            .map_err(|e| invalid(dir, format!("vocab.txt: {e}")))?;
        let mut t = Tokenizer::new(wp);
        t.with_normalizer(Some(tokenizers::normalizers::bert::BertNormalizer::new(
            true,
            true,
            Some(lowercase),
            lowercase,
        )));
        t.with_pre_tokenizer(Some(tokenizers::pre_tokenizers::bert::BertPreTokenizer));
        t
    } else {
        return Err(Error::ModelMissing { dir: dir.into(), file: "tokenizer.json or vocab.txt".into() });
    };
    // We window and pad ourselves; a tokenizer that truncates would silently drop text.
    tok.with_truncation(None).map_err(|e| invalid(dir, format!("tokenizer: {e}")))?;
    tok.with_padding(None);
    Ok(tok)
}
