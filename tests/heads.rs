//! One encoder, many heads: a fixture model with two heads (the NER tagger over `logits`, a
//! pooled stance head over `hidden`) is served by one forward pass.

mod common;

use actorlens::document::{Document, Meta, Origin};
use actorlens::model::encoder::{self, Encoder, Engine, Outputs};
use actorlens::model::heads::{PooledHead, TokenTagger};
use actorlens::model::window::Batch;
use actorlens::model::ModelFolder;
use actorlens::ner::{NerOptions, NerStage};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts forward passes of the encoder it wraps.
struct Counting {
    inner: Box<dyn Encoder>,
    calls: Arc<AtomicUsize>,
}

impl Encoder for Counting {
    fn engine(&self) -> Engine {
        self.inner.engine()
    }
    fn outputs(&self) -> Vec<String> {
        self.inner.outputs()
    }
    fn run(&self, worker: usize, batch: &Batch, wants: &[&str]) -> actorlens::Result<Outputs> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.run(worker, batch, wants)
    }
    fn weights(&self) -> &Path {
        self.inner.weights()
    }
}

fn docs(texts: &[&str]) -> Vec<Document> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut d = Document::new(
                format!("d{i}"),
                Origin::default(),
                Meta::default(),
                t.to_string(),
                vec![],
                String::new(),
            );
            actorlens::segment::segment(&mut d);
            d
        })
        .collect()
}

const TEXTS: &[&str] =
    &["we met Claudia Sheinbaum and Donald Trump in the city.", "the president said Bell met us. go!"];

#[test]
fn two_heads_read_one_forward_pass() {
    let folder = Arc::new(ModelFolder::open(&common::two_head_model()).unwrap());
    let calls = Arc::new(AtomicUsize::new(0));
    let inner = encoder::load(&folder, Engine::Torch, tch::Device::Cpu, 1).unwrap();
    assert!(inner.outputs().contains(&"hidden".to_string()) && inner.outputs().contains(&"logits".to_string()));
    let counting = Counting { inner, calls: calls.clone() };
    let opts = NerOptions { batch_size: Some(16), ..Default::default() };
    let ner = NerStage::with_encoder(folder.clone(), Box::new(counting), &opts).unwrap();
    let spec = folder.keys.heads.get("stance").expect("the fixture declares a stance head");
    let stance = PooledHead::load(&folder, "stance", spec).unwrap();
    assert_eq!(stance.input, "hidden");

    let mut ds = docs(TEXTS);
    let states = ner.forward(&mut ds, &["logits", "hidden"]);
    // Every sentence, one batch: one forward pass served both heads.
    assert_eq!(states.len(), ds.iter().map(|d| d.sentences.len()).sum::<usize>());
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let tagger = TokenTagger::new(&folder, None).unwrap();
    let mut found = Vec::new();
    for st in &states {
        let emit: Vec<Vec<f32>> = st.word_rows["logits"].iter().map(|r| TokenTagger::log_probs(r)).collect();
        let hidden = &st.word_rows["hidden"];
        let cls = &st.cls_rows["hidden"];
        for span in tagger.decode(&emit) {
            let mut rows: Vec<&[f32]> = vec![cls.as_slice()];
            rows.extend(hidden[span.first..span.last].iter().map(|r| r.as_slice()));
            let p = stance.classify(&rows);
            assert_eq!(p.len(), 3);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{p:?}");
            // Capitalised name pieces carry +2 on hidden dim 1, which the head's "positive" row
            // reads; [CLS] (lowercase type) carries +2 on dim 0, so a one-word name ties with it.
            if span.last - span.first > 1 {
                assert!(p[2] > p[0], "a two-word name pools to positive: {p:?}");
            } else {
                assert!((p[2] - p[0]).abs() < 1e-6, "{p:?}");
            }
            let text = &ds[st.doc].sentence_text(st.sentence)[st.words[span.first].start..st.words[span.last - 1].end];
            found.push(text.to_string());
        }
        // A lowercase-only span ([CLS] + "the") pools to the other side.
        let p = stance.classify(&[cls.as_slice(), hidden[0].as_slice()]);
        if ds[st.doc].sentence_text(st.sentence).starts_with("the") {
            assert!(p[0] > p[2], "{p:?}");
        }
    }
    assert_eq!(found, vec!["Claudia Sheinbaum", "Donald Trump", "Bell"]);

    // The NER head alone gives the same entities, in one more pass (logits only).
    let mut ds2 = docs(TEXTS);
    ner.recognize(&mut ds2);
    let mentions: Vec<String> = ds2.iter().flat_map(|d| d.mentions.iter().map(|m| m.text.clone())).collect();
    assert_eq!(mentions, found);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn a_head_the_engine_cannot_feed_fails_documents_not_the_run() {
    let folder = Arc::new(ModelFolder::open(&common::case_model()).unwrap());
    let ner = NerStage::from_folder(folder, NerOptions::default()).unwrap();
    let mut ds = docs(TEXTS);
    let states = ner.forward(&mut ds, &["logits", "attention_maps"]);
    assert!(states.is_empty());
    assert!(ds
        .iter()
        .all(|d| d.error.as_ref().is_some_and(|e| e.stage == "ner" && e.message.contains("attention_maps"))));
}
