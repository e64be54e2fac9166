//! Encoders: run a batch of windows through the transformer once and hand back named outputs
//! (`logits` over the token labels, `hidden` = last hidden states) for the heads to read.
//! Engines live in one table ([`ENGINES`]); adding one is a row there plus an [`Encoder`] impl.

use super::folder::{invalid, ModelFolder};
use super::window::{Batch, Window};
use crate::error::{Error, Result};
use crate::stage::panic_message;
use rust_bert::bert::{BertConfig, BertEmbeddings, BertModel};
use rust_bert::distilbert::{DistilBertConfig, DistilBertModel};
use rust_bert::roberta::RobertaEmbeddings;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tch::{nn, Device, Tensor};

/// The inference engine behind a model stage. All give the same entities (the model folder
/// records the measured agreement); libtorch via rust-bert is the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    /// The model folder's `actorlens.default_engine` (its fastest engine that matches the
    /// reference), else torch; torch, with a warning, if ONNX Runtime is missing.
    Auto,
    Torch,
    Onnx,
    OnnxInt8,
}

/// One row per engine: its name, its file in the model folder, its batching.
pub struct EngineSpec {
    pub engine: Engine,
    pub name: &'static str,
    /// The graph file it runs (None: the torch weights).
    pub onnx_file: Option<&'static str>,
    /// Windows per call when `--batch-size` is not given.
    pub default_batch: usize,
    /// Graphs quantised with one activation scale per call (ORT's quantize_dynamic) would make a
    /// window's labels depend on its batch neighbours: they run one window per call. An int8
    /// graph with per-token or static scales is exempt (see [`Engine::batch_size_for`]).
    pub fixed_batch: Option<usize>,
    pub about: &'static str,
}

pub const ENGINES: &[EngineSpec] = &[
    EngineSpec {
        engine: Engine::Auto,
        name: "auto",
        onnx_file: None,
        default_batch: 32,
        fixed_batch: None,
        about: "the model folder's recorded default engine (actorlens.default_engine), else torch",
    },
    EngineSpec {
        engine: Engine::Torch,
        name: "torch",
        onnx_file: None,
        // libtorch amortises its per-call overhead over big batches.
        default_batch: 32,
        fixed_batch: None,
        about: "rust-bert on libtorch (model.safetensors / rust_model.ot): the reference",
    },
    EngineSpec {
        engine: Engine::Onnx,
        name: "onnx",
        onnx_file: Some("model.onnx"),
        // One batch per worker; smaller batches carry less padding (8 measured fastest).
        default_batch: 8,
        fixed_batch: None,
        about: "ONNX Runtime, fp32 graph (model.onnx)",
    },
    EngineSpec {
        engine: Engine::OnnxInt8,
        name: "onnx-int8",
        onnx_file: Some("model.int8.onnx"),
        default_batch: 1,
        fixed_batch: Some(1),
        about: "ONNX Runtime, int8 graph (model.int8.onnx); batches 8 when its activation scales are per token (actorlens.int8_scales), else one window per call",
    },
];

impl Engine {
    pub fn spec(&self) -> &'static EngineSpec {
        // Every variant has a row: the table is exhaustive by construction (see the test).
        ENGINES.iter().find(|s| s.engine == *self).unwrap_or(&ENGINES[0])
    }

    pub fn as_str(&self) -> &'static str {
        self.spec().name
    }

    pub fn from_name(name: &str) -> Option<Engine> {
        ENGINES.iter().find(|s| s.name == name).map(|s| s.engine)
    }

    /// Windows per call: a fixed batch wins, then `requested`, then the engine's default.
    pub fn batch_size(&self, requested: Option<usize>) -> usize {
        let spec = self.spec();
        spec.fixed_batch.unwrap_or_else(|| requested.unwrap_or(spec.default_batch)).max(1)
    }

    /// [`Engine::batch_size`] for this folder: an int8 graph whose activation scales do not
    /// depend on the batch (`actorlens.int8_scales` = `per-token` or `static`) batches like the
    /// fp32 graph, since a window's result no longer depends on its neighbours.
    pub fn batch_size_for(&self, folder: &ModelFolder, requested: Option<usize>) -> usize {
        if *self == Engine::OnnxInt8 && matches!(folder.keys.int8_scales.as_deref(), Some("per-token" | "static")) {
            return Engine::Onnx.batch_size(requested);
        }
        self.batch_size(requested)
    }

    /// What `auto` means for this folder on this device (a concrete engine is returned as is).
    pub fn resolve(self, folder: &ModelFolder, device: Device) -> Result<Engine> {
        if self != Engine::Auto {
            return Ok(self);
        }
        let wanted = match folder.keys.default_engine.as_deref() {
            None => Engine::Torch,
            Some(name) => match Engine::from_name(name).filter(|e| *e != Engine::Auto) {
                Some(e) => e,
                None => return Err(invalid(&folder.dir, format!("unknown actorlens.default_engine `{name}`"))),
            },
        };
        Ok(match wanted.spec().onnx_file {
            Some(file) if !folder.dir.join(file).is_file() => {
                tracing::warn!("{}: {file} is missing; using the torch engine", folder.dir.display());
                Engine::Torch
            }
            Some(_) if device != Device::Cpu => Engine::Torch,
            Some(_) => match ort_runtime() {
                Ok(_) => wanted,
                Err(e) => {
                    tracing::warn!("{e}; using the torch engine");
                    Engine::Torch
                }
            },
            None => Engine::Torch,
        })
    }
}

