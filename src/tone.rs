//! Stage `tone`: sentiment per sentence, document and actor; the article's stance toward each
//! actor; and actor-to-actor stance from explicit stance verbs ("X rejected Y") and from the
//! claimed actions when that stage ran.
//!
//! Default engine: VADER (the `vader_sentiment` crate, offline). Optional rust-bert engines from
//! local folders: `--sentiment-model` (sequence classification, e.g. distilbert SST-2) and
//! `--stance-model` (zero-shot NLI, e.g. bart-large-mnli).
//!
//! Actors are scored per clause, not per sentence: in "Lopez praised Bell, but critics condemned
//! Diaz" the praise belongs to Bell and the criticism to Diaz. A clause where the actor is the
//! speaker or the one taking a stance ("Diaz said ...", "Diaz condemned ...") says what the actor
//! thinks, not what the article thinks of the actor: it counts for `sentiment_mean` (the tone
//! around the actor) but not for `stance`.

use crate::document::{Document, DocumentTone, Polarity, SentenceTone, Stance, StanceLabel};
use crate::error::{Error, Result};
use crate::model::window::text_windows;
use crate::model::ModelFolder;
use crate::stage::{Field, Stage};
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::sentiment::{SentimentConfig, SentimentModel, SentimentPolarity};
use rust_bert::pipelines::zero_shot_classification::{ZeroShotClassificationConfig, ZeroShotClassificationModel};
use rust_bert::resources::LocalResource;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tch::Device;
use tokenizers::Tokenizer;

/// VADER's own thresholds: compound ≥ 0.05 positive, ≤ −0.05 negative.
pub const POSITIVE_THRESHOLD: f64 = 0.05;
pub const NEGATIVE_THRESHOLD: f64 = -0.05;

const STANCE_VERBS: &str = include_str!("../models/lexicons/stance_verbs.tsv");

pub fn label(compound: f64) -> &'static str {
    if compound >= POSITIVE_THRESHOLD {
        "positive"
    } else if compound <= NEGATIVE_THRESHOLD {
        "negative"
    } else {
        "neutral"
    }
}

