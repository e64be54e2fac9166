//! Stage 2: sentences and word tokens with byte and char offsets.
//!
//! UAX #29 (unicode-segmentation) does the base work; it keeps "$2.5 million" and closing quotes
//! after a full stop together, but splits after "Dr. ", "Jan. ", "No. 3", initials and "U.S. "
//! before a capital. We re-join those splits with an abbreviation list.

use crate::document::{Document, Sentence, Token};
use unicode_segmentation::UnicodeSegmentation;

/// Abbreviations that (practically) never end a sentence: titles and honorifics.
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "lt", "col", "sgt", "capt", "cmdr", "adm", "maj",
    "cpl", "pvt", "rev", "fr", "hon", "pres", "sec", "amb", "supt", "insp", "st", "mt", "ft", "messrs", "mme", "mlle",
    "sr", "jr", "vs", "v", "cf", "e.g", "i.e", "approx", "dept", "univ", "assn", "bros", "gov't",
];

/// Abbreviations that end a sentence only when followed by something sentence-like; they join
/// the next fragment when it starts with a digit or lowercase letter.
const BEFORE_NUMBERS: &[&str] = &[
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "nos", "nr", "art",
    "sec", "ch", "vol", "fig", "p", "pp", "para", "est", "ca", "approx", "inc", "corp", "co", "ltd", "llc", "plc",
];

/// Words that usually start a new sentence; after "U.S." or "Inc." they signal a real boundary.
const SENTENCE_STARTERS: &[&str] = &[
    "the",
    "a",
    "an",
    "it",
    "its",
    "he",
    "she",
    "they",
    "we",
    "i",
    "you",
    "this",
    "that",
    "these",
    "those",
    "there",
    "but",
    "and",
    "or",
    "so",
    "yet",
    "in",
    "on",
    "at",
    "as",
    "if",
    "when",
    "while",
    "after",
    "before",
    "since",
    "although",
    "however",
    "meanwhile",
    "his",
    "her",
    "their",
    "our",
    "my",
    "what",
    "who",
    "why",
    "how",
    "some",
    "many",
    "most",
    "all",
    "no",
    "not",
    "for",
    "to",
    "then",
    "also",
    "still",
    "one",
    "last",
    "next",
];

/// Split the document text into sentences (trimmed of surrounding whitespace) and word tokens.
pub fn segment(doc: &mut Document) {
    let spans = sentence_spans(&doc.text);
    let mut sentences = Vec::with_capacity(spans.len());
    let mut tokens = Vec::new();
    for (idx, (s, e)) in spans.into_iter().enumerate() {
        for (off, word) in doc.text[s..e].split_word_bound_indices() {
            if word.chars().all(char::is_whitespace) {
                continue;
            }
            tokens.push(Token { span: doc.span(s + off, s + off + word.len()), sentence_idx: idx });
        }
        sentences.push(Sentence { span: doc.span(s, e) });
    }
    doc.sentences = sentences;
    doc.tokens = tokens;
}

/// Byte spans of sentences, whitespace-trimmed, never empty.
pub fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let mut merged: Vec<(usize, usize)> = Vec::new();
    let mut pending: Option<(usize, usize)> = None;
    let frags = text
        .split_sentence_bound_indices()
        .flat_map(|(start, frag)| split_missing_space(frag).into_iter().map(move |(s, e)| (start + s, start + e)));
    for (start, end) in frags {
        pending = Some(match pending {
            Some((ps, pe)) if should_join(&text[ps..pe], &text[pe..end]) => (ps, end),
            Some(prev) => {
                merged.push(prev);
                (start, end)
            }
            None => (start, end),
        });
    }
    merged.extend(pending);
    merged
        .into_iter()
        .filter_map(|(s, e)| {
            let frag = &text[s..e];
            let lead = frag.len() - frag.trim_start().len();
            let trimmed = frag.trim();
            (!trimmed.is_empty()).then(|| (s + lead, s + lead + trimmed.len()))
        })
        .collect()
}

/// Split a fragment where a full stop has no space after it ("steel.We have"): after a word of
/// two or more lower-case letters, before a capital followed by a lower-case letter. URLs,
/// e-mail addresses and dotted names ("example.com", "Node.js") do not match: their word holds
/// another dot, a slash, '@' or ':', or continues in lower case.
fn split_missing_space(frag: &str) -> Vec<(usize, usize)> {
    let b = frag.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 2..b.len().saturating_sub(2) {
        if !matches!(b[i], b'.' | b'?' | b'!') {
            continue;
        }
        if !(b[i - 1].is_ascii_lowercase() && b[i - 2].is_ascii_lowercase()) {
            continue;
        }
        if !(b[i + 1].is_ascii_uppercase() && b[i + 2].is_ascii_lowercase()) {
            continue;
        }
        let word_start = frag[..i].rfind(|c: char| c.is_whitespace()).map_or(0, |k| k + 1);
        let word = &frag[word_start..i];
        if word.contains(['.', '/', '@', ':']) || word.chars().any(|c| !c.is_alphabetic()) {
            continue;
        }
        out.push((start, i + 1));
        start = i + 1;
    }
    out.push((start, frag.len()));
    out
}

