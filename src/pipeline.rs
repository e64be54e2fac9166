//! Wires the stages: ingest → segment → ner → sink, in bounded chunks so memory stays flat.
//! Later stages (actors → actions → tone) slot in between ner and sink.

use crate::actions::ActionStage;
use crate::actors::{ActorResolver, AliasTable, CorpusActors};
use crate::cli::{DeviceArg, ExtractArgs};
use crate::document::{Document, ErrorRow};
use crate::error::{Error, Result};
use crate::ingest::{Ingest, IngestOptions};
use crate::ner::{NerOptions, Recognizer, TransformerNer};
use crate::segment;
use crate::sink::{self, OutputDir, OutputFormat};
use crate::tone::{SentimentEngine, StanceEngine, ToneStage};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

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

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub documents: usize,
    pub errors: usize,
    pub sentences: usize,
    pub tokens: usize,
    pub words: usize,
    pub windows: usize,
    pub mentions: usize,
    pub actors: usize,
    pub stances: usize,
    pub actions: usize,
    pub flagged_invalid_utf8: usize,
    pub empty_documents: usize,
}

/// Seconds spent in each stage (wall clock, all chunks).
#[derive(Debug, Clone, Default, Serialize)]
pub struct StageSeconds {
    pub ingest: f64,
    pub segment: f64,
    pub ner: f64,
    pub actors: f64,
    pub actions: f64,
    pub tone: f64,
    pub sink: f64,
}

#[derive(Debug, Serialize)]
struct ModelInfo {
    name: String,
    weights: PathBuf,
    weights_sha256: String,
    sentiment: String,
    stance: String,
}

#[derive(Debug, Serialize)]
struct Manifest<'a> {
    actorlens_version: &'static str,
    command_line: &'a [String],
    model: ModelInfo,
    counts: &'a Counts,
    outputs: Vec<String>,
    started_at: String,
    finished_at: String,
    elapsed_seconds: f64,
    stage_seconds: &'a StageSeconds,
    words_per_second: f64,
    threads: usize,
    batch_size: usize,
    shard: Option<Shard>,
}

pub struct Summary {
    pub counts: Counts,
    pub stages: StageSeconds,
    pub elapsed_seconds: f64,
    pub out: PathBuf,
}

impl Summary {
    pub fn words_per_second(&self) -> f64 {
        self.counts.words as f64 / self.elapsed_seconds.max(1e-9)
    }
}

/// `--shard I/N`: a stable subset of the corpus, chosen by a hash of each record's doc_id (or
/// source:line for records without one), so N jobs together process every record exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| format!("`{s}` is not I/N (e.g. 0/4)"))?;
        let index: u64 = i.trim().parse().map_err(|_| format!("shard index `{i}` is not a number"))?;
        let count: u64 = n.trim().parse().map_err(|_| format!("shard count `{n}` is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: need 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    pub fn owns(&self, key: &str) -> bool {
        use sha2::{Digest, Sha256};
        let h = Sha256::digest(key.as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[..8]);
        u64::from_be_bytes(b) % self.count == self.index
    }

    fn owns_error(&self, e: &ErrorRow) -> bool {
        if e.doc_id.is_empty() {
            self.owns(&format!("{}:{}", e.source, e.line))
        } else {
            self.owns(&e.doc_id)
        }
    }
}

/// Options that do not depend on the command line parser, so tests can drive the library.
pub struct ExtractJob<'a> {
    pub inputs: Vec<String>,
    pub out: PathBuf,
    pub formats: Vec<OutputFormat>,
    pub ingest: IngestOptions,
    pub chunk_size: usize,
    pub recognizer: &'a dyn Recognizer,
    pub actors: ActorResolver,
    pub actions: Option<ActionStage>,
    pub tone: ToneStage,
    pub command_line: Vec<String>,
    pub progress: bool,
    pub threads: usize,
    pub batch_size: usize,
    pub shard: Option<Shard>,
}

/// Set libtorch's and rayon's thread counts (rayon's global pool can only be set once).
pub fn set_threads(n: usize) {
    tch::set_num_threads(n as i32);
    let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
}

