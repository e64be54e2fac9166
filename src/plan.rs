//! One validated plan for a run: every choice the flags leave open (threads, device, model
//! folders, engine, batch size, aliases, shard) is resolved here, once. The pipeline runs the
//! plan; `config_hash` is the hash of the plan's output-deciding part, so `--resume` compares
//! what actually runs. The command-line layer ([`crate::cli`]) only fills a [`Request`].

use crate::digest::{dir_fingerprint, sha256_file, sha256_hex};
use crate::error::{Error, Result};
use crate::ingest::IngestOptions;
use crate::model::heads::Decoding;
use crate::model::{Engine, ModelFolder};
use crate::shard::Shard;
use crate::sink::{Layout, OutputFormat};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the models run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    #[default]
    Cpu,
    Cuda,
}

/// Which engine gives the per-actor (and per-mention) stance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StanceChoice {
    /// The NER folder's stance head when it has one (and ONNX Runtime is present), else VADER.
    #[default]
    Auto,
    /// The stance head; an error if the folder has none.
    Model,
    /// VADER over the clauses where the actor is the target (the pre-0.4 behaviour).
    Vader,
}

/// What the user asked for, before defaults are resolved (the CLI fills this; tests too).
#[derive(Debug, Clone)]
pub struct Request {
    pub inputs: Vec<String>,
    /// None = `--stream` (JSON Lines to stdout).
    pub out: Option<PathBuf>,
    pub formats: Vec<OutputFormat>,
    pub layout: Layout,
    pub resume: bool,
    pub ner_model: Option<PathBuf>,
    pub aliases: Option<PathBuf>,
    pub syntax_model: Option<PathBuf>,
    pub no_actions: bool,
    pub sentiment_model: Option<PathBuf>,
    pub stance_model: Option<PathBuf>,
    pub stance_engine: StanceChoice,
    pub engine: Engine,
    pub decoding: Option<Decoding>,
    pub device: DeviceChoice,
    pub batch_size: Option<usize>,
    pub max_length: Option<usize>,
    pub threads: Option<usize>,
    pub ingest: IngestOptions,
    pub shard: Option<Shard>,
    pub chunk_size: usize,
    pub progress: bool,
    pub command_line: Vec<String>,
    /// `--csv-escape-formulas`.
    pub csv_escape_formulas: bool,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            inputs: Vec::new(),
            out: None,
            formats: vec![OutputFormat::Csv, OutputFormat::Jsonl],
            layout: Layout::Single,
            resume: false,
            ner_model: None,
            aliases: None,
            syntax_model: None,
            no_actions: false,
            sentiment_model: None,
            stance_model: None,
            stance_engine: StanceChoice::Auto,
            engine: Engine::Auto,
            decoding: None,
            device: DeviceChoice::Cpu,
            batch_size: None,
            max_length: None,
            threads: None,
            ingest: IngestOptions::default(),
            shard: None,
            chunk_size: 1024,
            progress: false,
            command_line: Vec::new(),
            csv_escape_formulas: false,
        }
    }
}

/// The NER model as it will run.
#[derive(Clone)]
pub struct NerPlan {
    pub folder: Arc<ModelFolder>,
    /// Resolved: never `Auto`.
    pub engine: Engine,
    pub batch_size: usize,
    pub max_length: Option<usize>,
    pub decoding: Option<Decoding>,
    /// The file the engine runs (ONNX graph or torch weights) and its sha256.
    pub weights: PathBuf,
    pub weights_sha256: String,
}

