//! The data model that flows through every stage: one `Document` per input record.

use serde::Serialize;

/// Where a document came from, so every output row can be traced back to its input record.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Origin {
    /// Input path as given (or relative to a directory argument); `-` for stdin.
    pub source: String,
    /// 1-based line (JSONL/CSV record) or 0 for whole-file documents.
    pub line: u64,
}

/// Optional metadata carried from JSONL/CSV records.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Meta {
    pub title: Option<String>,
    pub url: Option<String>,
    pub published: Option<String>,
    /// The record's own `source` field (publisher/outlet), distinct from the input path.
    pub outlet: Option<String>,
}

/// A half-open span in both byte and char (Unicode scalar value) offsets into `Document::text`.
/// Char offsets are what Python/pandas users slice with; byte offsets are what Rust/Arrow use.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Span {
    pub start_byte: usize,
    pub end_byte: usize,
    pub start_char: usize,
    pub end_char: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sentence {
    #[serde(flatten)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Token {
    #[serde(flatten)]
    pub span: Span,
    pub sentence_idx: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mention {
    pub mention_id: usize,
    pub sentence_idx: usize,
    #[serde(flatten)]
    pub span: Span,
    /// Exact slice of the original text.
    pub text: String,
    /// The model's own label without the B-/I- prefix (e.g. `PERSON`, `PER`).
    pub label: String,
    /// Coarse type from one mapping table (`ner::coarse_type`).
    #[serde(rename = "type")]
    pub kind: EntityType,
    /// Mean probability of the chosen label over the entity's words.
    pub score: f32,
    /// The actor this mention refers to (set by the `actors` stage for PER/ORG/GPE/LOC/NORP).
    pub actor_id: Option<String>,
    /// The article's stance toward this mention (the `tone` stage, stance model only).
    #[serde(flatten)]
    pub stance: MentionStance,
}

/// Per-mention stance from the stance head: label and the three probabilities (4 decimals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MentionStance {
    pub stance: Option<StanceLabel>,
    pub p_negative: Option<f32>,
    pub p_neutral: Option<f32>,
    pub p_positive: Option<f32>,
}

impl MentionStance {
    /// From [negative, neutral, positive] probabilities: the most probable label (ties → neutral).
    pub fn from_probs(p: [f32; 3]) -> Self {
        let r = |x: f32| (x * 1e4).round() / 1e4;
        let stance = if p[0] > p[1] && p[0] > p[2] {
            StanceLabel::Against
        } else if p[2] > p[1] && p[2] > p[0] {
            StanceLabel::Favour
        } else {
            StanceLabel::Neutral
        };
        MentionStance {
            stance: Some(stance),
            p_negative: Some(r(p[0])),
            p_neutral: Some(r(p[1])),
            p_positive: Some(r(p[2])),
        }
    }

    pub fn probs(&self) -> Option<[f32; 3]> {
        Some([self.p_negative?, self.p_neutral?, self.p_positive?])
    }
}

/// A span the NER stage scored with the stance head while the encoder's states were at hand
/// (its own actor-type entities and third-person pronouns); `tone` attaches them to mentions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetStance {
    pub start_byte: usize,
    pub end_byte: usize,
    /// [negative, neutral, positive].
    pub probs: [f32; 3],
}

/// The coarse entity types users filter on (`mentions.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum EntityType {
    #[serde(rename = "PER")]
    Per,
    #[serde(rename = "ORG")]
    Org,
    #[serde(rename = "GPE")]
    Gpe,
    #[serde(rename = "LOC")]
    Loc,
    #[serde(rename = "NORP")]
    Norp,
    #[serde(rename = "DATE")]
    Date,
    #[serde(rename = "TIME")]
    Time,
    #[serde(rename = "MONEY")]
    Money,
    #[serde(rename = "PERCENT")]
    Percent,
    #[serde(rename = "NUM")]
    Num,
    #[serde(rename = "EVENT")]
    Event,
    #[serde(rename = "LAW")]
    Law,
    #[serde(rename = "MISC")]
    Misc,
}

