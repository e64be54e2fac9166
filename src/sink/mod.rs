//! Last stage: write tables. Rows are typed once ([`tables`]) and written as CSV, JSON Lines or
//! Parquet. Chunks are committed durably into a state folder and published when the run
//! finishes ([`store`]), so a crashed run never leaves half-written outputs under the final
//! names and `--resume` continues where it stopped. `--stream` writes JSON Lines to stdout.

pub mod parquet;
pub mod store;
pub mod tables;

use crate::document::{Document, ErrorRow};
use crate::error::{Error, Result};
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    Csv,
    Jsonl,
    Parquet,
}

/// How published outputs are laid out in `--out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// One file per table: documents.csv, mentions.parquet, ...
    Single,
    /// Deterministic part files per shard and chunk: FORMAT/TABLE/part-SSSSS-CCCCCCCC.EXT,
    /// plus _manifests/shard-SSSSS-of-NNNNN.json (for Spark, Hive-style readers, object stores).
    Parts,
}

/// One line of `--stream` output: a document object, or an error object for a record that
/// could not become one (`{"doc_id", "source", "line", "error": {"kind", "message"}}`).
pub fn stream_line(w: &mut impl Write, item: StreamItem<'_>) -> std::io::Result<()> {
    match item {
        StreamItem::Doc(d) => serde_json::to_writer(&mut *w, &DocumentJson::new(d))?,
        StreamItem::Error(e) => serde_json::to_writer(
            &mut *w,
            &serde_json::json!({
                "doc_id": e.doc_id,
                "source": e.source,
                "line": e.line,
                "error": {"kind": e.kind.name(), "message": e.message},
            }),
        )?,
    }
    w.write_all(b"\n")
}

pub enum StreamItem<'a> {
    Doc(&'a Document),
    Error(&'a ErrorRow),
}

/// A failed write to stdout (`--stream`). A closed pipe (`| head -n 1`) is the reader saying it
/// has enough, not an error: it ends the run quietly with exit 0, as ripgrep does.
pub fn stdout_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::BrokenPipe
    } else {
        Error::Output { path: "<stdout>".into(), message: e.to_string() }
    }
}

pub fn csv_cell(cell: &tables::Cell, ty: tables::ColType, escape_formulas: bool) -> String {
    let text = cell.to_csv(ty);
    let is_text = matches!(cell, tables::Cell::Str(_) | tables::Cell::OptStr(_));
    if is_text && escape_formulas && escape_needed(&text) {
        format!("'{text}")
    } else {
        text
    }
}

fn escape_needed(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, tempfile::TempPath, BufWriter<File>)> {
    let final_path = dir.join(name);
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    // tempfile creates 0600 files; ask for 0666 minus the umask, as File::create does for the
    // tables, so manifest.json has the same mode as mentions.csv.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp: NamedTempFile =
        builder.tempfile_in(dir).map_err(|e| Error::Output { path: final_path.clone(), message: e.to_string() })?;
    let (file, path) = tmp.into_parts();
    Ok((final_path, path, BufWriter::new(file)))
}

fn out_err(path: &Path) -> impl Fn(String) -> Error + '_ {
    move |message| Error::Output { path: path.into(), message }
}

fn finish_file(writer: BufWriter<File>, temp: tempfile::TempPath, final_path: &Path) -> Result<()> {
    let e = out_err(final_path);
    let file = writer.into_inner().map_err(|x| e(x.to_string()))?;
    file.sync_all().map_err(|x| e(x.to_string()))?;
    temp.persist(final_path).map_err(|x| e(x.to_string()))?;
    Ok(())
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

/// The `documents.jsonl` object: the `documents.csv` fields plus nested sentences and mentions.
#[derive(Serialize)]
pub(crate) struct DocumentJson<'a> {
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
    pub(crate) fn new(doc: &'a Document) -> Self {
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
            n_mentions: crate::coref::n_named_mentions(doc),
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
