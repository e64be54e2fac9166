//! Last stage: write tables. Files are written to temporary names inside `--out` and renamed
//! into place only when the run finishes, so a crashed run never leaves half-written outputs
//! under the final names and a finished run replaces old outputs atomically (per file).

use crate::document::{Document, ErrorRow};
use crate::error::{Error, Result};
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum OutputFormat {
    Csv,
    Jsonl,
}

#[rustfmt::skip]
pub const DOCUMENT_COLUMNS: &[&str] = &[
    "doc_id", "source", "line", "title", "n_chars", "n_sentences", "n_tokens", "n_windows", "n_mentions", "flags",
    "input_sha256", "url", "published", "outlet", "n_actors", "sentiment_label", "sentiment_score",
];
#[rustfmt::skip]
pub const MENTION_COLUMNS: &[&str] = &[
    "doc_id", "mention_id", "sentence_idx", "start_char", "end_char", "start_byte", "end_byte", "text", "label", "type",
    "score", "actor_id",
];
#[rustfmt::skip]
pub const ACTOR_COLUMNS: &[&str] = &[
    "doc_id", "actor_id", "name", "type", "aliases", "roles", "n_mentions", "first_char", "kb_id", "linked_actor_id",
    "sentiment_mean", "stance", "stance_score", "stance_evidence",
];
#[rustfmt::skip]
pub const ACTION_COLUMNS: &[&str] = &[
    "doc_id", "action_id", "sentence_idx", "agent_actor_id", "agent_text", "predicate", "verb_lemma", "target_actor_id",
    "target_text", "source_actor_id", "source_text", "negated", "modality", "is_quote", "category", "quad_class",
    "start_char", "end_char", "confidence",
];
#[rustfmt::skip]
pub const SENTENCE_COLUMNS: &[&str] = &[
    "doc_id", "sentence_idx", "start_char", "end_char", "start_byte", "end_byte", "sentiment", "compound", "pos", "neg",
    "neu",
];
#[rustfmt::skip]
pub const STANCE_COLUMNS: &[&str] = &[
    "doc_id", "source_actor_id", "target_actor_id", "stance", "score", "evidence_action_id", "evidence_sentence_idx",
    "cue",
];
pub const CORPUS_ACTOR_COLUMNS: &[&str] = &["actor_id", "name", "type", "n_docs", "n_mentions", "aliases", "kb_id"];
pub const ERROR_COLUMNS: &[&str] = &["source", "line", "doc_id", "kind", "message"];

/// Word count used for throughput: tokens that contain a letter or digit.
pub fn n_words(doc: &Document) -> usize {
    doc.tokens
        .iter()
        .filter(|t| doc.text[t.span.start_byte..t.span.end_byte].chars().any(char::is_alphanumeric))
        .count()
}

/// One output file being written under a temporary name.
struct Pending<W> {
    final_path: PathBuf,
    temp: tempfile::TempPath,
    writer: W,
}

fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, tempfile::TempPath, BufWriter<File>)> {
    let final_path = dir.join(name);
    let tmp = NamedTempFile::with_prefix_in(format!(".{name}."), dir)
        .map_err(|e| Error::Output { path: final_path.clone(), message: e.to_string() })?;
    let (file, path) = tmp.into_parts();
    Ok((final_path, path, BufWriter::new(file)))
}

fn out_err(path: &Path) -> impl Fn(String) -> Error + '_ {
    move |message| Error::Output { path: path.into(), message }
}

pub struct OutputDir {
    dir: PathBuf,
    documents: Option<Pending<csv::Writer<BufWriter<File>>>>,
    mentions: Option<Pending<csv::Writer<BufWriter<File>>>>,
    actors: Option<Pending<csv::Writer<BufWriter<File>>>>,
    sentences: Option<Pending<csv::Writer<BufWriter<File>>>>,
    stances: Option<Pending<csv::Writer<BufWriter<File>>>>,
    actions: Option<Pending<csv::Writer<BufWriter<File>>>>,
    corpus_actors: Option<Pending<csv::Writer<BufWriter<File>>>>,
    errors: Pending<csv::Writer<BufWriter<File>>>,
    jsonl: Option<Pending<BufWriter<File>>>,
}

