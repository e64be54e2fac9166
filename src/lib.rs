//! actorlens: a batch pipeline for news-article corpora.
//!
//! One [`document::Document`] per input record flows through the stages, each in its own
//! module: [`ingest`] → [`segment`] → [`ner`] → [`actors`] → [`actions`] → [`tone`] → [`sink`], wired by [`pipeline`]. The
//! command-line flags live in [`cli`]; `main.rs` only parses them and maps results to exit codes.

pub mod actions;
pub mod actors;
pub mod cli;
pub mod document;
pub mod error;
pub mod ingest;
pub mod ner;
pub mod pipeline;
pub mod report;
pub mod segment;
pub mod sink;
pub mod syntax;
pub mod tone;

pub use document::Document;
pub use error::{Error, Result};
