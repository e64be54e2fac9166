//! Stage 1: turn paths and stdin into `Document`s (or error rows), lazily and in a stable order.
//!
//! `.txt`/`.md`: one document per file. `.jsonl`: one per line. `.csv`: one per row (header
//! required). Nothing is dropped silently: every record becomes a `Document` or an `ErrorRow`.

use crate::digest::sha256_hex;
use crate::document::{record_key, Document, ErrorKind, ErrorRow, Flag, Meta, Origin};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Txt,
    Jsonl,
    Csv,
}

impl Format {
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "txt" | "md" => Some(Format::Txt),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub id_field: String,
    pub text_field: String,
    pub stdin_format: Format,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions { id_field: "id".into(), text_field: "text".into(), stdin_format: Format::Jsonl }
    }
}

pub type Record = Result<Document, ErrorRow>;

/// One unit of input: a file (with its doc_id base) or stdin.
#[derive(Debug, Clone)]
enum Unit {
    File { path: PathBuf, id: String, label: String },
    Stdin,
}

/// Expand arguments into units: directories are walked recursively in sorted order; hidden
/// entries are skipped. A missing path becomes an error row.
fn expand(inputs: &[String]) -> Vec<Result<Unit, ErrorRow>> {
    let mut units = Vec::new();
    for input in inputs {
        if input == "-" {
            units.push(Ok(Unit::Stdin));
            continue;
        }
        let root = Path::new(input);
        if root.is_dir() {
            let walker = walkdir::WalkDir::new(root)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
            for entry in walker {
                match entry {
                    Ok(e) if e.file_type().is_file() => {
                        let rel = e.path().strip_prefix(root).unwrap_or(e.path());
                        let id = rel.to_string_lossy().replace('\\', "/");
                        units.push(Ok(Unit::File {
                            path: e.path().to_path_buf(),
                            id,
                            label: e.path().to_string_lossy().into_owned(),
                        }));
                    }
                    Ok(_) => {}
                    Err(err) => {
                        units.push(Err(error(input, 0, "", ErrorKind::Io, format!("cannot walk directory: {err}"))))
                    }
                }
            }
        } else if root.is_file() {
            units.push(Ok(Unit::File { path: root.to_path_buf(), id: input.clone(), label: input.clone() }));
        } else {
            units.push(Err(error(input, 0, "", ErrorKind::Io, "no such file or directory".into())));
        }
    }
    units
}

fn error(source: &str, line: u64, doc_id: &str, kind: ErrorKind, message: String) -> ErrorRow {
    ErrorRow { source: source.into(), line, doc_id: doc_id.into(), kind, message, input_sha256: None, seq: 0 }
}

/// Lossy decode that remembers whether anything was replaced.
fn decode(bytes: &[u8]) -> (String, Vec<Flag>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), vec![]),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), vec![Flag::InvalidUtf8]),
    }
}

/// Text files with NUL bytes are binary (images, archives) rather than text in a bad encoding.
fn looks_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8192).any(|&b| b == 0)
}

/// The lazy record stream over all inputs, with duplicate-id detection across the whole run.
pub struct Ingest {
    opts: IngestOptions,
    units: std::vec::IntoIter<Result<Unit, ErrorRow>>,
    current: Option<Box<dyn Iterator<Item = Record>>>,
    seen: HashMap<String, (String, u64)>,
}

impl Ingest {
    pub fn new(inputs: &[String], opts: IngestOptions) -> Self {
        Ingest { opts, units: expand(inputs).into_iter(), current: None, seen: HashMap::new() }
    }

    fn open(&self, unit: Unit) -> Box<dyn Iterator<Item = Record>> {
        match unit {
            Unit::Stdin => {
                let reader: Box<dyn Read> = Box::new(std::io::stdin());
                match self.opts.stdin_format {
                    Format::Txt => Box::new(std::iter::once(whole_file(reader, "-", "-"))),
                    Format::Jsonl => Box::new(JsonlReader::new(reader, "-".into(), self.opts.clone())),
                    Format::Csv => csv_records(reader, "-".into(), self.opts.clone()),
                }
            }
            Unit::File { path, id, label } => {
                let Some(format) = Format::from_path(&path) else {
                    return Box::new(std::iter::once(Err(error(
                        &label,
                        0,
                        "",
                        ErrorKind::UnsupportedFormat,
                        "not a .txt, .md, .jsonl or .csv file".into(),
                    ))));
                };
                let file = match File::open(&path) {
                    Ok(f) => f,
                    Err(e) => {
                        return Box::new(std::iter::once(Err(error(
                            &label,
                            0,
                            "",
                            ErrorKind::Io,
                            format!("cannot open: {e}"),
                        ))))
                    }
                };
                match format {
                    Format::Txt => Box::new(std::iter::once(whole_file(Box::new(file), &label, &id))),
                    Format::Jsonl => Box::new(JsonlReader::new(Box::new(file), label, self.opts.clone())),
                    Format::Csv => csv_records(Box::new(file), label, self.opts.clone()),
                }
            }
        }
    }

