//! Runs a [`Plan`]: ingest → the stage list → sink, in bounded chunks so memory stays flat.
//! The stage list ([`default_stages`]) is `segment → ner → actors → parse → coref → actions → tone`;
//! each stage declares what it reads and writes ([`crate::stage`]), checked once before any input
//! is read, and is timed by the loop, not by code of its own.

use crate::actions::ActionStage;
use crate::actors::{ActorResolver, AliasTable, CorpusActors};
use crate::counts::{Counts, StageSeconds};
use crate::document::{Document, ErrorKind, ErrorRow};
use crate::error::{Error, Result};
use crate::ingest::Ingest;
use crate::ner::{NerOptions, NerStage};
use crate::parse::ParseStage;
use crate::plan::Plan;
use crate::segment::Segmenter;
use crate::shard::Shard;
use crate::sink::store::{self, Done, OutputFile, RunIdentity, Store};
use crate::sink::{self, StreamItem};
use crate::stage::{self, Stage};
use crate::tone::{SentimentEngine, StanceEngine, ToneStage};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

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

/// Set libtorch's and rayon's thread counts (rayon's global pool can only be set once).
pub fn set_threads(n: usize) {
    tch::set_num_threads(n as i32);
    let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
}

/// The default stage list for a plan. Adding a stage is one file plus one line here.
pub fn default_stages(plan: &Plan) -> Result<Vec<Box<dyn Stage>>> {
    let aliases = match &plan.aliases {
        Some(path) => AliasTable::from_csv(path)?,
        None => AliasTable::default(),
    };
    let ner = NerStage::from_folder(
        plan.ner.folder.clone(),
        NerOptions {
            device: plan.device,
            batch_size: Some(plan.ner.batch_size),
            max_length: plan.ner.max_length,
            engine: plan.ner.engine,
            threads: plan.threads,
            decoding: plan.ner.decoding,
            stance: plan.stance_head,
        },
    )?;
    let tone = ToneStage {
        sentiment: match &plan.sentiment_model {
            Some(dir) => SentimentEngine::load(dir, plan.device)?,
            None => SentimentEngine::Vader,
        },
        stance: match (&plan.stance_model, plan.stance_head) {
            (Some(dir), _) => StanceEngine::load(dir, plan.device)?,
            (None, true) => StanceEngine::Model,
            (None, false) => StanceEngine::Lexicon,
        },
    };
    let mut stages: Vec<Box<dyn Stage>> =
        vec![Box::new(Segmenter), Box::new(ner), Box::new(ActorResolver::new(aliases))];
    // One parse per sentence, shared by coref (subjects, binding) and claimed actions.
    let parser = match &plan.syntax {
        Some(dir) => Some(std::sync::Arc::new(ParseStage::load(dir)?)),
        None => None,
    };
    if let Some(p) = &parser {
        stages.push(Box::new(SharedParse(p.clone())));
    }
    stages.push(Box::new(crate::coref::CorefStage));
    if let Some(p) = parser {
        stages.push(Box::new(ActionStage::with_parser(p)));
    }
    stages.push(Box::new(tone));
    Ok(stages)
}

/// The parse stage behind an `Arc`, so the actions stage can share its models.
struct SharedParse(std::sync::Arc<ParseStage>);

impl Stage for SharedParse {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn reads(&self) -> &'static [stage::Field] {
        self.0.reads()
    }
    fn writes(&self) -> &'static [stage::Field] {
        self.0.writes()
    }
    fn run(&self, docs: &mut [Document]) {
        self.0.run(docs)
    }
}

