//! `--shard I/N`: a stable subset of the corpus, chosen by a hash of each record's key.

use serde::Serialize;

/// Shard I of N: records are assigned by a sha256 of their key (doc_id, or `source:line` for
/// records without one), so N jobs together process every record exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| format!("`{s}` is not I/N (e.g. 0/4)"))?;
        let index: u64 = i.trim().parse().map_err(|_| format!("shard index `{i}` is not a number"))?;
        let count: u64 = n.trim().parse().map_err(|_| format!("shard count `{n}` is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: need 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    pub fn owns(&self, key: &str) -> bool {
        crate::digest::sha256_u64(key) % self.count == self.index
    }
}
