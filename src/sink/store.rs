//! Durable, resumable output: the run is committed chunk by chunk into a state folder inside
//! `--out`, and published at the end, either merged into one file per table (`--layout single`)
//! or as deterministic part files (`--layout parts`).
//!
//! ```text
//! OUT/_actorlens_state/shard-00000-of-00001/
//!     run.json                 model sha256 + configuration hash (a resume must match it)
//!     chunks/c00000042/        one committed chunk: table files, keys.jsonl, meta.json
//!     chunks/c00000043.tmp/    a chunk being written (deleted on resume)
//!     ledger.json              chunks already published, with the published files
//!     finalize.json            a single-layout publish in progress (redone on resume)
//! ```
//!
//! A chunk is committed by renaming its `.tmp` folder, which is atomic: after a SIGKILL every
//! chunk is either fully there or not at all, so a resume never duplicates or drops a document.

use super::tables::{self, Row, Table, TableId, DOC_TABLES};
use super::{parquet, DocumentJson, Layout, OutputFormat};
use crate::actors::CorpusActors;
use crate::counts::Counts;
use crate::document::{Document, ErrorRow};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

pub const STATE_DIR: &str = "_actorlens_state";

/// What a resumed run must share with the run it continues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunIdentity {
    pub model_sha256: String,
    pub config_hash: String,
    pub formats: Vec<String>,
    pub layout: String,
}

/// One published file, as listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Path relative to `--out`, with `/` separators.
    pub path: String,
    pub table: String,
    pub format: String,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Ledger {
    /// Chunks whose rows are in the published files.
    merged: Vec<u64>,
    files: Vec<OutputFile>,
}

/// A chunk's tallies (`meta.json`); its corpus-actor tallies are kept apart (`corpus.json`)
/// because only the final roll-up needs them.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ChunkMeta {
    counts: Counts,
    /// Rows per chunk file name.
    rows: BTreeMap<String, u64>,
}

/// Whether a record was already done by an earlier run into the same `--out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    No,
    Yes,
    /// The id is done but with other input bytes: reprocessing would duplicate the id.
    Changed,
}

pub struct Store {
    /// The `--out` lock, held until the store is dropped (after publishing).
    _lock: crate::lock::OutLock,
    /// Chunks this invocation committed (for the "interrupted" message).
    committed_this_run: u64,
    /// `--csv-escape-formulas` (see `sink::csv_cell`).
    escape_formulas: bool,
    out: PathBuf,
    state: PathBuf,
    formats: Vec<OutputFormat>,
    layout: Layout,
    shard: (u64, u64),
    next_chunk: u64,
    done: HashSet<(String, String)>,
    done_ids: HashSet<String>,
    ledger: Ledger,
}

fn oerr(path: &Path) -> impl Fn(String) -> Error + '_ {
    move |message| Error::Output { path: path.into(), message }
}

fn io_out<T>(path: &Path, r: std::io::Result<T>) -> Result<T> {
    r.map_err(|e| Error::Output { path: path.into(), message: e.to_string() })
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = io_out(path, fs::read_to_string(path))?;
    serde_json::from_str(&text).map_err(|e| Error::Output { path: path.into(), message: format!("corrupt state: {e}") })
}

fn sync_dir(dir: &Path) {
    // Makes renames durable; not supported everywhere, and a failure only weakens durability.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn chunk_name(id: u64) -> String {
    format!("c{id:08}")
}

fn sha256_and_len(path: &Path) -> Result<(String, u64)> {
    let sha = crate::digest::sha256_file(path)?;
    let len = io_out(path, fs::metadata(path))?.len();
    Ok((sha, len))
}

