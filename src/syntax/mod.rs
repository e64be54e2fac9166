//! Syntax layer owned by the project: part-of-speech tagger (Universal POS), lemmatizer and
//! labelled dependency parser, all trained by `train_syntax` from registry data (Brown corpus
//! gold tags; spaCy `en_core_web_md` silver parses of State of the Union addresses). See
//! `models/syntax/MODEL_CARD.md`.
//!
//! ```no_run
//! use actorlens::syntax::Syntax;
//! let syn = Syntax::load(std::path::Path::new("models/syntax")).unwrap();
//! for t in syn.analyze(&["The", "Pentagon", "designated", "the", "cartel", "."]) {
//!     println!("{} {} {:?} {}", t.upos, t.lemma, t.head, t.deprel);
//! }
//! ```
//!
//! * [`tagger`]: greedy averaged perceptron (Honnibal's feature set + shape features) with a
//!   tag dictionary for frequent unambiguous words.
//! * [`lemma`]: exception table + per-UPOS suffix rules, learned from spaCy's lemmas.
//! * [`parser`]: greedy arc-hybrid transition parser trained with a dynamic oracle, and an arc
//!   labeller (ClearNLP labels as used by spaCy English models) run on the finished tree.
//!
//! Everything is deterministic and single-threaded; a [`Syntax`] is `Send + Sync`, so callers
//! may share one across threads.

pub mod conllu;
pub mod lemma;
pub mod model;
pub mod parser;
pub mod tagger;

use std::fmt;
use std::path::{Path, PathBuf};

/// Default model folder (relative to the repository root).
pub const DEFAULT_DIR: &str = "models/syntax";
pub const TAGGER_FILE: &str = "tagger.bin.gz";
pub const PARSER_FILE: &str = "parser.bin.gz";
pub const LEMMA_FILE: &str = "lemma.bin.gz";

#[derive(Debug, thiserror::Error)]
pub enum SyntaxError {
    #[error("syntax model {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("syntax model {path}: {message}")]
    Format { path: PathBuf, message: String },
}

impl SyntaxError {
    pub(crate) fn format(path: &Path, message: impl Into<String>) -> Self {
        SyntaxError::Format { path: path.to_path_buf(), message: message.into() }
    }
}

/// Universal POS tags (UD v2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Upos {
    Adj,
    Adp,
    Adv,
    Aux,
    Cconj,
    Det,
    Intj,
    Noun,
    Num,
    Part,
    Pron,
    Propn,
    Punct,
    Sconj,
    Sym,
    Verb,
    X,
}

impl Upos {
    pub const ALL: [Upos; 17] = [
        Upos::Adj,
        Upos::Adp,
        Upos::Adv,
        Upos::Aux,
        Upos::Cconj,
        Upos::Det,
        Upos::Intj,
        Upos::Noun,
        Upos::Num,
        Upos::Part,
        Upos::Pron,
        Upos::Propn,
        Upos::Punct,
        Upos::Sconj,
        Upos::Sym,
        Upos::Verb,
        Upos::X,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Upos::Adj => "ADJ",
            Upos::Adp => "ADP",
            Upos::Adv => "ADV",
            Upos::Aux => "AUX",
            Upos::Cconj => "CCONJ",
            Upos::Det => "DET",
            Upos::Intj => "INTJ",
            Upos::Noun => "NOUN",
            Upos::Num => "NUM",
            Upos::Part => "PART",
            Upos::Pron => "PRON",
            Upos::Propn => "PROPN",
            Upos::Punct => "PUNCT",
            Upos::Sconj => "SCONJ",
            Upos::Sym => "SYM",
            Upos::Verb => "VERB",
            Upos::X => "X",
        }
    }

    /// Parse a UPOS string (spaCy's `SPACE` and unknown strings map to X).
    pub fn parse(s: &str) -> Upos {
        Upos::ALL.iter().copied().find(|u| u.as_str() == s).unwrap_or(Upos::X)
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_index(i: usize) -> Upos {
        Upos::ALL.get(i).copied().unwrap_or(Upos::X)
    }
}

impl fmt::Display for Upos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Analysis of one word of a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAnalysis {
    pub upos: Upos,
    pub lemma: String,
    /// Index (into the sentence's words) of the syntactic head; `None` for the root.
    pub head: Option<usize>,
    /// Dependency label (ClearNLP scheme as in spaCy English: nsubj, dobj, prep, pobj, prt,
    /// auxpass, nsubjpass, agent, ...); `ROOT` for the root.
    pub deprel: String,
}

/// The loaded syntax models.
#[derive(Debug, Clone)]
pub struct Syntax {
    pub tagger: tagger::Tagger,
    pub lemmatizer: lemma::Lemmatizer,
    pub parser: parser::Parser,
}

