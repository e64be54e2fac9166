//! Reading a finished output folder: finds each table in the single or parts layout, as CSV or
//! Parquet, and streams its rows as text cells. Only the published files are read (never
//! `_actorlens_state/`), so the report sees exactly what a downstream reader sees.

use super::ReportError;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::fs::File;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Single,
    Parts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
}

/// Where one table lives: its files in order (one for single, sorted part files for parts).
#[derive(Debug, Clone)]
pub struct TableFiles {
    pub name: &'static str,
    pub format: Format,
    pub files: Vec<PathBuf>,
}

pub struct OutDir {
    pub root: PathBuf,
    pub layout: Layout,
    /// Parsed manifest files (one for single, one per shard for parts), sorted by path.
    pub manifests: Vec<(PathBuf, serde_json::Value)>,
}

impl OutDir {
    pub fn open(root: &Path) -> Result<OutDir, ReportError> {
        if !root.is_dir() {
            return Err(ReportError::new(format!("{}: not a directory", root.display())));
        }
        let single = root.join("manifest.json");
        let parts = root.join("_manifests");
        let (layout, paths) = if single.is_file() {
            (Layout::Single, vec![single])
        } else if parts.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(&parts)
                .map_err(|e| ReportError::new(format!("{}: {e}", parts.display())))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            v.sort();
            if v.is_empty() {
                return Err(ReportError::new(format!("{}: no shard manifests in it", parts.display())));
            }
            (Layout::Parts, v)
        } else {
            return Err(ReportError::new(format!(
                "{}: not a finished actorlens output folder (no manifest.json and no _manifests/; \
                 outputs appear when `actorlens extract` finishes)",
                root.display()
            )));
        };
        let mut manifests = Vec::new();
        for p in paths {
            let text = std::fs::read_to_string(&p).map_err(|e| ReportError::new(format!("{}: {e}", p.display())))?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| ReportError::new(format!("{}: not valid JSON: {e}", p.display())))?;
            manifests.push((p, v));
        }
        Ok(OutDir { root: root.to_path_buf(), layout, manifests })
    }

    /// The files of `table`: CSV preferred (it is always complete for errors), else Parquet.
    pub fn table(&self, name: &'static str) -> Result<TableFiles, ReportError> {
        for format in [Format::Csv, Format::Parquet] {
            let ext = match format {
                Format::Csv => "csv",
                Format::Parquet => "parquet",
            };
            match self.layout {
                Layout::Single => {
                    let p = self.root.join(format!("{name}.{ext}"));
                    if p.is_file() {
                        return Ok(TableFiles { name, format, files: vec![p] });
                    }
                }
                Layout::Parts => {
                    let dir = self.root.join(ext).join(name);
                    if dir.is_dir() {
                        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                            .map_err(|e| ReportError::new(format!("{}: {e}", dir.display())))?
                            .flatten()
                            .map(|e| e.path())
                            .filter(|p| {
                                p.extension().is_some_and(|x| x == ext)
                                    && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
                            })
                            .collect();
                        // Part names sort by shard then chunk: the run's document order per shard.
                        files.sort();
                        return Ok(TableFiles { name, format, files });
                    }
                }
            }
        }
        let expected = match self.layout {
            Layout::Single => format!("{name}.csv or {name}.parquet"),
            Layout::Parts => format!("csv/{name}/ or parquet/{name}/"),
        };
        Err(ReportError::new(format!(
            "{}: table `{name}` is missing (expected {expected}); was the run made with an older actorlens?",
            self.root.display()
        )))
    }
}

/// Stream the rows of a table, giving `f` the cells of `columns` (in that order; `None` = empty
/// CSV cell or Parquet null). A missing column or an unreadable file is an error.
pub fn for_each_row(
    table: &TableFiles,
    columns: &[&str],
    mut f: impl FnMut(&[Option<&str>]) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    for path in &table.files {
        match table.format {
            Format::Csv => csv_rows(path, table.name, columns, &mut f)?,
            Format::Parquet => parquet_rows(path, table.name, columns, &mut f)?,
        }
    }
    Ok(())
}

