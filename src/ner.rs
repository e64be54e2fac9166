//! Stage 3: named-entity recognition with a rust-bert token classifier loaded from a local folder.
//!
//! We drive the model at `forward_t` level rather than through rust-bert's NER pipeline because
//! the default model needs its own token types (a capitalisation flag) and BIO-constrained
//! Viterbi decoding; both are switched on by the model folder's `config.json` (`"actorlens"`
//! key), so plain Hugging Face models run unchanged (zero token types, argmax).

use crate::document::{Document, Mention};
use crate::error::{Error, Result};
use rayon::prelude::*;
use rust_bert::bert::{BertConfig, BertForTokenClassification};
use rust_bert::distilbert::{DistilBertConfig, DistilBertForTokenClassification};
use rust_bert::roberta::RobertaForTokenClassification;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use tch::{nn, Device, Kind, Tensor};
use tokenizers::Tokenizer;

/// A swappable NER component: anything that fills `Document::mentions` from sentences.
pub trait Recognizer {
    /// Short name for logs and the manifest.
    fn name(&self) -> String;
    /// Path and sha256 of the weights, for the manifest.
    fn weights(&self) -> (PathBuf, String);
    fn recognize(&self, docs: &mut [Document]) -> Result<()>;
}

#[derive(Debug, Clone)]
pub struct NerOptions {
    pub device: Device,
    /// Windows per model call; None = the engine's best (torch 32, onnx 8, onnx-int8 always 1).
    pub batch_size: Option<usize>,
    /// Upper bound on word pieces per window (incl. special tokens); the model's limit wins.
    pub max_length: Option<usize>,
    pub engine: Engine,
    /// Intra-op threads for the ONNX Runtime engines (libtorch's are set process-wide).
    pub threads: usize,
    /// Override the model's own decoding (`config.json` → actorlens.decoding).
    pub decoding: Option<DecodingArg>,
}

impl Default for NerOptions {
    fn default() -> Self {
        NerOptions {
            device: Device::Cpu,
            batch_size: None,
            max_length: None,
            engine: Engine::Auto,
            threads: 1,
            decoding: None,
        }
    }
}

/// The inference engine behind the NER stage. Both give the same entities (the model folder
/// records the measured agreement); libtorch via rust-bert is the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// The model folder's `actorlens.default_engine` (its fastest engine that matches the
    /// reference), else torch. Falls back to torch, with a warning, if ONNX Runtime is missing.
    Auto,
    /// rust-bert on libtorch (model.safetensors / rust_model.ot): the reference engine.
    Torch,
    /// ONNX Runtime, fp32 graph (model.onnx).
    Onnx,
    /// ONNX Runtime, dynamically quantised int8 graph (model.int8.onnx).
    OnnxInt8,
}

