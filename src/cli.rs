//! Every command-line flag, with its help text, in one place. Flags become one validated
//! [`Plan`] here ([`ExtractArgs::plan`]); the library never sees clap types.

use crate::ingest::{Format, IngestOptions};
use crate::model::heads::Decoding;
use crate::model::Engine;
use crate::plan::{DeviceChoice, Plan, Request, StanceChoice};
use crate::shard::Shard;
use crate::sink::{Layout, OutputFormat};
use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "actorlens",
    version,
    about = "Who the actors are in news articles, what the text says they did, and the tone around them.",
    long_about = "actorlens reads news-article corpora (.txt/.md files, JSON Lines, CSV or stdin), splits \
them into sentences, runs a transformer named-entity recogniser (ONNX Runtime, or rust-bert on libtorch), \
groups mentions into actors, extracts claimed actions and scores tone, and writes offset-exact tables \
as CSV, JSON Lines and Parquet for pandas, DuckDB, Spark or a warehouse.\n\n\
Exit codes: 0 = finished cleanly; 1 = finished, but the published errors.csv has rows; \
2 = could not start (bad flags, missing model, unwritable output, --out in use by another run); \
130 / 143 = interrupted by SIGINT / SIGTERM (finished chunks are kept: rerun with --resume)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Extract sentences and entity mentions from a corpus into --out.
    Extract(ExtractArgs),
    /// Score given (sentence, target span) pairs with the stance head (NewsMTSC JSON Lines in,
    /// one JSON line per target out): evaluation and parity checks of the stance model.
    ScoreTargets(ScoreTargetsArgs),
    /// Write a self-contained HTML report (actors, network, tone over time, documents, errors) of a finished --out folder.
    Report(ReportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StanceEngineArg {
    Auto,
    Model,
    Vader,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceArg {
    Cpu,
    Cuda,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Input files, directories (walked recursively, sorted) or `-` for stdin.
    ///
    /// .txt/.md: one document per file, doc_id = path relative to the directory argument
    /// (or the path as given for a file argument). .jsonl: one document per line with `id`,
    /// `text` and optional `title`, `url`, `published`, `source`. .csv: a header row and the
    /// same fields. Records without an id get `<source>:<line>`.
    /// With --stream and no INPUT, stdin is read.
    #[arg(required_unless_present = "stream", value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Output directory (created). Outputs appear when the run finishes and replace earlier
    /// ones; until then finished chunks are kept in DIR/_actorlens_state (see --resume).
    #[arg(short, long, value_name = "DIR", required_unless_present = "stream")]
    pub out: Option<PathBuf>,

    /// Continue an interrupted or earlier run in the same --out: documents already done (same
    /// doc_id and input sha256, same model and configuration) are skipped, new ones are added.
    /// A document whose id is done but whose text changed becomes a `changed_since_done` error
    /// row (reprocess it into a new --out). Refused if the model or configuration differ.
    #[arg(long)]
    pub resume: bool,

    /// Streaming mode for engines (Spark RDD.pipe, shell pipelines): read JSON Lines (stdin by
    /// default), write one JSON line per input record to stdout in input order (the
    /// documents.jsonl object, or {"doc_id","source","line","error":{"kind","message"}}), flushed
    /// after every chunk. Nothing is written to disk.
    #[arg(long, conflicts_with_all = ["out", "resume", "layout"])]
    pub stream: bool,

    /// Output layout: `single` = one file per table; `parts` = FORMAT/TABLE/part-SSSSS-CCCCCCCC.EXT
    /// per shard and chunk plus _manifests/shard-SSSSS-of-NNNNN.json, so shards can publish into
    /// one folder and a retried shard rewrites exactly the same files.
    #[arg(long, value_enum, default_value = "single")]
    pub layout: Layout,

    /// Token-classification model folder: config.json (with id2label), tokenizer.json or
    /// vocab.txt, model.safetensors or rust_model.ot. Default: models/default-ner next to the
    /// executable or crate, or $ACTORLENS_MODELS/default-ner.
    #[arg(long, value_name = "PATH")]
    pub ner_model: Option<PathBuf>,

    /// Actor pins applied before the heuristics: CSV with header alias,canonical,type[,kb_id]
    /// (type one of PER, ORG, GPE, LOC, NORP or empty; kb_id e.g. a Wikidata QID). Use it to
    /// merge ("Trump" → "Donald Trump") or split ("George Bush" → "George H. W. Bush") actors.
    #[arg(long, value_name = "FILE")]
    pub aliases: Option<PathBuf>,

    /// Syntax model folder (POS tagger, lemmatizer, dependency parser) for the claimed-actions
    /// stage. Default: models/syntax next to the executable or crate.
    #[arg(long, value_name = "PATH")]
    pub syntax_model: Option<PathBuf>,

    /// Skip the claimed-actions stage (actions.csv stays empty; stances come from verb cues).
    #[arg(long)]
    pub no_actions: bool,

    /// Sentence-classification model folder (e.g. a distilbert SST-2 checkpoint) to use instead
    /// of the default VADER lexicon for sentence, document and actor sentiment.
    #[arg(long, value_name = "PATH")]
    pub sentiment_model: Option<PathBuf>,

    /// Zero-shot NLI model folder (e.g. bart-large-mnli) for the article's stance toward each
    /// actor, instead of the stance head or VADER.
    #[arg(long, value_name = "PATH")]
    pub stance_model: Option<PathBuf>,

    /// Per-actor and per-mention stance: `model` = the NER folder's stance head (trained on
    /// NewsMTSC, run in the NER pass; fills mentions.stance/p_* too); `vader` = VADER over the
    /// clauses where the actor is the target (mentions.stance empty); `auto` = model when the
    /// folder has the head and ONNX Runtime loads, else vader.
    #[arg(long, value_enum, default_value = "auto")]
    pub stance_engine: StanceEngineArg,

    /// NER inference engine. `auto` runs the model folder's recorded default (for the bundled
    /// model: onnx-int8 if its agreement with torch was measured >= 0.99, see models/default-ner/
    /// MODEL_CARD.md), falling back to torch with a warning when ONNX Runtime is not installed.
    /// `torch` is the reference (rust-bert on libtorch); `onnx` / `onnx-int8` run model.onnx /
    /// model.int8.onnx on ONNX Runtime (CPU).
    #[arg(long, value_enum, default_value = "auto")]
    pub engine: Engine,

    /// Override the NER model's decoding: `argmax` (per word, like Hugging Face's
    /// token-classification pipeline) or `bio-viterbi` (best BIO-valid sequence). Default: what
    /// the model's config.json says (the bundled model: bio-viterbi).
    #[arg(long, value_enum, value_name = "MODE")]
    pub ner_decoding: Option<Decoding>,

    /// Where the model runs. `cuda` needs a CUDA-enabled libtorch.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceArg,

    /// Windows (sentences, length-sorted) per model call. Default: the engine's best — torch 32,
    /// onnx 8 (less padding), onnx-int8 8 when the graph's activation scales are per token (the
    /// bundled model), else one window per call (per-call scales would make a sentence's
    /// entities depend on its neighbours).
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,

    /// Cap on word pieces per model window (incl. special tokens); the model's own limit
    /// always applies. Longer sentences are tagged in overlapping windows, never truncated.
    #[arg(long, value_name = "N")]
    pub max_length: Option<usize>,

    /// Threads for libtorch and for tokenization. Default: all cores.
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

    /// Output formats, comma-separated: csv (one file per table), jsonl (documents.jsonl, one
    /// nested object per document), parquet (the csv tables with typed columns: Int64, Float64,
    /// Boolean, nullable Utf8). errors.csv and manifest.json are always written.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "csv,jsonl")]
    pub format: Vec<OutputFormat>,

    /// Field/column holding the document id in JSONL and CSV inputs.
    #[arg(long, default_value = "id", value_name = "NAME")]
    pub id_field: String,

    /// Field/column holding the document text in JSONL and CSV inputs.
    #[arg(long, default_value = "text", value_name = "NAME")]
    pub text_field: String,

    /// How to read `-` (stdin).
    #[arg(long, value_enum, default_value = "jsonl")]
    pub stdin_format: Format,

    /// Process only shard I of N (0-based): records are assigned by a hash of their doc_id, so
    /// N jobs with --shard 0/N … N-1/N together process every record exactly once (e.g. a
    /// Kubernetes Indexed Job: --shard $JOB_COMPLETION_INDEX/N). corpus_actors.csv then covers
    /// the shard only.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,

    /// Documents processed and committed together (memory stays bounded by this, not by the
    /// corpus size; a killed run loses at most one chunk of work).
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub chunk_size: usize,

    /// No progress bar and no summary line.
    #[arg(short, long)]
    pub quiet: bool,

    /// For CSVs opened in a spreadsheet: prefix text cells that start with = + - @ (or a tab or
    /// carriage return) with ' so they are not run as formulas (OWASP CSV injection). Off by
    /// default, because it changes the values a warehouse loads; Parquet and JSONL never change.
    #[arg(long)]
    pub csv_escape_formulas: bool,
}

impl ExtractArgs {
    /// The flags as one validated plan (defaults resolved, model folders parsed).
    pub fn plan(&self, command_line: Vec<String>) -> crate::Result<Plan> {
        Plan::resolve(Request {
            inputs: self.inputs.clone(),
            out: if self.stream { None } else { self.out.clone() },
            formats: self.format.clone(),
            layout: self.layout,
            resume: self.resume,
            ner_model: self.ner_model.clone(),
            aliases: self.aliases.clone(),
            syntax_model: self.syntax_model.clone(),
            no_actions: self.no_actions,
            sentiment_model: self.sentiment_model.clone(),
            stance_model: self.stance_model.clone(),
            stance_engine: match self.stance_engine {
                StanceEngineArg::Auto => StanceChoice::Auto,
                StanceEngineArg::Model => StanceChoice::Model,
                StanceEngineArg::Vader => StanceChoice::Vader,
            },
            engine: self.engine,
            decoding: self.ner_decoding,
            device: match self.device {
                DeviceArg::Cpu => DeviceChoice::Cpu,
                DeviceArg::Cuda => DeviceChoice::Cuda,
            },
            batch_size: self.batch_size,
            max_length: self.max_length,
            threads: self.threads,
            ingest: IngestOptions {
                id_field: self.id_field.clone(),
                text_field: self.text_field.clone(),
                stdin_format: self.stdin_format,
            },
            shard: self.shard,
            chunk_size: self.chunk_size,
            progress: !self.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
            command_line,
            csv_escape_formulas: self.csv_escape_formulas,
        })
    }
}

/// clap's value lists for the library's enums (the enums themselves stay free of clap).
macro_rules! value_enum {
    ($ty:ty, [$($variant:expr => $name:literal: $help:literal),+ $(,)?]) => {
        impl ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                &[$($variant),+]
            }
            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(match self {
                    $(v if *v == $variant => PossibleValue::new($name).help($help),)+
                    _ => return None,
                })
            }
        }
    };
}