impl EntityType {
    pub fn as_str(&self) -> &'static str {
        use EntityType::*;
        match self {
            Per => "PER",
            Org => "ORG",
            Gpe => "GPE",
            Loc => "LOC",
            Norp => "NORP",
            Date => "DATE",
            Time => "TIME",
            Money => "MONEY",
            Percent => "PERCENT",
            Num => "NUM",
            Event => "EVENT",
            Law => "LAW",
            Misc => "MISC",
        }
    }

    /// Types that can be actors (people, organisations, places, groups).
    pub fn is_actor(&self) -> bool {
        matches!(self, EntityType::Per | EntityType::Org | EntityType::Gpe | EntityType::Loc | EntityType::Norp)
    }
}

impl PartialEq<&str> for EntityType {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for EntityType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stance toward an actor: the article's (`actors.stance`) or one actor's toward another
/// (`stances.stance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StanceLabel {
    Favour,
    Against,
    Neutral,
}

impl StanceLabel {
    pub fn as_str(&self) -> &'static str {
        match self {
            StanceLabel::Favour => "favour",
            StanceLabel::Against => "against",
            StanceLabel::Neutral => "neutral",
        }
    }

    pub fn from_name(s: &str) -> Option<StanceLabel> {
        match s {
            "favour" => Some(StanceLabel::Favour),
            "against" => Some(StanceLabel::Against),
            "neutral" => Some(StanceLabel::Neutral),
            _ => None,
        }
    }

    /// One mapping from a (favour/against) cue and its negation to a stance row's label and
    /// score: "supported" → favour 1.0, "did not support" → against −0.5, "condemned" → against
    /// −1.0; "did not condemn" and neutral cues give no row.
    pub fn of_cue(cue: StanceLabel, negated: bool) -> Option<(StanceLabel, f64)> {
        match (cue, negated) {
            (StanceLabel::Favour, false) => Some((StanceLabel::Favour, 1.0)),
            (StanceLabel::Favour, true) => Some((StanceLabel::Against, -0.5)),
            (StanceLabel::Against, false) => Some((StanceLabel::Against, -1.0)),
            _ => None,
        }
    }
}