impl Engine {
    pub fn as_str(&self) -> &'static str {
        match self {
            Engine::Auto => "auto",
            Engine::Torch => "torch",
            Engine::Onnx => "onnx",
            Engine::OnnxInt8 => "onnx-int8",
        }
    }

    fn onnx_file(&self) -> Option<&'static str> {
        match self {
            Engine::Onnx => Some("model.onnx"),
            Engine::OnnxInt8 => Some("model.int8.onnx"),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DecodingArg {
    /// Best label per word, independently (what Hugging Face's token-classification pipeline does).
    Argmax,
    /// Best label sequence that obeys the BIO scheme (no I-X without a B-X/I-X before it).
    BioViterbi,
}

/// `config.json` → `"actorlens"`: how the model was trained to be run.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
struct RunConfig {
    /// `zeros` (stock models) or `case_flag`: token type 1 where the piece's original text has
    /// an uppercase letter (lets an uncased vocabulary tell "US" from "us").
    token_types: Option<String>,
    /// `argmax` or `bio_viterbi`.
    decoding: Option<String>,
    max_length: Option<usize>,
    /// `torch`, `onnx` or `onnx-int8`: what `--engine auto` runs.
    default_engine: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenTypes {
    Zeros,
    CaseFlag,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decoding {
    Argmax,
    BioViterbi,
}

/// Position of a tag inside an entity, parsed from labels like `B-PER`, `I-ORG`, `S-LOC`, `O`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Outside,
    Begin,
    Inside,
    End,
    Single,
}

#[derive(Debug, Clone)]
struct Tag {
    part: Part,
    entity: String,
}

fn parse_tag(label: &str) -> Tag {
    if label == "O" || label.is_empty() {
        return Tag { part: Part::Outside, entity: String::new() };
    }
    let (part, rest) = match label.split_once(['-', '_']) {
        Some(("B", r)) => (Part::Begin, r),
        Some(("I", r)) => (Part::Inside, r),
        Some(("E" | "L", r)) => (Part::End, r),
        Some(("S" | "U", r)) => (Part::Single, r),
        // IO scheme: a bare type continues an entity of that type.
        _ => (Part::Inside, label),
    };
    Tag { part, entity: rest.to_string() }
}

/// One mapping table from model labels to the coarse types users filter on.
pub fn coarse_type(label: &str) -> &'static str {
    match label.to_ascii_uppercase().as_str() {
        "PERSON" | "PER" => "PER",
        "ORG" | "ORGANIZATION" | "ORGANISATION" => "ORG",
        "GPE" => "GPE",
        "LOC" | "LOCATION" | "FAC" => "LOC",
        "NORP" => "NORP",
        "DATE" => "DATE",
        "TIME" => "TIME",
        "MONEY" => "MONEY",
        "PERCENT" => "PERCENT",
        "CARDINAL" | "ORDINAL" | "QUANTITY" => "NUM",
        "EVENT" => "EVENT",
        "LAW" => "LAW",
        _ => "MISC",
    }
}

enum Arch {
    Bert(BertForTokenClassification),
    Roberta(RobertaForTokenClassification),
    DistilBert(DistilBertForTokenClassification),
}

enum Backend {
    Torch { arch: Arch, _vs: nn::VarStore },
    Onnx(OnnxRunner),
}

/// ONNX Runtime sessions, one per worker thread, each with a single intra-op thread: on a few
/// cores, independent workers on whole batches beat one session splitting every small matrix
/// product (no fork/join per op, no spinning threads). `Session::run` needs `&mut`, hence the
/// mutexes (uncontended: worker `w` only uses session `w`).
struct OnnxRunner {
    sessions: Vec<std::sync::Mutex<ort::session::Session>>,
    /// Whether the graph takes token_type_ids (an exporter may drop a constant input).
    types_input: bool,
    pad_id: i64,
    dir: PathBuf,
}

/// Right-padded input rows for `batch` (indices into `windows`): ids, mask, types, width.
fn pad_batch(windows: &[Window], batch: &[usize], pad_id: i64) -> (Vec<i64>, Vec<i64>, Vec<i64>, usize) {
    let max_len = batch.iter().map(|&i| windows[i].ids.len()).max().unwrap_or(0);
    let mut ids = Vec::with_capacity(batch.len() * max_len);
    let mut mask = Vec::with_capacity(batch.len() * max_len);
    let mut types = Vec::with_capacity(batch.len() * max_len);
    for &i in batch {
        let w = &windows[i];
        let pad = max_len - w.ids.len();
        ids.extend_from_slice(&w.ids);
        ids.extend(std::iter::repeat_n(pad_id, pad));
        mask.extend(std::iter::repeat_n(1i64, w.ids.len()));
        mask.extend(std::iter::repeat_n(0i64, pad));
        types.extend_from_slice(&w.types);
        types.extend(std::iter::repeat_n(0i64, pad));
    }
    (ids, mask, types, max_len)
}

/// Per window of the batch, per word: the scores at the word's first piece.
fn gather_heads(
    windows: &[Window],
    batch: &[usize],
    flat: &[f32],
    max_len: usize,
    n_labels: usize,
) -> Vec<Vec<Vec<f32>>> {
    batch
        .iter()
        .enumerate()
        .map(|(row, &i)| {
            let base = row * max_len * n_labels;
            windows[i]
                .heads
                .iter()
                .map(|&pos| flat[base + pos * n_labels..base + (pos + 1) * n_labels].to_vec())
                .collect()
        })
        .collect()
}

type BatchScores = Vec<Vec<Vec<f32>>>;

impl OnnxRunner {
    /// One call on session `worker`: per window, per word, label log-probabilities.
    fn run(&self, worker: usize, windows: &[Window], batch: &[usize], n_labels: usize) -> Result<BatchScores> {
        let (ids, mask, types, max_len) = pad_batch(windows, batch, self.pad_id);
        if max_len == 0 {
            return Ok(vec![Vec::new(); batch.len()]);
        }
        let shape = [batch.len() as i64, max_len as i64];
        let fail = |e: String| invalid(&self.dir, format!("ONNX Runtime: {e}"));
        let t = |v: Vec<i64>| ort::value::Tensor::from_array((shape, v)).map_err(|e| fail(e.to_string()));
        let mut inputs = vec![("input_ids", t(ids)?.into_dyn()), ("attention_mask", t(mask)?.into_dyn())];
        if self.types_input {
            inputs.push(("token_type_ids", t(types)?.into_dyn()));
        }
        let slot = &self.sessions[worker % self.sessions.len()];
        let mut session = slot.lock().map_err(|_| fail("session lock poisoned".into()))?;
        let outputs = session.run(inputs).map_err(|e| fail(e.to_string()))?;
        let (out_shape, logits) = outputs[0].try_extract_tensor::<f32>().map_err(|e| fail(e.to_string()))?;
        let expected = batch.len() * max_len * n_labels;
        if logits.len() != expected {
            return Err(fail(format!("output shape {out_shape:?}, expected [{}, {max_len}, {n_labels}]", batch.len())));
        }
        // log-softmax per position, in f32 like libtorch.
        let mut flat = Vec::with_capacity(expected);
        for row in logits.chunks_exact(n_labels) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let sum: f32 = row.iter().map(|&x| (x - max).exp()).sum();
            let lse = max + sum.ln();
            flat.extend(row.iter().map(|&x| x - lse));
        }
        Ok(gather_heads(windows, batch, &flat, max_len, n_labels))
    }

    /// All batches, spread over the workers: each takes the next unclaimed batch, so a worker
    /// that drew short ones is never idle while another still has a queue. Results in batch
    /// order (so the output does not depend on scheduling).
    fn run_all(&self, windows: &[Window], batches: &[&[usize]], n_labels: usize) -> Vec<Result<BatchScores>> {
        let n = self.sessions.len().max(1);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut per_worker: Vec<Vec<(usize, Result<BatchScores>)>> = Vec::new();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..n)
                .map(|w| {
                    let next = &next;
                    scope.spawn(move || {
                        let mut done = Vec::new();
                        loop {
                            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if k >= batches.len() {
                                break done;
                            }
                            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                self.run(w, windows, batches[k], n_labels)
                            }))
                            .unwrap_or_else(|_| Err(invalid(&self.dir, "ONNX Runtime panicked on this input")));
                            done.push((k, r));
                        }
                    })
                })
                .collect();
            for h in handles {
                per_worker.push(h.join().unwrap_or_default());
            }
        });
        let mut out: Vec<Option<Result<BatchScores>>> = (0..batches.len()).map(|_| None).collect();
        for (k, r) in per_worker.into_iter().flatten() {
            out[k] = Some(r);
        }
        out.into_iter().map(|r| r.unwrap_or_else(|| Err(invalid(&self.dir, "an inference worker stopped")))).collect()
    }
}