/// A resolved, validated run.
#[derive(Clone)]
pub struct Plan {
    pub inputs: Vec<String>,
    pub out: Option<PathBuf>,
    pub formats: Vec<OutputFormat>,
    pub layout: Layout,
    pub resume: bool,
    pub threads: usize,
    pub device: tch::Device,
    pub ner: NerPlan,
    /// The syntax model folder of the claimed-actions stage; None = actions off.
    pub syntax: Option<PathBuf>,
    pub aliases: Option<PathBuf>,
    pub sentiment_model: Option<PathBuf>,
    pub stance_model: Option<PathBuf>,
    /// Whether the NER folder's stance head runs (`--stance-engine`, resolved).
    pub stance_head: bool,
    pub ingest: IngestOptions,
    pub shard: Option<Shard>,
    pub chunk_size: usize,
    pub progress: bool,
    pub command_line: Vec<String>,
    pub csv_escape_formulas: bool,
    /// sha256 of [`PlanKey`]: see [`Plan::config_hash`].
    config_hash: String,
}

/// The part of a plan that decides the outputs' bytes besides the inputs. Field names are the
/// ones earlier versions hashed, so a resumed run's hash is unchanged.
#[derive(Serialize)]
struct PlanKey<'a> {
    version: &'static str,
    ner: String,
    engine: &'static str,
    decoding: Option<String>,
    syntax: String,
    sentiment: String,
    stance: String,
    aliases: String,
    max_length: Option<usize>,
    batch_size: usize,
    chunk_size: usize,
    id_field: &'a str,
    text_field: &'a str,
    shard: Option<String>,
    /// Only when on, so runs without it keep the hash earlier versions computed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    csv_escape_formulas: bool,
}

/// Where a bundled model (`default-ner`, `syntax`) is looked for, in order:
/// $ACTORLENS_MODELS/NAME, a `models/` folder above the executable (installed or
/// `target/release`), the crate's own `models/`.
pub fn bundled_model_dir(name: &str) -> PathBuf {
    if let Some(root) = std::env::var_os("ACTORLENS_MODELS") {
        return PathBuf::from(root).join(name);
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1).take(4) {
            let cand = dir.join("models").join(name);
            if cand.is_dir() {
                return cand;
            }
        }
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models").join(name)
}

pub fn default_model_dir() -> PathBuf {
    bundled_model_dir("default-ner")
}

/// Whether the stance head runs: `auto` takes it when the folder has one and ONNX Runtime loads.
fn resolve_stance(folder: &ModelFolder, choice: StanceChoice, zero_shot: bool) -> Result<bool> {
    let head = folder.keys.heads.get("stance").filter(|h| h.kind.as_deref() == Some("span_encoder"));
    let usable = || -> std::result::Result<(), String> {
        let h = head.ok_or_else(|| format!("{} declares no stance head", folder.dir.join("config.json").display()))?;
        if !folder.dir.join(&h.weights).is_file() {
            return Err(format!("{} is missing", folder.dir.join(&h.weights).display()));
        }
        crate::model::encoder::ort_runtime().map(|_| ()).map_err(|e| format!("the stance head needs ONNX Runtime: {e}"))
    };
    match (choice, zero_shot) {
        (StanceChoice::Model, true) => {
            Err(Error::Usage("--stance-engine model and --stance-model (zero-shot) exclude each other".into()))
        }
        (_, true) | (StanceChoice::Vader, _) => Ok(false),
        (StanceChoice::Model, false) => {
            usable().map(|_| true).map_err(|e| Error::Usage(format!("--stance-engine model: {e}")))
        }
        (StanceChoice::Auto, false) => match (head, usable()) {
            (None, _) => Ok(false),
            (Some(_), Ok(())) => Ok(true),
            (Some(_), Err(e)) => {
                tracing::warn!("{e}; per-actor stance falls back to VADER (--stance-engine vader)");
                Ok(false)
            }
        },
    }
}

