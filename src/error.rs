//! Errors that stop a run before it starts (bad model, bad output folder). Per-record problems
//! are not errors: they become rows in `errors.csv`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("model folder {dir} is missing {file}.\n  The default model lives in models/default-ner/ (rebuild it with `make model`);\n  or pass --ner-model PATH to a local BERT-family token-classification folder\n  (config.json with id2label, tokenizer.json or vocab.txt, model.safetensors or rust_model.ot).\n  See README.md, section \"Models\".")]
    ModelMissing { dir: PathBuf, file: String },
    #[error("model folder {dir}: {message}")]
    ModelInvalid { dir: PathBuf, message: String },
    /// A model or engine failed on one input (becomes a `<stage>_failed` row, never stops a run).
    #[error("{0}")]
    Model(String),
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("writing {path}: {message}")]
    Output { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
    /// Another run holds the `--out` lock (see `lock`).
    #[error("{} is in use by another actorlens run ({holder}; lock file {}); wait for it to finish or use another --out", out.display(), lock_file.display())]
    Locked { out: PathBuf, holder: String, lock_file: PathBuf },
    /// SIGINT/SIGTERM: the run stopped at a chunk boundary (exit code 128 + signal).
    #[error("interrupted: {chunks} chunks committed, rerun with --resume")]
    Interrupted { signal: i32, chunks: u64 },
    /// `--stream` and the reader went away (`| head`): not a failure, ends quietly with 0.
    #[error("broken pipe")]
    BrokenPipe,
}

pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.into();
    move |source| Error::Io { context, source }
}
