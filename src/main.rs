use actorlens::cli::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("ACTORLENS_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let command_line: Vec<String> = std::env::args().collect();
    match cli.command {
        Command::Extract(args) => match actorlens::pipeline::extract_from_args(&args, command_line) {
            Ok(summary) => {
                let c = &summary.counts;
                if !args.quiet {
                    let skipped = match summary.skipped_done {
                        0 => String::new(),
                        n => format!(", {n} already done (skipped)"),
                    };
                    let dest = summary.out.as_ref().map(|o| o.display().to_string()).unwrap_or_else(|| "stdout".into());
                    eprintln!(
                        "actorlens: {} documents, {} sentences, {} mentions, {} error rows{skipped} in {:.1}s ({:.0} words/s) -> {dest}",
                        c.documents,
                        c.sentences,
                        c.mentions,
                        c.errors,
                        summary.elapsed_seconds,
                        summary.words_per_second(),
                    );
                }
                if c.errors > 0 {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                }
            }
            Err(e) => {
                eprintln!("actorlens: error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Report(args) => match actorlens::report::run(&args) {
            Ok(r) => {
                if !args.quiet {
                    eprintln!(
                        "actorlens: report of {} documents ({} shown, {} with text), {} KB -> {}",
                        r.documents,
                        r.sample_documents,
                        r.texts_found,
                        r.bytes / 1024,
                        r.html.display()
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("actorlens: error: {e}");
                ExitCode::from(2)
            }
        },
    }
}