impl PartialEq<&str> for StanceLabel {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for StanceLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One real-world actor within a document (see `actors`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Actor {
    /// Corpus-wide, readable and deterministic: `per:donald-trump`, `gpe:mexico`.
    pub actor_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Other surface forms seen in the document, sorted.
    pub aliases: Vec<String>,
    /// Titles stripped from person names ("President"), sorted.
    pub roles: Vec<String>,
    /// Named (NER) mentions of the actor.
    pub n_mentions: usize,
    /// Pronouns resolved to the actor by `coref` (`PRON` rows in mentions).
    pub n_pronoun_mentions: usize,
    /// Role descriptions ("the president") resolved to the actor by `coref` (`NOM` rows).
    pub n_role_mentions: usize,
    pub first_char: usize,
    /// Knowledge-base id from `--aliases` (e.g. a Wikidata QID).
    pub kb_id: Option<String>,
    /// For governments/administrations: the actor they belong to (`per:donald-trump`).
    pub linked_actor_id: Option<String>,
    /// Mean compound sentiment of the clauses that mention the actor (`tone` stage).
    pub sentiment_mean: Option<f64>,
    /// The article's stance toward the actor: favour / against / neutral.
    pub stance: Option<StanceLabel>,
    pub stance_score: Option<f64>,
    /// Sentence indices of the clauses that carried the stance.
    pub stance_evidence: Vec<usize>,
}

/// One claimed action: who did what to whom, according to whom (`actions` stage).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Action {
    /// 0-based within the document.
    pub action_id: usize,
    pub sentence_idx: usize,
    pub agent_actor_id: Option<String>,
    pub agent_text: Option<String>,
    /// As written, with auxiliaries, negation, adverbs and particles: "absolutely ruled out".
    pub predicate: String,
    /// Lemma with particle: "rule out".
    pub verb_lemma: String,
    pub target_actor_id: Option<String>,
    pub target_text: Option<String>,
    /// Who says so: the speaker of reported speech or the "according to" source.
    pub source_actor_id: Option<String>,
    pub source_text: Option<String>,
    pub negated: bool,
    /// `hedged` (would/could/may/might/should/can) or `asserted`.
    pub modality: String,
    pub is_quote: bool,
    /// PLOVER-style category (REJECT, ACCUSE, ...; OTHER when the verb is not in the lexicon).
    pub category: String,
    /// verbal_cooperation, material_cooperation, verbal_conflict, material_conflict, or empty.
    pub quad_class: String,
    /// Evidence span (agent, predicate and target) in chars.
    pub start_char: usize,
    pub end_char: usize,
    pub confidence: f64,
}

/// Sentiment of one sentence.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Default)]
pub struct Polarity {
    /// -1 (most negative) .. 1 (most positive).
    pub compound: f64,
    pub pos: f64,
    pub neg: f64,
    pub neu: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SentenceTone {
    pub sentence_idx: usize,
    pub sentiment: String,
    #[serde(flatten)]
    pub polarity: Polarity,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DocumentTone {
    pub sentiment_label: String,
    pub sentiment_score: f64,
}

/// One actor's stance toward another, from an explicit stance verb ("X rejected Y").
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stance {
    pub source_actor_id: String,
    pub target_actor_id: String,
    pub stance: StanceLabel,
    pub score: f64,
    /// Set when the claimed-actions stage produced the evidence.
    pub evidence_action_id: Option<String>,
    pub evidence_sentence_idx: usize,
    /// The verb form that carried the stance ("rejected").
    pub cue: String,
}

/// Quality flags: the document is kept, but users should know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    InvalidUtf8,
    Empty,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::InvalidUtf8 => "invalid_utf8",
            Flag::Empty => "empty",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub doc_id: String,
    #[serde(flatten)]
    pub origin: Origin,
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(skip)]
    pub text: String,
    pub flags: Vec<Flag>,
    /// sha256 of the raw input bytes of the text (before lossy decoding).
    pub input_sha256: String,
    pub sentences: Vec<Sentence>,
    #[serde(skip)]
    pub tokens: Vec<Token>,
    /// Number of model windows used by NER (1 per sentence unless a sentence exceeded the limit).
    pub n_windows: usize,
    pub mentions: Vec<Mention>,
    /// Stance-head scores by span (see [`TargetStance`]), sorted by span.
    #[serde(skip)]
    pub target_stances: Vec<TargetStance>,
    pub actors: Vec<Actor>,
    pub sentence_tone: Vec<SentenceTone>,
    pub tone: Option<DocumentTone>,
    pub stances: Vec<Stance>,
    pub actions: Vec<Action>,
    /// One dependency parse per sentence (the `parse` stage); empty when it did not run.
    #[serde(skip)]
    pub parses: Vec<crate::parse::Parse>,
    /// Set by a stage that could not process this document; the pipeline then reports it in
    /// errors.csv instead of the tables.
    #[serde(skip)]
    pub error: Option<StageFailure>,
    /// Position of the record in the input stream (orders `--stream` output).
    #[serde(skip)]
    pub seq: u64,
    #[serde(skip)]
    char_starts: Vec<u32>,
}

impl Document {
    pub fn new(
        doc_id: String,
        origin: Origin,
        meta: Meta,
        text: String,
        flags: Vec<Flag>,
        input_sha256: String,
    ) -> Self {
        let mut flags = flags;
        if text.trim().is_empty() && !flags.contains(&Flag::Empty) {
            flags.push(Flag::Empty);
        }
        flags.sort();
        let char_starts = char_index(&text);
        Document {
            doc_id,
            origin,
            meta,
            text,
            flags,
            input_sha256,
            sentences: Vec::new(),
            tokens: Vec::new(),
            n_windows: 0,
            mentions: Vec::new(),
            target_stances: Vec::new(),
            actors: Vec::new(),
            sentence_tone: Vec::new(),
            tone: None,
            stances: Vec::new(),
            actions: Vec::new(),
            parses: Vec::new(),
            seq: 0,
            error: None,
            char_starts,
        }
    }

    /// Char offset of a byte offset that lies on a char boundary (or the text end).
    pub fn char_at(&self, byte: usize) -> usize {
        match self.char_starts.binary_search(&(byte as u32)) {
            Ok(i) => i,
            Err(i) => i, // not a boundary: the next char; callers only pass boundaries
        }
    }

    pub fn span(&self, start_byte: usize, end_byte: usize) -> Span {
        Span { start_byte, end_byte, start_char: self.char_at(start_byte), end_char: self.char_at(end_byte) }
    }

