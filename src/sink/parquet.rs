//! Parquet files for the typed tables (arrow-rs). Snappy-compressed; ints are Int64, floats
//! Float64, booleans Boolean, optional text nullable Utf8.

use super::tables::{Cell, ColType, Row, Table};
use crate::error::{Error, Result};
use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

fn err(path: &Path) -> impl Fn(String) -> Error + '_ {
    move |message| Error::Output { path: path.into(), message }
}

pub fn schema(table: &Table) -> SchemaRef {
    let fields: Vec<Field> = table
        .columns
        .iter()
        .map(|&(name, ty)| match ty {
            ColType::Str => Field::new(name, DataType::Utf8, false),
            ColType::OptStr => Field::new(name, DataType::Utf8, true),
            ColType::Int => Field::new(name, DataType::Int64, false),
            ColType::Float(_) => Field::new(name, DataType::Float64, false),
            ColType::OptFloat(_) => Field::new(name, DataType::Float64, true),
            ColType::Bool => Field::new(name, DataType::Boolean, false),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// One record batch from rows (a chunk's worth, so memory stays bounded).
pub fn batch(table: &Table, rows: &[Row]) -> std::result::Result<RecordBatch, String> {
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(table.columns.len());
    for (c, &(name, ty)) in table.columns.iter().enumerate() {
        let bad = |cell: &Cell| format!("column {name}: {cell:?} does not fit {ty:?}");
        let array: ArrayRef = match ty {
            ColType::Str | ColType::OptStr => {
                let mut b = StringBuilder::new();
                for r in rows {
                    match &r[c] {
                        Cell::Str(v) => b.append_value(v),
                        Cell::OptStr(v) => b.append_option(v.as_deref()),
                        other => return Err(bad(other)),
                    }
                }
                Arc::new(b.finish())
            }
            ColType::Int => {
                let mut b = Int64Builder::new();
                for r in rows {
                    match &r[c] {
                        Cell::Int(v) => b.append_value(*v),
                        other => return Err(bad(other)),
                    }
                }
                Arc::new(b.finish())
            }
            ColType::Float(d) | ColType::OptFloat(d) => {
                let mut b = Float64Builder::new();
                for r in rows {
                    match &r[c] {
                        Cell::Float(v) => b.append_value(super::tables::round(*v, d)),
                        Cell::OptFloat(v) => b.append_option(v.map(|v| super::tables::round(v, d))),
                        other => return Err(bad(other)),
                    }
                }
                Arc::new(b.finish())
            }
            ColType::Bool => {
                let mut b = BooleanBuilder::new();
                for r in rows {
                    match &r[c] {
                        Cell::Bool(v) => b.append_value(*v),
                        other => return Err(bad(other)),
                    }
                }
                Arc::new(b.finish())
            }
        };
        columns.push(array);
    }
    RecordBatch::try_new(schema(table), columns).map_err(|e| e.to_string())
}

fn props() -> WriterProperties {
    // Row groups of at most 64k rows keep the writer's buffer (and so RSS) small on merges.
    WriterProperties::builder().set_compression(Compression::SNAPPY).set_max_row_group_row_count(Some(65_536)).build()
}

/// Write `rows` as one Parquet file (an empty table still gets a file with its schema).
pub fn write_file(path: &Path, table: &Table, rows: &[Row]) -> Result<()> {
    let e = err(path);
    let file = File::create(path).map_err(|x| e(x.to_string()))?;
    let mut w = ArrowWriter::try_new(file, schema(table), Some(props())).map_err(|x| e(x.to_string()))?;
    if !rows.is_empty() {
        w.write(&batch(table, rows).map_err(&e)?).map_err(|x| e(x.to_string()))?;
    }
    let file = w.into_inner().map_err(|x| e(x.to_string()))?;
    file.sync_all().map_err(|x| e(x.to_string()))?;
    Ok(())
}

/// Concatenate Parquet files of one table into `out`, batch by batch. Returns the row count.
pub fn concat(out: &Path, table: &Table, sources: &[std::path::PathBuf]) -> Result<u64> {
    let e = err(out);
    let file = File::create(out).map_err(|x| e(x.to_string()))?;
    let mut w = ArrowWriter::try_new(file, schema(table), Some(props())).map_err(|x| e(x.to_string()))?;
    let mut rows = 0u64;
    for src in sources {
        let es = err(src);
        let f = File::open(src).map_err(|x| es(x.to_string()))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(f)
            .and_then(|b| b.with_batch_size(8192).build())
            .map_err(|x| es(x.to_string()))?;
        for b in reader {
            let b = b.map_err(|x| es(x.to_string()))?;
            rows += b.num_rows() as u64;
            w.write(&b).map_err(|x| e(x.to_string()))?;
        }
    }
    let file = w.into_inner().map_err(|x| e(x.to_string()))?;
    file.sync_all().map_err(|x| e(x.to_string()))?;
    Ok(rows)
}