    fn dedupe(&mut self, rec: Record) -> Record {
        let doc = rec?;
        if let Some((src, line)) = self.seen.get(&doc.doc_id) {
            return Err(error(
                &doc.origin.source,
                doc.origin.line,
                &doc.doc_id,
                ErrorKind::DuplicateId,
                format!("doc_id already used by {src} line {line}"),
            ));
        }
        self.seen.insert(doc.doc_id.clone(), (doc.origin.source.clone(), doc.origin.line));
        Ok(doc)
    }
}

impl Iterator for Ingest {
    type Item = Record;
    fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(cur) = self.current.as_mut() {
                if let Some(rec) = cur.next() {
                    return Some(self.dedupe(rec));
                }
                self.current = None;
            }
            match self.units.next()? {
                Ok(unit) => self.current = Some(self.open(unit)),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

fn whole_file(mut reader: Box<dyn Read>, label: &str, id: &str) -> Record {
    let mut bytes = Vec::new();
    if let Err(e) = reader.read_to_end(&mut bytes) {
        return Err(error(label, 0, id, ErrorKind::Io, format!("cannot read: {e}")));
    }
    if looks_binary(&bytes) {
        return Err(error(label, 0, id, ErrorKind::Binary, "file contains NUL bytes; not a text document".into()));
    }
    let (text, flags) = decode(&bytes);
    let origin = Origin { source: label.into(), line: 0 };
    Ok(Document::new(id.into(), origin, Meta::default(), text, flags, sha256_hex(&bytes)))
}

/// A JSON scalar as an id/metadata string; objects and arrays are not accepted.
fn scalar(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn meta_from(get: &dyn Fn(&str) -> Option<String>) -> Meta {
    Meta { title: get("title"), url: get("url"), published: get("published"), outlet: get("source") }
}

struct JsonlReader {
    reader: BufReader<Box<dyn Read>>,
    label: String,
    opts: IngestOptions,
    line: u64,
    buf: Vec<u8>,
}

impl JsonlReader {
    fn new(reader: Box<dyn Read>, label: String, opts: IngestOptions) -> Self {
        JsonlReader { reader: BufReader::new(reader), label, opts, line: 0, buf: Vec::new() }
    }

    fn parse(&self, raw: &[u8]) -> Record {
        let line = self.line;
        let (text, mut flags) = decode(raw);
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| error(&self.label, line, "", ErrorKind::MalformedJsonl, format!("invalid JSON: {e}")))?;
        let obj = value.as_object().ok_or_else(|| {
            error(&self.label, line, "", ErrorKind::MalformedJsonl, "line is not a JSON object".into())
        })?;
        let id = match obj.get(&self.opts.id_field) {
            None | Some(serde_json::Value::Null) => record_key(&self.label, line),
            Some(v) => scalar(v).ok_or_else(|| {
                error(
                    &self.label,
                    line,
                    "",
                    ErrorKind::InvalidField,
                    format!("`{}` must be a string or number", self.opts.id_field),
                )
            })?,
        };
        let body = match obj.get(&self.opts.text_field) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(error(
                    &self.label,
                    line,
                    &id,
                    ErrorKind::InvalidField,
                    format!("`{}` is not a string", self.opts.text_field),
                ))
            }
            None => {
                return Err(error(
                    &self.label,
                    line,
                    &id,
                    ErrorKind::MissingText,
                    format!("no `{}` field", self.opts.text_field),
                ))
            }
        };
        // JSON escapes can smuggle in U+FFFD too; only raw invalid bytes count as invalid UTF-8.
        flags.dedup();
        let meta = meta_from(&|k| obj.get(k).and_then(scalar));
        let origin = Origin { source: self.label.clone(), line };
        Ok(Document::new(id, origin, meta, body, flags, sha256_hex(raw)))
    }
}

impl Iterator for JsonlReader {
    type Item = Record;
    fn next(&mut self) -> Option<Record> {
        loop {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    self.line += 1;
                    // Stop this file: a read error does not fix itself on the next call.
                    let err = error(&self.label, self.line, "", ErrorKind::Io, format!("read failed: {e}"));
                    self.reader = BufReader::new(Box::new(std::io::empty()));
                    return Some(Err(err));
                }
            }
            self.line += 1;
            let raw = trim_newline(&self.buf).to_vec();
            if raw.iter().all(|b| b.is_ascii_whitespace()) {
                continue; // blank lines are not records
            }
            return Some(self.parse(&raw));
        }
    }
}

