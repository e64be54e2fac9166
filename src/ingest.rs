//! Stage 1: turn paths and stdin into `Document`s (or error rows), lazily and in a stable order.
//!
//! `.txt`/`.md`: one document per file. `.jsonl`: one per line. `.csv`: one per row (header
//! required). Nothing is dropped silently: every record becomes a `Document` or an `ErrorRow`.

use crate::digest::sha256_hex;
use crate::document::{record_key, Document, ErrorKind, ErrorRow, Flag, Meta, Origin};
use serde_json::value::RawValue;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

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

/// Expand arguments into units: directories are walked recursively in sorted order, following
/// symbolic links (walkdir detects loops); hidden entries and actorlens output folders (an
/// `--out` inside an input) are skipped. A missing path, a broken link, a link loop and special
/// files (FIFOs, sockets, devices: reading them could block forever) become error rows.
fn expand(inputs: &[String]) -> Vec<Result<Unit, ErrorRow>> {
    let mut units = Vec::new();
    for input in inputs {
        if input == "-" {
            units.push(Ok(Unit::Stdin));
            continue;
        }
        let root = Path::new(input);
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::fs::symlink_metadata(root).is_ok() => {
                units.push(Err(error(input, 0, "", ErrorKind::Io, broken_link_message(root))));
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                units.push(Err(error(input, 0, "", ErrorKind::Io, "no such file or directory".into())));
                continue;
            }
            Err(e) => {
                units.push(Err(error(input, 0, "", ErrorKind::Io, format!("cannot read: {e}"))));
                continue;
            }
        };
        if meta.is_file() {
            // The path as given (control characters escaped, as for walked files).
            let id = path_text(root);
            units.push(Ok(Unit::File { path: root.to_path_buf(), id: id.clone(), label: id }));
            continue;
        }
        if !meta.is_dir() {
            units.push(Err(error(input, 0, "", ErrorKind::SpecialFile, special_message(&meta.file_type()))));
            continue;
        }
        if is_output_folder(root) {
            let msg = "this folder is an actorlens output folder (it holds _actorlens_state); not read as input";
            units.push(Err(error(input, 0, "", ErrorKind::Io, msg.into())));
            continue;
        }
        let walker = walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name().into_iter().filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            if e.file_name().to_string_lossy().starts_with('.') {
                return false;
            }
            // `--out` inside the input folder: never read our own outputs back as documents.
            if e.file_type().is_dir() && is_output_folder(e.path()) {
                tracing::warn!("skipping {}: an actorlens output folder", e.path().display());
                return false;
            }
            true
        });
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) => {
                    let rel = e.path().strip_prefix(root).unwrap_or(e.path());
                    let label = path_text(e.path());
                    if e.file_type().is_file() {
                        units.push(Ok(Unit::File { path: e.path().to_path_buf(), id: path_text(rel), label }));
                    } else {
                        units.push(Err(error(&label, 0, "", ErrorKind::SpecialFile, special_message(&e.file_type()))));
                    }
                }
                Err(err) => {
                    let at = err.path().map(path_text).unwrap_or_else(|| input.clone());
                    let msg = if let Some(ancestor) = err.loop_ancestor() {
                        format!("symbolic link loop: points back to {}", ancestor.display())
                    } else if err.io_error().is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
                        && err.path().is_some_and(|p| std::fs::symlink_metadata(p).is_ok())
                    {
                        err.path().map(broken_link_message).unwrap_or_default()
                    } else {
                        format!("cannot walk directory: {err}")
                    };
                    units.push(Err(error(&at, 0, "", ErrorKind::Io, msg)));
                }
            }
        }
    }
    units
}

/// An output folder of an earlier or running actorlens run (see `sink::store`, `lock`).
fn is_output_folder(dir: &Path) -> bool {
    dir.join(crate::sink::store::STATE_DIR).is_dir()
}

fn broken_link_message(link: &Path) -> String {
    match std::fs::read_link(link) {
        Ok(target) => format!("broken symbolic link (target {} does not exist)", target.display()),
        Err(_) => "broken symbolic link".into(),
    }
}

fn special_message(ft: &std::fs::FileType) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let what = if ft.is_fifo() {
            "a named pipe (FIFO)"
        } else if ft.is_socket() {
            "a socket"
        } else if ft.is_block_device() || ft.is_char_device() {
            "a device"
        } else {
            "not a regular file"
        };
        format!("{what}, not a regular file; not read (pass it as `-` on stdin to read it)")
    }
    #[cfg(not(unix))]
    {
        let _ = ft;
        "not a regular file; not read".into()
    }
}