/// One named output of a forward pass, `[rows, width, dim]` row-major.
pub struct Output {
    pub name: String,
    pub dim: usize,
    pub data: Vec<f32>,
}

/// Everything a forward pass over one [`Batch`] produced.
pub struct Outputs {
    pub rows: usize,
    pub width: usize,
    pub outputs: Vec<Output>,
}

impl Outputs {
    pub fn get(&self, name: &str) -> Option<&Output> {
        self.outputs.iter().find(|o| o.name == name)
    }

    /// The vector of output `out` at (row, position).
    pub fn at<'a>(&self, out: &'a Output, row: usize, pos: usize) -> &'a [f32] {
        let base = (row * self.width + pos) * out.dim;
        out.data.get(base..base + out.dim).unwrap_or(&[])
    }
}

/// A transformer that turns padded batches into named outputs.
pub trait Encoder: Send {
    fn engine(&self) -> Engine;
    /// Output names this encoder can produce (`logits`, `hidden`).
    fn outputs(&self) -> Vec<String>;
    /// Parallel workers [`Encoder::run_all`] uses.
    fn workers(&self) -> usize {
        1
    }
    /// One forward pass on worker `worker`, returning only the outputs named in `wants`.
    fn run(&self, worker: usize, batch: &Batch, wants: &[&str]) -> Result<Outputs>;
    /// Every batch, results in batch order. The default runs them one after another.
    fn run_all(&self, windows: &[Window], batches: &[&[usize]], pad_id: i64, wants: &[&str]) -> Vec<Result<Outputs>> {
        batches.iter().map(|b| guarded(self, 0, &Batch::pad(windows, b, pad_id), wants)).collect()
    }
    /// Path of the weights it runs, for the manifest.
    fn weights(&self) -> &Path;
}

/// [`Encoder::run`] with panics turned into errors: the engine boundary of failure isolation.
pub fn guarded<E: Encoder + ?Sized>(enc: &E, worker: usize, batch: &Batch, wants: &[&str]) -> Result<Outputs> {
    if batch.rows == 0 || batch.width == 0 {
        return Ok(Outputs { rows: batch.rows, width: 0, outputs: Vec::new() });
    }
    catch_unwind(AssertUnwindSafe(|| enc.run(worker, batch, wants))).unwrap_or_else(|payload| {
        Err(Error::Model(format!(
            "{} engine panicked on this input: {}",
            enc.engine().as_str(),
            panic_message(payload.as_ref())
        )))
    })
}

/// Build the encoder a folder and engine call for (`engine` already resolved, not `Auto`).
pub fn load(folder: &ModelFolder, engine: Engine, device: Device, threads: usize) -> Result<Box<dyn Encoder>> {
    load_with(folder, engine, device, threads, false)
}

