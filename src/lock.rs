//! One run per output folder: an OS advisory lock on `OUT/_actorlens_state/lock`.
//!
//! `--layout single` takes it exclusively (a second run into the same `--out` exits 2 naming the
//! holder's pid). `--layout parts` takes it shared, so shards can publish into one folder
//! together, plus an exclusive `OUT/_actorlens_state/lock-shard-SSSSS` for its own shard (the same shard
//! twice, or a single-layout run next to shards, is refused). The OS drops these locks when the
//! process dies, so a run killed with SIGKILL never blocks the `--resume` that follows. The lock
//! files stay in place (deleting a lock file races with the next run opening it); each holds the
//! pid of the last run that took it, for the message.

use crate::error::{Error, Result};
use crate::sink::Layout;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Inside `OUT/_actorlens_state/` (readers such as Spark and DuckDB globs ignore `_` folders).
pub const LOCK_FILE: &str = "lock";

/// Held for the life of the run; dropping it (or the process dying) releases the locks.
#[derive(Debug)]
pub struct OutLock {
    _files: Vec<File>,
}

/// Lock `out` for this run (see the module docs).
pub fn acquire(out: &Path, layout: Layout, shard: u64) -> Result<OutLock> {
    let mut files = Vec::new();
    let dir = out.join(crate::sink::store::STATE_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| Error::Output { path: dir.clone(), message: e.to_string() })?;
    let folder = dir.join(LOCK_FILE);
    match layout {
        Layout::Single => files.push(take(out, &folder, true)?),
        Layout::Parts => {
            files.push(take(out, &folder, false)?);
            files.push(take(out, &dir.join(format!("{LOCK_FILE}-shard-{shard:05}")), true)?);
        }
    }
    Ok(OutLock { _files: files })
}

fn take(out: &Path, path: &PathBuf, exclusive: bool) -> Result<File> {
    let fail = |e: std::io::Error| Error::Output { path: path.clone(), message: format!("cannot lock: {e}") };
    let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(fail)?;
    let got = if exclusive { file.try_lock() } else { file.try_lock_shared() };
    match got {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = match holder.trim().parse::<u32>() {
                Ok(pid) => format!("pid {pid}"),
                Err(_) => "another process".to_string(),
            };
            return Err(Error::Locked { out: out.to_path_buf(), holder, lock_file: path.clone() });
        }
        // A file system without advisory locks (some network mounts): run unlocked, but say so.
        Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
            tracing::warn!("{}: file locks are not supported here; running without the --out lock", path.display());
            return Ok(file);
        }
        Err(TryLockError::Error(e)) => return Err(fail(e)),
    }
    // Record who holds it. Best effort: the pid only serves the message of a refused run.
    let _ = file.set_len(0).and_then(|_| file.seek(SeekFrom::Start(0))).and_then(|_| {
        writeln!(file, "{}", std::process::id())?;
        file.flush()
    });
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_folder_is_refused_and_named() {
        let tmp = tempfile::tempdir().unwrap();
        let first = acquire(tmp.path(), Layout::Single, 0).unwrap();
        let err = acquire(tmp.path(), Layout::Single, 0).unwrap_err().to_string();
        assert!(err.contains(&format!("pid {}", std::process::id())), "{err}");
        assert!(err.contains(&tmp.path().display().to_string()), "{err}");
        // Parts runs of different shards share the folder, but not with a single-layout run.
        assert!(acquire(tmp.path(), Layout::Parts, 1).is_err());
        drop(first);
        let a = acquire(tmp.path(), Layout::Parts, 0).unwrap();
        let _b = acquire(tmp.path(), Layout::Parts, 1).unwrap();
        assert!(acquire(tmp.path(), Layout::Parts, 0).is_err(), "the same shard twice");
        assert!(acquire(tmp.path(), Layout::Single, 0).is_err());
        drop(a);
    }
}