fn stance_label(score: f64) -> StanceLabel {
    match label(score) {
        "positive" => StanceLabel::Favour,
        "negative" => StanceLabel::Against,
        _ => StanceLabel::Neutral,
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// Lexicon sentiment; the analyzer is guarded because the crate indexes tokens unchecked.
pub fn vader(text: &str) -> Polarity {
    static ANALYZER: OnceLock<vader_sentiment::SentimentIntensityAnalyzer<'static>> = OnceLock::new();
    let analyzer = ANALYZER.get_or_init(vader_sentiment::SentimentIntensityAnalyzer::new);
    let scores = std::panic::catch_unwind(|| analyzer.polarity_scores(text)).ok();
    let get = |k: &str| scores.as_ref().and_then(|s| s.get(k).copied()).unwrap_or(0.0);
    Polarity {
        compound: round4(get("compound")),
        pos: round4(get("pos")),
        neg: round4(get("neg")),
        neu: round4(get("neu")),
    }
}

/// How local rust-bert pipelines are described to rust-bert (from the parsed [`ModelFolder`]).
struct PipelineFolder {
    model_type: ModelType,
    weights: PathBuf,
    config: PathBuf,
    vocab: PathBuf,
    merges: Option<PathBuf>,
    lower_case: bool,
    tokenizer: Option<Tokenizer>,
    max_pieces: usize,
}

fn folder(dir: &Path) -> Result<PipelineFolder> {
    let invalid = |m: String| Error::ModelInvalid { dir: dir.into(), message: m };
    let missing = |f: &str| Error::ModelMissing { dir: dir.into(), file: f.into() };
    // rust-bert panics on a bad config file; the folder parse checks it and its labels first.
    let f = ModelFolder::open(dir)?;
    if !f.has_labels() {
        return Err(invalid("config.json has no id2label".into()));
    }
    let model_type = match f.model_type.as_str() {
        "bert" => ModelType::Bert,
        "distilbert" => ModelType::DistilBert,
        "roberta" => ModelType::Roberta,
        "xlm-roberta" => ModelType::XLMRoberta,
        "bart" => ModelType::Bart,
        "deberta" => ModelType::Deberta,
        "albert" => ModelType::Albert,
        "mobilebert" => ModelType::MobileBert,
        other => return Err(invalid(format!("model_type `{other}` is not supported by the rust-bert pipelines"))),
    };
    let weights = f.torch_weights()?;
    let vocab = ["vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| missing("vocab.txt, vocab.json or spiece.model"))?;
    let merges = Some(dir.join("merges.txt")).filter(|p| p.is_file());
    // Our own tokenizer (when the folder has one) tells how long a text is, so long sentences
    // are split into windows rather than silently truncated by the pipeline.
    Ok(PipelineFolder {
        model_type,
        weights,
        config: dir.join("config.json"),
        vocab,
        merges,
        lower_case: f.lower_case().unwrap_or(false),
        tokenizer: f.tokenizer_opt().cloned(),
        max_pieces: f.max_position_embeddings.saturating_sub(2).max(8),
    })
}

/// A sentence classifier plugged in from outside (tests, other engines): scores texts −1..1.
pub trait TextScorer {
    fn name(&self) -> String;
    fn score(&self, texts: &[&str]) -> Result<Vec<Polarity>>;
}

pub enum SentimentEngine {
    Vader,
    Custom(Box<dyn TextScorer>),
    Transformer { model: SentimentModel, tokenizer: Option<Tokenizer>, max_pieces: usize, dir: PathBuf },
}

impl SentimentEngine {
    pub fn load(dir: &Path, device: Device) -> Result<Self> {
        let f = folder(dir)?;
        let mut config = SentimentConfig::new(
            f.model_type,
            ModelResource::Torch(Box::new(LocalResource::from(f.weights))),
            LocalResource::from(f.config),
            LocalResource::from(f.vocab),
            f.merges.map(LocalResource::from),
            f.lower_case,
            None,
            None,
        );
        config.device = device;
        let model =
            SentimentModel::new(config).map_err(|e| Error::ModelInvalid { dir: dir.into(), message: e.to_string() })?;
        Ok(SentimentEngine::Transformer { model, tokenizer: f.tokenizer, max_pieces: f.max_pieces, dir: dir.into() })
    }

    pub fn name(&self) -> String {
        match self {
            SentimentEngine::Vader => "vader".into(),
            SentimentEngine::Custom(s) => s.name(),
            SentimentEngine::Transformer { dir, .. } => format!("transformer:{}", dir.display()),
        }
    }

    /// Score texts; long texts are scored in windows and averaged by window length.
    pub fn score(&self, texts: &[&str]) -> Result<Vec<Polarity>> {
        match self {
            SentimentEngine::Vader => {
                use rayon::prelude::*;
                Ok(texts.par_iter().map(|t| vader(t)).collect())
            }
            SentimentEngine::Custom(s) => s.score(texts),
            SentimentEngine::Transformer { model, tokenizer, max_pieces, dir } => {
                let mut pieces: Vec<&str> = Vec::new();
                let mut owner: Vec<usize> = Vec::new();
                for (i, t) in texts.iter().enumerate() {
                    for w in text_windows(t, tokenizer.as_ref(), *max_pieces) {
                        pieces.push(w);
                        owner.push(i);
                    }
                }
                let mut sums = vec![(0.0f64, 0.0f64); texts.len()];
                for (chunk, owners) in pieces.chunks(32).zip(owner.chunks(32)) {
                    if chunk.is_empty() {
                        continue; // rust-bert panics on empty batches
                    }
                    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.predict(chunk))).map_err(
                        |_| Error::ModelInvalid { dir: dir.clone(), message: "sentiment model panicked".into() },
                    )?;
                    for ((s, &o), text) in out.iter().zip(owners).zip(chunk) {
                        // P(positive) from the winning label's probability, mapped to −1..1.
                        let p_pos = if s.polarity == SentimentPolarity::Positive { s.score } else { 1.0 - s.score };
                        let w = text.split_whitespace().count().max(1) as f64;
                        sums[o].0 += (2.0 * p_pos - 1.0) * w;
                        sums[o].1 += w;
                    }
                }
                Ok(sums
                    .into_iter()
                    .map(|(s, w)| {
                        let c = if w > 0.0 { s / w } else { 0.0 };
                        let p = (c + 1.0) / 2.0;
                        Polarity { compound: round4(c), pos: round4(p), neg: round4(1.0 - p), neu: 0.0 }
                    })
                    .collect())
            }
        }
    }
}

pub enum StanceEngine {
    /// The stance head (NewsMTSC-trained, see models/default-ner/MODEL_CARD.md): the `ner` stage
    /// scores every actor-type entity and third-person pronoun in the encoder pass; here each
    /// actor mention takes its span's scores, and an actor the mean of its mentions'.
    Model,
    /// Stance = VADER sentiment of the clauses where the actor is the target (`--stance-engine vader`).
    Lexicon,
    ZeroShot {
        model: ZeroShotClassificationModel,
        tokenizer: Option<Tokenizer>,
        max_pieces: usize,
        dir: PathBuf,
    },
}

impl StanceEngine {
    pub fn load(dir: &Path, device: Device) -> Result<Self> {
        let f = folder(dir)?;
        let mut config = ZeroShotClassificationConfig::new(
            f.model_type,
            ModelResource::Torch(Box::new(LocalResource::from(f.weights))),
            LocalResource::from(f.config),
            LocalResource::from(f.vocab),
            f.merges.map(LocalResource::from),
            f.lower_case,
            None,
            None,
        );
        config.device = device;
        let model = ZeroShotClassificationModel::new(config)
            .map_err(|e| Error::ModelInvalid { dir: dir.into(), message: e.to_string() })?;
        Ok(StanceEngine::ZeroShot { model, tokenizer: f.tokenizer, max_pieces: f.max_pieces, dir: dir.into() })
    }

    pub fn name(&self) -> String {
        match self {
            StanceEngine::Model => "model".into(),
            StanceEngine::Lexicon => "lexicon".into(),
            StanceEngine::ZeroShot { dir, .. } => format!("zero-shot:{}", dir.display()),
        }
    }

    /// Zero-shot stance toward `actor` in each text: P(favour) − P(against), in −1..1.
    fn zero_shot(&self, actor: &str, texts: &[&str]) -> Result<Vec<f64>> {
        let StanceEngine::ZeroShot { model, tokenizer, max_pieces, dir } = self else { return Ok(vec![]) };
        let favour = format!("in favour of {actor}");
        let against = format!("against {actor}");
        let neutral = format!("neutral toward {actor}");
        let labels = [favour.as_str(), against.as_str(), neutral.as_str()];
        let mut out = Vec::with_capacity(texts.len());
        for t in texts {
            // Hypothesis tokens share the window with the text: leave room for them.
            let ws = text_windows(t, tokenizer.as_ref(), max_pieces.saturating_sub(16).max(8));
            if ws.is_empty() {
                out.push(0.0);
                continue;
            }
            let template = Box::new(|l: &str| format!("This text is {l}."));
            let preds = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                model.predict(&ws, labels, Some(template), max_pieces + 2)
            }))
            .map_err(|_| Error::ModelInvalid { dir: dir.clone(), message: "stance model panicked".into() })?
            .map_err(|e| Error::ModelInvalid { dir: dir.clone(), message: e.to_string() })?;
            let mut sum = 0.0;
            for p in &preds {
                sum += if p.text == favour {
                    p.score
                } else if p.text == against {
                    -p.score
                } else {
                    0.0
                };
            }
            out.push(sum / preds.len().max(1) as f64);
        }
        Ok(out)
    }
}