fn trim_newline(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

fn csv_records(reader: Box<dyn Read>, label: String, opts: IngestOptions) -> Box<dyn Iterator<Item = Record>> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(reader);
    let headers = match rdr.byte_headers() {
        Ok(h) => h.iter().map(|f| String::from_utf8_lossy(f).trim().to_string()).collect::<Vec<_>>(),
        Err(e) => {
            return Box::new(std::iter::once(Err(error(
                &label,
                1,
                "",
                ErrorKind::MalformedCsv,
                format!("cannot read header: {e}"),
            ))))
        }
    };
    let col = |name: &str| headers.iter().position(|h| h == name);
    let id_col = col(&opts.id_field);
    let text_col = col(&opts.text_field);
    let meta_cols: Vec<(String, Option<usize>)> =
        ["title", "url", "published", "source"].iter().map(|k| (k.to_string(), col(k))).collect();
    let n_headers = headers.len();
    let text_field = opts.text_field.clone();
    Box::new(rdr.into_byte_records().map(move |res| {
        let rec = res.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            error(&label, line, "", ErrorKind::MalformedCsv, e.to_string())
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let mut flags = Vec::new();
        let mut field = |i: Option<usize>| -> Option<String> {
            let raw = rec.get(i?)?;
            let (s, f) = decode(raw);
            flags.extend(f);
            Some(s)
        };
        let id = field(id_col).filter(|s| !s.trim().is_empty()).unwrap_or_else(|| format!("{label}:{line}"));
        let Some(body) = field(text_col) else {
            let msg = if text_col.is_none() {
                format!("header has no `{text_field}` column")
            } else {
                format!("row has {} fields, header has {n_headers}; `{text_field}` is missing", rec.len())
            };
            return Err(error(&label, line, &id, ErrorKind::MissingText, msg));
        };
        if rec.len() != n_headers {
            return Err(error(
                &label,
                line,
                &id,
                ErrorKind::MalformedCsv,
                format!("row has {} fields, header has {n_headers}", rec.len()),
            ));
        }
        let meta_vals: HashMap<String, String> =
            meta_cols.iter().filter_map(|(k, i)| field(*i).filter(|v| !v.is_empty()).map(|v| (k.clone(), v))).collect();
        let meta = meta_from(&|k| meta_vals.get(k).cloned());
        flags.sort();
        flags.dedup();
        let raw: Vec<u8> = rec.get(text_col.unwrap_or(0)).unwrap_or(&[]).to_vec();
        Ok(Document::new(id, Origin { source: label.clone(), line }, meta, body, flags, sha256_hex(&raw)))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jsonl(input: &str) -> Vec<Record> {
        JsonlReader::new(
            Box::new(std::io::Cursor::new(input.as_bytes().to_vec())),
            "t.jsonl".into(),
            IngestOptions::default(),
        )
        .collect()
    }

    #[test]
    fn jsonl_lines_become_documents_or_errors() {
        let recs = jsonl("{\"id\":\"a\",\"text\":\"Hi.\"}\n\nnot json\n{\"text\":\"no id\"}\n{\"id\":3}\n");
        assert_eq!(recs.len(), 4);
        assert_eq!(recs[0].as_ref().map(|d| d.doc_id.as_str()), Ok("a"));
        let e = recs[1].as_ref().err().map(|e| (e.line, e.kind));
        assert_eq!(e, Some((3, ErrorKind::MalformedJsonl)));
        assert_eq!(recs[2].as_ref().map(|d| d.doc_id.as_str()), Ok("t.jsonl:4"));
        let e = recs[3].as_ref().err().map(|e| (e.line, e.kind, e.doc_id.as_str()));
        assert_eq!(e, Some((5, ErrorKind::MissingText, "3")));
    }

    #[test]
    fn csv_rows_missing_text_are_errors_with_line_numbers() {
        let data = "id,title,text\na,T,\"Hello, world.\"\nb,T\nc,T,\"multi\nline\"\n";
        let recs: Vec<Record> = csv_records(
            Box::new(std::io::Cursor::new(data.as_bytes().to_vec())),
            "t.csv".into(),
            IngestOptions::default(),
        )
        .collect();
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].as_ref().map(|d| d.text.as_str()), Ok("Hello, world."));
        assert_eq!(recs[0].as_ref().map(|d| d.meta.title.clone()), Ok(Some("T".into())));
        let e = recs[1].as_ref().err().map(|e| (e.line, e.kind));
        assert_eq!(e, Some((3, ErrorKind::MissingText)));
        assert_eq!(recs[2].as_ref().map(|d| d.origin.line), Ok(4));
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily_and_flagged() {
        let (s, flags) = decode(b"caf\xe9 ok");
        assert_eq!(s, "caf\u{fffd} ok");
        assert_eq!(flags, vec![Flag::InvalidUtf8]);
    }
}
