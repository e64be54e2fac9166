//! Stage `ner`: named-entity recognition. The model folder is parsed once ([`ModelFolder`]),
//! sentences become windows ([`crate::model::window`]), the encoder runs each batch once
//! ([`crate::model::encoder`]) and heads read its outputs: the [`TokenTagger`] (argmax or
//! BIO-Viterbi over the `logits` output) writes `Document::mentions`; [`NerStage::forward`] hands
//! the same pass to other heads (see `tests/heads.rs`).
//!
//! The default model needs its own token types (a capitalisation flag) and BIO-constrained
//! decoding; both are switched on by the folder's `config.json` (`"actorlens"` key), so plain
//! Hugging Face models run unchanged (zero token types, argmax).

use crate::document::{Document, EntityType, Mention, TargetStance};
use crate::error::Result;
use crate::model::encoder::{self, guarded, Encoder, Engine, Outputs};
use crate::model::folder::{invalid, ModelFolder};
use crate::model::heads::{Decoding, SpanEncoderHead, TokenTagger};
use crate::model::window::{build_window, encode_sentence, plan_windows, Batch, TokenTypes, Window, Word};
use crate::stage::{Field, Stage};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use tch::Device;

#[derive(Debug, Clone)]
pub struct NerOptions {
    pub device: Device,
    /// Windows per model call; None = the engine's default (see `model::encoder::ENGINES`).
    pub batch_size: Option<usize>,
    /// Upper bound on word pieces per window (incl. special tokens); the model's limit wins.
    pub max_length: Option<usize>,
    pub engine: Engine,
    /// Workers (ONNX Runtime sessions) for the ONNX engines (libtorch's threads are process-wide).
    pub threads: usize,
    /// Override the model's own decoding (`config.json` → actorlens.decoding).
    pub decoding: Option<Decoding>,
    /// Run the folder's `stance` head (a span encoder over an intermediate layer) in the same
    /// pass and write `Document::target_stances`.
    pub stance: bool,
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
            stance: false,
        }
    }
}

/// One mapping table from model labels to the coarse types users filter on.
pub fn coarse_type(label: &str) -> EntityType {
    use EntityType::*;
    match label.to_ascii_uppercase().as_str() {
        "PERSON" | "PER" => Per,
        "ORG" | "ORGANIZATION" | "ORGANISATION" => Org,
        "GPE" => Gpe,
        "LOC" | "LOCATION" | "FAC" => Loc,
        "NORP" => Norp,
        "DATE" => Date,
        "TIME" => Time,
        "MONEY" => Money,
        "PERCENT" => Percent,
        "CARDINAL" | "ORDINAL" | "QUANTITY" => Num,
        "EVENT" => Event,
        "LAW" => Law,
        _ => Misc,
    }
}

/// What one forward pass gave for one sentence: its words and, per requested output, the row at
/// each word's first piece (taken from the window where the word sits farthest from an edge) and
/// the [CLS] row of the sentence's first window.
pub struct SentenceStates {
    pub doc: usize,
    pub sentence: usize,
    pub words: Vec<Word>,
    pub word_rows: BTreeMap<String, Vec<Vec<f32>>>,
    pub cls_rows: BTreeMap<String, Vec<f32>>,
    /// The sentence's windows with every position's rows, for the outputs asked for in full.
    pub windows: Vec<WindowStates>,
}

/// One window of a sentence with all its positions ([CLS], pieces, [SEP]) for some outputs.
pub struct WindowStates {
    pub first_word: usize,
    /// Position of each word's first piece (words `first_word..first_word + heads.len()`).
    pub heads: Vec<usize>,
    /// Positions in the window.
    pub len: usize,
    /// Per output: `len × dim` values, row-major.
    pub rows: BTreeMap<String, (usize, Vec<f32>)>,
}

/// Pronouns scored by the stance head so that `coref` links can carry a stance (coref only links
/// third-person pronouns outside quotations; first person inside quotes gets none).
const STANCE_PRONOUNS: &[&str] = &[
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
];

/// A transformer token classifier on any engine of the table, with the NER head.
pub struct NerStage {
    folder: Arc<ModelFolder>,
    encoder: Box<dyn Encoder>,
    tagger: TokenTagger,
    token_types: TokenTypes,
    cls_id: i64,
    sep_id: i64,
    pad_id: i64,
    /// Max word pieces per window, without the two special tokens.
    max_pieces: usize,
    batch_size: usize,
    stance: Option<SpanEncoderHead>,
}