    pub fn n_chars(&self) -> usize {
        self.char_starts.len().saturating_sub(1)
    }

    pub fn sentence_text(&self, idx: usize) -> &str {
        let s = &self.sentences[idx].span;
        &self.text[s.start_byte..s.end_byte]
    }

    /// Tokens grouped by sentence, in one pass (tokens are stored in sentence order).
    pub fn tokens_by_sentence(&self) -> Vec<&[Token]> {
        let mut out = Vec::with_capacity(self.sentences.len());
        let mut start = 0;
        for i in 0..self.sentences.len() {
            let end = start + self.tokens[start..].iter().take_while(|t| t.sentence_idx == i).count();
            out.push(&self.tokens[start..end]);
            start = end;
        }
        out
    }

    /// Record that `stage` could not process this document (the first failure wins).
    pub fn fail(&mut self, stage: &'static str, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(StageFailure { stage, message: message.into() });
        }
    }

    /// Whether a token counts as a word (throughput, sentence weights): it has a letter or digit.
    pub fn is_word(&self, t: &Token) -> bool {
        self.text.get(t.span.start_byte..t.span.end_byte).is_some_and(|w| w.chars().any(char::is_alphanumeric))
    }

    /// Words in the document (see [`Document::is_word`]).
    pub fn n_words(&self) -> usize {
        self.tokens.iter().filter(|t| self.is_word(t)).count()
    }

    /// Words per sentence (see [`Document::is_word`]).
    pub fn words_per_sentence(&self) -> Vec<usize> {
        self.tokens_by_sentence().iter().map(|ts| ts.iter().filter(|t| self.is_word(t)).count()).collect()
    }

    /// Empty what `field` holds, so a stage can be re-run on this document after a failure.
    pub fn clear(&mut self, field: crate::stage::Field) {
        use crate::stage::Field::*;
        match field {
            Text | Meta => {}
            Sentences => self.sentences.clear(),
            Tokens => self.tokens.clear(),
            Mentions => {
                self.mentions.clear();
                self.n_windows = 0;
            }
            MentionActors => self.mentions.iter_mut().for_each(|m| m.actor_id = None),
            Actors => self.actors.clear(),
            Actions => self.actions.clear(),
            Parse => self.parses.clear(),
            SentenceTone => self.sentence_tone.clear(),
            DocumentTone => self.tone = None,
            ActorTone => self.actors.iter_mut().for_each(|a| {
                a.sentiment_mean = None;
                a.stance = None;
                a.stance_score = None;
                a.stance_evidence.clear();
            }),
            Stances => self.stances.clear(),
            TargetStances => self.target_stances.clear(),
            MentionStances => self.mentions.iter_mut().for_each(|m| m.stance = Default::default()),
            Coref => crate::coref::clear(self),
        }
    }

    pub fn flags_str(&self) -> String {
        self.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>().join("|")
    }
}

/// `end` moved forward to the next grapheme-cluster boundary (UAX #29) if it falls inside a
/// cluster, so a span never ends between a letter and its combining marks ("Bogota" + U+0301
/// stays "Bogotá" in NFD text). An `end` that is not a char boundary is moved forward too;
/// the result is at most `text.len()`.
pub fn grapheme_end(text: &str, end: usize) -> usize {
    let mut end = end.min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let mut cursor = unicode_segmentation::GraphemeCursor::new(end, text.len(), true);
    match cursor.is_boundary(text, 0) {
        Ok(true) | Err(_) => end,
        Ok(false) => cursor.next_boundary(text, 0).ok().flatten().unwrap_or(end),
    }
}

