//! The pipeline driven in process: a plan built without the command line, a stage list, and
//! failure isolation — a model, tokenizer or stage that panics or errs on one document costs
//! exactly that document (an errors.csv row naming the stage), never the run or its neighbours.

mod common;

use actorlens::document::{Document, Polarity};
use actorlens::model::encoder::{self, Encoder, Engine, Outputs};
use actorlens::model::window::Batch;
use actorlens::ner::{NerOptions, NerStage};
use actorlens::pipeline;
use actorlens::plan::{Plan, Request};
use actorlens::stage::{Field, Stage};
use actorlens::tone::{SentimentEngine, StanceEngine, TextScorer, ToneStage};
use common::{csv_rows, read};
use std::path::{Path, PathBuf};

/// Ten short documents; `d3` carries the marker word "president" (word piece id 13).
fn corpus(dir: &Path) -> PathBuf {
    let path = dir.join("in.jsonl");
    let mut lines = String::new();
    for i in 0..10 {
        let text = if i == 3 {
            "the president met Claudia Sheinbaum. Bell said so.".to_string()
        } else {
            format!("we met Donald Trump and Bell {i} in the city. Diaz said go.")
        };
        lines.push_str(&serde_json::json!({"id": format!("d{i}"), "text": text}).to_string());
        lines.push('\n');
    }
    std::fs::write(&path, lines).unwrap();
    path
}

fn plan(input: &Path, out: &Path) -> Plan {
    Plan::resolve(Request {
        inputs: vec![input.display().to_string()],
        out: Some(out.to_path_buf()),
        ner_model: Some(common::case_model()),
        no_actions: true,
        batch_size: Some(4),
        chunk_size: 4,
        threads: Some(2),
        ..Default::default()
    })
    .expect("plan")
}

/// The default stages on `input`, into DIR/reference: what a run with a fixture must equal.
fn reference_run(input: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("reference");
    let plan = plan(input, &out);
    pipeline::run(&plan, &pipeline::default_stages(&plan).unwrap()).unwrap();
    out
}

fn replace(stages: &mut [Box<dyn Stage>], name: &str, with: Box<dyn Stage>) {
    let i = stages.iter().position(|s| s.name() == name).expect("stage in the default list");
    stages[i] = with;
}

/// (doc_id, kind) of every errors.csv row.
fn errors(out: &Path) -> Vec<(String, String)> {
    csv_rows(&out.join("errors.csv")).iter().map(|r| (r[2].to_string(), r[3].to_string())).collect()
}

/// A table's rows without those of `doc`.
fn rows_without(out: &Path, table: &str, doc: &str) -> Vec<String> {
    read(&out.join(table)).lines().filter(|l| !l.starts_with(&format!("{doc},"))).map(String::from).collect()
}

/// An engine that panics on any batch holding word piece `marker`, the retry included.
struct PanicOn {
    inner: Box<dyn Encoder>,
    marker: i64,
}

impl Encoder for PanicOn {
    fn engine(&self) -> Engine {
        self.inner.engine()
    }
    fn outputs(&self) -> Vec<String> {
        self.inner.outputs()
    }
    fn run(&self, worker: usize, batch: &Batch, wants: &[&str]) -> actorlens::Result<Outputs> {
        if batch.ids.contains(&self.marker) {
            panic!("fixture engine: marked input");
        }
        self.inner.run(worker, batch, wants)
    }
    fn weights(&self) -> &Path {
        self.inner.weights()
    }
}

#[test]
fn in_process_run_writes_the_tables_and_reports_stage_times() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let plan = plan(&corpus(tmp.path()), &out);
    let stages = pipeline::default_stages(&plan).unwrap();
    let names: Vec<&str> = stages.iter().map(|s| s.name()).collect();
    assert_eq!(names, ["segment", "ner", "actors", "coref", "tone"]);
    let summary = pipeline::run(&plan, &stages).unwrap();
    assert_eq!(summary.counts.documents, 10);
    assert_eq!(summary.counts.errors, 0);
    let timed: Vec<&str> = summary.stages.0.iter().map(|(n, _)| *n).collect();
    assert_eq!(timed, ["ingest", "segment", "ner", "actors", "coref", "tone", "sink"]);
    let manifest: serde_json::Value = serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(manifest["config_hash"], plan.config_hash());
    assert!(manifest["stage_seconds"]["ner"].as_f64().is_some());
    assert!(read(&out.join("mentions.csv")).contains("Claudia Sheinbaum"));
}

#[test]
fn the_plan_hash_covers_what_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let input = corpus(tmp.path());
    let a = plan(&input, &tmp.path().join("a"));
    let b = plan(&input, &tmp.path().join("b"));
    assert_eq!(a.config_hash(), b.config_hash(), "the output folder does not change outputs");
    let c = Plan::resolve(Request {
        inputs: vec![input.display().to_string()],
        out: Some(tmp.path().join("c")),
        ner_model: Some(common::case_model()),
        no_actions: true,
        batch_size: Some(5),
        chunk_size: 4,
        ..Default::default()
    })
    .unwrap();
    assert_ne!(a.config_hash(), c.config_hash(), "the batch size is part of the plan");
    assert_eq!(a.ner.engine, Engine::Torch, "auto resolves to torch for a folder without ONNX graphs");
    assert!(Plan::resolve(Request { threads: Some(0), ..Default::default() }).is_err());
}