/// Build everything from parsed flags and run. Errors here mean "could not start" (exit 2).
pub fn extract_from_args(args: &ExtractArgs, command_line: Vec<String>) -> Result<Summary> {
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    if threads == 0 || args.batch_size == 0 || args.chunk_size == 0 {
        return Err(Error::Usage("--threads, --batch-size and --chunk-size must be at least 1".into()));
    }
    set_threads(threads);
    let device =
        match args.device {
            DeviceArg::Cpu => tch::Device::Cpu,
            DeviceArg::Cuda if tch::Cuda::is_available() => tch::Device::Cuda(0),
            DeviceArg::Cuda => return Err(Error::Usage(
                "--device cuda: no CUDA device visible to libtorch (the default set-up assembles a CPU-only libtorch)"
                    .into(),
            )),
        };
    let model_dir = args.ner_model.clone().unwrap_or_else(default_model_dir);
    let opts = NerOptions { device, batch_size: args.batch_size, max_length: args.max_length };
    let aliases = match &args.aliases {
        Some(path) => AliasTable::from_csv(path)?,
        None => AliasTable::default(),
    };
    let recognizer = TransformerNer::load(&model_dir, opts)?;
    let actions = match (&args.syntax_model, args.no_actions) {
        (_, true) => None,
        (Some(dir), false) => Some(ActionStage::load(dir)?),
        (None, false) => Some(ActionStage::load(&bundled_model_dir("syntax"))?),
    };
    let tone = ToneStage {
        sentiment: match &args.sentiment_model {
            Some(dir) => SentimentEngine::load(dir, device)?,
            None => SentimentEngine::Vader,
        },
        stance: match &args.stance_model {
            Some(dir) => StanceEngine::load(dir, device)?,
            None => StanceEngine::Lexicon,
        },
    };
    let progress = !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let job = ExtractJob {
        inputs: args.inputs.clone(),
        out: args.out.clone(),
        formats: args.format.clone(),
        ingest: IngestOptions {
            id_field: args.id_field.clone(),
            text_field: args.text_field.clone(),
            stdin_format: args.stdin_format,
        },
        chunk_size: args.chunk_size,
        recognizer: &recognizer,
        actors: ActorResolver::new(aliases),
        actions,
        tone,
        command_line,
        progress,
        threads,
        batch_size: args.batch_size,
        shard: args.shard,
    };
    run(&job)
}

fn input_bytes(inputs: &[String]) -> Option<u64> {
    let mut total = 0;
    for input in inputs {
        if input == "-" {
            return None;
        }
        let p = Path::new(input);
        if p.is_dir() {
            for e in walkdir::WalkDir::new(p).into_iter().flatten() {
                total += e.metadata().map(|m| if m.is_file() { m.len() } else { 0 }).unwrap_or(0);
            }
        } else {
            total += p.metadata().map(|m| m.len()).unwrap_or(0);
        }
    }
    Some(total)
}

fn progress_bar(inputs: &[String], enabled: bool) -> indicatif::ProgressBar {
    if !enabled {
        return indicatif::ProgressBar::hidden();
    }
    let style = |t: &str| {
        indicatif::ProgressStyle::with_template(t).unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    };
    match input_bytes(inputs) {
        Some(total) => indicatif::ProgressBar::new(total)
            .with_style(style("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ETA {eta} {msg}")),
        None => indicatif::ProgressBar::new_spinner().with_style(style("{spinner} [{elapsed_precise}] {bytes} {msg}")),
    }
}