impl NerStage {
    pub fn load(dir: &Path, opts: NerOptions) -> Result<Self> {
        Self::from_folder(Arc::new(ModelFolder::open(dir)?), opts)
    }

    /// The stage over a parsed folder (`opts.engine` may be `Auto`).
    pub fn from_folder(folder: Arc<ModelFolder>, opts: NerOptions) -> Result<Self> {
        // Checked before the engine is built, so a bad folder fails fast and clearly.
        folder.tokenizer()?;
        TokenTagger::new(&folder, opts.decoding)?;
        let engine = opts.engine.resolve(&folder, opts.device)?;
        let encoder = encoder::load_with(&folder, engine, opts.device, opts.threads, opts.stance)?;
        Self::with_encoder(folder, encoder, &opts)
    }

    /// The stage over an encoder built elsewhere (tests wrap engines this way).
    pub fn with_encoder(folder: Arc<ModelFolder>, encoder: Box<dyn Encoder>, opts: &NerOptions) -> Result<Self> {
        let dir = folder.dir.clone();
        let token_types = match folder.keys.token_types.as_deref() {
            None | Some("zeros") => TokenTypes::Zeros,
            Some("case_flag") => TokenTypes::CaseFlag,
            Some(other) => return Err(invalid(&dir, format!("unknown actorlens.token_types `{other}`"))),
        };
        let tagger = TokenTagger::new(&folder, opts.decoding)?;
        folder.tokenizer()?;
        let stance = if opts.stance {
            let spec = folder
                .keys
                .heads
                .get("stance")
                .filter(|h| h.kind.as_deref() == Some("span_encoder"))
                .ok_or_else(|| invalid(&dir, "config.json declares no `stance` span_encoder head"))?;
            if !encoder.outputs().iter().any(|o| *o == spec.input) {
                return Err(invalid(
                    &dir,
                    format!(
                        "the {} engine cannot give `{}`, which the stance head reads",
                        encoder.engine().as_str(),
                        spec.input
                    ),
                ));
            }
            Some(SpanEncoderHead::load(&folder, "stance", spec, opts.threads)?)
        } else {
            None
        };
        let cls_id = folder
            .special_id(&["[CLS]", "<s>", "<cls>"])
            .ok_or_else(|| invalid(&dir, "tokenizer has no [CLS]/<s> token"))?;
        let sep_id = folder
            .special_id(&["[SEP]", "</s>", "<sep>"])
            .ok_or_else(|| invalid(&dir, "tokenizer has no [SEP]/</s> token"))?;
        let mut max_len = folder.max_positions.max(3);
        for limit in [folder.keys.max_length, opts.max_length].into_iter().flatten() {
            max_len = max_len.min(limit.max(3));
        }
        Ok(NerStage {
            pad_id: folder.pad_id(),
            batch_size: encoder.engine().batch_size_for(&folder, opts.batch_size),
            folder,
            encoder,
            tagger,
            token_types,
            cls_id,
            sep_id,
            max_pieces: max_len - 2,
            stance,
        })
    }

    /// Short name for logs and the manifest.
    pub fn model_name(&self) -> String {
        format!("transformer:{} (engine {})", self.folder.dir.display(), self.engine().as_str())
    }

    /// The file the engine runs.
    pub fn weights(&self) -> &Path {
        self.encoder.weights()
    }

    /// Windows per model call.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The engine actually running (after `auto` was resolved).
    pub fn engine(&self) -> Engine {
        self.encoder.engine()
    }

    pub fn folder(&self) -> &ModelFolder {
        &self.folder
    }

    pub fn max_pieces(&self) -> usize {
        self.max_pieces
    }

    /// One forward pass over every sentence of `docs`, keeping the outputs named in `wants`.
    /// A sentence the tokenizer or the model cannot handle fails its document (`Document::fail`),
    /// not the run; its neighbours in the batch are retried one window at a time.
    pub fn forward(&self, docs: &mut [Document], wants: &[&str]) -> Vec<SentenceStates> {
        self.forward_jobs(docs, &sentence_jobs(docs), wants)
    }

    /// [`NerStage::forward`] over the given (document, sentence) pairs only.
    pub fn forward_jobs(&self, docs: &mut [Document], jobs: &[(usize, usize)], wants: &[&str]) -> Vec<SentenceStates> {
        self.forward_full(docs, jobs, wants, &[])
    }

    /// The stance head, when it runs in this stage.
    pub fn stance_head(&self) -> Option<&SpanEncoderHead> {
        self.stance.as_ref()
    }