/// A path as text for doc_id and source: UTF-8 as is (with `\` turned into `/`), every byte that
/// is not valid UTF-8 and every control character written as `\xNN`, so two different non-UTF-8
/// names never collapse into one doc_id ("caf\xE9.txt" and "caf\xE8.txt").
pub fn path_text(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().into_owned().into_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push('/'),
                c if c.is_control() && (c as u32) < 0x100 => out.push_str(&format!("\\x{:02X}", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
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

/// Byte-order marks: a UTF-8 BOM is dropped, a UTF-16LE/BE file with a BOM is transcoded to
/// UTF-8 (encoding_rs_io, as ripgrep reads files); anything else passes through untouched, so
/// invalid UTF-8 is still flagged `invalid_utf8`. UTF-16 without a BOM stays `binary`.
fn bom_decoded(reader: Box<dyn Read>) -> Box<dyn Read> {
    Box::new(
        encoding_rs_io::DecodeReaderBytesBuilder::new()
            .bom_sniffing(true)
            .strip_bom(true)
            .utf8_passthru(true)
            .build(reader),
    )
}

/// A record id, checked: an empty (or blank) id falls back to `<source>:<line>`, like a missing
/// one; control characters (NUL, newline, ...) are refused, because they corrupt CSV readers and
/// terminals downstream.
fn checked_id(id: Option<String>, label: &str, line: u64) -> Result<String, ErrorRow> {
    match id {
        Some(id) if !id.trim().is_empty() => match id.chars().find(|c| c.is_control()) {
            Some(c) => {
                let shown: String = id.escape_debug().collect();
                Err(error(
                    label,
                    line,
                    &shown,
                    ErrorKind::InvalidField,
                    format!("id contains the control character U+{:04X}; ids must be printable", c as u32),
                ))
            }
            None => Ok(id),
        },
        _ => Ok(record_key(label, line)),
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
                let reader: Box<dyn Read> = bom_decoded(Box::new(std::io::stdin()));
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
                let reader = bom_decoded(Box::new(file));
                match format {
                    Format::Txt => Box::new(std::iter::once(whole_file(reader, &label, &id))),
                    Format::Jsonl => Box::new(JsonlReader::new(reader, label, self.opts.clone())),
                    Format::Csv => csv_records(reader, label, self.opts.clone()),
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

/// A JSON scalar as an id/metadata string, from its exact text: a number keeps its digits
/// (`123456789012345678901234567890`, `1.0`), never rounded through f64. Objects, arrays and null
/// give None.
fn scalar(v: &RawValue) -> Option<String> {
    let raw = v.get().trim();
    match raw.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(raw).ok(),
        b'-' | b'0'..=b'9' => Some(raw.to_string()),
        b't' | b'f' => Some(raw.to_string()),
        _ => None,
    }
}

fn is_null(v: &RawValue) -> bool {
    v.get().trim() == "null"
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
        // Values stay raw JSON text until needed, so ids keep their exact digits.
        let obj: HashMap<String, &RawValue> = serde_json::from_str(&text).map_err(|e| {
            let msg = match serde_json::from_str::<serde::de::IgnoredAny>(&text) {
                Ok(_) => "line is not a JSON object".to_string(),
                Err(_) => format!("invalid JSON: {e}"),
            };
            error(&self.label, line, "", ErrorKind::MalformedJsonl, msg)
        })?;
        let id = match obj.get(&self.opts.id_field) {
            None => None,
            Some(v) if is_null(v) => None,
            Some(v) => Some(scalar(v).ok_or_else(|| {
                error(
                    &self.label,
                    line,
                    "",
                    ErrorKind::InvalidField,
                    format!("`{}` must be a string or number", self.opts.id_field),
                )
            })?),
        };
        let id = checked_id(id, &self.label, line)?;
        let body = match obj.get(&self.opts.text_field) {
            Some(v) if v.get().trim_start().starts_with('"') => {
                serde_json::from_str::<String>(v.get()).map_err(|e| {
                    error(&self.label, line, &id, ErrorKind::InvalidField, format!("`{}`: {e}", self.opts.text_field))
                })?
            }
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
        let meta = meta_from(&|k| obj.get(k).and_then(|v| scalar(v)));
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

/// Passes bytes through and keeps a copy of what was read since `base`, so the raw bytes of a
/// record can be checked for broken quoting and the input re-read after it.
struct Recorder {
    inner: Box<dyn Read>,
    seen: Rc<RefCell<Vec<u8>>>,
}

impl Read for Recorder {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.borrow_mut().extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// Where a record's quoting goes wrong: a quoted field still open at the end of the file, or a
/// quoted field that spans lines and whose closing quote is followed by text (`"a\nb"c`). Both
/// mean an unbalanced quote swallowed the lines after it. Returns the opening quote's offset and
/// whether it ran to the end of the input.
fn broken_quote(raw: &[u8]) -> Option<(usize, bool)> {
    #[derive(PartialEq)]
    enum S {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut st, mut open, mut newline) = (S::FieldStart, 0, false);
    for (i, &b) in raw.iter().enumerate() {
        st = match st {
            S::FieldStart | S::Unquoted => match b {
                b'"' if st == S::FieldStart => {
                    open = i;
                    newline = false;
                    S::Quoted
                }
                b',' | b'\n' | b'\r' => S::FieldStart,
                _ => S::Unquoted,
            },
            S::Quoted => {
                newline |= b == b'\n';
                if b == b'"' {
                    S::QuoteInQuoted
                } else {
                    S::Quoted
                }
            }
            S::QuoteInQuoted => match b {
                b'"' => S::Quoted,
                b',' | b'\n' | b'\r' => S::FieldStart,
                b' ' | b'\t' => S::Unquoted,
                _ if newline => return Some((open, false)),
                _ => S::Unquoted,
            },
        };
    }
    (st == S::Quoted).then_some((open, true))
}

/// CSV rows as records. The csv crate is lenient: an unbalanced quote makes one record of the
/// rest of the file. Each record's raw bytes are checked ([`broken_quote`]); a broken record
/// becomes a `malformed_csv` error row with its line, and reading starts again on the line after
/// the opening quote, so the rows it swallowed become records of their own.
struct CsvReader {
    rdr: Option<csv::Reader<Recorder>>,
    /// Bytes read from the input, from absolute offset `seen_base`.
    seen: Rc<RefCell<Vec<u8>>>,
    seen_base: u64,
    /// Absolute byte offset and line (minus one) where the current csv reader's input starts.
    byte0: u64,
    line0: u64,
    label: String,
    id_col: Option<usize>,
    text_col: Option<usize>,
    meta_cols: Vec<(String, Option<usize>)>,
    n_headers: usize,
    text_field: String,
    record: csv::ByteRecord,
}

fn csv_records(reader: Box<dyn Read>, label: String, opts: IngestOptions) -> Box<dyn Iterator<Item = Record>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let recorder = Recorder { inner: reader, seen: seen.clone() };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(recorder);
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
    Box::new(CsvReader {
        id_col: col(&opts.id_field),
        text_col: col(&opts.text_field),
        meta_cols: ["title", "url", "published", "source"].iter().map(|k| (k.to_string(), col(k))).collect(),
        n_headers: headers.len(),
        text_field: opts.text_field.clone(),
        rdr: Some(rdr),
        seen,
        seen_base: 0,
        byte0: 0,
        line0: 0,
        label,
        record: csv::ByteRecord::new(),
    })
}

impl CsvReader {
    /// Start reading again at absolute offset `from`, which is the start of line `line0 + 1`.
    fn restart(&mut self, from: u64, line0: u64) {
        let Some(rdr) = self.rdr.take() else { return };
        let rest = {
            let seen = self.seen.borrow();
            seen.get(from.saturating_sub(self.seen_base) as usize..).unwrap_or(&[]).to_vec()
        };
        let inner = rdr.into_inner().inner;
        self.seen = Rc::new(RefCell::new(Vec::new()));
        self.seen_base = from;
        self.byte0 = from;
        self.line0 = line0;
        let input: Box<dyn Read> = Box::new(std::io::Cursor::new(rest).chain(inner));
        let recorder = Recorder { inner: input, seen: self.seen.clone() };
        self.rdr = Some(csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(recorder));
    }

    fn document(&self, rec: &csv::ByteRecord, line: u64) -> Record {
        let (label, n_headers, text_field) = (&self.label, self.n_headers, &self.text_field);
        let mut flags = Vec::new();
        let mut field = |i: Option<usize>| -> Option<String> {
            let raw = rec.get(i?)?;
            let (s, f) = decode(raw);
            flags.extend(f);
            Some(s)
        };
        let id = checked_id(field(self.id_col), label, line)?;
        let Some(body) = field(self.text_col) else {
            let msg = if self.text_col.is_none() {
                format!("header has no `{text_field}` column")
            } else {
                format!("row has {} fields, header has {n_headers}; `{text_field}` is missing", rec.len())
            };
            return Err(error(label, line, &id, ErrorKind::MissingText, msg));
        };
        if rec.len() != n_headers {
            return Err(error(
                label,
                line,
                &id,
                ErrorKind::MalformedCsv,
                format!("row has {} fields, header has {n_headers}", rec.len()),
            ));
        }
        let meta_vals: HashMap<String, String> = self
            .meta_cols
            .iter()
            .filter_map(|(k, i)| field(*i).filter(|v| !v.is_empty()).map(|v| (k.clone(), v)))
            .collect();
        let meta = meta_from(&|k| meta_vals.get(k).cloned());
        flags.sort();
        flags.dedup();
        let raw: Vec<u8> = rec.get(self.text_col.unwrap_or(0)).unwrap_or(&[]).to_vec();
        Ok(Document::new(id, Origin { source: label.clone(), line }, meta, body, flags, sha256_hex(&raw)))
    }
}

impl Iterator for CsvReader {
    type Item = Record;
    fn next(&mut self) -> Option<Record> {
        let rdr = self.rdr.as_mut()?;
        let mut record = std::mem::take(&mut self.record);
        let res = rdr.read_byte_record(&mut record);
        let end = self.byte0 + rdr.position().byte();
        let result = match res {
            Ok(false) => {
                self.rdr = None;
                return None;
            }
            Err(e) => {
                let line = self.line0 + e.position().map(|p| p.line()).unwrap_or(0);
                // Stop this file: a read error does not fix itself on the next call.
                self.rdr = None;
                Some(Err(error(&self.label, line, "", ErrorKind::MalformedCsv, e.to_string())))
            }
            Ok(true) => {
                let pos = record.position().cloned().unwrap_or_else(csv::Position::new);
                let (start, base) = (self.byte0 + pos.byte(), self.line0 + pos.line());
                let nl = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count() as u64;
                let (line, problem) = {
                    let seen = self.seen.borrow();
                    let lo = (start.saturating_sub(self.seen_base)) as usize;
                    let hi = (end.saturating_sub(self.seen_base) as usize).min(seen.len());
                    let raw = seen.get(lo..hi).unwrap_or(&[]);
                    // The csv crate puts a record's position before the `\n` of a CRLF (and before
                    // blank lines): count those, so the line is the record's first text line.
                    let lead = raw.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
                    let line = base + nl(&raw[..lead]);
                    let problem = broken_quote(raw).map(|(open, to_eof)| {
                        let open_line = base + nl(&raw[..open]);
                        let last_line = base + nl(raw) - u64::from(raw.ends_with(b"\n"));
                        let next_line =
                            raw[open..].iter().position(|&b| b == b'\n').map(|p| start + (open + p + 1) as u64);
                        (open_line, last_line, to_eof, next_line)
                    });
                    (line, problem)
                };
                match problem {
                    None => Some(self.document(&record, line)),
                    Some((open_line, last_line, to_eof, next_line)) => {
                        let how = if to_eof { "is never closed" } else { "is closed by a quote followed by text" };
                        let mut msg = format!("the quoted field opened on line {open_line} {how}");
                        if let Some(from) = next_line {
                            msg.push_str(&format!(
                                "; it swallowed lines {}-{last_line}, which were read again as rows",
                                open_line + 1
                            ));
                            self.restart(from, open_line);
                        }
                        Some(Err(error(&self.label, line, "", ErrorKind::MalformedCsv, msg)))
                    }
                }
            }
        };
        self.record = record;
        // Keep only the bytes from the next record on (trimmed in large steps: cheap).
        if let Some(rdr) = &self.rdr {
            let next = self.byte0 + rdr.position().byte();
            let drop = next.saturating_sub(self.seen_base) as usize;
            if drop > (1 << 20) {
                let mut seen = self.seen.borrow_mut();
                let drop = drop.min(seen.len());
                seen.drain(..drop);
                self.seen_base += drop as u64;
            }
        }
        result
    }
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

    fn csv(data: &[u8]) -> Vec<Record> {
        csv_records(Box::new(std::io::Cursor::new(data.to_vec())), "t.csv".into(), IngestOptions::default()).collect()
    }

    fn summary(recs: &[Record]) -> Vec<(u64, String)> {
        recs.iter()
            .map(|r| match r {
                Ok(d) => (d.origin.line, d.doc_id.clone()),
                Err(e) => (e.line, format!("ERR {}", e.kind)),
            })
            .collect()
    }

    #[test]
    fn well_formed_csv_quoting_is_not_mistaken_for_a_broken_quote() {
        let data = b"id,text\r\na,\"He said \"\"no\"\"\"\r\n\r\nb,\"two\r\nlines\"\r\nc,\"x\" \r\nd,5\" screen\r\n";
        let got = summary(&csv(data));
        assert_eq!(got, [(2, "a".into()), (4, "b".into()), (6, "c".into()), (7, "d".into())]);
    }

    #[test]
    fn a_broken_quote_far_into_a_large_csv_restarts_at_the_right_line() {
        // More than the 1 MiB the reader keeps, so the restart works from a trimmed buffer.
        let mut data = String::from("id,text\n");
        for i in 0..30_000 {
            data.push_str(&format!("r{i},\"Row number {i} with some padding text.\"\n"));
        }
        data.push_str("bad,\"never closed\nafter1,One.\nafter2,\"Two\nlines\"\n");
        let recs = csv(data.as_bytes());
        let got = summary(&recs);
        assert_eq!(got.len(), 30_003);
        assert_eq!(got[29_999], (30_001, "r29999".into()));
        assert_eq!(got[30_000], (30_002, "ERR malformed_csv".into()));
        assert_eq!(got[30_001], (30_003, "after1".into()));
        assert_eq!(got[30_002], (30_004, "after2".into()));
        assert_eq!(recs[30_002].as_ref().map(|d| d.text.as_str()), Ok("Two\nlines"));
    }

    #[test]
    fn broken_quotes_are_found_in_raw_records() {
        assert_eq!(broken_quote(b"a,\"open\nb,c\n"), Some((2, true)));
        assert_eq!(broken_quote(b"a,\"x\ny\"z\n"), Some((2, false)));
        assert_eq!(broken_quote(b"a,\"x\"z\n"), None, "single-line stray text stays lenient");
        assert_eq!(broken_quote(b"a,\"x\"\"y\"\n"), None);
        assert_eq!(broken_quote(b"a,b\"c\n"), None, "a quote inside an unquoted field is text");
    }

    #[test]
    fn jsonl_ids_keep_their_text_and_bad_ids_are_errors() {
        let recs = jsonl(concat!(
            "{\"id\":123456789012345678901234567890,\"text\":\"a\"}\n",
            "{\"id\":-1.50,\"text\":\"a\"}\n",
            "{\"id\":\"\",\"text\":\"a\"}\n",
            "{\"id\":\"x\\ny\",\"text\":\"a\"}\n",
            "{\"id\":[1],\"text\":\"a\"}\n",
            "[1,2]\n",
            "\u{feff}{\"id\":\"bom-inside\",\"text\":\"a\"}\n",
        ));
        let got = summary(&recs);
        assert_eq!(got[0].1, "123456789012345678901234567890");
        assert_eq!(got[1].1, "-1.50");
        assert_eq!(got[2].1, "t.jsonl:3");
        assert_eq!(got[3].1, "ERR invalid_field");
        assert_eq!(got[4].1, "ERR invalid_field");
        let e = recs[5].as_ref().err().map(|e| e.message.as_str());
        assert_eq!(e, Some("line is not a JSON object"));
        // A BOM in the middle of a file is not a BOM: the line is malformed (reported, not lost).
        assert_eq!(got[6].1, "ERR malformed_jsonl");
    }

    #[test]
    fn path_text_escapes_what_is_not_printable_utf8() {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let p = Path::new(std::ffi::OsStr::from_bytes(b"dir/caf\xe9\n.txt"));
            assert_eq!(path_text(p), "dir/caf\\xE9\\x0A.txt");
        }
        assert_eq!(path_text(Path::new("a/Zürich.txt")), "a/Zürich.txt");
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily_and_flagged() {
        let (s, flags) = decode(b"caf\xe9 ok");
        assert_eq!(s, "caf\u{fffd} ok");
        assert_eq!(flags, vec![Flag::InvalidUtf8]);
    }
}