value_enum!(Engine, [
    Engine::Auto => "auto": "the model folder's recorded default (its fastest engine that matches torch), else torch",
    Engine::Torch => "torch": "rust-bert on libtorch (model.safetensors / rust_model.ot): the reference",
    Engine::Onnx => "onnx": "ONNX Runtime, fp32 graph (model.onnx)",
    Engine::OnnxInt8 => "onnx-int8": "ONNX Runtime, dynamically quantised int8 graph (model.int8.onnx)",
]);

value_enum!(Decoding, [
    Decoding::Argmax => "argmax": "best label per word, independently (Hugging Face's token-classification pipeline)",
    Decoding::BioViterbi => "bio-viterbi": "best label sequence that obeys the BIO scheme",
]);

value_enum!(OutputFormat, [
    OutputFormat::Csv => "csv": "one CSV file per table",
    OutputFormat::Jsonl => "jsonl": "documents.jsonl, one nested object per document",
    OutputFormat::Parquet => "parquet": "the CSV tables with typed columns",
]);

value_enum!(Layout, [
    Layout::Single => "single": "one file per table: documents.csv, mentions.parquet, ...",
    Layout::Parts => "parts": "FORMAT/TABLE/part-SSSSS-CCCCCCCC.EXT per shard and chunk, plus _manifests/",
]);