impl Syntax {
    /// Load `tagger.bin.gz`, `lemma.bin.gz` and `parser.bin.gz` from `dir`. Corrupt or
    /// missing files give an error (never a panic).
    pub fn load(dir: &Path) -> Result<Syntax, SyntaxError> {
        Ok(Syntax {
            tagger: tagger::Tagger::load(&dir.join(TAGGER_FILE))?,
            lemmatizer: lemma::Lemmatizer::load(&dir.join(LEMMA_FILE))?,
            parser: parser::Parser::load(&dir.join(PARSER_FILE))?,
        })
    }

    /// Write the three model files into `dir` (created if needed).
    pub fn save(&self, dir: &Path) -> Result<(), SyntaxError> {
        std::fs::create_dir_all(dir).map_err(|source| SyntaxError::Io { path: dir.to_path_buf(), source })?;
        self.tagger.save(&dir.join(TAGGER_FILE))?;
        self.lemmatizer.save(&dir.join(LEMMA_FILE))?;
        self.parser.save(&dir.join(PARSER_FILE))?;
        Ok(())
    }

    /// POS tags only (fastest).
    pub fn tag(&self, words: &[&str]) -> Vec<Upos> {
        self.tagger.tag(words)
    }

    /// Tag, lemmatize and parse one tokenized sentence. Empty input gives an empty result.
    pub fn analyze(&self, words: &[&str]) -> Vec<TokenAnalysis> {
        self.analyze_constrained(words, &[])
    }

    /// [`Syntax::analyze`] with some POS tags fixed in advance (see
    /// [`tagger::Tagger::tag_constrained`]).
    pub fn analyze_constrained(&self, words: &[&str], fixed: &[Option<Upos>]) -> Vec<TokenAnalysis> {
        if words.is_empty() {
            return Vec::new();
        }
        let tags = self.tagger.tag_constrained(words, fixed);
        let tree = self.parser.parse(words, &tags);
        words
            .iter()
            .zip(tags.iter())
            .zip(tree)
            .map(|((w, &t), (head, deprel))| TokenAnalysis {
                upos: t,
                lemma: self.lemmatizer.lemma(w, t),
                head,
                deprel,
            })
            .collect()
    }
}

/// Normalise a word for lexical features: lower case, typographic quotes and dashes folded,
/// digits collapsed (years kept as a class).
pub fn norm_word(w: &str) -> String {
    let mut has_digit = false;
    let mut all_digit = true;
    let mut out = String::with_capacity(w.len());
    for c in w.chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{201b}' | '`' => '\'',
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{00ab}' | '\u{00bb}' => '"',
            '\u{2013}' | '\u{2014}' => '-',
            _ => c,
        };
        if c.is_ascii_digit() {
            has_digit = true;
        } else if !matches!(c, ',' | '.') {
            all_digit = false;
        }
        for l in c.to_lowercase() {
            out.push(l);
        }
    }
    if out == "``" || out == "''" {
        return "\"".to_string();
    }
    if has_digit && all_digit {
        if out.len() == 4 && !out.contains([',', '.']) {
            return "!YEAR".to_string();
        }
        return "!DIGITS".to_string();
    }
    out
}

/// Word shape: X upper, x lower, d digit, other characters kept; runs capped at 2.
pub fn shape(w: &str) -> String {
    let mut out = String::new();
    let mut last = '\0';
    let mut run = 0;
    for c in w.chars() {
        let s = if c.is_uppercase() {
            'X'
        } else if c.is_lowercase() {
            'x'
        } else if c.is_numeric() {
            'd'
        } else {
            c
        };
        if s == last {
            run += 1;
            if run >= 2 {
                continue;
            }
        } else {
            run = 0;
            last = s;
        }
        out.push(s);
    }
    out
}

/// Last `n` characters of `w` (whole word if shorter).
pub fn suffix(w: &str, n: usize) -> &str {
    match w.char_indices().rev().nth(n.saturating_sub(1)) {
        Some((i, _)) if n > 0 => &w[i..],
        _ => w,
    }
}

/// First `n` characters of `w`.
pub fn prefix(w: &str, n: usize) -> &str {
    match w.char_indices().nth(n) {
        Some((i, _)) => &w[..i],
        None => w,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_helpers() {
        assert_eq!(norm_word("Pentagon"), "pentagon");
        assert_eq!(norm_word("2014"), "!YEAR");
        assert_eq!(norm_word("3,000"), "!DIGITS");
        assert_eq!(norm_word("\u{201c}"), "\"");
        assert_eq!(shape("Pentagon"), "Xxx");
        assert_eq!(shape("U.S."), "X.X.");
        assert_eq!(suffix("designated", 3), "ted");
        assert_eq!(suffix("é", 3), "é");
        assert_eq!(prefix("Élan", 1), "É");
        assert_eq!(Upos::parse("PROPN"), Upos::Propn);
        assert_eq!(Upos::parse("SPACE"), Upos::X);
        for u in Upos::ALL {
            assert_eq!(Upos::from_index(u.index()), u);
        }
    }
}