impl Plan {
    /// Resolve and validate a request. Errors here mean "could not start" (exit 2).
    pub fn resolve(req: Request) -> Result<Plan> {
        let threads = req.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
        if threads == 0 || req.batch_size == Some(0) || req.chunk_size == 0 {
            return Err(Error::Usage("--threads, --batch-size and --chunk-size must be at least 1".into()));
        }
        if req.out.is_none() && (req.resume || req.layout != Layout::Single) {
            return Err(Error::Usage("--resume and --layout need --out (not --stream)".into()));
        }
        let device = match req.device {
            DeviceChoice::Cpu => tch::Device::Cpu,
            DeviceChoice::Cuda if tch::Cuda::is_available() => tch::Device::Cuda(0),
            DeviceChoice::Cuda => return Err(Error::Usage(
                "--device cuda: no CUDA device visible to libtorch (the default set-up assembles a CPU-only libtorch)"
                    .into(),
            )),
        };
        let ner_dir = req.ner_model.clone().unwrap_or_else(default_model_dir);
        let folder = ModelFolder::open(&ner_dir)?;
        let engine = req.engine.resolve(&folder, device)?;
        let weights = match engine.spec().onnx_file {
            Some(file) => folder.dir.join(file),
            None => folder.torch_weights()?,
        };
        let weights_sha256 = if weights.is_file() { sha256_file(&weights)? } else { String::new() };
        let syntax = match (&req.syntax_model, req.no_actions) {
            (_, true) => None,
            (Some(d), false) => Some(d.clone()),
            (None, false) => Some(bundled_model_dir("syntax")),
        };
        let inputs = if req.inputs.is_empty() { vec!["-".to_string()] } else { req.inputs.clone() };
        let batch_size = engine.batch_size_for(&folder, req.batch_size);
        let ner = NerPlan {
            folder: Arc::new(folder),
            engine,
            batch_size,
            max_length: req.max_length,
            decoding: req.decoding,
            weights,
            weights_sha256,
        };
        let stance_head = resolve_stance(&ner.folder, req.stance_engine, req.stance_model.is_some())?;
        let fp = |d: &Option<PathBuf>| -> Result<String> {
            d.as_ref().map(|d| dir_fingerprint(d)).transpose().map(|o| o.unwrap_or_else(|| "-".into()))
        };
        let key = PlanKey {
            version: env!("CARGO_PKG_VERSION"),
            ner: dir_fingerprint(&ner_dir)?,
            engine: engine.as_str(),
            decoding: req.decoding.map(|d| format!("{d:?}")),
            syntax: match &syntax {
                None => "off".into(),
                Some(d) => dir_fingerprint(d)?,
            },
            sentiment: fp(&req.sentiment_model)?,
            stance: match stance_head {
                // The head's graph is in the NER folder's fingerprint; the name marks the engine.
                true => "head:stance".into(),
                false => fp(&req.stance_model)?,
            },
            aliases: match &req.aliases {
                Some(p) => sha256_file(p)?,
                None => "-".into(),
            },
            max_length: req.max_length,
            batch_size: ner.batch_size,
            chunk_size: req.chunk_size,
            id_field: &req.ingest.id_field,
            text_field: &req.ingest.text_field,
            shard: req.shard.map(|s| s.to_string()),
            csv_escape_formulas: req.csv_escape_formulas,
        };
        let value = serde_json::to_value(&key).map_err(|e| Error::Usage(format!("plan: {e}")))?;
        let config_hash = sha256_hex(value.to_string().as_bytes());
        Ok(Plan {
            inputs,
            out: req.out,
            formats: req.formats,
            layout: req.layout,
            resume: req.resume,
            threads,
            device,
            ner,
            syntax,
            aliases: req.aliases,
            sentiment_model: req.sentiment_model,
            stance_model: req.stance_model,
            stance_head,
            ingest: req.ingest,
            shard: req.shard,
            chunk_size: req.chunk_size,
            progress: req.progress,
            command_line: req.command_line,
            csv_escape_formulas: req.csv_escape_formulas,
            config_hash,
        })
    }

    /// sha256 over everything besides the inputs that decides the outputs' bytes (model folders,
    /// engine, options, version). `--resume` requires the same hash.
    pub fn config_hash(&self) -> &str {
        &self.config_hash
    }

    pub fn ner_dir(&self) -> &Path {
        &self.ner.folder.dir
    }
}