value_enum!(Format, [
    Format::Txt => "txt": "the whole input is one document",
    Format::Jsonl => "jsonl": "one JSON object per line",
    Format::Csv => "csv": "a header row, one record per row",
]);

#[derive(Debug, Args)]
pub struct ScoreTargetsArgs {
    /// JSON Lines with `sentence_normalized` (or `text`) and `targets: [{"from", "to"}]` (char
    /// offsets); `-` or nothing = stdin.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,
    /// Where to write the result lines (default: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// NER model folder with the stance head (default: the bundled models/default-ner).
    #[arg(long, value_name = "PATH")]
    pub ner_model: Option<PathBuf>,
    /// Encoder engine (as for `extract`).
    #[arg(long, value_enum, default_value = "auto")]
    pub engine: Engine,
    /// Inference workers.
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
    /// `model` (the stance head) or `vader` (VADER over the target's clause, for comparison).
    #[arg(long, value_enum, default_value = "model")]
    pub stance_engine: StanceEngineArg,
}

impl ScoreTargetsArgs {
    /// Load the stage and score the input.
    pub fn run(&self) -> crate::Result<(usize, usize)> {
        let input: Box<dyn std::io::BufRead> = match &self.input {
            Some(p) if p.as_os_str() != "-" => Box::new(std::io::BufReader::new(
                std::fs::File::open(p).map_err(crate::error::io(format!("reading {}", p.display())))?,
            )),
            _ => Box::new(std::io::stdin().lock()),
        };
        let out: Box<dyn std::io::Write> = match &self.out {
            Some(p) => Box::new(std::io::BufWriter::new(
                std::fs::File::create(p).map_err(crate::error::io(format!("creating {}", p.display())))?,
            )),
            None => Box::new(std::io::stdout().lock()),
        };
        if self.stance_engine == StanceEngineArg::Vader {
            return crate::targets::run(crate::targets::Scorer::Vader, input, out);
        }
        let dir = self.ner_model.clone().unwrap_or_else(crate::plan::default_model_dir);
        let threads =
            self.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
        crate::pipeline::set_threads(threads);
        let ner = crate::ner::NerStage::load(
            &dir,
            crate::ner::NerOptions { engine: self.engine, threads, stance: true, ..Default::default() },
        )?;
        crate::targets::run(crate::targets::Scorer::Model(&ner), input, out)
    }
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A finished `extract` output folder (single or parts layout; CSV or Parquet tables).
    #[arg(value_name = "OUT_DIR")]
    pub out_dir: PathBuf,

