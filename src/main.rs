use actorlens::cli::{Cli, Command};
use actorlens::Error;
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
        Command::Extract(args) => {
            if let Err(e) = actorlens::interrupt::install(args.stream) {
                tracing::warn!("cannot watch SIGINT/SIGTERM ({e}); an interrupted run stops without a message");
            }
            match args.plan(command_line).and_then(|plan| actorlens::pipeline::extract(&plan)) {
                Ok(summary) => {
                    let c = &summary.counts;
                    if !args.quiet {
                        let skipped = match summary.skipped_done {
                            0 => String::new(),
                            n => format!(", {n} already done (skipped)"),
                        };
                        let dest =
                            summary.out.as_ref().map(|o| o.display().to_string()).unwrap_or_else(|| "stdout".into());
                        let published = match summary.published_errors {
                            Some(n) if n != c.errors => format!(" ({n} in the published errors.csv)"),
                            _ => String::new(),
                        };
                        eprintln!(
                            "actorlens: {} documents, {} sentences, {} mentions, {} error rows{published}{skipped} in {:.1}s ({:.0} words/s) -> {dest}",
                            c.documents,
                            c.sentences,
                            c.mentions,
                            c.errors,
                            summary.elapsed_seconds,
                            summary.words_per_second(),
                        );
                    }
                    // 1 whenever the published errors.csv has rows, whichever run wrote them, so
                    // the exit code does not depend on when an earlier run was killed.
                    if c.errors > 0 || summary.published_errors.unwrap_or(0) > 0 {
                        ExitCode::from(1)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                // `--stream | head`: the reader has what it wanted.
                Err(Error::BrokenPipe) => ExitCode::SUCCESS,
                Err(e @ Error::Interrupted { signal, .. }) => {
                    eprintln!("actorlens: {e}");
                    ExitCode::from(u8::try_from(128 + signal).unwrap_or(130))
                }
                Err(e) => {
                    eprintln!("actorlens: error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::ScoreTargets(args) => match args.run() {
            Ok((lines, targets)) => {
                eprintln!("actorlens: {lines} lines, {targets} targets scored");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("actorlens: error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Report(args) => match actorlens::report::run(&args.plan()) {
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