/// Should the fragment `next` continue the sentence `prev` (UAX #29 split wrongly)?
fn should_join(prev: &str, next: &str) -> bool {
    let next_trim = next.trim_start();
    let Some(first) = next_trim.chars().next() else {
        return false;
    };
    let prev_trim = prev.trim_end();
    // Hard-wrapped text: a single line break inside a sentence, continuing in lowercase.
    let gap = &prev[prev_trim.len()..];
    if gap.contains('\n') {
        let breaks = gap.matches('\n').count();
        let ends_clause = prev_trim.ends_with(['.', '!', '?', ':', ';', '"', '\u{201d}', '\'']);
        return breaks == 1 && !ends_clause && (first.is_lowercase() || first.is_ascii_digit());
    }
    if !prev_trim.ends_with('.') {
        return false;
    }
    let last_word =
        prev_trim.rsplit(|c: char| c.is_whitespace() || c == '(' || c == '"' || c == '\u{201c}').next().unwrap_or("");
    let abbr = last_word.trim_end_matches('.').to_lowercase();
    let next_word: String =
        next_trim.chars().take_while(|c| c.is_alphanumeric() || *c == '\'').collect::<String>().to_lowercase();
    let continues_lower = first.is_lowercase() || first.is_ascii_digit() || first == '$';
    // Initials: "J. R. R. Tolkien", "George W. Bush".
    if abbr.chars().count() == 1
        && abbr.chars().all(|c| c.is_alphabetic())
        && last_word.chars().next().is_some_and(char::is_uppercase)
    {
        return true;
    }
    if TITLES.contains(&abbr.as_str()) {
        return true;
    }
    if BEFORE_NUMBERS.contains(&abbr.as_str()) {
        return continues_lower;
    }
    // Dotted acronyms: "U.S.", "U.N.", "a.m.": join unless the next word looks like a new sentence.
    let dotted = abbr.contains('.') && abbr.split('.').all(|p| p.chars().count() <= 2 && !p.is_empty());
    if dotted {
        return continues_lower || !SENTENCE_STARTERS.contains(&next_word.as_str());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentence_spans(text).into_iter().map(|(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn keeps_abbreviations_inside_sentences() {
        assert_eq!(split("U.S. Army forces moved. They left."), vec!["U.S. Army forces moved.", "They left."]);
        assert_eq!(split("Dr. Smith arrived. He spoke."), vec!["Dr. Smith arrived.", "He spoke."]);
        assert_eq!(
            split("On Jan. 5 the talks began. Nothing came of it."),
            vec!["On Jan. 5 the talks began.", "Nothing came of it."]
        );
        assert_eq!(
            split("The fund lost $2.5 million last year. Investors fled."),
            vec!["The fund lost $2.5 million last year.", "Investors fled."]
        );
        assert_eq!(
            split("He was ranked No. 3 in the world. Then he retired."),
            vec!["He was ranked No. 3 in the world.", "Then he retired."]
        );
        assert_eq!(
            split("J. R. R. Tolkien wrote it. Readers loved it."),
            vec!["J. R. R. Tolkien wrote it.", "Readers loved it."]
        );
        assert_eq!(split("President George W. Bush spoke."), vec!["President George W. Bush spoke."]);
    }

    #[test]
    fn closing_quotes_stay_with_their_sentence() {
        assert_eq!(split("\"We will act.\" The minister left."), vec!["\"We will act.\"", "The minister left."]);
        assert_eq!(
            split("She said: \u{201c}No deal.\u{201d} Talks ended."),
            vec!["She said: \u{201c}No deal.\u{201d}", "Talks ended."]
        );
    }

    #[test]
    fn real_boundaries_after_acronyms_still_split() {
        assert_eq!(split("Troops left the U.S. The war ended."), vec!["Troops left the U.S.", "The war ended."]);
    }

    #[test]
    fn a_full_stop_without_a_space_still_ends_the_sentence() {
        assert_eq!(split("We make steel.We have workers."), vec!["We make steel.", "We have workers."]);
        assert_eq!(
            split("Visit example.com today. See node.js docs."),
            vec!["Visit example.com today.", "See node.js docs."]
        );
        assert_eq!(split("The U.S.Army left."), vec!["The U.S.Army left."]);
    }

    #[test]
    fn line_breaks() {
        assert_eq!(split("A headline\n\nThe body starts here."), vec!["A headline", "The body starts here."]);
        assert_eq!(split("a sentence that is\nhard wrapped here."), vec!["a sentence that is\nhard wrapped here."]);
    }
}

/// Stage `segment`: sentences and word tokens (rule-based, no model).
pub struct Segmenter;

impl crate::stage::Stage for Segmenter {
    fn name(&self) -> &'static str {
        "segment"
    }
    fn reads(&self) -> &'static [crate::stage::Field] {
        &[crate::stage::Field::Text]
    }
    fn writes(&self) -> &'static [crate::stage::Field] {
        &[crate::stage::Field::Sentences, crate::stage::Field::Tokens]
    }
    fn run(&self, docs: &mut [Document]) {
        crate::stage::per_document("segment", docs, |d| {
            segment(d);
            Ok(())
        })
    }
}