/// [`load`], also giving the intermediate layers the folder's heads read (`layer.K`) when
/// `layer_heads`: off, the graph and the forward pass stay exactly as without those heads.
pub fn load_with(
    folder: &ModelFolder,
    engine: Engine,
    device: Device,
    threads: usize,
    layer_heads: bool,
) -> Result<Box<dyn Encoder>> {
    match engine.spec().onnx_file {
        None => Ok(Box::new(TorchEncoder::load(folder, device, layer_heads)?)),
        Some(file) => {
            if device != Device::Cpu {
                return Err(Error::Usage(format!(
                    "--engine {} runs on the CPU only; use --engine torch",
                    engine.as_str()
                )));
            }
            Ok(Box::new(OnnxEncoder::load(folder, engine, file, threads, layer_heads)?))
        }
    }
}

enum Base {
    Bert(BertModel<BertEmbeddings>),
    Roberta(BertModel<RobertaEmbeddings>),
    DistilBert(DistilBertModel),
}

/// rust-bert's base models plus the token classifier, so the last hidden states are available
/// to heads as well as the logits (rust-bert's `*ForTokenClassification` only return logits).
/// Variable paths match `*ForTokenClassification`, so the same weights load.
pub struct TorchEncoder {
    base: Base,
    classifier: Option<nn::Linear>,
    /// Encoder layers whose outputs heads read (`layer.K`), from rust-bert's all_hidden_states.
    layers: Vec<usize>,
    device: Device,
    weights: PathBuf,
    _vs: nn::VarStore,
}