/// Where the ONNX Runtime library is: $ORT_DYLIB_PATH, else the one `make setup` fetched (its
/// path embedded at build time), else next to the executable.
fn ort_dylib() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if let Some(p) = option_env!("ACTORLENS_ORT_DYLIB").map(PathBuf::from).filter(|p| p.is_file()) {
        return Some(p);
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .take(3)
        .flat_map(|d| [d.join("libonnxruntime.so"), d.join("lib").join("libonnxruntime.so")])
        .find(|p| p.is_file())
}

/// Load ONNX Runtime once per process.
fn ort_runtime() -> std::result::Result<&'static ort::environment::Environment, String> {
    static ENV: std::sync::OnceLock<std::result::Result<ort::environment::Environment, String>> =
        std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let path = ort_dylib().ok_or_else(|| {
            "ONNX Runtime library not found (run `make setup`, or set ORT_DYLIB_PATH to libonnxruntime.so)".to_string()
        })?;
        let builder = ort::init_from(&path).map_err(|e| {
            format!(
                "cannot load the ONNX Runtime library {} ({e}); run `make setup`, or set ORT_DYLIB_PATH",
                path.display()
            )
        })?;
        builder.with_telemetry(false).build().map_err(|e| format!("ONNX Runtime: {e}"))
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// A transformer token classifier run through libtorch (rust-bert) or ONNX Runtime.
pub struct TransformerNer {
    dir: PathBuf,
    weights: PathBuf,
    weights_sha256: String,
    backend: Backend,
    engine: Engine,
    tokenizer: Tokenizer,
    tags: Vec<Tag>,
    /// allowed[prev][cur] for constrained decoding; `prev == n` is the sentence start.
    allowed: Vec<Vec<bool>>,
    token_types: TokenTypes,
    decoding: Decoding,
    cls_id: i64,
    sep_id: i64,
    pad_id: i64,
    /// Max word pieces per window, without the two special tokens.
    max_pieces: usize,
    opts: NerOptions,
}

fn read_json(dir: &Path, file: &str) -> Result<serde_json::Value> {
    let path = dir.join(file);
    let text =
        std::fs::read_to_string(&path).map_err(|_| Error::ModelMissing { dir: dir.into(), file: file.into() })?;
    serde_json::from_str(&text).map_err(|e| Error::ModelInvalid { dir: dir.into(), message: format!("{file}: {e}") })
}

fn invalid(dir: &Path, message: impl Into<String>) -> Error {
    Error::ModelInvalid { dir: dir.into(), message: message.into() }
}

pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path).map_err(crate::error::io(format!("reading {}", path.display())))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(crate::error::io(format!("reading {}", path.display())))?;
    Ok(hex::encode(hasher.finalize()))
}

