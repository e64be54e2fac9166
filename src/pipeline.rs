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
use crate::sink::store::{self, Done, OutputFile, RunIdentity, Store};
use crate::sink::{self, Layout, OutputFormat, StreamItem};
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

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
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

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.documents += o.documents;
        self.errors += o.errors;
        self.sentences += o.sentences;
        self.tokens += o.tokens;
        self.words += o.words;
        self.windows += o.windows;
        self.mentions += o.mentions;
        self.actors += o.actors;
        self.stances += o.stances;
        self.actions += o.actions;
        self.flagged_invalid_utf8 += o.flagged_invalid_utf8;
        self.empty_documents += o.empty_documents;
    }

    fn add_doc(&mut self, d: &Document) {
        self.documents += 1;
        self.sentences += d.sentences.len();
        self.tokens += d.tokens.len();
        self.words += sink::n_words(d);
        self.windows += d.n_windows;
        self.mentions += d.mentions.len();
        self.actors += d.actors.len();
        self.stances += d.stances.len();
        self.actions += d.actions.len();
        self.flagged_invalid_utf8 += d.flags.contains(&crate::document::Flag::InvalidUtf8) as usize;
        self.empty_documents += d.flags.contains(&crate::document::Flag::Empty) as usize;
    }
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
    /// sha256 over everything that changes outputs besides the inputs (models, options).
    config_hash: &'a str,
    /// Totals over the published outputs (including documents done by runs this one resumed).
    counts: &'a Counts,
    /// What this invocation did.
    this_run: &'a Counts,
    /// Records skipped because an earlier run into this --out had done them (--resume).
    skipped_done: usize,
    outputs: Vec<OutputFile>,
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
    /// What this invocation processed.
    pub counts: Counts,
    /// Records skipped because they were already done (--resume).
    pub skipped_done: usize,
    pub stages: StageSeconds,
    pub elapsed_seconds: f64,
    /// None in --stream mode.
    pub out: Option<PathBuf>,
    /// Rows in the published errors.csv (this run and the runs it resumed); None in --stream mode.
    pub published_errors: Option<usize>,
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
    /// Output folder; None = `--stream` (JSON Lines to stdout).
    pub out: Option<PathBuf>,
    pub formats: Vec<OutputFormat>,
    pub layout: Layout,
    pub resume: bool,
    /// See [`config_hash`].
    pub config_hash: String,
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
    if threads == 0 || args.batch_size == Some(0) || args.chunk_size == 0 {
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
    let opts = NerOptions {
        device,
        batch_size: args.batch_size,
        max_length: args.max_length,
        engine: args.engine,
        threads,
        decoding: args.ner_decoding,
    };
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
    let inputs = if args.inputs.is_empty() { vec!["-".to_string()] } else { args.inputs.clone() };
    let config_hash = config_hash(args, &model_dir, recognizer.engine(), recognizer.batch_size())?;
    let job = ExtractJob {
        inputs,
        out: if args.stream { None } else { args.out.clone() },
        formats: args.format.clone(),
        layout: args.layout,
        resume: args.resume,
        config_hash,
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
        batch_size: recognizer.batch_size(),
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

/// sha256 over a folder's files (names and contents), for the configuration hash.
pub fn dir_fingerprint(dir: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    for f in files {
        h.update(f.strip_prefix(dir).unwrap_or(&f).to_string_lossy().as_bytes());
        h.update(crate::ner::sha256_file(&f)?.as_bytes());
    }
    Ok(hex::encode(h.finalize()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// Everything besides the input that decides the outputs' bytes: model folders, options,
/// version. `--resume` requires the same hash, so a resumed run never mixes configurations.
pub fn config_hash(
    args: &ExtractArgs,
    ner_dir: &Path,
    engine: crate::ner::Engine,
    batch_size: usize,
) -> Result<String> {
    let fp = |d: &Option<PathBuf>| -> Result<String> {
        d.as_ref().map(|d| dir_fingerprint(d)).transpose().map(|o| o.unwrap_or_else(|| "-".into()))
    };
    let syntax = match (&args.syntax_model, args.no_actions) {
        (_, true) => "off".to_string(),
        (Some(d), false) => dir_fingerprint(d)?,
        (None, false) => dir_fingerprint(&bundled_model_dir("syntax"))?,
    };
    let aliases = match &args.aliases {
        Some(p) => crate::ner::sha256_file(p)?,
        None => "-".into(),
    };
    let value = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "ner": dir_fingerprint(ner_dir)?,
        "engine": engine.as_str(),
        "decoding": args.ner_decoding.map(|d| format!("{d:?}")),
        "syntax": syntax,
        "sentiment": fp(&args.sentiment_model)?,
        "stance": fp(&args.stance_model)?,
        "aliases": aliases,
        "max_length": args.max_length,
        "batch_size": batch_size,
        "chunk_size": args.chunk_size,
        "id_field": args.id_field,
        "text_field": args.text_field,
        "shard": args.shard.map(|s| format!("{}/{}", s.index, s.count)),
        "csv_escape_formulas": args.csv_escape_formulas,
    });
    Ok(sha256_hex(value.to_string().as_bytes()))
}

/// Run one extraction job end to end.
pub fn run(job: &ExtractJob) -> Result<Summary> {
    let started = chrono::Utc::now();
    let clock = Instant::now();
    let shard = job.shard.map(|s| (s.index, s.count)).unwrap_or((0, 1));
    let (weights, weights_sha256) = job.recognizer.weights();
    let mut store = match &job.out {
        Some(out) => {
            std::fs::create_dir_all(out).map_err(|e| Error::Output { path: out.clone(), message: e.to_string() })?;
            let identity = RunIdentity {
                model_sha256: weights_sha256.clone(),
                config_hash: job.config_hash.clone(),
                formats: job.formats.iter().map(|f| format!("{f:?}").to_lowercase()).collect(),
                layout: format!("{:?}", job.layout).to_lowercase(),
            };
            Some(Store::open(out, &identity, &job.formats, job.layout, shard, job.resume)?)
        }
        None => None,
    };
    let mut counts = Counts::default();
    let mut skipped_done = 0usize;
    let bar = progress_bar(&job.inputs, job.progress);
    let mut ingest = Ingest::new(&job.inputs, job.ingest.clone());
    let mut stages = StageSeconds::default();
    let stdout = std::io::stdout();
    let mut seq = 0u64;
    loop {
        let mut t = Instant::now();
        let mut docs: Vec<Document> = Vec::with_capacity(job.chunk_size);
        let mut errors: Vec<ErrorRow> = Vec::new();
        for rec in ingest.by_ref() {
            seq += 1;
            match rec {
                Ok(mut doc) if job.shard.is_none_or(|s| s.owns(&doc.doc_id)) => {
                    doc.seq = seq;
                    match store.as_ref().map(|s| s.check(&doc.doc_id, &doc.input_sha256)).unwrap_or(Done::No) {
                        Done::No => docs.push(doc),
                        Done::Yes => {
                            skipped_done += 1;
                            bar.inc(doc.text.len() as u64);
                        }
                        Done::Changed => errors.push(ErrorRow {
                            source: doc.origin.source,
                            line: doc.origin.line,
                            message: format!(
                                "doc_id `{}` was done by an earlier run into this --out with other text; \
                                 reprocess changed documents into a new --out",
                                doc.doc_id
                            ),
                            doc_id: doc.doc_id,
                            kind: "changed_since_done".into(),
                            input_sha256: Some(doc.input_sha256),
                            seq,
                        }),
                    }
                }
                Err(mut e) if job.shard.is_none_or(|s| s.owns_error(&e)) => {
                    e.seq = seq;
                    let (key, sha) = store::error_key(&e);
                    if store.as_ref().is_some_and(|s| s.check(&key, &sha) == Done::Yes) {
                        skipped_done += 1;
                    } else {
                        errors.push(e);
                    }
                }
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
                input_sha256: Some(d.input_sha256),
                seq: d.seq,
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
        let mut chunk_counts = Counts::default();
        let mut chunk_actors = CorpusActors::default();
        for d in &docs {
            chunk_counts.add_doc(d);
            chunk_actors.add(d);
            bar.inc(d.text.len() as u64);
        }
        chunk_counts.errors = errors.len();
        match store.as_mut() {
            Some(st) => st.commit_chunk(&docs, &errors, chunk_actors, chunk_counts.clone())?,
            None => write_stream(&mut stdout.lock(), &docs, &errors)?,
        }
        lap(&mut stages.sink);
        counts.add(&chunk_counts);
        let secs = clock.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!("{} docs, {:.0} words/s", counts.documents, counts.words as f64 / secs));
    }
    bar.finish_and_clear();
    let Some(store) = store else {
        let elapsed = clock.elapsed().as_secs_f64();
        return Ok(Summary {
            counts,
            skipped_done,
            stages,
            elapsed_seconds: elapsed,
            out: None,
            published_errors: None,
        });
    };
    let t = Instant::now();
    let (totals, corpus_actors) = store.totals()?;
    let corpus_rows: Vec<_> = corpus_actors.rows().iter().map(sink::tables::corpus_actor_row).collect();
    let manifest_path = store.manifest_path();
    let outputs = store.publish(&corpus_rows)?;
    stages.sink += t.elapsed().as_secs_f64();
    let elapsed = clock.elapsed().as_secs_f64();
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
        config_hash: &job.config_hash,
        counts: &totals,
        this_run: &counts,
        skipped_done,
        outputs,
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        elapsed_seconds: elapsed,
        stage_seconds: &stages,
        words_per_second: counts.words as f64 / elapsed.max(1e-9),
        threads: job.threads,
        batch_size: job.batch_size,
        shard: job.shard,
    };
    if let Some(parent) = manifest_path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::Output { path: parent.into(), message: e.to_string() })?;
    }
    sink::write_json_atomic(&manifest_path, &manifest)?;
    let published_errors = Some(totals.errors);
    Ok(Summary { counts, skipped_done, stages, elapsed_seconds: elapsed, out: job.out.clone(), published_errors })
}

/// `--stream`: this chunk's documents and error records as JSON lines, in input order.
fn write_stream(w: &mut impl std::io::Write, docs: &[Document], errors: &[ErrorRow]) -> Result<()> {
    let mut items: Vec<(u64, StreamItem)> = docs.iter().map(|d| (d.seq, StreamItem::Doc(d))).collect();
    items.extend(errors.iter().map(|e| (e.seq, StreamItem::Error(e))));
    items.sort_by_key(|x| x.0);
    let fail = sink::stdout_error;
    for (_, item) in items {
        sink::stream_line(w, item).map_err(fail)?;
    }
    w.flush().map_err(fail)
}