    /// [`NerStage::forward_jobs`], also keeping every position of every window for the outputs
    /// in `full` (each must be in `wants`) in [`SentenceStates::windows`].
    pub fn forward_full(
        &self,
        docs: &mut [Document],
        jobs: &[(usize, usize)],
        wants: &[&str],
        full: &[&str],
    ) -> Vec<SentenceStates> {
        let available = self.encoder.outputs();
        if let Some(missing) = wants.iter().find(|w| !available.iter().any(|a| a == *w)) {
            for d in docs.iter_mut() {
                d.fail("ner", format!("the {} engine has no `{missing}` output", self.engine().as_str()));
            }
            return Vec::new();
        }
        // 1. Tokenize every sentence in parallel (pure CPU).
        let Ok(tokenizer) = self.folder.tokenizer() else { return Vec::new() };
        let token_types = self.token_types;
        let texts: Vec<&str> = jobs.iter().map(|&(d, s)| docs[d].sentence_text(s)).collect();
        let encoded: Vec<std::result::Result<Vec<Word>, String>> = texts
            .par_iter()
            .map(|t| {
                std::panic::catch_unwind(|| encode_sentence(tokenizer, token_types, t))
                    .unwrap_or_else(|p| Err(format!("tokenizer panicked: {}", crate::stage::panic_message(p.as_ref()))))
            })
            .collect();
        let mut words: Vec<Vec<Word>> = Vec::with_capacity(jobs.len());
        for (&(d, s), enc) in jobs.iter().zip(encoded) {
            match enc {
                Ok(w) => words.push(w),
                Err(e) => {
                    docs[d].fail("ner", format!("tokenizer failed on sentence {s}: {e}"));
                    words.push(Vec::new());
                }
            }
        }

        // 2. Windows, sorted by length so batches carry little padding.
        let mut windows: Vec<Window> = Vec::new();
        for (job, ws) in words.iter().enumerate() {
            for range in plan_windows(ws, self.max_pieces) {
                windows.push(build_window(job, ws, range, self.cls_id, self.sep_id, self.max_pieces));
            }
        }
        for w in &windows {
            docs[jobs[w.job].0].n_windows += 1;
        }
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.sort_by_key(|&i| (windows[i].ids.len(), i));

        // 3. Inference; per window, per output: [CLS row, one row per word].
        let mut results: Vec<Option<Vec<Vec<Vec<f32>>>>> = (0..windows.len()).map(|_| None).collect();
        let mut whole: Vec<BTreeMap<String, (usize, Vec<f32>)>> = (0..windows.len()).map(|_| BTreeMap::new()).collect();
        let batches: Vec<&[usize]> = order.chunks(self.batch_size).collect();
        let outcomes = self.encoder.run_all(&windows, &batches, self.pad_id, wants);
        for (batch, outcome) in batches.iter().zip(outcomes) {
            match outcome {
                Ok(out) => {
                    for (row, &i) in batch.iter().enumerate() {
                        results[i] = Some(gather(&out, wants, row, &windows[i]));
                        whole[i] = gather_full(&out, full, row, &windows[i]);
                    }
                }
                // A failing batch is retried window by window (still behind the engine's
                // panic guard) so one bad input cannot sink its neighbours.
                Err(_) => {
                    for &i in batch.iter() {
                        match guarded(self.encoder.as_ref(), 0, &Batch::pad(&windows, &[i], self.pad_id), wants) {
                            Ok(out) => {
                                results[i] = Some(gather(&out, wants, 0, &windows[i]));
                                whole[i] = gather_full(&out, full, 0, &windows[i]);
                            }
                            Err(e) => {
                                let (d, s) = jobs[windows[i].job];
                                docs[d].fail("ner", format!("model failed on sentence {s}: {e}"));
                            }
                        }
                    }
                }
            }
        }

        // 4. Per sentence: each word takes the window where it sits farthest from an edge.
        let mut best: Vec<Vec<(usize, usize)>> = words.iter().map(|ws| vec![(0, usize::MAX); ws.len()]).collect();
        let mut first_window: Vec<Option<usize>> = vec![None; jobs.len()];
        let mut job_windows: Vec<Vec<usize>> = vec![Vec::new(); jobs.len()];
        for (wi, w) in windows.iter().enumerate() {
            first_window[w.job].get_or_insert(wi);
            job_windows[w.job].push(wi);
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
        let mut out = Vec::with_capacity(jobs.len());
        for (job, ((&(d, s), ws), choice)) in jobs.iter().zip(words).zip(&best).enumerate() {
            if ws.is_empty() || docs[d].error.is_some() {
                continue;
            }
            let mut word_rows = BTreeMap::new();
            let mut cls_rows = BTreeMap::new();
            let mut complete = true;
            for (o, name) in wants.iter().enumerate() {
                let mut rows = Vec::with_capacity(ws.len());
                for (k, &(_, wi)) in choice.iter().enumerate() {
                    match results
                        .get(wi)
                        .and_then(|r| r.as_ref())
                        .and_then(|r| r[o].get(1 + k - windows[wi].first_word))
                    {
                        Some(r) => rows.push(r.clone()),
                        None => complete = false,
                    }
                }
                word_rows.insert(name.to_string(), rows);
                if let Some(cls) = first_window[job].and_then(|wi| results[wi].as_ref()).and_then(|r| r[o].first()) {
                    cls_rows.insert(name.to_string(), cls.clone());
                }
            }
            if !complete {
                docs[d].fail("ner", format!("model gave no output for sentence {s}"));
                continue;
            }
            let sentence_windows = if full.is_empty() {
                Vec::new()
            } else {
                job_windows[job]
                    .iter()
                    .map(|&wi| WindowStates {
                        first_word: windows[wi].first_word,
                        heads: windows[wi].heads.clone(),
                        len: windows[wi].ids.len(),
                        rows: std::mem::take(&mut whole[wi]),
                    })
                    .collect()
            };
            out.push(SentenceStates { doc: d, sentence: s, words: ws, word_rows, cls_rows, windows: sentence_windows });
        }
        out
    }

    /// Fill `Document::mentions` with the NER head's entities. Sentences go through the model
    /// [`SENTENCES_PER_PASS`] at a time, so the per-word scores held at once are bounded by that,
    /// not by the size of the chunk or of one huge document.
    pub fn recognize(&self, docs: &mut [Document]) {
        let jobs = sentence_jobs(docs);
        let Some(head) = self.stance.as_ref() else {
            for group in jobs.chunks(SENTENCES_PER_PASS) {
                let states = self.forward_jobs(docs, group, &[TokenTagger::INPUT]);
                self.write_mentions(docs, &states);
            }
            return;
        };
        for d in docs.iter_mut() {
            d.target_stances.clear();
        }
        // With the stance head, every position of the head's input layer is kept until the
        // sentence's targets are scored: fewer sentences per pass bound that memory (~50 KB each).
        let input = head.input.as_str();
        for group in jobs.chunks(STANCE_SENTENCES_PER_PASS) {
            let states = self.forward_full(docs, group, &[TokenTagger::INPUT, input], &[input]);
            self.write_mentions(docs, &states);
            self.score_stances(docs, &states, head, None);
        }
        for d in docs.iter_mut() {
            d.target_stances.sort_by_key(|t| (t.start_byte, t.end_byte));
        }
    }

    /// Stance-head scores for the actor-type entities just found and the third-person pronouns
    /// of each sentence, from the same forward pass (see [`TargetStance`]).
    fn score_stances(
        &self,
        docs: &mut [Document],
        states: &[SentenceStates],
        head: &SpanEncoderHead,
        given: Option<&[Vec<(usize, usize)>]>,
    ) {
        // Targets per (sentence, window): word ranges → piece masks.
        struct Task {
            state: usize,
            window: usize,
            spans: Vec<(usize, usize)>,
            masks: Vec<Vec<f32>>,
        }
        let mut tasks: Vec<Task> = Vec::new();
        for (si, st) in states.iter().enumerate() {
            let doc = &docs[st.doc];
            if doc.error.is_some() || st.words.is_empty() {
                continue;
            }
            let sent = doc.sentences[st.sentence].span;
            let base = sent.start_byte;
            let mut targets: Vec<(usize, usize)> = Vec::new();
            if let Some(given) = given {
                for &(a, b) in given.get(st.doc).map(|v| v.as_slice()).unwrap_or(&[]) {
                    if a >= sent.start_byte && b <= sent.end_byte && a < b {
                        targets.push((a - base, b - base));
                    }
                }
            } else {
                targets.extend(
                    doc.mentions.iter().filter(|m| m.sentence_idx == st.sentence && m.kind.is_actor()).filter_map(
                        |m| Some((m.span.start_byte.checked_sub(base)?, m.span.end_byte.checked_sub(base)?)),
                    ),
                );
                let text = doc.sentence_text(st.sentence);
                for w in &st.words {
                    if text.get(w.start..w.end).is_some_and(|t| STANCE_PRONOUNS.contains(&t.to_lowercase().as_str())) {
                        targets.push((w.start, w.end));
                    }
                }
            }
            targets.sort_unstable();
            targets.dedup();
            let mut by_window: BTreeMap<usize, (Vec<(usize, usize)>, Vec<Vec<f32>>)> = BTreeMap::new();
            for (a, b) in targets {
                let Some((wi, mask)) = target_window(&st.words, &st.windows, a, b, self.max_pieces) else { continue };
                let e = by_window.entry(wi).or_default();
                e.0.push((base + a, base + b));
                e.1.push(mask);
            }
            for (wi, (spans, masks)) in by_window {
                tasks.push(Task { state: si, window: wi, spans, masks });
            }
        }
        let input = head.input.as_str();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut done: Vec<(usize, Result<Vec<Vec<f32>>>)> = Vec::new();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..head.workers().min(tasks.len()).max(1))
                .map(|w| {
                    let (next, tasks) = (&next, &tasks);
                    scope.spawn(move || {
                        let mut out = Vec::new();
                        loop {
                            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(t) = tasks.get(k) else { break out };
                            let win = &states[t.state].windows[t.window];
                            let r = match win.rows.get(input) {
                                Some((dim, rows)) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                    head.score(w, rows, win.len, *dim, &t.masks)
                                }))
                                .unwrap_or_else(|p| {
                                    Err(crate::Error::Model(format!(
                                        "stance head panicked: {}",
                                        crate::stage::panic_message(p.as_ref())
                                    )))
                                }),
                                None => Err(crate::Error::Model(format!("no `{input}` rows for this window"))),
                            };
                            out.push((k, r));
                        }
                    })
                })
                .collect();
            for h in handles {
                done.extend(h.join().unwrap_or_default());
            }
        });
        done.sort_by_key(|(k, _)| *k);
        for (k, r) in done {
            let t = &tasks[k];
            let st = &states[t.state];
            let doc = &mut docs[st.doc];
            match r {
                Ok(probs) => {
                    for (&(a, b), p) in t.spans.iter().zip(probs) {
                        if let [n, u, q] = p[..] {
                            doc.target_stances.push(TargetStance { start_byte: a, end_byte: b, probs: [n, u, q] });
                        }
                    }
                }
                Err(e) => {
                    if doc.error.is_none() {
                        doc.fail("ner", format!("stance head failed on sentence {}: {e}", st.sentence));
                    }
                }
            }
        }
    }

    /// Stance-head scores for given spans (absolute byte offsets, per document) instead of the
    /// stage's own targets, through the same pass (`actorlens score-targets`: evaluation and
    /// parity). Writes `Document::target_stances`; a span no word overlaps gets no row.
    pub fn score_spans(&self, docs: &mut [Document], spans: &[Vec<(usize, usize)>]) -> Result<()> {
        let head = self.stance.as_ref().ok_or_else(|| invalid(&self.folder.dir, "the stance head is not loaded"))?;
        let jobs = sentence_jobs(docs);
        let input = head.input.as_str();
        for d in docs.iter_mut() {
            d.target_stances.clear();
        }
        for group in jobs.chunks(STANCE_SENTENCES_PER_PASS) {
            let states = self.forward_full(docs, group, &[input], &[input]);
            self.score_stances(docs, &states, head, Some(spans));
        }
        for d in docs.iter_mut() {
            d.target_stances.sort_by_key(|t| (t.start_byte, t.end_byte));
        }
        Ok(())
    }

    fn write_mentions(&self, docs: &mut [Document], states: &[SentenceStates]) {
        for st in states {
            let doc = &mut docs[st.doc];
            if doc.error.is_some() {
                continue;
            }
            let Some(rows) = st.word_rows.get(TokenTagger::INPUT) else { continue };
            let emit: Vec<Vec<f32>> = rows.iter().map(|r| TokenTagger::log_probs(r)).collect();
            let sent_start = doc.sentences[st.sentence].span.start_byte;
            for span in self.tagger.decode(&emit) {
                let start = sent_start + st.words[span.first].start;
                // A span ends on a grapheme boundary: a trailing combining mark ("Bogota" + U+0301)
                // belongs to the name.
                let end = crate::document::grapheme_end(&doc.text, sent_start + st.words[span.last - 1].end);
                let Some(text) = doc.text.get(start..end).map(str::to_string) else {
                    doc.fail("ner", format!("tokenizer offsets {start}..{end} are not on character boundaries"));
                    break;
                };
                // Four decimals: stable across thread counts and identical in CSV and JSONL.
                let score = (span.score * 1e4).round() / 1e4;
                doc.mentions.push(Mention {
                    mention_id: doc.mentions.len(),
                    sentence_idx: st.sentence,
                    span: doc.span(start, end),
                    text,
                    kind: coarse_type(&span.entity),
                    label: span.entity,
                    score,
                    actor_id: None,
                    stance: Default::default(),
                });
            }
        }
    }
}