/// Byte offset of every char start, plus the text length: char i starts at `v[i]`.
fn char_index(text: &str) -> Vec<u32> {
    let mut v: Vec<u32> = text.char_indices().map(|(b, _)| b as u32).collect();
    v.push(text.len() as u32);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_offsets_follow_unicode_scalars() {
        let d = Document::new("d".into(), Origin::default(), Meta::default(), "é中😀a".into(), vec![], String::new());
        assert_eq!(d.char_at(0), 0);
        assert_eq!(d.char_at(2), 1);
        assert_eq!(d.char_at(5), 2);
        assert_eq!(d.char_at(9), 3);
        assert_eq!(d.char_at(10), 4);
        assert_eq!(d.n_chars(), 4);
    }

    #[test]
    fn spans_end_on_grapheme_boundaries() {
        let nfd = "Bogota\u{301} and Zu\u{308}rich";
        // A word end before a combining mark moves past it.
        assert_eq!(&nfd[..grapheme_end(nfd, 6)], "Bogota\u{301}");
        // Already on a boundary: unchanged (after the mark, at a space, at the text end).
        assert_eq!(grapheme_end(nfd, 8), 8);
        assert_eq!(grapheme_end(nfd, 0), 0);
        assert_eq!(grapheme_end(nfd, nfd.len()), nfd.len());
        // Several marks, and an emoji with a skin-tone modifier.
        let s = "a\u{301}\u{323}b 👍\u{1f3fd}.";
        assert_eq!(&s[..grapheme_end(s, 1)], "a\u{301}\u{323}");
        let thumb = s.find('👍').unwrap();
        assert_eq!(&s[thumb..grapheme_end(s, thumb + 4)], "👍\u{1f3fd}");
        // Past the end or inside a char: clamped / moved to the next char boundary first.
        assert_eq!(grapheme_end("é", 1), 2);
        assert_eq!(grapheme_end("ab", 9), 2);
    }
}

/// A stage's failure on one document: which stage, and why (becomes an `errors.csv` row of
/// kind `<stage>_failed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageFailure {
    pub stage: &'static str,
    pub message: String,
}

/// The `kind` column of `errors.csv`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum ErrorKind {
    /// The file or stream could not be read.
    #[default]
    Io,
    /// NUL bytes: not a text document.
    Binary,
    UnsupportedFormat,
    MalformedJsonl,
    MalformedCsv,
    /// A field has the wrong JSON type.
    InvalidField,
    MissingText,
    DuplicateId,
    /// `--resume`: the id was done with other text.
    ChangedSinceDone,
    /// A FIFO, socket or device found in a folder walk: not read.
    SpecialFile,
    /// A stage (by name) could not process the document: `ner_failed`, `tone_failed`, ...
    StageFailed(&'static str),
}

impl ErrorKind {
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        use std::borrow::Cow::Borrowed;
        match self {
            ErrorKind::Io => Borrowed("io"),
            ErrorKind::Binary => Borrowed("binary"),
            ErrorKind::UnsupportedFormat => Borrowed("unsupported_format"),
            ErrorKind::MalformedJsonl => Borrowed("malformed_jsonl"),
            ErrorKind::MalformedCsv => Borrowed("malformed_csv"),
            ErrorKind::InvalidField => Borrowed("invalid_field"),
            ErrorKind::MissingText => Borrowed("missing_text"),
            ErrorKind::DuplicateId => Borrowed("duplicate_id"),
            ErrorKind::ChangedSinceDone => Borrowed("changed_since_done"),
            ErrorKind::SpecialFile => Borrowed("special_file"),
            ErrorKind::StageFailed(stage) => std::borrow::Cow::Owned(format!("{stage}_failed")),
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// One row of `errors.csv`: an input record that could not become a document.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ErrorRow {
    pub source: String,
    pub line: u64,
    pub doc_id: String,
    #[serde(serialize_with = "kind_name")]
    pub kind: ErrorKind,
    pub message: String,
    /// The document's input sha256 when the record was a readable document (a stage failed on
    /// it, or it changed since an earlier run); part of its resume key.
    #[serde(skip)]
    pub input_sha256: Option<String>,
    /// Position of the record in the input stream (orders `--stream` output).
    #[serde(skip)]
    pub seq: u64,
}

fn kind_name<S: serde::Serializer>(k: &ErrorKind, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&k.name())
}

impl ErrorRow {
    /// The record's key for resuming and sharding: its doc_id, or `source:line` without one.
    pub fn key(&self) -> String {
        if self.doc_id.is_empty() {
            record_key(&self.source, self.line)
        } else {
            self.doc_id.clone()
        }
    }
}

/// `source:line`: the id of a record that has none (and the key of unnamed error rows).
pub fn record_key(source: &str, line: u64) -> String {
    format!("{source}:{line}")
}
