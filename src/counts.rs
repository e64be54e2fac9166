//! Run counters and per-stage timings, shared by the pipeline, the store and the manifest.

use crate::document::{Document, Flag};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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

    pub fn add_doc(&mut self, d: &Document) {
        self.documents += 1;
        self.sentences += d.sentences.len();
        self.tokens += d.tokens.len();
        self.words += d.n_words();
        self.windows += d.n_windows;
        // Rows of the mentions table (NER and coref rows), like every other count here;
        // documents.n_mentions is the NER-only figure.
        self.mentions += d.mentions.len();
        self.actors += d.actors.len();
        self.stances += d.stances.len();
        self.actions += d.actions.len();
        self.flagged_invalid_utf8 += d.flags.contains(&Flag::InvalidUtf8) as usize;
        self.empty_documents += d.flags.contains(&Flag::Empty) as usize;
    }
}

/// Wall seconds per stage, summed over chunks, in pipeline order (`ingest` first, `sink` last);
/// the names come from the stage list, so a new stage shows up here by itself.
#[derive(Debug, Clone, Default)]
pub struct StageSeconds(pub Vec<(&'static str, f64)>);

impl StageSeconds {
    pub fn add(&mut self, stage: &'static str, seconds: f64) {
        match self.0.iter_mut().find(|(n, _)| *n == stage) {
            Some((_, s)) => *s += seconds,
            None => self.0.push((stage, seconds)),
        }
    }

    pub fn get(&self, stage: &str) -> f64 {
        self.0.iter().find(|(n, _)| *n == stage).map(|(_, s)| *s).unwrap_or(0.0)
    }
}

impl Serialize for StageSeconds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}