/// The weights file of a model folder: safetensors (loaded directly by tch) or rust_model.ot.
pub(crate) fn find_weights(dir: &Path) -> Result<PathBuf> {
    ["model.safetensors", "rust_model.ot"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
        .ok_or_else(|| Error::ModelMissing { dir: dir.into(), file: "model.safetensors or rust_model.ot".into() })
}

pub(crate) fn load_tokenizer(dir: &Path) -> Result<Tokenizer> {
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

fn special_id(tok: &Tokenizer, candidates: &[&str]) -> Option<i64> {
    candidates.iter().find_map(|c| tok.token_to_id(c)).map(i64::from)
}

impl TransformerNer {
    pub fn load(dir: &Path, opts: NerOptions) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::ModelMissing { dir: dir.into(), file: "(the folder itself)".into() });
        }
        let config = read_json(dir, "config.json")?;
        let run: RunConfig = match config.get("actorlens") {
            Some(v) => {
                serde_json::from_value(v.clone()).map_err(|e| invalid(dir, format!("config.json actorlens: {e}")))?
            }
            None => RunConfig::default(),
        };
        let token_types = match run.token_types.as_deref() {
            None | Some("zeros") => TokenTypes::Zeros,
            Some("case_flag") => TokenTypes::CaseFlag,
            Some(other) => return Err(invalid(dir, format!("unknown actorlens.token_types `{other}`"))),
        };
        let decoding = match (opts.decoding, run.decoding.as_deref()) {
            (Some(DecodingArg::Argmax), _) => Decoding::Argmax,
            (Some(DecodingArg::BioViterbi), _) => Decoding::BioViterbi,
            (None, None | Some("argmax")) => Decoding::Argmax,
            (None, Some("bio_viterbi")) => Decoding::BioViterbi,
            (None, Some(other)) => return Err(invalid(dir, format!("unknown actorlens.decoding `{other}`"))),
        };
        let engine = match opts.engine {
            Engine::Auto => {
                let wanted = match run.default_engine.as_deref() {
                    None | Some("torch") => Engine::Torch,
                    Some("onnx") => Engine::Onnx,
                    Some("onnx-int8") => Engine::OnnxInt8,
                    Some(other) => return Err(invalid(dir, format!("unknown actorlens.default_engine `{other}`"))),
                };
                match wanted.onnx_file() {
                    Some(file) if !dir.join(file).is_file() => {
                        tracing::warn!("{}: {file} is missing; using the torch engine", dir.display());
                        Engine::Torch
                    }
                    Some(_) if opts.device != Device::Cpu => Engine::Torch,
                    Some(_) => match ort_runtime() {
                        Ok(_) => wanted,
                        Err(e) => {
                            tracing::warn!("{e}; using the torch engine");
                            Engine::Torch
                        }
                    },
                    None => Engine::Torch,
                }
            }
            e => e,
        };
        let tokenizer = load_tokenizer(dir)?;

        let model_type = config.get("model_type").and_then(|v| v.as_str()).unwrap_or("bert").to_string();
        if engine.onnx_file().is_some() && opts.device != Device::Cpu {
            return Err(Error::Usage(format!("--engine {} runs on the CPU only; use --engine torch", engine.as_str())));
        }
        let mut vs = nn::VarStore::new(opts.device);
        let (arch, id2label, max_pos) = match model_type.as_str() {
            "bert" | "roberta" | "xlm-roberta" | "camembert" => {
                let cfg: BertConfig =
                    serde_json::from_value(config.clone()).map_err(|e| invalid(dir, format!("config.json: {e}")))?;
                let labels = cfg.id2label.clone().ok_or_else(|| invalid(dir, "config.json has no id2label"))?;
                let arch = if model_type == "bert" {
                    Arch::Bert(
                        BertForTokenClassification::new(vs.root(), &cfg).map_err(|e| invalid(dir, e.to_string()))?,
                    )
                } else {
                    Arch::Roberta(
                        RobertaForTokenClassification::new(vs.root(), &cfg).map_err(|e| invalid(dir, e.to_string()))?,
                    )
                };
                // RoBERTa positions start after the padding index.
                let offset = if model_type == "bert" { 0 } else { 2 };
                (arch, labels, cfg.max_position_embeddings - offset)
            }
            "distilbert" => {
                let cfg: DistilBertConfig =
                    serde_json::from_value(config.clone()).map_err(|e| invalid(dir, format!("config.json: {e}")))?;
                let labels = cfg.id2label.clone().ok_or_else(|| invalid(dir, "config.json has no id2label"))?;
                let arch = Arch::DistilBert(
                    DistilBertForTokenClassification::new(vs.root(), &cfg).map_err(|e| invalid(dir, e.to_string()))?,
                );
                (arch, labels, cfg.max_position_embeddings)
            }
            other => {
                return Err(invalid(
                    dir,
                    format!(
                        "model_type `{other}` is not supported (bert, roberta, xlm-roberta, camembert, distilbert)"
                    ),
                ))
            }
        };
        let (backend, weights) = match engine.onnx_file() {
            None => {
                let weights = find_weights(dir)?;
                vs.load(&weights).map_err(|e| invalid(dir, format!("loading {}: {e}", weights.display())))?;
                (Backend::Torch { arch, _vs: vs }, weights)
            }
            Some(file) => {
                drop(arch); // only its config was needed
                let path = dir.join(file);
                if !path.is_file() {
                    return Err(invalid(
                        dir,
                        format!(
                            "--engine {} needs {file}, which this folder lacks; export it with `make model-onnx` \
                             (training/export_onnx.py), or use --engine torch",
                            engine.as_str()
                        ),
                    ));
                }
                let env = ort_runtime().map_err(|e| Error::Usage(format!("--engine {}: {e}", engine.as_str())))?;
                let opt = |e: String| invalid(dir, format!("ONNX Runtime session options: {e}"));
                let mut sessions = Vec::new();
                for _ in 0..opts.threads.max(1) {
                    let session = ort::session::Session::builder(env)
                        .map_err(|e| opt(e.to_string()))?
                        .with_intra_threads(1)
                        .map_err(|e| opt(e.to_string()))?
                        .with_inter_threads(1)
                        .map_err(|e| opt(e.to_string()))?
                        .with_optimization_level(ort::session::builder::GraphOptimizationLevel::All)
                        .map_err(|e| opt(e.to_string()))?
                        .commit_from_file(&path)
                        .map_err(|e| invalid(dir, format!("loading {}: {e}", path.display())))?;
                    sessions.push(std::sync::Mutex::new(session));
                }
                let names: Vec<String> = match sessions.first().map(|m| m.lock()) {
                    Some(Ok(s)) => s.inputs().iter().map(|i| i.name().to_string()).collect(),
                    _ => Vec::new(),
                };
                for need in ["input_ids", "attention_mask"] {
                    if !names.iter().any(|n| n == need) {
                        return Err(invalid(dir, format!("{file} has no `{need}` input (inputs: {names:?})")));
                    }
                }
                let types_input = names.iter().any(|n| n == "token_type_ids");
                let pad_id = special_id(&tokenizer, &["[PAD]", "<pad>"]).unwrap_or(0);
                (Backend::Onnx(OnnxRunner { sessions, types_input, pad_id, dir: dir.into() }), path)
            }
        };

        let n = id2label.len();
        let mut tags = Vec::with_capacity(n);
        for i in 0..n as i64 {
            let label = id2label.get(&i).ok_or_else(|| invalid(dir, format!("id2label has no entry for {i}")))?;
            tags.push(parse_tag(label));
        }
        let allowed = transition_table(&tags);
        let cls_id = special_id(&tokenizer, &["[CLS]", "<s>", "<cls>"])
            .ok_or_else(|| invalid(dir, "tokenizer has no [CLS]/<s> token"))?;
        let sep_id = special_id(&tokenizer, &["[SEP]", "</s>", "<sep>"])
            .ok_or_else(|| invalid(dir, "tokenizer has no [SEP]/</s> token"))?;
        let pad_id = special_id(&tokenizer, &["[PAD]", "<pad>"]).unwrap_or(0);
        let mut max_len = max_pos.max(3) as usize;
        for limit in [run.max_length, opts.max_length].into_iter().flatten() {
            max_len = max_len.min(limit.max(3));
        }
        let weights_sha256 = sha256_file(&weights)?;
        Ok(TransformerNer {
            dir: dir.into(),
            weights,
            weights_sha256,
            backend,
            engine,
            tokenizer,
            tags,
            allowed,
            token_types,
            decoding,
            cls_id,
            sep_id,
            pad_id,
            max_pieces: max_len - 2,
            opts,
        })
    }

    /// One forward pass over `batch` (indices into `windows`): per window, per word, the
    /// log-probabilities of the labels. libtorch errors and rust-bert panics become errors.
    fn run_batch(&self, windows: &[Window], batch: &[usize], n_labels: usize) -> Result<BatchScores> {
        if let Backend::Onnx(runner) = &self.backend {
            return runner.run(0, windows, batch, n_labels);
        }
        let (ids, mask, types, max_len) = pad_batch(windows, batch, self.pad_id);
        if max_len == 0 {
            return Ok(vec![Vec::new(); batch.len()]);
        }
        let shape = [batch.len() as i64, max_len as i64];
        let dev = self.opts.device;
        let forward = || -> Result<Vec<f32>> {
            let t_ids = Tensor::f_from_slice(&ids)?.f_view(shape)?.f_to(dev)?;
            let t_mask = Tensor::f_from_slice(&mask)?.f_view(shape)?.f_to(dev)?;
            let t_types = Tensor::f_from_slice(&types)?.f_view(shape)?.f_to(dev)?;
            let logp = tch::no_grad(|| -> Result<Tensor> {
                Ok(self
                    .logits(&t_ids, &t_mask, &t_types)?
                    .f_log_softmax(-1, Kind::Float)?
                    .f_to(Device::Cpu)?
                    .f_contiguous()?)
            })?;
            Ok(Vec::<f32>::try_from(logp.f_view([-1])?)?)
        };
        let flat = std::panic::catch_unwind(std::panic::AssertUnwindSafe(forward))
            .map_err(|_| invalid(&self.dir, "the model panicked on this input"))??;
        if flat.len() != batch.len() * max_len * n_labels {
            return Err(invalid(
                &self.dir,
                format!("model returned {} scores, expected {}", flat.len(), batch.len() * max_len * n_labels),
            ));
        }
        Ok(gather_heads(windows, batch, &flat, max_len, n_labels))
    }

    /// Windows per model call. ONNX Runtime runs one batch per worker, and smaller batches carry
    /// less padding: 8 measured fastest for the default model (vs 32 for libtorch).
    pub fn batch_size(&self) -> usize {
        match self.engine {
            Engine::OnnxInt8 => 1,
            Engine::Onnx => self.opts.batch_size.unwrap_or(8).max(1),
            _ => self.opts.batch_size.unwrap_or(32).max(1),
        }
    }

    /// The engine actually running (after `auto` was resolved).
    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn max_pieces(&self) -> usize {
        self.max_pieces
    }

    fn logits(&self, ids: &Tensor, mask: &Tensor, types: &Tensor) -> Result<Tensor> {
        let Backend::Torch { arch, .. } = &self.backend else {
            return Err(invalid(&self.dir, "the torch engine is not loaded"));
        };
        Ok(match arch {
            Arch::Bert(m) => m.forward_t(Some(ids), Some(mask), Some(types), None, None, false).logits,
            Arch::Roberta(m) => m.forward_t(Some(ids), Some(mask), Some(types), None, None, false).logits,
            Arch::DistilBert(m) => {
                m.forward_t(Some(ids), Some(mask), None, false).map_err(|e| invalid(&self.dir, e.to_string()))?.logits
            }
        })
    }
}