#[test]
fn a_panicking_ner_engine_costs_only_the_marked_document() {
    let tmp = tempfile::tempdir().unwrap();
    let input = corpus(tmp.path());
    let reference = reference_run(&input, tmp.path());

    let out = tmp.path().join("out");
    let plan = plan(&input, &out);
    let mut stages = pipeline::default_stages(&plan).unwrap();
    let inner = encoder::load(&plan.ner.folder, Engine::Torch, tch::Device::Cpu, 1).unwrap();
    let opts = NerOptions { batch_size: Some(plan.ner.batch_size), ..Default::default() };
    let ner = NerStage::with_encoder(plan.ner.folder.clone(), Box::new(PanicOn { inner, marker: 13 }), &opts).unwrap();
    replace(&mut stages, "ner", Box::new(ner));
    let summary = pipeline::run(&plan, &stages).expect("the run goes on");

    assert_eq!(errors(&out), vec![("d3".to_string(), "ner_failed".to_string())]);
    let message = csv_rows(&out.join("errors.csv"))[0][4].to_string();
    assert!(message.contains("panicked"), "{message}");
    assert_eq!(summary.counts.documents, 9);
    // The marked document's batch neighbours were retried alone and lost nothing.
    for table in ["documents.csv", "mentions.csv", "actors.csv", "sentences.csv"] {
        assert_eq!(rows_without(&out, table, "d3"), rows_without(&reference, table, "d3"), "{table}");
    }
}

/// A sentence scorer that panics on "Sheinbaum" and fails (an error, not a panic) on "Diaz 7".
struct Moody;

impl TextScorer for Moody {
    fn name(&self) -> String {
        "moody".into()
    }
    fn score(&self, texts: &[&str]) -> actorlens::Result<Vec<Polarity>> {
        if texts.iter().any(|t| t.contains("Sheinbaum")) {
            panic!("fixture sentiment model: marked input");
        }
        if texts.iter().any(|t| t.contains("Bell 7")) {
            return Err(actorlens::Error::Model("fixture sentiment model: cannot score".into()));
        }
        Ok(texts.iter().map(|_| Polarity { compound: 0.5, pos: 0.5, neg: 0.0, neu: 0.5 }).collect())
    }
}

#[test]
fn a_failing_tone_model_costs_only_the_documents_it_fails_on() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let plan = plan(&corpus(tmp.path()), &out);
    let mut stages = pipeline::default_stages(&plan).unwrap();
    let tone = ToneStage { sentiment: SentimentEngine::Custom(Box::new(Moody)), stance: StanceEngine::Lexicon };
    replace(&mut stages, "tone", Box::new(tone));
    let summary = pipeline::run(&plan, &stages).expect("the run goes on");
    let mut errs = errors(&out);
    errs.sort();
    assert_eq!(errs, vec![("d3".into(), "tone_failed".into()), ("d7".into(), "tone_failed".into())]);
    assert_eq!(summary.counts.documents, 8);
    let sentences = read(&out.join("sentences.csv"));
    assert!(sentences.lines().skip(1).all(|l| l.contains(",positive,0.5000,")), "the others were scored:\n{sentences}");
}

/// A later stage that processes whole chunks and panics when one holds `d5`.
struct Fragile;

impl Stage for Fragile {
    fn name(&self) -> &'static str {
        "fragile"
    }
    fn reads(&self) -> &'static [Field] {
        &[Field::Actors]
    }
    fn writes(&self) -> &'static [Field] {
        &[Field::Stances]
    }
    fn run(&self, docs: &mut [Document]) {
        assert!(docs.iter().all(|d| d.doc_id != "d5"), "fixture stage: marked document");
    }
}

#[test]
fn a_stage_that_panics_on_a_chunk_is_retried_document_by_document() {
    let tmp = tempfile::tempdir().unwrap();
    let input = corpus(tmp.path());
    let reference = reference_run(&input, tmp.path());

    let out = tmp.path().join("out");
    let plan = plan(&input, &out);
    let mut stages = pipeline::default_stages(&plan).unwrap();
    stages.insert(3, Box::new(Fragile));
    pipeline::run(&plan, &stages).expect("the run goes on");
    assert_eq!(errors(&out), vec![("d5".to_string(), "fragile_failed".to_string())]);
    for table in ["documents.csv", "mentions.csv", "actors.csv", "sentences.csv", "stances.csv"] {
        assert_eq!(rows_without(&out, table, "d5"), rows_without(&reference, table, "d5"), "{table}");
    }
}

#[test]
fn a_stage_list_that_reads_what_nothing_wrote_is_refused_before_any_input_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let plan = plan(&corpus(tmp.path()), &out);
    let mut stages = pipeline::default_stages(&plan).unwrap();
    stages.insert(1, Box::new(Fragile)); // reads actors before the actors stage
    let err = pipeline::run(&plan, &stages).err().expect("refused").to_string();
    assert!(err.contains("fragile") && err.contains("Actors"), "{err}");
    assert!(!out.exists(), "nothing was written");
}
