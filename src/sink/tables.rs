//! The output tables as typed rows: one definition per table drives CSV (text, fixed decimals)
//! and Parquet (ints, floats, booleans, nulls), so both formats always carry the same columns.

use crate::actors::CorpusActor;
use crate::document::{Document, ErrorRow};

/// Column type. Floats carry the number of decimals they are rounded to in every format, so a
/// CSV cell and the Parquet value are the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Str,
    /// Empty in CSV, null in Parquet.
    OptStr,
    Int,
    Float(u8),
    OptFloat(u8),
    Bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Str(String),
    OptStr(Option<String>),
    Int(i64),
    Float(f64),
    OptFloat(Option<f64>),
    Bool(bool),
}

pub type Row = Vec<Cell>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TableId {
    Documents,
    Mentions,
    Actors,
    Sentences,
    Stances,
    Actions,
    Errors,
    CorpusActors,
}

pub struct Table {
    pub id: TableId,
    pub name: &'static str,
    pub columns: &'static [(&'static str, ColType)],
}

use ColType::*;

pub const DOCUMENTS: Table = Table {
    id: TableId::Documents,
    name: "documents",
    columns: &[
        ("doc_id", Str),
        ("source", Str),
        ("line", Int),
        ("title", OptStr),
        ("n_chars", Int),
        ("n_sentences", Int),
        ("n_tokens", Int),
        ("n_windows", Int),
        ("n_mentions", Int),
        ("flags", Str),
        ("input_sha256", Str),
        ("url", OptStr),
        ("published", OptStr),
        ("outlet", OptStr),
        ("n_actors", Int),
        ("sentiment_label", OptStr),
        ("sentiment_score", OptFloat(4)),
    ],
};

pub const MENTIONS: Table = Table {
    id: TableId::Mentions,
    name: "mentions",
    columns: &[
        ("doc_id", Str),
        ("mention_id", Int),
        ("sentence_idx", Int),
        ("start_char", Int),
        ("end_char", Int),
        ("start_byte", Int),
        ("end_byte", Int),
        ("text", Str),
        ("label", Str),
        ("type", Str),
        ("score", Float(4)),
        ("actor_id", OptStr),
        ("stance", OptStr),
        ("p_negative", OptFloat(4)),
        ("p_neutral", OptFloat(4)),
        ("p_positive", OptFloat(4)),
    ],
};

pub const ACTORS: Table = Table {
    id: TableId::Actors,
    name: "actors",
    columns: &[
        ("doc_id", Str),
        ("actor_id", Str),
        ("name", Str),
        ("type", Str),
        ("aliases", Str),
        ("roles", Str),
        ("n_mentions", Int),
        ("n_pronoun_mentions", Int),
        ("n_role_mentions", Int),
        ("first_char", Int),
        ("kb_id", OptStr),
        ("linked_actor_id", OptStr),
        ("sentiment_mean", OptFloat(4)),
        ("stance", OptStr),
        ("stance_score", OptFloat(4)),
        ("stance_evidence", Str),
    ],
};

pub const ACTIONS: Table = Table {
    id: TableId::Actions,
    name: "actions",
    columns: &[
        ("doc_id", Str),
        ("action_id", Int),
        ("sentence_idx", Int),
        ("agent_actor_id", OptStr),
        ("agent_text", OptStr),
        ("predicate", Str),
        ("verb_lemma", Str),
        ("target_actor_id", OptStr),
        ("target_text", OptStr),
        ("source_actor_id", OptStr),
        ("source_text", OptStr),
        ("negated", Bool),
        ("modality", Str),
        ("is_quote", Bool),
        ("category", Str),
        ("quad_class", Str),
        ("start_char", Int),
        ("end_char", Int),
        ("confidence", Float(2)),
    ],
};

pub const SENTENCES: Table = Table {
    id: TableId::Sentences,
    name: "sentences",
    columns: &[
        ("doc_id", Str),
        ("sentence_idx", Int),
        ("start_char", Int),
        ("end_char", Int),
        ("start_byte", Int),
        ("end_byte", Int),
        ("sentiment", Str),
        ("compound", Float(4)),
        ("pos", Float(4)),
        ("neg", Float(4)),
        ("neu", Float(4)),
    ],
};