/// Word pieces of one sentence grouped into words (as the tokenizer's pre-tokenizer splits).
/// A free function: the model holds tensors, which are not `Sync`, but the tokenizer is.
fn encode_sentence(
    tokenizer: &Tokenizer,
    token_types: TokenTypes,
    text: &str,
) -> std::result::Result<Vec<Word>, String> {
    let enc = tokenizer.encode(text, false).map_err(|e| e.to_string())?;
    let mut words: Vec<Word> = Vec::new();
    let mut last_word: Option<u32> = None;
    for (i, (&id, &(s, e))) in enc.get_ids().iter().zip(enc.get_offsets()).enumerate() {
        let wid = enc.get_word_ids().get(i).copied().flatten();
        let flag = match token_types {
            TokenTypes::CaseFlag => text.get(s..e).is_some_and(|t| t.chars().any(char::is_uppercase)) as i64,
            TokenTypes::Zeros => 0,
        };
        let new_word = wid.is_none() || wid != last_word || words.is_empty();
        last_word = wid;
        if new_word {
            words.push(Word { ids: vec![id as i64], types: vec![flag], start: s, end: e });
        } else if let Some(w) = words.last_mut() {
            w.ids.push(id as i64);
            w.types.push(flag);
            w.start = w.start.min(s);
            w.end = w.end.max(e);
        }
    }
    Ok(words)
}