/// Stance verbs: form (lowercase, 1–2 words) → (stance, category).
fn stance_verbs() -> &'static HashMap<String, (String, String)> {
    static V: OnceLock<HashMap<String, (String, String)>> = OnceLock::new();
    V.get_or_init(|| {
        let mut m = HashMap::new();
        for line in STANCE_VERBS.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            if let [stance, category, forms] = cols[..] {
                for f in forms.split('|') {
                    m.insert(f.to_string(), (stance.to_string(), category.to_string()));
                }
            }
        }
        m
    })
}

/// Words allowed between an actor and its verb: auxiliaries, adverbs, negation.
const BETWEEN: &[&str] = &[
    "has",
    "have",
    "had",
    "is",
    "was",
    "were",
    "also",
    "then",
    "later",
    "again",
    "repeatedly",
    "strongly",
    "sharply",
    "absolutely",
    "publicly",
    "openly",
    "quickly",
    "immediately",
    "previously",
    "formally",
    "officially",
    "reportedly",
    "secretly",
    "did",
    "does",
    "do",
    "would",
    "will",
    "could",
    "should",
    "may",
    "might",
    "not",
    "never",
    "n't",
    "already",
    "firmly",
    "flatly",
];

/// If the actor mention ending at `end` is the subject of a stance/reporting verb, return the
/// verb's (stance, category, form, end byte of the verb, negated).
fn verb_after(text: &str, end: usize, clause_end: usize) -> Option<(String, String, String, usize, bool)> {
    let rest = text.get(end..clause_end)?;
    if rest.starts_with("'s") || rest.starts_with("\u{2019}s") {
        return None; // "Trump's proposal": a possessor, not a subject
    }
    let mut words: Vec<(usize, usize, String)> = Vec::new();
    for (s, w) in rest.split_word_bound_indices() {
        if w.chars().any(char::is_alphanumeric) {
            words.push((end + s, end + s + w.len(), w.to_lowercase()));
        } else if !w.trim().is_empty() && w != "'" && w != "\u{2019}" {
            break; // punctuation ends the search
        }
        if words.len() >= 6 {
            break;
        }
    }
    let verbs = stance_verbs();
    let mut negated = false;
    for i in 0..words.len() {
        let two = words.get(i + 1).map(|n| format!("{} {}", words[i].2, n.2));
        if let Some(form) = two.filter(|f| verbs.contains_key(f)) {
            let (st, cat) = verbs.get(&form)?.clone();
            return Some((st, cat, form, words[i + 1].1, negated));
        }
        if let Some((st, cat)) = verbs.get(&words[i].2) {
            return Some((st.clone(), cat.clone(), words[i].2.clone(), words[i].1, negated));
        }
        if !BETWEEN.contains(&words[i].2.as_str()) && !words[i].2.ends_with("ly") {
            return None;
        }
        negated |= matches!(words[i].2.as_str(), "not" | "never" | "n't");
    }
    None
}

