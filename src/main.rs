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
                    eprintln!(
                        "actorlens: {} documents, {} sentences, {} mentions, {} error rows in {:.1}s ({:.0} words/s) -> {}",
                        c.documents,
                        c.sentences,
                        c.mentions,
                        c.errors,
                        summary.elapsed_seconds,
                        summary.words_per_second(),
                        summary.out.display()
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
    }
}
