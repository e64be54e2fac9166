//! actorlens: a batch pipeline for news-article corpora.
//!
//! One [`document::Document`] per input record flows through the stages, each in its own
//! module: [`ingest`] → [`segment`] → [`ner`] → [`actors`] → [`coref`] → [`actions`] → [`tone`] → [`sink`].
//! Stages implement [`stage::Stage`]; [`pipeline`] runs a list of them over a validated
//! [`plan::Plan`], which the command-line layer ([`cli`]) builds from the flags; `main.rs` only
//! parses them and maps results to exit codes. Model stages share [`model`]: one parsed folder,
//! one encoder per engine, heads over its outputs.

pub mod actions;
pub mod actors;
pub mod cli;
pub mod coref;
pub mod counts;
pub mod digest;
pub mod document;
pub mod error;
pub mod ingest;
pub mod interrupt;
pub mod lock;
pub mod model;
pub mod ner;
pub mod parse;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod segment;
pub mod shard;
pub mod sink;
pub mod stage;
pub mod syntax;
pub mod targets;
pub mod tone;

pub use document::Document;
pub use error::{Error, Result};