use unicode_segmentation::UnicodeSegmentation;

/// Clause spans (byte offsets) of one sentence: cut at ; : dashes and before contrastive
/// conjunctions, so one sentence can praise one actor and criticise another.
pub fn clauses(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    const CUES: &[&str] = &["but", "while", "whereas", "although", "though", "however", "yet"];
    let s = &text[start..end];
    let mut cuts = vec![0];
    for (i, w) in s.split_word_bound_indices() {
        let lw = w.to_lowercase();
        if matches!(w, ";" | "\u{2014}" | "\u{2013}") || (CUES.contains(&lw.as_str()) && i > 0) {
            cuts.push(i);
        }
    }
    cuts.push(s.len());
    cuts.dedup();
    cuts.windows(2)
        .map(|w| (start + w[0], start + w[1]))
        .filter(|(a, b)| text[*a..*b].chars().any(char::is_alphanumeric))
        .collect()
}

pub struct ToneStage {
    pub sentiment: SentimentEngine,
    pub stance: StanceEngine,
}

impl Default for ToneStage {
    fn default() -> Self {
        ToneStage { sentiment: SentimentEngine::Vader, stance: StanceEngine::Lexicon }
    }
}

impl ToneStage {
    /// Score every document; a model error or panic on one document fails that document only
    /// (a failed document goes to errors.csv, so its half-written tone needs no clearing).
    pub fn run(&self, docs: &mut [Document]) {
        crate::stage::per_document_seq("tone", docs, |d| self.run_doc(d).map_err(|e| e.to_string()))
    }

