//! The stage contract: every stage after ingest implements [`Stage`], declares what it reads and
//! writes on [`Document`] (checked once at start-up, like spaCy's `analyze_pipes`), and runs
//! over a chunk of documents. The pipeline is a list of stages ([`crate::pipeline`]).
//!
//! Failure isolation: a stage never fails a run. What goes wrong on one document is recorded on
//! it ([`Document::fail`]) and becomes an `errors.csv` row of kind `<stage>_failed`; a panic is
//! caught by [`run_isolated`], which retries the chunk one document at a time so only the
//! document that panics is lost.

use crate::document::Document;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What a stage reads or writes on a [`Document`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// `text`, `doc_id`, origin and flags (written by ingest).
    Text,
    /// title, url, published, outlet (written by ingest).
    Meta,
    Sentences,
    Tokens,
    /// `parses`: one dependency parse per sentence (the `parse` stage).
    Parse,
    /// `mentions` and `n_windows`.
    Mentions,
    /// `Mention::actor_id`.
    MentionActors,
    /// `actors` (identity: name, type, aliases, roles, links).
    Actors,
    Actions,
    SentenceTone,
    DocumentTone,
    /// The tone fields of each actor (sentiment_mean, stance, stance_score, stance_evidence).
    ActorTone,
    /// Actor-to-actor `stances`.
    Stances,
    /// `target_stances`: stance-head scores by span (the `ner` stage, when the stance head runs).
    TargetStances,
    /// `Mention::stance` (the `tone` stage with the stance model).
    MentionStances,
    /// Resolved pronoun and role-noun mentions (`PRON`/`NOM` rows in `mentions`, see `coref`).
    Coref,
}

/// Written by ingest, before any stage runs.
pub const INGEST_WRITES: &[Field] = &[Field::Text, Field::Meta];

pub trait Stage {
    /// Short name: timings, error kinds (`<name>_failed`), logs.
    fn name(&self) -> &'static str;
    fn reads(&self) -> &'static [Field];
    fn writes(&self) -> &'static [Field];
    /// Process a chunk. Per-document problems go on the document ([`Document::fail`]); a panic
    /// is handled by the caller ([`run_isolated`]).
    fn run(&self, docs: &mut [Document]);
    /// For the manifest: what runs behind the stage, as (key, value) pairs under `model`
    /// (`name` for the NER model, `sentiment` and `stance` for the tone engines).
    fn describe(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// Check a stage list once, before any input is read: every field a stage reads must have been
/// written by ingest or an earlier stage, and stage names must be unique.
pub fn check(stages: &[Box<dyn Stage + '_>]) -> std::result::Result<(), String> {
    let mut written: Vec<Field> = INGEST_WRITES.to_vec();
    let mut names: Vec<&str> = vec!["ingest", "sink"];
    for s in stages {
        if names.contains(&s.name()) {
            return Err(format!("stage `{}` appears twice (or shadows ingest/sink)", s.name()));
        }
        names.push(s.name());
        for f in s.reads() {
            if !written.contains(f) {
                return Err(format!("stage `{}` reads {f:?}, which no earlier stage writes", s.name()));
            }
        }
        written.extend_from_slice(s.writes());
    }
    Ok(())
}

/// Text of a caught panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Run `stage` on `docs` so that no panic escapes: documents that already failed are skipped;
/// if the chunk panics, every document's fields the stage writes are cleared and the stage is
/// re-run one document at a time, and a document that panics alone fails with the panic text.
pub fn run_isolated(stage: &dyn Stage, docs: &mut [Document]) {
    let mut live: Vec<usize> = (0..docs.len()).filter(|&i| docs[i].error.is_none()).collect();
    if live.is_empty() {
        return;
    }
    // Documents that failed earlier are moved out of the way, so the stage sees only live ones.
    let mut batch: Vec<Document> = live.iter().map(|&i| std::mem::replace(&mut docs[i], placeholder())).collect();
    let whole = catch_unwind(AssertUnwindSafe(|| stage.run(&mut batch)));
    if whole.is_err() {
        tracing::warn!("stage {} panicked on a chunk; retrying document by document", stage.name());
        for d in batch.iter_mut() {
            d.error = None;
            for f in stage.writes() {
                d.clear(*f);
            }
            let one = catch_unwind(AssertUnwindSafe(|| stage.run(std::slice::from_mut(d))));
            if let Err(payload) = one {
                for f in stage.writes() {
                    d.clear(*f);
                }
                d.fail(stage.name(), format!("{} panicked: {}", stage.name(), panic_message(payload.as_ref())));
            }
        }
    }
    for (i, d) in live.drain(..).zip(batch) {
        docs[i] = d;
    }
}

fn placeholder() -> Document {
    Document::new(String::new(), Default::default(), Default::default(), String::new(), vec![], String::new())
}

/// Run `f` on one document under `catch_unwind`: an error or a panic fails that document.
fn isolate<F>(name: &'static str, d: &mut Document, f: &F)
where
    F: Fn(&mut Document) -> std::result::Result<(), String>,
{
    match catch_unwind(AssertUnwindSafe(|| f(d))) {
        Ok(Ok(())) => {}
        Ok(Err(message)) => d.fail(name, message),
        Err(payload) => d.fail(name, format!("{name} panicked: {}", panic_message(payload.as_ref()))),
    }
}

/// Run `f` on every live document in parallel (rayon), each isolated: the body of stages that
/// work one document at a time.
pub fn per_document<F>(name: &'static str, docs: &mut [Document], f: F)
where
    F: Fn(&mut Document) -> std::result::Result<(), String> + Sync,
{
    use rayon::prelude::*;
    docs.par_iter_mut().filter(|d| d.error.is_none()).for_each(|d| isolate(name, d, &f));
}

/// [`per_document`] one document after another, for stages whose models are not `Sync`.
pub fn per_document_seq<F>(name: &'static str, docs: &mut [Document], f: F)
where
    F: Fn(&mut Document) -> std::result::Result<(), String>,
{
    docs.iter_mut().filter(|d| d.error.is_none()).for_each(|d| isolate(name, d, &f));
}