fn csv_file(dir: &Path, name: &str, header: &[&str]) -> Result<Pending<csv::Writer<BufWriter<File>>>> {
    let (final_path, temp, w) = create_temp(dir, name)?;
    // Headers are written explicitly so empty tables still have them.
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(w);
    writer.write_record(header).map_err(|e| Error::Output { path: final_path.clone(), message: e.to_string() })?;
    Ok(Pending { final_path, temp, writer })
}

impl OutputDir {
    /// Create `dir` if needed and open temporary files for the selected formats. `errors.csv`
    /// is always written: it is the other half of the every-record-accounted-for promise.
    pub fn create(dir: &Path, formats: &[OutputFormat]) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::Output { path: dir.into(), message: e.to_string() })?;
        let csv = formats.contains(&OutputFormat::Csv);
        let documents = csv.then(|| csv_file(dir, "documents.csv", DOCUMENT_COLUMNS)).transpose()?;
        let mentions = csv.then(|| csv_file(dir, "mentions.csv", MENTION_COLUMNS)).transpose()?;
        let actors = csv.then(|| csv_file(dir, "actors.csv", ACTOR_COLUMNS)).transpose()?;
        let sentences = csv.then(|| csv_file(dir, "sentences.csv", SENTENCE_COLUMNS)).transpose()?;
        let stances = csv.then(|| csv_file(dir, "stances.csv", STANCE_COLUMNS)).transpose()?;
        let actions = csv.then(|| csv_file(dir, "actions.csv", ACTION_COLUMNS)).transpose()?;
        let corpus_actors = csv.then(|| csv_file(dir, "corpus_actors.csv", CORPUS_ACTOR_COLUMNS)).transpose()?;
        let errors = csv_file(dir, "errors.csv", ERROR_COLUMNS)?;
        let jsonl = if formats.contains(&OutputFormat::Jsonl) {
            let (final_path, temp, writer) = create_temp(dir, "documents.jsonl")?;
            Some(Pending { final_path, temp, writer })
        } else {
            None
        };
        Ok(OutputDir {
            dir: dir.into(),
            documents,
            mentions,
            actors,
            sentences,
            stances,
            actions,
            corpus_actors,
            errors,
            jsonl,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn write_documents(&mut self, docs: &[Document]) -> Result<()> {
        for doc in docs {
            if let Some(p) = self.documents.as_mut() {
                let e = out_err(&p.final_path);
                p.writer.write_record(document_row(doc)).map_err(|x| e(x.to_string()))?;
            }
            write_rows(
                &mut self.mentions,
                doc.mentions.iter().map(|m| {
                    vec![
                        doc.doc_id.clone(),
                        m.mention_id.to_string(),
                        m.sentence_idx.to_string(),
                        m.span.start_char.to_string(),
                        m.span.end_char.to_string(),
                        m.span.start_byte.to_string(),
                        m.span.end_byte.to_string(),
                        m.text.clone(),
                        m.label.clone(),
                        m.kind.clone(),
                        format!("{:.4}", m.score),
                        m.actor_id.clone().unwrap_or_default(),
                    ]
                }),
            )?;
            write_rows(
                &mut self.actors,
                doc.actors.iter().map(|a| {
                    vec![
                        doc.doc_id.clone(),
                        a.actor_id.clone(),
                        a.name.clone(),
                        a.kind.clone(),
                        a.aliases.join("|"),
                        a.roles.join("|"),
                        a.n_mentions.to_string(),
                        a.first_char.to_string(),
                        a.kb_id.clone().unwrap_or_default(),
                        a.linked_actor_id.clone().unwrap_or_default(),
                        opt_num(a.sentiment_mean),
                        a.stance.clone().unwrap_or_default(),
                        opt_num(a.stance_score),
                        a.stance_evidence.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("|"),
                    ]
                }),
            )?;
            write_rows(
                &mut self.sentences,
                doc.sentences.iter().zip(&doc.sentence_tone).map(|(s, t)| {
                    vec![
                        doc.doc_id.clone(),
                        t.sentence_idx.to_string(),
                        s.span.start_char.to_string(),
                        s.span.end_char.to_string(),
                        s.span.start_byte.to_string(),
                        s.span.end_byte.to_string(),
                        t.sentiment.clone(),
                        num(t.polarity.compound),
                        num(t.polarity.pos),
                        num(t.polarity.neg),
                        num(t.polarity.neu),
                    ]
                }),
            )?;
            write_rows(
                &mut self.stances,
                doc.stances.iter().map(|st| {
                    vec![
                        doc.doc_id.clone(),
                        st.source_actor_id.clone(),
                        st.target_actor_id.clone(),
                        st.stance.clone(),
                        num(st.score),
                        st.evidence_action_id.clone().unwrap_or_default(),
                        st.evidence_sentence_idx.to_string(),
                        st.cue.clone(),
                    ]
                }),
            )?;
            let o = |x: &Option<String>| x.clone().unwrap_or_default();
            write_rows(
                &mut self.actions,
                doc.actions.iter().map(|a| {
                    vec![
                        doc.doc_id.clone(),
                        a.action_id.to_string(),
                        a.sentence_idx.to_string(),
                        o(&a.agent_actor_id),
                        o(&a.agent_text),
                        a.predicate.clone(),
                        a.verb_lemma.clone(),
                        o(&a.target_actor_id),
                        o(&a.target_text),
                        o(&a.source_actor_id),
                        o(&a.source_text),
                        a.negated.to_string(),
                        a.modality.clone(),
                        a.is_quote.to_string(),
                        a.category.clone(),
                        a.quad_class.clone(),
                        a.start_char.to_string(),
                        a.end_char.to_string(),
                        format!("{:.2}", a.confidence),
                    ]
                }),
            )?;
            if let Some(p) = self.jsonl.as_mut() {
                let e = out_err(&p.final_path);
                serde_json::to_writer(&mut p.writer, &DocumentJson::new(doc)).map_err(|x| e(x.to_string()))?;
                p.writer.write_all(b"\n").map_err(|x| e(x.to_string()))?;
            }
        }
        Ok(())
    }

    pub fn write_errors(&mut self, errors: &[ErrorRow]) -> Result<()> {
        let e = out_err(&self.errors.final_path);
        for row in errors {
            self.errors.writer.serialize(row).map_err(|x| e(x.to_string()))?;
        }
        Ok(())
    }

    /// The corpus-wide actor table, written once at the end of the run.
    pub fn write_corpus_actors(&mut self, rows: &[crate::actors::CorpusActor]) -> Result<()> {
        if let Some(p) = self.corpus_actors.as_mut() {
            let e = out_err(&p.final_path);
            for r in rows {
                p.writer
                    .write_record([
                        r.actor_id.clone(),
                        r.name.clone(),
                        r.kind.clone(),
                        r.n_docs.to_string(),
                        r.n_mentions.to_string(),
                        r.aliases.join("|"),
                        r.kb_id.clone().unwrap_or_default(),
                    ])
                    .map_err(|x| e(x.to_string()))?;
            }
        }
        Ok(())
    }

    /// Flush everything and move the files to their final names.
    pub fn finish(self) -> Result<Vec<PathBuf>> {
        let mut done = Vec::new();
        let mut commit_csv = |p: Pending<csv::Writer<BufWriter<File>>>| -> Result<()> {
            let e = out_err(&p.final_path);
            let inner = p.writer.into_inner().map_err(|x| e(x.to_string()))?;
            finish_file(inner, p.temp, &p.final_path)?;
            done.push(p.final_path.clone());
            Ok(())
        };
        if let Some(p) = self.documents {
            commit_csv(p)?;
        }
        for p in [self.mentions, self.actors, self.sentences, self.stances, self.actions, self.corpus_actors]
            .into_iter()
            .flatten()
        {
            commit_csv(p)?;
        }
        commit_csv(self.errors)?;
        if let Some(p) = self.jsonl {
            finish_file(p.writer, p.temp, &p.final_path)?;
            done.push(p.final_path);
        }
        Ok(done)
    }
}

fn finish_file(writer: BufWriter<File>, temp: tempfile::TempPath, final_path: &Path) -> Result<()> {
    let e = out_err(final_path);
    let file = writer.into_inner().map_err(|x| e(x.to_string()))?;
    file.sync_all().map_err(|x| e(x.to_string()))?;
    temp.persist(final_path).map_err(|x| e(x.to_string()))?;
    Ok(())
}

/// Write rows to an optional CSV table (absent when its format is not selected).
fn write_rows(
    p: &mut Option<Pending<csv::Writer<BufWriter<File>>>>,
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<()> {
    let Some(p) = p.as_mut() else { return Ok(()) };
    for row in rows {
        p.writer
            .write_record(&row)
            .map_err(|x| Error::Output { path: p.final_path.clone(), message: x.to_string() })?;
    }
    Ok(())
}

/// Fixed four decimals, so CSV output does not depend on float printing details.
fn num(x: f64) -> String {
    format!("{x:.4}")
}

fn opt_num(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

/// Write `value` as pretty JSON to `path` atomically.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out.json".into());
    let (final_path, temp, mut w) = create_temp(dir, &name)?;
    let e = out_err(&final_path);
    serde_json::to_writer_pretty(&mut w, value).map_err(|x| e(x.to_string()))?;
    w.write_all(b"\n").map_err(|x| e(x.to_string()))?;
    finish_file(w, temp, &final_path)
}

fn document_row(doc: &Document) -> [String; 17] {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    [
        doc.doc_id.clone(),
        doc.origin.source.clone(),
        doc.origin.line.to_string(),
        opt(&doc.meta.title),
        doc.n_chars().to_string(),
        doc.sentences.len().to_string(),
        doc.tokens.len().to_string(),
        doc.n_windows.to_string(),
        doc.mentions.len().to_string(),
        doc.flags_str(),
        doc.input_sha256.clone(),
        opt(&doc.meta.url),
        opt(&doc.meta.published),
        opt(&doc.meta.outlet),
        doc.actors.len().to_string(),
        doc.tone.as_ref().map(|t| t.sentiment_label.clone()).unwrap_or_default(),
        doc.tone.as_ref().map(|t| num(t.sentiment_score)).unwrap_or_default(),
    ]
}

/// The `documents.jsonl` object: the `documents.csv` fields plus nested sentences and mentions.
#[derive(Serialize)]
struct DocumentJson<'a> {
    doc_id: &'a str,
    source: &'a str,
    line: u64,
    title: &'a Option<String>,
    url: &'a Option<String>,
    published: &'a Option<String>,
    outlet: &'a Option<String>,
    n_chars: usize,
    n_sentences: usize,
    n_tokens: usize,
    n_windows: usize,
    n_mentions: usize,
    n_actors: usize,
    flags: Vec<&'static str>,
    input_sha256: &'a str,
    sentences: Vec<&'a crate::document::Span>,
    mentions: &'a [crate::document::Mention],
    actors: &'a [crate::document::Actor],
    sentiment_label: Option<&'a str>,
    sentiment_score: Option<f64>,
    sentence_tone: &'a [crate::document::SentenceTone],
    stances: &'a [crate::document::Stance],
    actions: &'a [crate::document::Action],
}

impl<'a> DocumentJson<'a> {
    fn new(doc: &'a Document) -> Self {
        DocumentJson {
            doc_id: &doc.doc_id,
            source: &doc.origin.source,
            line: doc.origin.line,
            title: &doc.meta.title,
            url: &doc.meta.url,
            published: &doc.meta.published,
            outlet: &doc.meta.outlet,
            n_chars: doc.n_chars(),
            n_sentences: doc.sentences.len(),
            n_tokens: doc.tokens.len(),
            n_windows: doc.n_windows,
            n_mentions: doc.mentions.len(),
            n_actors: doc.actors.len(),
            flags: doc.flags.iter().map(|f| f.as_str()).collect(),
            input_sha256: &doc.input_sha256,
            sentences: doc.sentences.iter().map(|s| &s.span).collect(),
            mentions: &doc.mentions,
            actors: &doc.actors,
            sentiment_label: doc.tone.as_ref().map(|t| t.sentiment_label.as_str()),
            sentiment_score: doc.tone.as_ref().map(|t| t.sentiment_score),
            sentence_tone: &doc.sentence_tone,
            stances: &doc.stances,
            actions: &doc.actions,
        }
    }
}