fn missing(path: &Path, table: &str, col: &str) -> ReportError {
    ReportError::new(format!("{}: table `{table}` has no column `{col}`", path.display()))
}

fn csv_rows(
    path: &Path,
    table: &str,
    columns: &[&str],
    f: &mut impl FnMut(&[Option<&str>]) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let bad = |e: csv::Error| ReportError::new(format!("{}: malformed CSV: {e}", path.display()));
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(File::open(path).map_err(|e| ReportError::new(format!("{}: {e}", path.display())))?);
    let header = r.headers().map_err(bad)?.clone();
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| header.iter().position(|h| h == *c).ok_or_else(|| missing(path, table, c)))
        .collect::<Result<_, _>>()?;
    let mut rec = csv::StringRecord::new();
    while r.read_record(&mut rec).map_err(bad)? {
        let cells: Vec<Option<&str>> = idx.iter().map(|&i| rec.get(i).filter(|v| !v.is_empty())).collect();
        f(&cells)?;
    }
    Ok(())
}

/// One Parquet column as text, the way the CSV writes it (floats with their own decimals).
fn column_text(a: &ArrayRef, i: usize) -> Option<String> {
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::Utf8 => Some(a.as_string::<i32>().value(i).to_string()),
        DataType::LargeUtf8 => Some(a.as_string::<i64>().value(i).to_string()),
        DataType::Int64 => Some(a.as_primitive::<Int64Type>().value(i).to_string()),
        DataType::Float64 => Some(a.as_primitive::<Float64Type>().value(i).to_string()),
        DataType::Boolean => Some(a.as_boolean().value(i).to_string()),
        _ => None,
    }
}

fn parquet_rows(
    path: &Path,
    table: &str,
    columns: &[&str],
    f: &mut impl FnMut(&[Option<&str>]) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let bad = |e: String| ReportError::new(format!("{}: unreadable Parquet: {e}", path.display()));
    let file = File::open(path).map_err(|e| ReportError::new(format!("{}: {e}", path.display())))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| bad(e.to_string()))?;
    let schema = builder.schema().clone();
    let idx: Vec<usize> =
        columns.iter().map(|c| schema.index_of(c).map_err(|_| missing(path, table, c))).collect::<Result<_, _>>()?;
    let reader = builder.with_batch_size(8192).build().map_err(|e| bad(e.to_string()))?;
    for batch in reader {
        let batch = batch.map_err(|e| bad(e.to_string()))?;
        let cols: Vec<&ArrayRef> = idx.iter().map(|&i| batch.column(i)).collect();
        let mut texts: Vec<Option<String>> = Vec::with_capacity(cols.len());
        for row in 0..batch.num_rows() {
            texts.clear();
            texts.extend(cols.iter().map(|a| column_text(a, row)));
            let cells: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref().filter(|v| !v.is_empty())).collect();
            f(&cells)?;
        }
    }
    Ok(())
}

/// Parse helpers with the table and column in the message.
pub fn int(v: Option<&str>, table: &str, col: &str) -> Result<i64, ReportError> {
    let v = v.ok_or_else(|| ReportError::new(format!("table `{table}`: empty `{col}` (an integer column)")))?;
    v.parse().map_err(|_| ReportError::new(format!("table `{table}`: `{col}` = {v:?} is not an integer")))
}

pub fn opt_float(v: Option<&str>, table: &str, col: &str) -> Result<Option<f64>, ReportError> {
    match v {
        None => Ok(None),
        Some(v) => v
            .parse::<f64>()
            .map(Some)
            .map_err(|_| ReportError::new(format!("table `{table}`: `{col}` = {v:?} is not a number"))),
    }
}

pub fn boolean(v: Option<&str>) -> bool {
    matches!(v, Some("true") | Some("True") | Some("1"))
}