/// The files one chunk holds for the selected formats: (file name, table, format).
fn chunk_files(formats: &[OutputFormat]) -> Vec<(String, &'static Table, OutputFormat)> {
    let mut v = Vec::new();
    if formats.contains(&OutputFormat::Csv) {
        for t in DOC_TABLES {
            v.push((format!("{}.csv", t.name), t, OutputFormat::Csv));
        }
    }
    // errors.csv is always written: it is half of the every-record-accounted-for promise.
    v.push(("errors.csv".to_string(), &tables::ERRORS, OutputFormat::Csv));
    if formats.contains(&OutputFormat::Jsonl) {
        v.push(("documents.jsonl".to_string(), &tables::DOCUMENTS, OutputFormat::Jsonl));
    }
    if formats.contains(&OutputFormat::Parquet) {
        for t in DOC_TABLES.iter().copied().chain([&tables::ERRORS]) {
            v.push((format!("{}.parquet", t.name), t, OutputFormat::Parquet));
        }
    }
    v
}

fn ext(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Csv => "csv",
        OutputFormat::Jsonl => "jsonl",
        OutputFormat::Parquet => "parquet",
    }
}

/// Write a table as CSV: header, then rows. Returns the row count.
fn write_csv(path: &Path, table: &Table, rows: &[Row], escape_formulas: bool) -> Result<u64> {
    let e = oerr(path);
    let file = io_out(path, File::create(path))?;
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(BufWriter::new(file));
    w.write_record(table.header()).map_err(|x| e(x.to_string()))?;
    for r in rows {
        let cells = r.iter().zip(table.columns).map(|(c, (_, ty))| super::csv_cell(c, *ty, escape_formulas));
        w.write_record(cells).map_err(|x| e(x.to_string()))?;
    }
    let file = w.into_inner().map_err(|x| e(x.to_string()))?.into_inner().map_err(|x| e(x.to_string()))?;
    io_out(path, file.sync_all())?;
    Ok(rows.len() as u64)
}

/// Write `rows` of `table` in `format` to `path`; `docs` is needed for the nested JSONL.
fn write_table(
    path: &Path,
    table: &Table,
    format: OutputFormat,
    rows: &[Row],
    docs: &[Document],
    escape_formulas: bool,
) -> Result<u64> {
    match format {
        OutputFormat::Csv => write_csv(path, table, rows, escape_formulas),
        OutputFormat::Parquet => {
            parquet::write_file(path, table, rows)?;
            Ok(rows.len() as u64)
        }
        OutputFormat::Jsonl => {
            let e = oerr(path);
            let mut w = BufWriter::new(io_out(path, File::create(path))?);
            for d in docs {
                serde_json::to_writer(&mut w, &DocumentJson::new(d)).map_err(|x| e(x.to_string()))?;
                io_out(path, w.write_all(b"\n"))?;
            }
            let file = w.into_inner().map_err(|x| e(x.to_string()))?;
            io_out(path, file.sync_all())?;
            Ok(docs.len() as u64)
        }
    }
}

/// Append a CSV file without its header line to `w`.
fn append_csv_body(w: &mut impl Write, src: &Path) -> Result<()> {
    let mut r = BufReader::new(io_out(src, File::open(src))?);
    let mut header = Vec::new();
    io_out(src, r.read_until(b'\n', &mut header))?;
    io_out(src, std::io::copy(&mut r, w))?;
    Ok(())
}

/// A temporary sibling of `path` (same folder, so the final rename is atomic).
fn temp_for(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.actorlens-tmp"))
}

/// Merge `sources` (files of one table and format, in corpus order) into `dest`'s temp file.
fn merge_into(tmp: &Path, table: &Table, format: OutputFormat, sources: &[PathBuf]) -> Result<()> {
    match format {
        OutputFormat::Parquet => {
            parquet::concat(tmp, table, sources)?;
        }
        OutputFormat::Csv | OutputFormat::Jsonl => {
            let e = oerr(tmp);
            let mut w = BufWriter::new(io_out(tmp, File::create(tmp))?);
            if format == OutputFormat::Csv {
                let mut h = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
                h.write_record(table.header()).map_err(|x| e(x.to_string()))?;
                io_out(tmp, w.write_all(&h.into_inner().map_err(|x| e(x.to_string()))?))?;
            }
            for src in sources {
                if format == OutputFormat::Csv {
                    append_csv_body(&mut w, src)?;
                } else {
                    let mut f = io_out(src, File::open(src))?;
                    io_out(src, std::io::copy(&mut f, &mut w))?;
                }
            }
            let file = w.into_inner().map_err(|x| e(x.to_string()))?;
            io_out(tmp, file.sync_all())?;
        }
    }
    Ok(())
}