/// A word: its pieces and byte span relative to the sentence.
#[derive(Debug, Clone)]
struct Word {
    ids: Vec<i64>,
    types: Vec<i64>,
    start: usize,
    end: usize,
}

/// One model input: a run of words of one sentence.
struct Window {
    /// Index into the (doc, sentence) job list.
    job: usize,
    /// Index (in the sentence) of the first word in this window.
    first_word: usize,
    ids: Vec<i64>,
    types: Vec<i64>,
    /// Position in `ids` of each word's first piece.
    heads: Vec<usize>,
}

/// Split a sentence's words into windows of at most `max_pieces` pieces that overlap by about a
/// quarter, so every word is seen with context on both sides somewhere.
fn plan_windows(words: &[Word], max_pieces: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut a = 0;
    while a < words.len() {
        let mut b = a;
        let mut n = 0;
        while b < words.len() && (b == a || n + words[b].ids.len() <= max_pieces) {
            n += words[b].ids.len();
            b += 1;
        }
        out.push((a, b));
        if b == words.len() {
            break;
        }
        a = (b - (b - a) / 4).max(a + 1);
    }
    out
}

fn transition_table(tags: &[Tag]) -> Vec<Vec<bool>> {
    let n = tags.len();
    let mut allowed = vec![vec![true; n]; n + 1];
    for (cur, t) in tags.iter().enumerate() {
        if matches!(t.part, Part::Inside | Part::End) {
            // I-X / E-X only continue B-X or I-X; never at the start of a sentence.
            for (prev, p) in tags.iter().enumerate() {
                allowed[prev][cur] = matches!(p.part, Part::Begin | Part::Inside) && p.entity == t.entity;
            }
            allowed[n][cur] = false;
        }
    }
    allowed
}