/// Run one extraction job end to end.
pub fn run(job: &ExtractJob) -> Result<Summary> {
    let started = chrono::Utc::now();
    let clock = Instant::now();
    let mut out = OutputDir::create(&job.out, &job.formats)?;
    let mut counts = Counts::default();
    let bar = progress_bar(&job.inputs, job.progress);
    let mut ingest = Ingest::new(&job.inputs, job.ingest.clone());
    let mut corpus_actors = CorpusActors::default();
    let mut stages = StageSeconds::default();
    loop {
        let mut t = Instant::now();
        let mut docs: Vec<Document> = Vec::with_capacity(job.chunk_size);
        let mut errors: Vec<ErrorRow> = Vec::new();
        for rec in ingest.by_ref() {
            match rec {
                Ok(doc) if job.shard.is_none_or(|s| s.owns(&doc.doc_id)) => docs.push(doc),
                Err(e) if job.shard.is_none_or(|s| s.owns_error(&e)) => errors.push(e),
                _ => {}
            }
            if docs.len() >= job.chunk_size {
                break;
            }
        }
        if docs.is_empty() && errors.is_empty() {
            break;
        }
        // Wall time per stage, summed over chunks, for the manifest (where does the time go).
        let mut lap = |slot: &mut f64| {
            *slot += t.elapsed().as_secs_f64();
            t = Instant::now();
        };
        lap(&mut stages.ingest);
        docs.par_iter_mut().for_each(segment::segment);
        lap(&mut stages.segment);
        job.recognizer.recognize(&mut docs)?;
        // Documents a stage could not process go to errors.csv; the run goes on.
        let (failed, ok): (Vec<Document>, Vec<Document>) = docs.into_iter().partition(|d| d.error.is_some());
        docs = ok;
        for d in failed {
            let message = d.error.unwrap_or_default();
            errors.push(ErrorRow {
                source: d.origin.source,
                line: d.origin.line,
                doc_id: d.doc_id,
                kind: "ner_failed".into(),
                message,
            });
        }
        lap(&mut stages.ner);
        let resolver = &job.actors;
        docs.par_iter_mut().for_each(|d| resolver.resolve(d));
        lap(&mut stages.actors);
        if let Some(stage) = &job.actions {
            docs.par_iter_mut().for_each(|d| stage.run(d));
        }
        lap(&mut stages.actions);
        job.tone.run(&mut docs)?;
        lap(&mut stages.tone);
        out.write_documents(&docs)?;
        out.write_errors(&errors)?;
        lap(&mut stages.sink);
        for d in &docs {
            counts.documents += 1;
            counts.sentences += d.sentences.len();
            counts.tokens += d.tokens.len();
            counts.words += sink::n_words(d);
            counts.windows += d.n_windows;
            counts.mentions += d.mentions.len();
            counts.actors += d.actors.len();
            counts.stances += d.stances.len();
            counts.actions += d.actions.len();
            corpus_actors.add(d);
            counts.flagged_invalid_utf8 += d.flags.contains(&crate::document::Flag::InvalidUtf8) as usize;
            counts.empty_documents += d.flags.contains(&crate::document::Flag::Empty) as usize;
            bar.inc(d.text.len() as u64);
        }
        counts.errors += errors.len();
        let secs = clock.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!("{} docs, {:.0} words/s", counts.documents, counts.words as f64 / secs));
    }
    bar.finish_and_clear();
    out.write_corpus_actors(&corpus_actors.rows())?;
    let dir = out.dir().to_path_buf();
    let mut written: Vec<String> =
        out.finish()?.iter().filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
    written.push("manifest.json".into());
    let elapsed = clock.elapsed().as_secs_f64();
    let (weights, weights_sha256) = job.recognizer.weights();
    let manifest = Manifest {
        actorlens_version: env!("CARGO_PKG_VERSION"),
        command_line: &job.command_line,
        model: ModelInfo {
            name: job.recognizer.name(),
            weights,
            weights_sha256,
            sentiment: job.tone.sentiment.name(),
            stance: job.tone.stance.name(),
        },
        counts: &counts,
        outputs: written,
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        elapsed_seconds: elapsed,
        stage_seconds: &stages,
        words_per_second: counts.words as f64 / elapsed.max(1e-9),
        threads: job.threads,
        batch_size: job.batch_size,
        shard: job.shard,
    };
    sink::write_json_atomic(&dir.join("manifest.json"), &manifest)?;
    Ok(Summary { counts, stages, elapsed_seconds: elapsed, out: dir })
}