    /// Where to write the report. Default: OUT_DIR/report.html.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// The inputs given to `extract` (files, directories), read again for the document text of
    /// the sampled documents (the output tables hold offsets, not the text). Texts are used only
    /// when their sha256 matches documents.input_sha256.
    #[arg(long, value_name = "INPUT", num_args = 1..)]
    pub corpus: Vec<String>,

    /// Field/column holding the document id in JSONL and CSV --corpus inputs.
    #[arg(long, default_value = "id", value_name = "NAME")]
    pub id_field: String,

    /// Field/column holding the document text in JSONL and CSV --corpus inputs.
    #[arg(long, default_value = "text", value_name = "NAME")]
    pub text_field: String,

    /// Documents shown in the document view.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub sample_docs: usize,

    /// Actors in the top-actors charts and table (by documents; and by mentions).
    #[arg(long, default_value_t = 25, value_name = "N")]
    pub top_actors: usize,

    /// No summary line.
    #[arg(short, long)]
    pub quiet: bool,
}

impl ReportArgs {
    pub fn plan(&self) -> crate::report::ReportPlan {
        crate::report::ReportPlan {
            out_dir: self.out_dir.clone(),
            html: self.html.clone(),
            options: crate::report::Options {
                sample_docs: self.sample_docs,
                top_actors: self.top_actors,
                corpus: self.corpus.clone(),
                id_field: self.id_field.clone(),
                text_field: self.text_field.clone(),
            },
        }
    }
}