/// Sentences per forward pass in [`NerStage::recognize`]: ~3 KB of word scores and pieces each,
/// so ~12 MB at most, while batches stay long enough to sort by length.
pub const SENTENCES_PER_PASS: usize = 4096;

/// Sentences per pass when the stance head runs (full layer rows are held for each).
pub const STANCE_SENTENCES_PER_PASS: usize = 512;

/// The window that holds the whole byte span `a..b` (relative to the sentence) with its centre
/// nearest the window's centre, and the 0/1 mask over the window's positions of the pieces of
/// every word overlapping the span (as `training/stance/stance.py` builds them).
pub fn target_window(
    words: &[Word],
    windows: &[WindowStates],
    a: usize,
    b: usize,
    max_pieces: usize,
) -> Option<(usize, Vec<f32>)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, w) in windows.iter().enumerate() {
        let (first, last) = (w.first_word, w.first_word + w.heads.len());
        let (Some(ws), Some(we)) = (words.get(first), last.checked_sub(1).and_then(|l| words.get(l))) else { continue };
        if ws.start <= a && b <= we.end {
            let d = (a + b).abs_diff(ws.start + we.end);
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((i, d));
            }
        }
    }
    let wi = best.map(|(i, _)| i).unwrap_or(0);
    let w = windows.get(wi)?;
    let mut mask = vec![0f32; w.len];
    let mut any = false;
    for (k, &pos) in w.heads.iter().enumerate() {
        let Some(word) = words.get(w.first_word + k) else { continue };
        if word.start < b && a < word.end {
            for m in mask.iter_mut().skip(pos).take(word.ids.len().min(max_pieces)) {
                *m = 1.0;
                any = true;
            }
        }
    }
    any.then_some((wi, mask))
}