impl Store {
    /// Open the state for this shard. Without `resume` any earlier state is discarded (the run
    /// starts over and replaces the outputs). With `resume` the earlier run must have the same
    /// identity; its committed chunks are kept and their documents will be skipped.
    pub fn open(
        out: &Path,
        identity: &RunIdentity,
        formats: &[OutputFormat],
        layout: Layout,
        shard: (u64, u64),
        resume: bool,
    ) -> Result<Store> {
        // First the lock: everything below deletes or rewrites state another run might own.
        let lock = crate::lock::acquire(out, layout, shard.0)?;
        let state = out.join(STATE_DIR).join(format!("shard-{:05}-of-{:05}", shard.0, shard.1));
        let mut store = Store {
            _lock: lock,
            committed_this_run: 0,
            escape_formulas: false,
            out: out.into(),
            state: state.clone(),
            formats: formats.to_vec(),
            layout,
            shard,
            next_chunk: 0,
            done: HashSet::new(),
            done_ids: HashSet::new(),
            ledger: Ledger::default(),
        };
        let run_json = state.join("run.json");
        if resume && run_json.is_file() {
            let old: RunIdentity = read_json(&run_json)?;
            if &old != identity {
                return Err(Error::Usage(format!(
                    "--resume: {} holds a run with another model or configuration \
                     (model {} vs {}, config {} vs {}, formats {:?} vs {:?}, layout {} vs {}); \
                     use a new --out, or drop --resume to start over",
                    out.display(),
                    short(&old.model_sha256),
                    short(&identity.model_sha256),
                    short(&old.config_hash),
                    short(&identity.config_hash),
                    old.formats,
                    identity.formats,
                    old.layout,
                    identity.layout
                )));
            }
            store.recover()?;
        } else {
            if state.exists() {
                io_out(&state, fs::remove_dir_all(&state))?;
            }
            io_out(&state, fs::create_dir_all(state.join("chunks")))?;
            super::write_json_atomic(&run_json, identity)?;
        }
        store.remove_stale_temps()?;
        Ok(store)
    }

