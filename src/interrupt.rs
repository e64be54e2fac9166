//! SIGINT / SIGTERM. The first signal asks the run to stop at the next chunk boundary: the chunk
//! in flight is committed, then the run ends with "interrupted: N chunks committed, rerun with
//! --resume" and exit code 128 + signal (130 for SIGINT, 143 for SIGTERM). A second signal stops
//! at once (committed chunks are safe either way: each is one atomic rename). In `--stream` mode
//! nothing is kept on disk, so the first signal stops at once.

use std::sync::atomic::{AtomicI32, Ordering};

static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Start the signal-watching thread (signal-hook's self-pipe iterator: the handler itself only
/// writes to a pipe; printing and exiting happen on this thread).
pub fn install(stream: bool) -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new().name("actorlens-signals".into()).spawn(move || {
        for sig in signals.forever() {
            let earlier = SIGNAL.swap(sig, Ordering::SeqCst);
            if stream || earlier != 0 {
                eprintln!("actorlens: interrupted: stopping now{}", if stream { "" } else { ", rerun with --resume" });
                std::process::exit(128 + sig);
            }
        }
    })?;
    Ok(())
}

/// The signal received, if any (checked after each chunk commit, see `Store::commit_chunk`).
pub fn requested() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}