impl TorchEncoder {
    pub fn load(folder: &ModelFolder, device: Device, layer_heads: bool) -> Result<Self> {
        let dir = &folder.dir;
        let bad = |e: String| invalid(dir, format!("config.json: {e}"));
        let mut vs = nn::VarStore::new(device);
        let root = vs.root();
        let n_labels = folder.labels.len() as i64;
        let layers = if layer_heads { head_layers(folder) } else { Vec::new() };
        let (base, hidden) = match folder.model_type.as_str() {
            "bert" | "roberta" | "xlm-roberta" | "camembert" => {
                let mut cfg: BertConfig =
                    serde_json::from_value(folder.config.clone()).map_err(|e| bad(e.to_string()))?;
                // Intermediate layers only when a head reads one (each is a copy per layer).
                cfg.output_hidden_states = Some(!layers.is_empty());
                let base = if folder.model_type == "bert" {
                    Base::Bert(BertModel::new_with_optional_pooler(&root / "bert", &cfg, false))
                } else {
                    Base::Roberta(BertModel::new_with_optional_pooler(&root / "roberta", &cfg, false))
                };
                (base, cfg.hidden_size)
            }
            "distilbert" => {
                let cfg: DistilBertConfig =
                    serde_json::from_value(folder.config.clone()).map_err(|e| bad(e.to_string()))?;
                (Base::DistilBert(DistilBertModel::new(&root, &cfg)), cfg.dim)
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
        let classifier = (n_labels > 0).then(|| nn::linear(&root / "classifier", hidden, n_labels, Default::default()));
        let weights = folder.torch_weights()?;
        vs.load(&weights).map_err(|e| invalid(dir, format!("loading {}: {e}", weights.display())))?;
        let layers = if matches!(folder.model_type.as_str(), "distilbert") { Vec::new() } else { layers };
        Ok(TorchEncoder { base, classifier, layers, device, weights, _vs: vs })
    }

    /// Last hidden states and every layer's output (when a head asked for them).
    fn hidden(&self, ids: &Tensor, mask: &Tensor, types: &Tensor) -> Result<(Tensor, Vec<Tensor>)> {
        let err = |e: rust_bert::RustBertError| Error::Model(e.to_string());
        Ok(match &self.base {
            Base::Bert(m) => {
                let o = m.forward_t(Some(ids), Some(mask), Some(types), None, None, None, None, false).map_err(err)?;
                (o.hidden_state, o.all_hidden_states.unwrap_or_default())
            }
            Base::Roberta(m) => {
                let o = m.forward_t(Some(ids), Some(mask), Some(types), None, None, None, None, false).map_err(err)?;
                (o.hidden_state, o.all_hidden_states.unwrap_or_default())
            }
            Base::DistilBert(m) => (m.forward_t(Some(ids), Some(mask), None, false).map_err(err)?.hidden_state, vec![]),
        })
    }
}

fn to_vec(t: &Tensor) -> Result<Vec<f32>> {
    let t = t.f_to(Device::Cpu)?.f_contiguous()?;
    Ok(Vec::<f32>::try_from(t.f_view([-1])?)?)
}

impl Encoder for TorchEncoder {
    fn engine(&self) -> Engine {
        Engine::Torch
    }

    fn outputs(&self) -> Vec<String> {
        let mut v = vec!["hidden".to_string()];
        if self.classifier.is_some() {
            v.push("logits".into());
        }
        v.extend(self.layers.iter().map(|k| format!("layer.{k}")));
        v
    }

    fn run(&self, _worker: usize, batch: &Batch, wants: &[&str]) -> Result<Outputs> {
        let shape = [batch.rows as i64, batch.width as i64];
        let dev = self.device;
        let t_ids = Tensor::f_from_slice(&batch.ids)?.f_view(shape)?.f_to(dev)?;
        let t_mask = Tensor::f_from_slice(&batch.mask)?.f_view(shape)?.f_to(dev)?;
        let t_types = Tensor::f_from_slice(&batch.types)?.f_view(shape)?.f_to(dev)?;
        tch::no_grad(|| -> Result<Outputs> {
            let (hidden, all) = self.hidden(&t_ids, &t_mask, &t_types)?;
            let mut outputs = Vec::new();
            for &name in wants {
                let layer = name.strip_prefix("layer.").and_then(|k| k.parse::<usize>().ok());
                let (t, dim) = match (name, &self.classifier) {
                    ("hidden", _) => (hidden.shallow_clone(), hidden.size().last().copied().unwrap_or(0)),
                    // rust-bert pushes each layer's output in order: index K is layer K's.
                    (_, _) if layer.is_some_and(|k| self.layers.contains(&k) && k < all.len()) => {
                        let t = all[layer.unwrap_or(0)].shallow_clone();
                        let d = t.size().last().copied().unwrap_or(0);
                        (t, d)
                    }
                    ("logits", Some(c)) => {
                        let l = hidden.apply(c);
                        let d = l.size().last().copied().unwrap_or(0);
                        (l, d)
                    }
                    _ => return Err(Error::Model(format!("the torch encoder has no output `{name}`"))),
                };
                let data = to_vec(&t)?;
                let dim = dim as usize;
                if data.len() != batch.rows * batch.width * dim {
                    return Err(Error::Model(format!(
                        "output `{name}` has {} values, expected {}",
                        data.len(),
                        batch.rows * batch.width * dim
                    )));
                }
                outputs.push(super::encoder::Output { name: name.into(), dim, data });
            }
            Ok(Outputs { rows: batch.rows, width: batch.width, outputs })
        })
    }

    fn weights(&self) -> &Path {
        &self.weights
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
pub fn ort_runtime() -> std::result::Result<&'static ort::environment::Environment, String> {
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

/// ONNX Runtime sessions, one per worker thread, each with a single intra-op thread: on a few
/// cores, independent workers on whole batches beat one session splitting every small matrix
/// product. `Session::run` needs `&mut`, hence the mutexes (uncontended: worker `w` only uses
/// session `w`); a lock poisoned by a caught panic is recovered, so one bad input does not
/// disable its worker.
pub struct OnnxEncoder {
    engine: Engine,
    sessions: Vec<Mutex<ort::session::Session>>,
    /// Whether the graph takes token_type_ids (an exporter may drop a constant input).
    types_input: bool,
    /// Graph output name for each of our output names.
    output_names: Vec<(String, String)>,
    path: PathBuf,
}

impl OnnxEncoder {
    pub fn load(folder: &ModelFolder, engine: Engine, file: &str, threads: usize, layer_heads: bool) -> Result<Self> {
        let dir = &folder.dir;
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
        let mut model_bytes =
            std::fs::read(&path).map_err(|e| invalid(dir, format!("reading {}: {e}", path.display())))?;
        // Intermediate layers a head reads become extra graph outputs.
        let layer_tensors: Vec<(String, String)> = folder
            .keys
            .heads
            .values()
            .filter(|_| layer_heads)
            .filter_map(|h| Some((h.input.clone(), h.graph_tensor.clone().filter(|_| h.layer().is_some())?)))
            .collect();
        for (_, tensor) in &layer_tensors {
            append_float_output(&mut model_bytes, tensor);
        }
        let sessions = worker_sessions(env, &model_bytes, threads)
            .map_err(|e| invalid(dir, format!("loading {}: {e}", path.display())))?;
        let (inputs, graph_outputs): (Vec<String>, Vec<String>) = match sessions.first().map(|m| m.lock()) {
            Some(Ok(s)) => (
                s.inputs().iter().map(|i| i.name().to_string()).collect(),
                s.outputs().iter().map(|o| o.name().to_string()).collect(),
            ),
            _ => (Vec::new(), Vec::new()),
        };
        // Batching an int8 graph is only sound when its activation scales are fixed: the folder's
        // claim (which sets the batch size) must match what the graph records.
        if engine == Engine::OnnxInt8 {
            let recorded = match sessions.first().map(|m| m.lock()) {
                Some(Ok(s)) => s.metadata().ok().and_then(|m| m.custom("int8_scales")),
                _ => None,
            };
            let claimed = folder.keys.int8_scales.as_deref().unwrap_or("dynamic");
            if recorded.as_deref().unwrap_or("dynamic") != claimed {
                return Err(invalid(
                    dir,
                    format!(
                        "config.json says actorlens.int8_scales = `{claimed}` but {file} records `{}`; \
                         re-export with `make model-onnx`",
                        recorded.as_deref().unwrap_or("dynamic")
                    ),
                ));
            }
        }
        for need in ["input_ids", "attention_mask"] {
            if !inputs.iter().any(|n| n == need) {
                return Err(invalid(dir, format!("{file} has no `{need}` input (inputs: {inputs:?})")));
            }
        }
        // Our names for the graph's outputs: `logits` (the first output unless one is named so)
        // and `hidden` (`last_hidden_state` or `hidden`), so a multi-output graph feeds several heads.
        let mut output_names = Vec::new();
        let logits = graph_outputs.iter().find(|n| *n == "logits").or(graph_outputs.first());
        if let Some(n) = logits.filter(|n| !matches!(n.as_str(), "last_hidden_state" | "hidden")) {
            output_names.push(("logits".to_string(), n.clone()));
        }
        if let Some(n) = graph_outputs.iter().find(|n| matches!(n.as_str(), "last_hidden_state" | "hidden")) {
            output_names.push(("hidden".to_string(), n.clone()));
        }
        for (ours, tensor) in layer_tensors {
            if graph_outputs.iter().any(|n| *n == tensor) && !output_names.iter().any(|(o, _)| *o == ours) {
                output_names.push((ours, tensor));
            }
        }
        let types_input = inputs.iter().any(|n| n == "token_type_ids");
        Ok(OnnxEncoder { engine, sessions, types_input, output_names, path })
    }
}

impl Encoder for OnnxEncoder {
    fn engine(&self) -> Engine {
        self.engine
    }

    fn outputs(&self) -> Vec<String> {
        self.output_names.iter().map(|(ours, _)| ours.clone()).collect()
    }

    fn workers(&self) -> usize {
        self.sessions.len().max(1)
    }

    fn run(&self, worker: usize, batch: &Batch, wants: &[&str]) -> Result<Outputs> {
        let shape = [batch.rows as i64, batch.width as i64];
        let fail = |e: String| Error::Model(format!("ONNX Runtime: {e}"));
        let t = |v: &[i64]| ort::value::Tensor::from_array((shape, v.to_vec())).map_err(|e| fail(e.to_string()));
        let mut inputs = vec![("input_ids", t(&batch.ids)?.into_dyn()), ("attention_mask", t(&batch.mask)?.into_dyn())];
        if self.types_input {
            inputs.push(("token_type_ids", t(&batch.types)?.into_dyn()));
        }
        let slot = &self.sessions[worker % self.sessions.len()];
        let mut session = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let results = session.run(inputs).map_err(|e| fail(e.to_string()))?;
        let mut outputs = Vec::new();
        for &name in wants {
            let graph_name = self
                .output_names
                .iter()
                .find(|(ours, _)| ours == name)
                .map(|(_, g)| g.as_str())
                .ok_or_else(|| fail(format!("{} has no output `{name}`", self.path.display())))?;
            let value = results.get(graph_name).ok_or_else(|| fail(format!("no output `{graph_name}`")))?;
            let (out_shape, data) = value.try_extract_tensor::<f32>().map_err(|e| fail(e.to_string()))?;
            let cells = batch.rows * batch.width;
            let dim = if cells == 0 { 0 } else { data.len() / cells };
            if dim == 0 || data.len() != cells * dim {
                return Err(fail(format!(
                    "output `{graph_name}` has shape {out_shape:?}, expected [{}, {}, _]",
                    batch.rows, batch.width
                )));
            }
            outputs.push(Output { name: name.into(), dim, data: data.to_vec() });
        }
        Ok(Outputs { rows: batch.rows, width: batch.width, outputs })
    }

    /// All batches, spread over the workers: each takes the next unclaimed batch, so a worker
    /// that drew short ones is never idle while another still has a queue. Results in batch
    /// order (so the output does not depend on scheduling).
    fn run_all(&self, windows: &[Window], batches: &[&[usize]], pad_id: i64, wants: &[&str]) -> Vec<Result<Outputs>> {
        let n = self.workers();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut per_worker: Vec<Vec<(usize, Result<Outputs>)>> = Vec::new();
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
                            done.push((k, guarded(self, w, &Batch::pad(windows, batches[k], pad_id), wants)));
                        }
                    })
                })
                .collect();
            for h in handles {
                per_worker.push(h.join().unwrap_or_default());
            }
        });
        let mut out: Vec<Option<Result<Outputs>>> = (0..batches.len()).map(|_| None).collect();
        for (k, r) in per_worker.into_iter().flatten() {
            out[k] = Some(r);
        }
        out.into_iter().map(|r| r.unwrap_or_else(|| Err(Error::Model("an inference worker stopped".into())))).collect()
    }

    fn weights(&self) -> &Path {
        &self.path
    }
}