/// Build the default stages and run the plan.
pub fn extract(plan: &Plan) -> Result<Summary> {
    set_threads(plan.threads);
    let stages = default_stages(plan)?;
    run(plan, &stages)
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

/// What the stages that ran say about themselves under `key` (see `Stage::describe`); `-` when
/// no stage in the list reports it.
fn described(stages: &[Box<dyn Stage>], key: &str) -> String {
    stages.iter().flat_map(|s| s.describe()).find(|(k, _)| *k == key).map(|(_, v)| v).unwrap_or_else(|| "-".into())
}

/// Run a plan through `stages` end to end. Errors here mean the run could not start or could not
/// write its outputs; a document a stage cannot process becomes an error row.
pub fn run(plan: &Plan, stages: &[Box<dyn Stage>]) -> Result<Summary> {
    stage::check(stages).map_err(Error::Usage)?;
    let started = chrono::Utc::now();
    let clock = Instant::now();
    let shard = plan.shard.map(|s| (s.index, s.count)).unwrap_or((0, 1));
    let mut store = match &plan.out {
        Some(out) => {
            std::fs::create_dir_all(out).map_err(|e| Error::Output { path: out.clone(), message: e.to_string() })?;
            let identity = RunIdentity {
                model_sha256: plan.ner.weights_sha256.clone(),
                config_hash: plan.config_hash().to_string(),
                formats: plan.formats.iter().map(|f| format!("{f:?}").to_lowercase()).collect(),
                layout: format!("{:?}", plan.layout).to_lowercase(),
            };
            Some(
                Store::open(out, &identity, &plan.formats, plan.layout, shard, plan.resume)?
                    .with_escaped_formulas(plan.csv_escape_formulas),
            )
        }
        None => None,
    };
    let mut counts = Counts::default();
    let mut skipped_done = 0usize;
    let bar = progress_bar(&plan.inputs, plan.progress);
    let mut ingest = Ingest::new(&plan.inputs, plan.ingest.clone());
    let mut seconds = StageSeconds::default();
    let stdout = std::io::stdout();
    let mut seq = 0u64;
    loop {
        let t = Instant::now();
        let mut docs: Vec<Document> = Vec::with_capacity(plan.chunk_size);
        let mut errors: Vec<ErrorRow> = Vec::new();
        for rec in ingest.by_ref() {
            seq += 1;
            match rec {
                Ok(mut doc) if plan.shard.is_none_or(|s| s.owns(&doc.doc_id)) => {
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
                            kind: ErrorKind::ChangedSinceDone,
                            input_sha256: Some(doc.input_sha256),
                            seq,
                        }),
                    }
                }
                Err(mut e) if plan.shard.is_none_or(|s| s.owns(&e.key())) => {
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
            if docs.len() >= plan.chunk_size {
                break;
            }
        }
        if docs.is_empty() && errors.is_empty() {
            break;
        }
        seconds.add("ingest", t.elapsed().as_secs_f64());
        for s in stages {
            let t = Instant::now();
            stage::run_isolated(s.as_ref(), &mut docs);
            seconds.add(s.name(), t.elapsed().as_secs_f64());
        }
        let t = Instant::now();
        // Documents a stage could not process go to errors.csv; the run goes on.
        let (failed, ok): (Vec<Document>, Vec<Document>) = docs.into_iter().partition(|d| d.error.is_some());
        docs = ok;
        for d in failed {
            let failure =
                d.error.unwrap_or_else(|| crate::document::StageFailure { stage: "pipeline", message: String::new() });
            errors.push(ErrorRow {
                source: d.origin.source,
                line: d.origin.line,
                doc_id: d.doc_id,
                kind: ErrorKind::StageFailed(failure.stage),
                message: failure.message,
                input_sha256: Some(d.input_sha256),
                seq: d.seq,
            });
        }
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
        seconds.add("sink", t.elapsed().as_secs_f64());
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
            stages: seconds,
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
    seconds.add("sink", t.elapsed().as_secs_f64());
    let elapsed = clock.elapsed().as_secs_f64();
    let manifest = Manifest {
        actorlens_version: env!("CARGO_PKG_VERSION"),
        command_line: &plan.command_line,
        model: ModelInfo {
            name: described(stages, "name"),
            weights: plan.ner.weights.clone(),
            weights_sha256: plan.ner.weights_sha256.clone(),
            sentiment: described(stages, "sentiment"),
            stance: described(stages, "stance"),
        },
        config_hash: plan.config_hash(),
        counts: &totals,
        this_run: &counts,
        skipped_done,
        outputs,
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        elapsed_seconds: elapsed,
        stage_seconds: &seconds,
        words_per_second: counts.words as f64 / elapsed.max(1e-9),
        threads: plan.threads,
        batch_size: plan.ner.batch_size,
        shard: plan.shard,
    };
    if let Some(parent) = manifest_path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::Output { path: parent.into(), message: e.to_string() })?;
    }
    sink::write_json_atomic(&manifest_path, &manifest)?;
    Ok(Summary {
        counts,
        skipped_done,
        stages: seconds,
        elapsed_seconds: elapsed,
        out: plan.out.clone(),
        published_errors: Some(totals.errors),
    })
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