/// Best label sequence under the transition constraints; `emit[w][l]` are log-probabilities.
fn viterbi(emit: &[Vec<f32>], allowed: &[Vec<bool>]) -> Vec<usize> {
    let n_labels = allowed.len() - 1;
    if emit.is_empty() {
        return vec![];
    }
    let mut score: Vec<f32> =
        (0..n_labels).map(|l| if allowed[n_labels][l] { emit[0][l] } else { f32::NEG_INFINITY }).collect();
    let mut back: Vec<Vec<usize>> = Vec::with_capacity(emit.len());
    for row in &emit[1..] {
        let mut next = vec![f32::NEG_INFINITY; n_labels];
        let mut ptr = vec![0usize; n_labels];
        for cur in 0..n_labels {
            for prev in 0..n_labels {
                if allowed[prev][cur] && score[prev] > f32::NEG_INFINITY {
                    let s = score[prev] + row[cur];
                    if s > next[cur] {
                        next[cur] = s;
                        ptr[cur] = prev;
                    }
                }
            }
        }
        back.push(ptr);
        score = next;
    }
    let mut best = argmax(&score);
    let mut path = vec![best; emit.len()];
    for (i, ptr) in back.iter().enumerate().rev() {
        best = ptr[best];
        path[i] = best;
    }
    path
}

fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Word-level labels → entity spans `(first_word, last_word_exclusive, entity)`.
fn spans(labels: &[usize], tags: &[Tag]) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (i, &l) in labels.iter().enumerate() {
        let tag = &tags[l];
        let continues =
            matches!(tag.part, Part::Inside | Part::End) && open.as_ref().is_some_and(|(_, e)| *e == tag.entity);
        if !continues {
            if let Some((s, e)) = open.take() {
                out.push((s, i, e));
            }
            if tag.part != Part::Outside {
                open = Some((i, tag.entity.clone()));
            }
        }
        if matches!(tag.part, Part::End | Part::Single) {
            if let Some((s, e)) = open.take() {
                out.push((s, i + 1, e));
            }
        }
    }
    if let Some((s, e)) = open {
        out.push((s, labels.len(), e));
    }
    out
}

impl Recognizer for TransformerNer {
    fn name(&self) -> String {
        format!("transformer:{} (engine {})", self.dir.display(), self.engine.as_str())
    }

    fn weights(&self) -> (PathBuf, String) {
        (self.weights.clone(), self.weights_sha256.clone())
    }