pub const STANCES: Table = Table {
    id: TableId::Stances,
    name: "stances",
    columns: &[
        ("doc_id", Str),
        ("source_actor_id", Str),
        ("target_actor_id", Str),
        ("stance", Str),
        ("score", Float(4)),
        ("evidence_action_id", OptStr),
        ("evidence_sentence_idx", Int),
        ("cue", Str),
    ],
};

pub const CORPUS_ACTORS: Table = Table {
    id: TableId::CorpusActors,
    name: "corpus_actors",
    columns: &[
        ("actor_id", Str),
        ("name", Str),
        ("type", Str),
        ("n_docs", Int),
        ("n_mentions", Int),
        ("aliases", Str),
        ("kb_id", OptStr),
    ],
};

pub const ERRORS: Table = Table {
    id: TableId::Errors,
    name: "errors",
    columns: &[("source", Str), ("line", Int), ("doc_id", Str), ("kind", Str), ("message", Str)],
};

/// Per-document tables, in output order.
pub const DOC_TABLES: [&Table; 6] = [&DOCUMENTS, &MENTIONS, &ACTORS, &SENTENCES, &STANCES, &ACTIONS];

impl Table {
    pub fn header(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.0).collect()
    }

    /// The rows one document contributes to this table.
    pub fn doc_rows(&self, doc: &Document) -> Vec<Row> {
        match self.id {
            TableId::Documents => vec![document_row(doc)],
            TableId::Mentions => mention_rows(doc),
            TableId::Actors => actor_rows(doc),
            TableId::Sentences => sentence_rows(doc),
            TableId::Stances => stance_rows(doc),
            TableId::Actions => action_rows(doc),
            TableId::Errors | TableId::CorpusActors => Vec::new(),
        }
    }
}

fn s(x: &str) -> Cell {
    Cell::Str(x.to_string())
}
fn os(x: &Option<String>) -> Cell {
    Cell::OptStr(x.clone().filter(|v| !v.is_empty()))
}
fn i(x: impl TryInto<i64>) -> Cell {
    Cell::Int(x.try_into().unwrap_or(i64::MAX))
}

/// Round to `decimals` exactly as the CSV prints it, so both formats hold the same number.
pub fn round(x: f64, decimals: u8) -> f64 {
    format!("{x:.*}", decimals as usize).parse().unwrap_or(x)
}

impl Cell {
    /// The CSV text of this cell in a column of type `ty`.
    pub fn to_csv(&self, ty: ColType) -> String {
        let dec = match ty {
            Float(d) | OptFloat(d) => d as usize,
            _ => 4,
        };
        match self {
            Cell::Str(v) => v.clone(),
            Cell::OptStr(v) => v.clone().unwrap_or_default(),
            Cell::Int(v) => v.to_string(),
            Cell::Float(v) => format!("{v:.dec$}"),
            Cell::OptFloat(v) => v.map(|v| format!("{v:.dec$}")).unwrap_or_default(),
            Cell::Bool(v) => v.to_string(),
        }
    }
}

pub fn document_row(doc: &Document) -> Row {
    vec![
        s(&doc.doc_id),
        s(&doc.origin.source),
        i(doc.origin.line),
        os(&doc.meta.title),
        i(doc.n_chars()),
        i(doc.sentences.len()),
        i(doc.tokens.len()),
        i(doc.n_windows),
        i(crate::coref::n_named_mentions(doc)),
        s(&doc.flags_str()),
        s(&doc.input_sha256),
        os(&doc.meta.url),
        os(&doc.meta.published),
        os(&doc.meta.outlet),
        i(doc.actors.len()),
        Cell::OptStr(doc.tone.as_ref().map(|t| t.sentiment_label.clone())),
        Cell::OptFloat(doc.tone.as_ref().map(|t| t.sentiment_score)),
    ]
}