    fn run_doc(&self, doc: &mut Document) -> Result<()> {
        doc.sentence_tone.clear();
        doc.stances.clear();
        if doc.sentences.is_empty() {
            doc.tone = Some(DocumentTone { sentiment_label: "neutral".into(), sentiment_score: 0.0 });
            return Ok(());
        }
        let sentence_texts: Vec<&str> = (0..doc.sentences.len()).map(|i| doc.sentence_text(i)).collect();
        let sent_scores = self.sentiment.score(&sentence_texts)?;
        // Clauses: (sentence, start, end); single-clause sentences reuse the sentence score.
        let mut clause_spans: Vec<(usize, usize, usize)> = Vec::new();
        for (i, s) in doc.sentences.iter().enumerate() {
            for (a, b) in clauses(&doc.text, s.span.start_byte, s.span.end_byte) {
                clause_spans.push((i, a, b));
            }
        }
        let mut clauses_per_sentence = vec![0usize; doc.sentences.len()];
        for c in &clause_spans {
            clauses_per_sentence[c.0] += 1;
        }
        let multi: Vec<usize> =
            (0..clause_spans.len()).filter(|&c| clauses_per_sentence[clause_spans[c].0] > 1).collect();
        let multi_texts: Vec<&str> = multi.iter().map(|&c| &doc.text[clause_spans[c].1..clause_spans[c].2]).collect();
        let multi_scores = self.sentiment.score(&multi_texts)?;
        let mut clause_score: Vec<f64> = clause_spans.iter().map(|c| sent_scores[c.0].compound).collect();
        for (&c, p) in multi.iter().zip(&multi_scores) {
            clause_score[c] = p.compound;
        }

        // Sentences and the document (weighted by words, so a one-word line weighs little).
        let mut weighted = 0.0;
        let mut total = 0.0;
        let words_per_sentence = doc.words_per_sentence();
        for (i, p) in sent_scores.iter().enumerate() {
            doc.sentence_tone.push(SentenceTone { sentence_idx: i, sentiment: label(p.compound).into(), polarity: *p });
            let words = words_per_sentence.get(i).copied().unwrap_or(0).max(1) as f64;
            weighted += p.compound * words;
            total += words;
        }
        let doc_score = round4(if total > 0.0 { weighted / total } else { 0.0 });
        doc.tone = Some(DocumentTone { sentiment_label: label(doc_score).into(), sentiment_score: doc_score });

        // Mentions → clause, and whether the actor is the subject of a stance/reporting verb.
        // Clauses are sorted and disjoint: binary search.
        let clause_of = |byte: usize| {
            let c = clause_spans.partition_point(|c| c.2 <= byte);
            clause_spans.get(c).filter(|c| c.1 <= byte).map(|_| c)
        };
        struct Use {
            clause: usize,
            holder: bool,
        }
        let mut uses: BTreeMap<String, Vec<Use>> = BTreeMap::new();
        let mut stance_rows: Vec<Stance> = Vec::new();
        for (mi, m) in doc.mentions.iter().enumerate() {
            let Some(actor) = m.actor_id.clone() else { continue };
            let Some(c) = clause_of(m.span.start_byte) else { continue };
            let verb = verb_after(&doc.text, m.span.end_byte, clause_spans[c].2);
            uses.entry(actor.clone()).or_default().push(Use { clause: c, holder: verb.is_some() });
            // Actor-to-actor: the next other actor after a favour/against verb, same clause.
            if let Some((stance, _cat, form, verb_end, negated)) = verb {
                if stance == "report" {
                    continue;
                }
                let target = doc.mentions[mi + 1..]
                    .iter()
                    .filter(|t| t.span.start_byte >= verb_end && t.span.start_byte < clause_spans[c].2)
                    .find(|t| t.actor_id.is_some() && t.actor_id != m.actor_id);
                let Some(target) = target.and_then(|t| t.actor_id.clone()) else { continue };
                // "did not condemn" is no stance either way.
                let Some((stance, score)) =
                    StanceLabel::from_name(&stance).and_then(|c| StanceLabel::of_cue(c, negated))
                else {
                    continue;
                };
                stance_rows.push(Stance {
                    source_actor_id: actor,
                    target_actor_id: target,
                    stance,
                    score,
                    evidence_action_id: None,
                    evidence_sentence_idx: clause_spans[c].0,
                    cue: if negated { format!("not {form}") } else { form },
                });
            }
        }
        // Claimed actions, when that stage ran, give the better-founded rows: drop cue rows they cover.
        let mut action_rows: Vec<Stance> = Vec::new();
        for a in &doc.actions {
            let (Some(src), Some(tgt)) = (&a.agent_actor_id, &a.target_actor_id) else { continue };
            if src == tgt {
                continue;
            }
            let Some((stance, score)) = stance_of_category(&a.category).and_then(|c| StanceLabel::of_cue(c, a.negated))
            else {
                continue;
            };
            action_rows.push(Stance {
                source_actor_id: src.clone(),
                target_actor_id: tgt.clone(),
                stance,
                score,
                evidence_action_id: Some(a.action_id.to_string()),
                evidence_sentence_idx: a.sentence_idx,
                cue: a.predicate.clone(),
            });
        }
        stance_rows.retain(|r| {
            !action_rows.iter().any(|a| {
                a.source_actor_id == r.source_actor_id
                    && a.target_actor_id == r.target_actor_id
                    && a.evidence_sentence_idx == r.evidence_sentence_idx
            })
        });
        stance_rows.extend(action_rows);
        stance_rows.sort_by_key(|r| r.evidence_sentence_idx);
        stance_rows.dedup_by(|a, b| {
            a.source_actor_id == b.source_actor_id
                && a.target_actor_id == b.target_actor_id
                && a.evidence_sentence_idx == b.evidence_sentence_idx
        });
        doc.stances = stance_rows;

        if matches!(self.stance, StanceEngine::Model) {
            attach_target_stances(doc);
        }
        // Per actor: tone of every clause that mentions it; stance from those where it is the
        // target rather than the speaker.
        for a in doc.actors.iter_mut() {
            let Some(us) = uses.get(&a.actor_id) else { continue };
            let all: BTreeSet<usize> = us.iter().map(|u| u.clause).collect();
            let mean = all.iter().map(|&c| clause_score[c]).sum::<f64>() / all.len().max(1) as f64;
            a.sentiment_mean = Some(round4(mean));
            if matches!(self.stance, StanceEngine::Model) {
                model_stance(a, &doc.mentions);
                continue;
            }
            let target: BTreeSet<usize> =
                all.iter().copied().filter(|c| us.iter().any(|u| u.clause == *c && !u.holder)).collect();
            let scores: Vec<f64> = match &self.stance {
                StanceEngine::Model => Vec::new(),
                StanceEngine::Lexicon => target.iter().map(|&c| clause_score[c]).collect(),
                StanceEngine::ZeroShot { .. } => {
                    let texts: Vec<&str> =
                        target.iter().map(|&c| &doc.text[clause_spans[c].1..clause_spans[c].2]).collect();
                    self.stance.zero_shot(&a.name, &texts)?
                }
            };
            let score = round4(scores.iter().sum::<f64>() / scores.len().max(1) as f64);
            a.stance = Some(stance_label(score));
            a.stance_score = Some(score);
            let mut evidence: Vec<usize> = target
                .iter()
                .zip(&scores)
                .filter(|(_, s)| label(**s) != "neutral")
                .map(|(&c, _)| clause_spans[c].0)
                .collect();
            evidence.dedup();
            a.stance_evidence = evidence;
        }
        Ok(())
    }
}