/// Every (document, sentence) pair of a chunk, in order.
fn sentence_jobs(docs: &[Document]) -> Vec<(usize, usize)> {
    docs.iter().enumerate().flat_map(|(d, doc)| (0..doc.sentences.len()).map(move |s| (d, s))).collect()
}

/// Every position of one window in a batch's outputs, for the outputs named in `full`.
fn gather_full(out: &Outputs, full: &[&str], row: usize, w: &Window) -> BTreeMap<String, (usize, Vec<f32>)> {
    let mut m = BTreeMap::new();
    for name in full {
        if let Some(o) = out.get(name) {
            let start = row * out.width * o.dim;
            if let Some(rows) = o.data.get(start..start + w.ids.len() * o.dim) {
                m.insert(name.to_string(), (o.dim, rows.to_vec()));
            }
        }
    }
    m
}

/// Rows of one window in a batch's outputs: per wanted output, [CLS, each word's first piece].
fn gather(out: &Outputs, wants: &[&str], row: usize, w: &Window) -> Vec<Vec<Vec<f32>>> {
    wants
        .iter()
        .map(|name| match out.get(name) {
            Some(o) => {
                std::iter::once(0).chain(w.heads.iter().copied()).map(|pos| out.at(o, row, pos).to_vec()).collect()
            }
            None => Vec::new(),
        })
        .collect()
}

impl Stage for NerStage {
    fn name(&self) -> &'static str {
        "ner"
    }
    fn reads(&self) -> &'static [Field] {
        &[Field::Text, Field::Sentences]
    }
    fn writes(&self) -> &'static [Field] {
        if self.stance.is_some() {
            &[Field::Mentions, Field::TargetStances]
        } else {
            &[Field::Mentions]
        }
    }
    fn run(&self, docs: &mut [Document]) {
        self.recognize(docs)
    }
    fn describe(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![("name", self.model_name())];
        if let Some(h) = &self.stance {
            v.push(("stance_head", format!("{} over {}", h.path.display(), h.input)));
        }
        v
    }
}
