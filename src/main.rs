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
        Command::Extract(args) => match args.plan(command_line).and_then(|plan| actorlens::pipeline::extract(&plan)) {
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
    }
}