    /// Temp files left by a run killed mid-write (`.manifest.json.Ab12Cd`, `.mentions.csv.actorlens-tmp`).
    /// We hold the lock, so no other run of this folder (or, with parts, of this shard) is writing
    /// them; an interrupted publish has just been completed by `recover`.
    fn remove_stale_temps(&self) -> Result<()> {
        let shard_manifest = format!("shard-{:05}-of-{:05}.json", self.shard.0, self.shard.1);
        let mut dirs: Vec<(PathBuf, Vec<String>)> =
            vec![(self.state.clone(), ["run.json", "ledger.json", "finalize.json"].map(String::from).to_vec())];
        match self.layout {
            Layout::Single => {
                let mut names: Vec<String> = vec!["manifest.json".into()];
                names.extend(
                    chunk_files(&[OutputFormat::Csv, OutputFormat::Jsonl, OutputFormat::Parquet])
                        .into_iter()
                        .map(|f| f.0),
                );
                names.extend(["corpus_actors.csv", "corpus_actors.parquet"].map(String::from));
                dirs.push((self.out.clone(), names));
            }
            Layout::Parts => {
                dirs.push((self.out.join("_manifests"), vec![shard_manifest]));
                for f in ["csv", "parquet"] {
                    let name = format!("part-{:05}.{f}", self.shard.0);
                    dirs.push((self.out.join(f).join("corpus_actors"), vec![name]));
                }
            }
        }
        for (dir, names) in dirs {
            let Ok(entries) = fs::read_dir(&dir) else { continue };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if names.iter().any(|n| is_temp_of(&name, n)) && e.file_type().is_ok_and(|t| t.is_file()) {
                    io_out(&e.path(), fs::remove_file(e.path()))?;
                }
            }
        }
        Ok(())
    }

    /// `--csv-escape-formulas`: prefix formula-like text cells of the CSV tables with `'`.
    pub fn with_escaped_formulas(mut self, on: bool) -> Self {
        self.escape_formulas = on;
        self
    }

    /// Bring the state back to a consistent point after an interruption and load the done keys.
    fn recover(&mut self) -> Result<()> {
        let chunks = self.state.join("chunks");
        io_out(&chunks, fs::create_dir_all(&chunks))?;
        // An interrupted single-layout publish: finish it (its merged files are all written).
        let fin = self.state.join("finalize.json");
        if fin.is_file() {
            let pending: Ledger = read_json(&fin)?;
            for f in &pending.files {
                let dest = self.out.join(&f.path);
                let tmp = temp_for(&dest);
                if tmp.is_file() {
                    io_out(&dest, fs::rename(&tmp, &dest))?;
                }
            }
            super::write_json_atomic(&self.state.join("ledger.json"), &pending)?;
            io_out(&fin, fs::remove_file(&fin))?;
        }
        let ledger_path = self.state.join("ledger.json");
        if ledger_path.is_file() {
            self.ledger = read_json(&ledger_path)?;
        }
        if self.layout == Layout::Single {
            // The published files are the base of the next merge: they must be what we wrote.
            for f in &self.ledger.files {
                let path = self.out.join(&f.path);
                let ok = path.is_file() && sha256_and_len(&path)?.0 == f.sha256;
                if !ok {
                    return Err(Error::Usage(format!(
                        "--resume: {} changed since the run that wrote it (sha256 differs); \
                         drop --resume to start over",
                        path.display()
                    )));
                }
            }
        }
        for entry in io_out(&chunks, fs::read_dir(&chunks))? {
            let entry = io_out(&chunks, entry)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") {
                // A chunk that was being written when the run died: its documents are redone.
                io_out(&entry.path(), fs::remove_dir_all(entry.path()))?;
                continue;
            }
            let Some(id) = name.strip_prefix('c').and_then(|n| n.parse::<u64>().ok()) else { continue };
            self.next_chunk = self.next_chunk.max(id + 1);
            let keys = entry.path().join("keys.jsonl");
            for line in BufReader::new(io_out(&keys, File::open(&keys))?).lines() {
                let line = io_out(&keys, line)?;
                let (key, sha): (String, String) = serde_json::from_str(&line)
                    .map_err(|e| Error::Output { path: keys.clone(), message: format!("corrupt state: {e}") })?;
                self.done_ids.insert(key.clone());
                self.done.insert((key, sha));
            }
        }
        Ok(())
    }

    pub fn n_done(&self) -> usize {
        self.done.len()
    }

    /// Was the record with this key (doc_id, or source:line for unnamed error records) and
    /// input sha256 ("" for error records) already done?
    pub fn check(&self, key: &str, sha: &str) -> Done {
        if self.done.is_empty() {
            Done::No
        } else if self.done.contains(&(key.to_string(), sha.to_string())) {
            Done::Yes
        } else if !sha.is_empty() && self.done_ids.contains(key) {
            Done::Changed
        } else {
            Done::No
        }
    }

    /// Write one chunk durably. After this returns, its documents count as done.
    pub fn commit_chunk(
        &mut self,
        docs: &[Document],
        errors: &[ErrorRow],
        corpus_actors: CorpusActors,
        counts: Counts,
    ) -> Result<()> {
        let id = self.next_chunk;
        let dir = self.state.join("chunks").join(chunk_name(id));
        let tmp = dir.with_file_name(format!("{}.tmp", chunk_name(id)));
        if tmp.exists() {
            io_out(&tmp, fs::remove_dir_all(&tmp))?;
        }
        io_out(&tmp, fs::create_dir_all(&tmp))?;
        let mut meta = ChunkMeta { counts, rows: BTreeMap::new() };
        let mut rows_by_table: BTreeMap<TableId, Vec<Row>> = BTreeMap::new();
        for t in DOC_TABLES {
            rows_by_table.insert(t.id, docs.iter().flat_map(|d| t.doc_rows(d)).collect());
        }
        rows_by_table.insert(TableId::Errors, errors.iter().map(tables::error_row).collect());
        for (name, table, format) in chunk_files(&self.formats) {
            let rows = rows_by_table.get(&table.id).map(Vec::as_slice).unwrap_or(&[]);
            let n = write_table(&tmp.join(&name), table, format, rows, docs, self.escape_formulas)?;
            meta.rows.insert(name, n);
        }
        let keys = tmp.join("keys.jsonl");
        let mut w = BufWriter::new(io_out(&keys, File::create(&keys))?);
        let mut new_keys = Vec::with_capacity(docs.len() + errors.len());
        for d in docs {
            new_keys.push((d.doc_id.clone(), d.input_sha256.clone()));
        }
        for e in errors {
            new_keys.push(error_key(e));
        }
        for k in &new_keys {
            let line = serde_json::to_string(k).map_err(|x| oerr(&keys)(x.to_string()))?;
            io_out(&keys, writeln!(w, "{line}"))?;
        }
        let file = w.into_inner().map_err(|x| oerr(&keys)(x.to_string()))?;
        io_out(&keys, file.sync_all())?;
        super::write_json_atomic(&tmp.join("meta.json"), &meta)?;
        super::write_json_atomic(&tmp.join("corpus.json"), &corpus_actors)?;
        sync_dir(&tmp);
        io_out(&dir, fs::rename(&tmp, &dir))?;
        sync_dir(&dir.with_file_name(""));
        for (k, sha) in new_keys {
            self.done_ids.insert(k.clone());
            self.done.insert((k, sha));
        }
        self.next_chunk = id + 1;
        self.committed_this_run += 1;
        // SIGINT/SIGTERM: stop here, between chunks, with everything so far committed.
        if let Some(signal) = crate::interrupt::requested() {
            return Err(Error::Interrupted { signal, chunks: self.committed_this_run });
        }
        Ok(())
    }

    fn chunk_ids(&self) -> Result<Vec<u64>> {
        let chunks = self.state.join("chunks");
        let mut ids: Vec<u64> = io_out(&chunks, fs::read_dir(&chunks))?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_string_lossy().strip_prefix('c').and_then(|n| n.parse().ok()))
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// Totals over every committed chunk (this run and the runs it continues).
    pub fn totals(&self) -> Result<(Counts, CorpusActors)> {
        let mut counts = Counts::default();
        let mut corpus = CorpusActors::default();
        for id in self.chunk_ids()? {
            let dir = self.state.join("chunks").join(chunk_name(id));
            let meta: ChunkMeta = read_json(&dir.join("meta.json"))?;
            counts.add(&meta.counts);
            corpus.merge(read_json(&dir.join("corpus.json"))?);
        }
        Ok((counts, corpus))
    }

    /// Publish every committed chunk and return the files that make up the output.
    pub fn publish(mut self, corpus_rows: &[Row]) -> Result<Vec<OutputFile>> {
        let ids = self.chunk_ids()?;
        let merged: HashSet<u64> = self.ledger.merged.iter().copied().collect();
        let new: Vec<u64> = ids.iter().copied().filter(|i| !merged.contains(i)).collect();
        let files = match self.layout {
            Layout::Single => self.publish_single(&ids, &new, corpus_rows)?,
            Layout::Parts => self.publish_parts(&ids, &new, corpus_rows)?,
        };
        // Published chunks keep only their keys and tallies (needed to resume and to total).
        for &id in &new {
            let dir = self.state.join("chunks").join(chunk_name(id));
            for (name, _, _) in chunk_files(&self.formats) {
                let p = dir.join(name);
                if p.exists() {
                    io_out(&p, fs::remove_file(&p))?;
                }
            }
        }
        self.ledger.merged = ids;
        Ok(files)
    }

    /// Rows per chunk file name, summed over `ids`.
    fn row_totals(&self, ids: &[u64]) -> Result<BTreeMap<String, u64>> {
        let mut total = BTreeMap::new();
        for &id in ids {
            let meta: ChunkMeta = read_json(&self.state.join("chunks").join(chunk_name(id)).join("meta.json"))?;
            for (k, v) in meta.rows {
                *total.entry(k).or_insert(0) += v;
            }
        }
        Ok(total)
    }

    fn publish_single(&mut self, ids: &[u64], new: &[u64], corpus_rows: &[Row]) -> Result<Vec<OutputFile>> {
        let had_base = !self.ledger.merged.is_empty();
        let rows = self.row_totals(ids)?;
        let mut files = Vec::new();
        for (name, table, format) in chunk_files(&self.formats) {
            let dest = self.out.join(&name);
            let mut sources = Vec::new();
            if had_base && dest.is_file() {
                sources.push(dest.clone());
            }
            for &id in new {
                sources.push(self.state.join("chunks").join(chunk_name(id)).join(&name));
            }
            let tmp = temp_for(&dest);
            merge_into(&tmp, table, format, &sources)?;
            files.push(describe(&tmp, &name, table, format, rows.get(&name).copied().unwrap_or(0))?);
        }
        for (table, format) in self.corpus_formats() {
            let name = format!("{}.{}", table.name, ext(format));
            let dest = self.out.join(&name);
            let tmp = temp_for(&dest);
            write_table(&tmp, table, format, corpus_rows, &[], self.escape_formulas)?;
            files.push(describe(&tmp, &name, table, format, corpus_rows.len() as u64)?);
        }
        // Commit point: finalize.json lists the finished temp files; a run killed from here on
        // is completed by the next --resume (see `recover`).
        let pending = Ledger { merged: ids.to_vec(), files: files.clone() };
        let fin = self.state.join("finalize.json");
        super::write_json_atomic(&fin, &pending)?;
        for f in &files {
            let dest = self.out.join(&f.path);
            io_out(&dest, fs::rename(temp_for(&dest), &dest))?;
        }
        sync_dir(&self.out);
        super::write_json_atomic(&self.state.join("ledger.json"), &pending)?;
        io_out(&fin, fs::remove_file(&fin))?;
        self.ledger = pending;
        Ok(files)
    }

    fn corpus_formats(&self) -> Vec<(&'static Table, OutputFormat)> {
        [OutputFormat::Csv, OutputFormat::Parquet]
            .into_iter()
            .filter(|f| self.formats.contains(f))
            .map(|f| (&tables::CORPUS_ACTORS, f))
            .collect()
    }

    fn publish_parts(&mut self, ids: &[u64], new: &[u64], corpus_rows: &[Row]) -> Result<Vec<OutputFile>> {
        let prefix = format!("part-{:05}-", self.shard.0);
        let mut files: Vec<OutputFile> =
            self.ledger.files.iter().filter(|f| f.table != "corpus_actors").cloned().collect();
        for &id in new {
            let dir = self.state.join("chunks").join(chunk_name(id));
            let meta: ChunkMeta = read_json(&dir.join("meta.json"))?;
            for (name, table, format) in chunk_files(&self.formats) {
                let rel = format!("{}/{}/{prefix}{id:08}.{}", ext(format), table.name, ext(format));
                let dest = self.out.join(&rel);
                let src = dir.join(&name);
                if let Some(parent) = dest.parent() {
                    io_out(parent, fs::create_dir_all(parent))?;
                }
                // A rename already done by an interrupted publish is not redone.
                if src.is_file() {
                    io_out(&dest, fs::rename(&src, &dest))?;
                }
                files.push(describe(&dest, &rel, table, format, meta.rows.get(&name).copied().unwrap_or(0))?);
            }
        }
        for (table, format) in self.corpus_formats() {
            let rel = format!("{}/{}/part-{:05}.{}", ext(format), table.name, self.shard.0, ext(format));
            let dest = self.out.join(&rel);
            if let Some(parent) = dest.parent() {
                io_out(parent, fs::create_dir_all(parent))?;
            }
            let tmp = temp_for(&dest);
            write_table(&tmp, table, format, corpus_rows, &[], self.escape_formulas)?;
            io_out(&dest, fs::rename(&tmp, &dest))?;
            files.push(describe(&dest, &rel, table, format, corpus_rows.len() as u64)?);
        }
        // Part files of this shard from an earlier, different run are stale: a retry must leave
        // exactly the files of this run.
        let keep: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
        for format in [OutputFormat::Csv, OutputFormat::Jsonl, OutputFormat::Parquet] {
            let fdir = self.out.join(ext(format));
            let Ok(tables) = fs::read_dir(&fdir) else { continue };
            for t in tables.flatten() {
                let Ok(parts) = fs::read_dir(t.path()) else { continue };
                for p in parts.flatten() {
                    let name = p.file_name().to_string_lossy().into_owned();
                    let rel = format!("{}/{}/{name}", ext(format), t.file_name().to_string_lossy());
                    let ours = name.starts_with(&prefix) || name == format!("part-{:05}.{}", self.shard.0, ext(format));
                    if ours && !keep.contains(rel.as_str()) {
                        io_out(&p.path(), fs::remove_file(p.path()))?;
                    }
                }
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        self.ledger = Ledger { merged: ids.to_vec(), files: files.clone() };
        super::write_json_atomic(&self.state.join("ledger.json"), &self.ledger)?;
        Ok(files)
    }

    /// Where the manifest goes: one per output folder, or one per shard in the parts layout
    /// (several shards may publish into the same folder).
    pub fn manifest_path(&self) -> PathBuf {
        match self.layout {
            Layout::Single => self.out.join("manifest.json"),
            Layout::Parts => {
                self.out.join("_manifests").join(format!("shard-{:05}-of-{:05}.json", self.shard.0, self.shard.1))
            }
        }
    }
}

fn describe(path: &Path, rel: &str, table: &Table, format: OutputFormat, rows: u64) -> Result<OutputFile> {
    let (sha256, bytes) = sha256_and_len(path)?;
    Ok(OutputFile {
        path: rel.to_string(),
        table: table.name.to_string(),
        format: ext(format).to_string(),
        rows,
        bytes,
        sha256,
    })
}

/// Is `name` a temp file of `target`: `temp_for`'s `.NAME.actorlens-tmp`, or tempfile's
/// `.NAME.XXXXXX` (see `sink::write_json_atomic`)?
fn is_temp_of(name: &str, target: &str) -> bool {
    let Some(rest) = name.strip_prefix('.').and_then(|n| n.strip_prefix(target)) else { return false };
    rest == ".actorlens-tmp"
        || rest.strip_prefix('.').is_some_and(|r| r.len() == 6 && r.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
#[test]
fn temp_names_are_recognised_exactly() {
    assert!(is_temp_of(".manifest.json.Ab12Cd", "manifest.json"));
    assert!(is_temp_of(".mentions.csv.actorlens-tmp", "mentions.csv"));
    assert!(!is_temp_of(".manifest.json.backup1", "manifest.json"));
    assert!(!is_temp_of("manifest.json", "manifest.json"));
    assert!(!is_temp_of(".manifest.json", "manifest.json"));
}

fn short(s: &str) -> &str {
    s.get(..12).unwrap_or(s)
}

/// The resume key of an error record: its doc_id, or source:line for records without one.
pub fn error_key(e: &ErrorRow) -> (String, String) {
    let key = e.key();
    // Rows for readable documents (ner_failed, changed) carry the document's sha; ingest errors
    // have none.
    (key, e.input_sha256.clone().unwrap_or_default())
}
