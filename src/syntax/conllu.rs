//! Minimal CoNLL-U reader for the training/evaluation files written by
//! `training/syntax/prep.py` (10 tab-separated columns; HEAD 0 = root, `_` = no tree).

use std::io::BufRead;
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct Sentence {
    pub id: String,
    pub words: Vec<String>,
    pub lemmas: Vec<String>,
    pub upos: Vec<String>,
    /// Gold heads as 0-based indices, `None` = root. Empty when the file has no trees.
    pub heads: Vec<Option<usize>>,
    pub deprels: Vec<String>,
}

impl Sentence {
    pub fn has_tree(&self) -> bool {
        !self.heads.is_empty() && self.heads.len() == self.words.len()
    }
}

/// Read all sentences of a CoNLL-U file. Malformed lines are errors (with line numbers).
pub fn read(path: &Path) -> Result<Vec<Sentence>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    let mut cur = Sentence::default();
    let mut tree = true;
    let flush = |cur: &mut Sentence, tree: &mut bool, out: &mut Vec<Sentence>| {
        if !cur.words.is_empty() {
            if !*tree {
                cur.heads.clear();
                cur.deprels.clear();
            }
            out.push(std::mem::take(cur));
        }
        *cur = Sentence::default();
        *tree = true;
    };
    for (ln, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        if line.trim().is_empty() {
            flush(&mut cur, &mut tree, &mut out);
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            if let Some(id) = c.trim().strip_prefix("sent_id = ") {
                cur.id = id.to_string();
            }
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 8 {
            return Err(format!("{}:{}: expected 10 columns", path.display(), ln + 1));
        }
        if cols[0].contains(['-', '.']) {
            continue; // multi-word token ranges / empty nodes
        }
        cur.words.push(cols[1].to_string());
        cur.lemmas.push(cols[2].to_string());
        cur.upos.push(cols[3].to_string());
        match cols[6].parse::<usize>() {
            Ok(0) => cur.heads.push(None),
            Ok(h) => cur.heads.push(Some(h - 1)),
            Err(_) => {
                tree = false;
                cur.heads.push(None);
            }
        }
        cur.deprels.push(cols[7].to_string());
    }
    flush(&mut cur, &mut tree, &mut out);
    // heads must point inside the sentence
    for s in &mut out {
        if s.heads.iter().any(|h| h.is_some_and(|h| h >= s.words.len())) {
            s.heads.clear();
            s.deprels.clear();
        }
    }
    Ok(out)
}

/// Is the tree projective? (Needed for the arc-hybrid oracle to be exact.)
pub fn is_projective(heads: &[Option<usize>]) -> bool {
    let n = heads.len();
    let arcs: Vec<(usize, usize)> = heads
        .iter()
        .enumerate()
        .map(|(d, h)| {
            let h = h.unwrap_or(n);
            (d.min(h), d.max(h))
        })
        .collect();
    for (i, &(a, b)) in arcs.iter().enumerate() {
        for &(c, d) in &arcs[i + 1..] {
            if (a < c && c < b && b < d) || (c < a && a < d && d < b) {
                return false;
            }
        }
    }
    true
}
