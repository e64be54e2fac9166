//! Stage `parse`: every sentence is tagged, lemmatized and dependency-parsed once by the
//! project's syntax models ([`crate::syntax`]), and the result is stored on the document
//! ([`Document::parses`]) for every later stage that needs syntax (coref's subjects and binding,
//! claimed actions), so no stage parses a sentence a second time.
//!
//! Words are the segmenter's tokens split further at English clitics ("Venezuela's" →
//! "Venezuela" "'s"), as the syntax models were trained. Quotation marks are not given to the
//! parser (a quote mark in mid-sentence, `“absolutely ruled out”`, derails a parser trained
//! mostly on unquoted text); which words stood inside quotation marks is kept as
//! [`Parse::quoted`].

use crate::document::{Document, EntityType};
use crate::syntax::{Syntax, TokenAnalysis, Upos};
use std::path::Path;

/// One sentence's analysis: `words[i]` (byte span in the document text) is analysed by
/// `analysis[i]`, whose `head` indexes `words`.
#[derive(Debug, Clone, Default)]
pub struct Parse {
    pub words: Vec<(usize, usize)>,
    pub analysis: Vec<TokenAnalysis>,
    /// Whether the word stands inside quotation marks (an odd number of straight quotes, or an
    /// open curly quote, precedes it in the sentence).
    pub quoted: Vec<bool>,
    /// children[h] = the words whose head is h, in order.
    pub children: Vec<Vec<usize>>,
}

impl Parse {
    pub fn len(&self) -> usize {
        self.words.len()
    }
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

pub struct ParseStage {
    syntax: Syntax,
}

const QUOTES: &[&str] = &["\"", "\u{201c}", "\u{201d}", "\u{201e}", "``", "''", "\u{00ab}", "\u{00bb}"];

pub fn is_quote_mark(w: &str) -> bool {
    QUOTES.contains(&w)
}

/// Split UAX #29 words further at English clitics, as the syntax models were trained
/// ("Venezuela's" → "Venezuela" "'s", "don't" → "do" "n't").
pub fn parse_words(text: &str, tokens: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(tokens.len() + 4);
    for &(s, e) in tokens {
        let Some(w) = text.get(s..e) else { continue };
        let lw = w.to_lowercase();
        let mut cut = None;
        for suf in [
            "n't",
            "n\u{2019}t",
            "'s",
            "\u{2019}s",
            "'re",
            "'ve",
            "'ll",
            "'d",
            "'m",
            "\u{2019}re",
            "\u{2019}ve",
            "\u{2019}ll",
            "\u{2019}d",
            "\u{2019}m",
        ] {
            if lw.ends_with(suf) && lw.len() > suf.len() && lw.len() == w.len() {
                cut = Some(e - suf.len());
                break;
            }
        }
        match cut {
            Some(c) if text.is_char_boundary(c) => {
                out.push((s, c));
                out.push((c, e));
            }
            _ => out.push((s, e)),
        }
    }
    out
}

impl ParseStage {
    pub fn load(dir: &Path) -> crate::error::Result<Self> {
        let syntax = Syntax::load(dir)
            .map_err(|e| crate::error::Error::ModelInvalid { dir: dir.into(), message: e.to_string() })?;
        Ok(ParseStage { syntax })
    }

    pub fn new(syntax: Syntax) -> Self {
        ParseStage { syntax }
    }

    /// Parse one sentence given its token byte spans and the byte spans of its named entities
    /// (capitalised words inside a person, organisation or place name are tagged PROPN before
    /// parsing: the NER model knows "US" in "US military" is a name, the tagger alone may not).
    pub fn parse_sentence(&self, text: &str, tokens: &[(usize, usize)], names: &[(usize, usize)]) -> Parse {
        let all = parse_words(text, tokens);
        let mut words = Vec::with_capacity(all.len());
        let mut quoted = Vec::with_capacity(all.len());
        let mut open = false;
        for &(s, e) in &all {
            let w = &text[s..e];
            if is_quote_mark(w) {
                open = match w {
                    "\u{201c}" | "\u{201e}" | "``" | "\u{00ab}" => true,
                    "\u{201d}" | "''" | "\u{00bb}" => false,
                    _ => !open,
                };
                continue;
            }
            words.push((s, e));
            quoted.push(open);
        }
        if words.is_empty() {
            return Parse::default();
        }
        let strs: Vec<&str> = words.iter().map(|&(s, e)| &text[s..e]).collect();
        let fixed: Vec<Option<Upos>> = words
            .iter()
            .zip(&strs)
            .map(|(&(s, e), w)| {
                let capital = w.chars().next().is_some_and(char::is_uppercase);
                (capital && names.iter().any(|&(ns, ne)| ns <= s && e <= ne)).then_some(Upos::Propn)
            })
            .collect();
        let analysis = self.syntax.analyze_constrained(&strs, &fixed);
        let mut children = vec![Vec::new(); words.len()];
        for (i, a) in analysis.iter().enumerate() {
            if let Some(h) = a.head.filter(|&h| h < words.len() && h != i) {
                children[h].push(i);
            }
        }
        Parse { words, analysis, quoted, children }
    }

    pub fn run_doc(&self, doc: &mut Document) {
        use rayon::prelude::*;
        let by_sentence: Vec<Vec<(usize, usize)>> = doc
            .tokens_by_sentence()
            .iter()
            .map(|ts| ts.iter().map(|t| (t.span.start_byte, t.span.end_byte)).collect())
            .collect();
        // Sentences are independent: parse them in parallel (one long document then uses every
        // core), collected in sentence order so the result does not depend on threads.
        let mut names: Vec<Vec<(usize, usize)>> = vec![Vec::new(); by_sentence.len()];
        for m in &doc.mentions {
            if matches!(m.kind, EntityType::Per | EntityType::Org | EntityType::Gpe | EntityType::Loc) {
                if let Some(v) = names.get_mut(m.sentence_idx) {
                    v.push((m.span.start_byte, m.span.end_byte));
                }
            }
        }
        let text = &doc.text;
        let parses: Vec<Parse> = by_sentence
            .par_iter()
            .zip(names.par_iter())
            .map(|(toks, names)| self.parse_sentence(text, toks, names))
            .collect();
        doc.parses = parses;
    }
}

impl crate::stage::Stage for ParseStage {
    fn name(&self) -> &'static str {
        "parse"
    }
    fn reads(&self) -> &'static [crate::stage::Field] {
        use crate::stage::Field::*;
        &[Text, Sentences, Tokens, Mentions]
    }
    fn writes(&self) -> &'static [crate::stage::Field] {
        &[crate::stage::Field::Parse]
    }
    fn run(&self, docs: &mut [Document]) {
        crate::stage::per_document("parse", docs, |d| {
            self.run_doc(d);
            Ok(())
        })
    }
}