fn mention_rows(doc: &Document) -> Vec<Row> {
    doc.mentions
        .iter()
        .map(|m| {
            vec![
                s(&doc.doc_id),
                i(m.mention_id),
                i(m.sentence_idx),
                i(m.span.start_char),
                i(m.span.end_char),
                i(m.span.start_byte),
                i(m.span.end_byte),
                s(&m.text),
                s(&m.label),
                s(m.kind.as_str()),
                Cell::Float(m.score as f64),
                os(&m.actor_id),
                Cell::OptStr(m.stance.stance.map(|l| l.as_str().to_string())),
                Cell::OptFloat(m.stance.p_negative.map(f64::from)),
                Cell::OptFloat(m.stance.p_neutral.map(f64::from)),
                Cell::OptFloat(m.stance.p_positive.map(f64::from)),
            ]
        })
        .collect()
}

fn actor_rows(doc: &Document) -> Vec<Row> {
    doc.actors
        .iter()
        .map(|a| {
            vec![
                s(&doc.doc_id),
                s(&a.actor_id),
                s(&a.name),
                s(&a.kind),
                s(&a.aliases.join("|")),
                s(&a.roles.join("|")),
                i(a.n_mentions),
                i(a.n_pronoun_mentions),
                i(a.n_role_mentions),
                i(a.first_char),
                os(&a.kb_id),
                os(&a.linked_actor_id),
                Cell::OptFloat(a.sentiment_mean),
                Cell::OptStr(a.stance.map(|x| x.as_str().to_string())),
                Cell::OptFloat(a.stance_score),
                s(&a.stance_evidence.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("|")),
            ]
        })
        .collect()
}

fn sentence_rows(doc: &Document) -> Vec<Row> {
    doc.sentences
        .iter()
        .zip(&doc.sentence_tone)
        .map(|(st, t)| {
            vec![
                s(&doc.doc_id),
                i(t.sentence_idx),
                i(st.span.start_char),
                i(st.span.end_char),
                i(st.span.start_byte),
                i(st.span.end_byte),
                s(&t.sentiment),
                Cell::Float(t.polarity.compound),
                Cell::Float(t.polarity.pos),
                Cell::Float(t.polarity.neg),
                Cell::Float(t.polarity.neu),
            ]
        })
        .collect()
}

fn stance_rows(doc: &Document) -> Vec<Row> {
    doc.stances
        .iter()
        .map(|st| {
            vec![
                s(&doc.doc_id),
                s(&st.source_actor_id),
                s(&st.target_actor_id),
                s(st.stance.as_str()),
                Cell::Float(st.score),
                os(&st.evidence_action_id),
                i(st.evidence_sentence_idx),
                s(&st.cue),
            ]
        })
        .collect()
}

fn action_rows(doc: &Document) -> Vec<Row> {
    doc.actions
        .iter()
        .map(|a| {
            vec![
                s(&doc.doc_id),
                i(a.action_id),
                i(a.sentence_idx),
                os(&a.agent_actor_id),
                os(&a.agent_text),
                s(&a.predicate),
                s(&a.verb_lemma),
                os(&a.target_actor_id),
                os(&a.target_text),
                os(&a.source_actor_id),
                os(&a.source_text),
                Cell::Bool(a.negated),
                s(&a.modality),
                Cell::Bool(a.is_quote),
                s(&a.category),
                s(&a.quad_class),
                i(a.start_char),
                i(a.end_char),
                Cell::Float(a.confidence),
            ]
        })
        .collect()
}

pub fn error_row(e: &ErrorRow) -> Row {
    vec![s(&e.source), i(e.line), s(&e.doc_id), s(&e.kind.name()), s(&e.message)]
}

pub fn corpus_actor_row(r: &CorpusActor) -> Row {
    vec![
        s(&r.actor_id),
        s(&r.name),
        s(&r.kind),
        i(r.n_docs),
        i(r.n_mentions),
        s(&r.aliases.join("|")),
        Cell::OptStr(r.kb_id.clone()),
    ]
}