/// `n` ONNX Runtime sessions over one serialized graph, one intra-op thread each (see
/// [`OnnxEncoder`]): shared by the encoder and the span-encoder heads.
pub fn worker_sessions(
    env: &ort::environment::Environment,
    model: &[u8],
    n: usize,
) -> std::result::Result<Vec<Mutex<ort::session::Session>>, String> {
    let e = |e: ort::Error<_>| e.to_string();
    (0..n.max(1))
        .map(|_| {
            let s = ort::session::Session::builder(env)
                .map_err(|x| x.to_string())?
                .with_intra_threads(1)
                .map_err(e)?
                .with_inter_threads(1)
                .map_err(e)?
                .with_optimization_level(ort::session::builder::GraphOptimizationLevel::All)
                .map_err(e)?
                .commit_from_memory(model)
                .map_err(|x| x.to_string())?;
            Ok(Mutex::new(s))
        })
        .collect()
}

/// Encoder layers (K of `layer.K`) that the folder's heads read.
pub fn head_layers(folder: &ModelFolder) -> Vec<usize> {
    let mut v: Vec<usize> = folder.keys.heads.values().filter_map(|h| h.layer()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Declare graph tensor `name` (float) an output of the serialized ModelProto `model`. Protobuf
/// merges a repeated occurrence of a message field, so appending `graph { output { name, type } }`
/// adds one output without parsing or rewriting the (large) graph.
pub fn append_float_output(model: &mut Vec<u8>, name: &str) {
    fn varint(out: &mut Vec<u8>, mut v: usize) {
        while v >= 0x80 {
            out.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    fn field(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
        out.push(tag);
        varint(out, body.len());
        out.extend_from_slice(body);
    }
    let mut value_info = Vec::new();
    field(&mut value_info, 0x0A, name.as_bytes()); // ValueInfoProto.name = 1
    value_info.extend_from_slice(&[0x12, 0x04, 0x0A, 0x02, 0x08, 0x01]); // .type = tensor_type { elem_type: FLOAT }
    let mut graph = Vec::new();
    field(&mut graph, 0x62, &value_info); // GraphProto.output = 12
    field(model, 0x3A, &graph); // ModelProto.graph = 7
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_engine_has_one_row() {
        for e in [Engine::Auto, Engine::Torch, Engine::Onnx, Engine::OnnxInt8] {
            assert_eq!(ENGINES.iter().filter(|s| s.engine == e).count(), 1);
            assert_eq!(Engine::from_name(e.as_str()), Some(e));
        }
        assert_eq!(Engine::OnnxInt8.batch_size(Some(16)), 1);
        assert_eq!(Engine::Onnx.batch_size(None), 8);
        assert_eq!(Engine::Torch.batch_size(Some(5)), 5);
    }
}