/// Each actor mention takes the stance-head scores of its span (exact, else the scored span that
/// contains it: the actors stage may split "US-Mexico" after NER scored it whole).
fn attach_target_stances(doc: &mut Document) {
    let targets = &doc.target_stances;
    for m in doc.mentions.iter_mut() {
        m.stance = Default::default();
        if m.actor_id.is_none() {
            continue;
        }
        let (a, b) = (m.span.start_byte, m.span.end_byte);
        let i = targets.partition_point(|t| (t.start_byte, t.end_byte) < (a, b));
        let hit = targets.get(i).filter(|t| t.start_byte == a && t.end_byte == b).or_else(|| {
            targets.iter().filter(|t| t.start_byte <= a && b <= t.end_byte).min_by_key(|t| t.end_byte - t.start_byte)
        });
        if let Some(t) = hit {
            m.stance = crate::document::MentionStance::from_probs(t.probs);
        }
    }
}

/// An actor's stance from its scored mentions: mean probabilities → label (most probable),
/// score = mean P(positive) − mean P(negative), evidence = sentences of its non-neutral mentions.
fn model_stance(a: &mut crate::document::Actor, mentions: &[crate::document::Mention]) {
    let mut sum = [0f64; 3];
    let mut n = 0usize;
    let mut evidence: BTreeSet<usize> = BTreeSet::new();
    for m in mentions.iter().filter(|m| m.actor_id.as_deref() == Some(a.actor_id.as_str())) {
        let Some(p) = m.stance.probs() else { continue };
        for (s, x) in sum.iter_mut().zip(p) {
            *s += f64::from(x);
        }
        n += 1;
        if m.stance.stance.is_some_and(|l| l != StanceLabel::Neutral) {
            evidence.insert(m.sentence_idx);
        }
    }
    if n == 0 {
        a.stance = None;
        a.stance_score = None;
        a.stance_evidence = Vec::new();
        return;
    }
    let mean = sum.map(|s| s / n as f64);
    let label = crate::document::MentionStance::from_probs(mean.map(|x| x as f32)).stance;
    a.stance = label;
    a.stance_score = Some(round4(mean[2] - mean[0]));
    a.stance_evidence = evidence.into_iter().collect();
}

