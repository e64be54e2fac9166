//! `actorlens report OUT_DIR`: one self-contained HTML file about a finished run.
//!
//! Only the published output files are read (single or parts layout, CSV or Parquet; see
//! [`read`]), never pipeline internals, so a report can be made of any finished folder, on another
//! machine, by another version. Everything is aggregated here in Rust and the page embeds
//! summaries and a bounded sample (top actors, top edges, per-period tone, a few documents), so
//! its size and opening time do not grow with the corpus. Charts are Vega-Lite / Vega specs
//! rendered by the vendored vega-embed (`vendor/`); the specs are plain JSON in the page and can
//! be lifted into Jupyter/Altair as they are.
//!
//! Document text is in none of the output tables (they hold offsets, mention texts and action
//! texts). With `--corpus INPUT...` (the inputs given to `extract`) the sampled documents' text is
//! read back with the same ingest rules, checked against `documents.input_sha256`, and shown with
//! entity highlighting; without it the document view shows what the tables hold.

mod data;
mod html;
pub mod read;
mod specs;

pub use data::Options;
use std::path::PathBuf;

/// What to report on and where (the CLI's `report` flags, validated; no clap types here).
pub struct ReportPlan {
    /// A finished `extract` output folder.
    pub out_dir: PathBuf,
    /// Default: OUT_DIR/report.html.
    pub html: Option<PathBuf>,
    pub options: Options,
}

/// A report could not be made (missing or malformed table, unwritable file): exit code 2.
#[derive(Debug)]
pub struct ReportError(pub String);

impl ReportError {
    pub fn new(message: impl Into<String>) -> Self {
        ReportError(message.into())
    }
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReportError {}

/// What `run` did, for the one-line summary.
pub struct ReportSummary {
    pub html: PathBuf,
    pub bytes: u64,
    pub documents: u64,
    pub sample_documents: usize,
    pub texts_found: usize,
}

/// Build the report for `plan.out_dir` and write it (atomically) to `plan.html` or
/// `OUT_DIR/report.html`.
pub fn run(plan: &ReportPlan) -> Result<ReportSummary, ReportError> {
    let report = data::collect(&plan.out_dir, &plan.options)?;
    let page = html::render(&report);
    let dest = plan.html.clone().unwrap_or_else(|| plan.out_dir.join("report.html"));
    write_atomic(&dest, page.as_bytes())?;
    Ok(ReportSummary {
        html: dest,
        bytes: page.len() as u64,
        documents: report.overview.documents,
        sample_documents: report.doc_view.docs.len(),
        texts_found: report.doc_view.texts_found,
    })
}

fn write_atomic(dest: &std::path::Path, bytes: &[u8]) -> Result<(), ReportError> {
    use std::io::Write;
    let err = |e: std::io::Error| ReportError::new(format!("writing {}: {e}", dest.display()));
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::with_prefix_in(".report.html.", &dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    // A report is for reading and sharing, not a secret: the usual file mode, not tempfile's 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(err)?;
    }
    tmp.persist(dest).map_err(|e| err(e.error))?;
    Ok(())
}