    fn recognize(&self, docs: &mut [Document]) -> Result<()> {
        // 1. Tokenize every sentence in parallel (pure CPU, no libtorch).
        let jobs: Vec<(usize, usize)> =
            docs.iter().enumerate().flat_map(|(d, doc)| (0..doc.sentences.len()).map(move |s| (d, s))).collect();
        let (tokenizer, token_types) = (&self.tokenizer, self.token_types);
        let texts: Vec<&str> = jobs.iter().map(|&(d, s)| docs[d].sentence_text(s)).collect();
        let encoded: Vec<std::result::Result<Vec<Word>, String>> =
            texts.par_iter().map(|t| encode_sentence(tokenizer, token_types, t)).collect();
        // A sentence the tokenizer cannot handle fails its document (reported in errors.csv),
        // not the run.
        let mut words: Vec<Vec<Word>> = Vec::with_capacity(jobs.len());
        for (&(d, s), enc) in jobs.iter().zip(encoded) {
            match enc {
                Ok(w) => words.push(w),
                Err(e) => {
                    docs[d].error.get_or_insert_with(|| format!("tokenizer failed on sentence {s}: {e}"));
                    words.push(Vec::new());
                }
            }
        }

        // 2. Windows, sorted by length so batches carry little padding.
        let mut windows = Vec::new();
        for (job, ws) in words.iter().enumerate() {
            for (a, b) in plan_windows(ws, self.max_pieces) {
                let mut ids = vec![self.cls_id];
                let mut types = vec![0];
                let mut heads = Vec::with_capacity(b - a);
                for w in &ws[a..b] {
                    heads.push(ids.len());
                    // A single word longer than a window keeps its leading pieces; only its first
                    // piece is ever read, so nothing is lost for labelling.
                    let keep = w.ids.len().min(self.max_pieces);
                    ids.extend_from_slice(&w.ids[..keep]);
                    types.extend_from_slice(&w.types[..keep]);
                }
                ids.push(self.sep_id);
                types.push(0);
                windows.push(Window { job, first_word: a, ids, types, heads });
            }
        }
        for w in &windows {
            docs[jobs[w.job].0].n_windows += 1;
        }
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.sort_by_key(|&i| (windows[i].ids.len(), i));

        // 3. Inference. Results: per window, per word, log-probs over labels.
        let n_labels = self.tags.len();
        let mut results: Vec<Vec<Vec<f32>>> = vec![Vec::new(); windows.len()];
        // Dynamically quantised graphs compute activation scales per call, so a window's labels
        // would depend on its batch neighbours; one window per call keeps every sentence's
        // entities independent of batching (and so of sharding and resuming), with no padding.
        let batch_size = self.batch_size();
        // rust-bert panics on empty batches: chunks() never yields one.
        let batches: Vec<&[usize]> = order.chunks(batch_size).collect();
        let outcomes: Vec<Result<BatchScores>> = match &self.backend {
            Backend::Onnx(runner) => runner.run_all(&windows, &batches, n_labels),
            Backend::Torch { .. } => batches.iter().map(|b| self.run_batch(&windows, b, n_labels)).collect(),
        };
        for (batch, outcome) in batches.iter().zip(outcomes) {
            match outcome {
                Ok(rows) => {
                    for (&i, r) in batch.iter().zip(rows) {
                        results[i] = r;
                    }
                }
                // A failing batch is retried window by window so one bad input cannot sink
                // its neighbours; a window that still fails fails its document.
                Err(_) => {
                    for &i in batch.iter() {
                        match self.run_batch(&windows, &[i], n_labels) {
                            Ok(mut rows) => results[i] = rows.pop().unwrap_or_default(),
                            Err(e) => {
                                let (d, s) = jobs[windows[i].job];
                                docs[d].error.get_or_insert_with(|| format!("model failed on sentence {s}: {e}"));
                            }
                        }
                    }
                }
            }
        }

        // 4. Per sentence: each word takes the window where it sits farthest from an edge.
        // Per job, per word: (distance from the window edge, window index).
        let mut best: Vec<Vec<(usize, usize)>> = words.iter().map(|ws| vec![(0, usize::MAX); ws.len()]).collect();
        for (wi, w) in windows.iter().enumerate() {
            let entry = &mut best[w.job];
            let len = w.heads.len();
            for k in 0..len {
                let dist = k.min(len - 1 - k) + 1;
                let slot = &mut entry[w.first_word + k];
                if slot.1 == usize::MAX || dist > slot.0 {
                    *slot = (dist, wi);
                }
            }
        }
        for (job, &(d, s)) in jobs.iter().enumerate() {
            let (ws, choice) = (&words[job], &best[job]);
            if ws.is_empty() || docs[d].error.is_some() {
                continue;
            }
            let emit: Vec<Vec<f32>> = choice
                .iter()
                .enumerate()
                .map(|(k, &(_, wi))| results[wi][k - windows[wi].first_word].clone())
                .collect();
            let labels = match self.decoding {
                Decoding::BioViterbi => viterbi(&emit, &self.allowed),
                Decoding::Argmax => emit.iter().map(|r| argmax(r)).collect(),
            };
            let doc = &mut docs[d];
            let sent_start = doc.sentences[s].span.start_byte;
            for (a, b, entity) in spans(&labels, &self.tags) {
                let start = sent_start + ws[a].start;
                let end = crate::document::grapheme_end(&doc.text, sent_start + ws[b - 1].end);
                let score = (a..b).map(|k| emit[k][labels[k]].exp()).sum::<f32>() / (b - a) as f32;
                // Four decimals: stable across thread counts and identical in CSV and JSONL.
                let score = (score * 1e4).round() / 1e4;
                let kind = coarse_type(&entity).to_string();
                doc.mentions.push(Mention {
                    mention_id: doc.mentions.len(),
                    sentence_idx: s,
                    span: doc.span(start, end),
                    text: doc.text.get(start..end).unwrap_or_default().to_string(),
                    label: entity,
                    kind,
                    score,
                    actor_id: None,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(labels: &[&str]) -> Vec<Tag> {
        labels.iter().map(|l| parse_tag(l)).collect()
    }

    #[test]
    fn viterbi_forbids_inside_without_begin() {
        let t = tags(&["O", "B-PER", "I-PER"]);
        let allowed = transition_table(&t);
        // Argmax would say I-PER for the first word; the constraint turns it into B-PER.
        let emit = vec![vec![-2.0, -1.5, -0.3], vec![-2.0, -2.0, -0.1]];
        assert_eq!(viterbi(&emit, &allowed), vec![1, 2]);
        assert_eq!(spans(&[1, 2], &t), vec![(0, 2, "PER".to_string())]);
    }

    #[test]
    fn spans_handle_iob1_and_bioes() {
        let t = tags(&["O", "I-ORG", "B-ORG", "S-LOC", "E-ORG"]);
        // IOB1: I-ORG I-ORG B-ORG → two entities.
        assert_eq!(spans(&[1, 1, 2, 0], &t), vec![(0, 2, "ORG".into()), (2, 3, "ORG".into())]);
        assert_eq!(spans(&[3, 3], &t), vec![(0, 1, "LOC".into()), (1, 2, "LOC".into())]);
        assert_eq!(spans(&[2, 4, 1], &t), vec![(0, 2, "ORG".into()), (2, 3, "ORG".into())]);
    }

    #[test]
    fn windows_cover_all_words_with_overlap() {
        let words: Vec<Word> =
            (0..10).map(|i| Word { ids: vec![1; 1 + i % 2], types: vec![0; 1 + i % 2], start: 0, end: 0 }).collect();
        let plan = plan_windows(&words, 5);
        assert_eq!(plan.first().map(|p| p.0), Some(0));
        assert_eq!(plan.last().map(|p| p.1), Some(10));
        for w in plan.windows(2) {
            assert!(w[1].0 < w[0].1 || w[0].1 - w[0].0 < 4, "windows {:?} should overlap", w);
            assert!(w[1].0 > w[0].0);
        }
        for (a, b) in &plan {
            let n: usize = words[*a..*b].iter().map(|w| w.ids.len()).sum();
            assert!(n <= 5);
        }
    }
}