/// How a claimed-action category maps to actor-to-actor stance (rows from the actions stage).
pub fn stance_of_category(category: &str) -> Option<StanceLabel> {
    match category {
        "REJECT" | "ACCUSE" | "THREATEN" | "COERCE" | "SANCTION" | "ASSAULT" | "PROTEST" => Some(StanceLabel::Against),
        "SUPPORT" | "AGREE" | "COOPERATE" | "AID" => Some(StanceLabel::Favour),
        _ => None,
    }
}

impl Stage for ToneStage {
    fn name(&self) -> &'static str {
        "tone"
    }
    fn reads(&self) -> &'static [Field] {
        match self.stance {
            StanceEngine::Model => &[
                Field::Text,
                Field::Sentences,
                Field::Tokens,
                Field::Mentions,
                Field::MentionActors,
                Field::Actors,
                Field::TargetStances,
            ],
            _ => &[Field::Text, Field::Sentences, Field::Tokens, Field::Mentions, Field::MentionActors, Field::Actors],
        }
    }
    fn writes(&self) -> &'static [Field] {
        match self.stance {
            StanceEngine::Model => {
                &[Field::SentenceTone, Field::DocumentTone, Field::ActorTone, Field::Stances, Field::MentionStances]
            }
            _ => &[Field::SentenceTone, Field::DocumentTone, Field::ActorTone, Field::Stances],
        }
    }
    fn run(&self, docs: &mut [Document]) {
        ToneStage::run(self, docs)
    }
    fn describe(&self) -> Vec<(&'static str, String)> {
        vec![("sentiment", self.sentiment.name()), ("stance", self.stance.name())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vader_scores_and_labels() {
        assert_eq!(label(vader("This is a wonderful, great success.").compound).to_string(), "positive");
        assert_eq!(label(vader("A brutal, corrupt and terrible regime.").compound), "negative");
        assert_eq!(label(vader("The meeting is on Tuesday.").compound), "neutral");
        for weird in ["", " ", "!!!", "😀", "not", "no no no", "a b"] {
            let _ = vader(weird); // must not panic
        }
    }

    #[test]
    fn clauses_split_on_contrast() {
        let t = "Lopez praised Bell, but critics condemned Diaz; nobody else spoke.";
        let cs: Vec<&str> = clauses(t, 0, t.len()).into_iter().map(|(a, b)| t[a..b].trim()).collect();
        assert_eq!(cs, vec!["Lopez praised Bell,", "but critics condemned Diaz", "; nobody else spoke."]);
    }

    #[test]
    fn stance_verbs_after_subjects() {
        let t = "Sheinbaum absolutely ruled out action.";
        let v = verb_after(t, 9, t.len()).map(|v| (v.0, v.2, v.4));
        assert_eq!(v, Some(("against".into(), "ruled out".into(), false)));
        let t = "Bell did not condemn Diaz.";
        assert_eq!(verb_after(t, 4, t.len()).map(|v| v.4), Some(true));
        let t = "Trump's proposal failed.";
        assert_eq!(verb_after(t, 5, t.len()), None);
        let t = "Bell, the mayor, said so.";
        assert_eq!(verb_after(t, 4, t.len()), None);
    }
}
