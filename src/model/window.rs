//! Sentences → words → windows of word pieces → padded batches. Shared by every encoder and
//! head, and by the tone stage's sentence classifiers (`text_windows`).

use tokenizers::Tokenizer;

/// How token type ids are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenTypes {
    Zeros,
    /// 1 where the piece's original text has an uppercase letter.
    CaseFlag,
}

/// A word: its pieces and byte span relative to the sentence.
#[derive(Debug, Clone)]
pub struct Word {
    pub ids: Vec<i64>,
    pub types: Vec<i64>,
    pub start: usize,
    pub end: usize,
}

/// One model input: a run of words of one sentence.
pub struct Window {
    /// Index into the caller's (doc, sentence) job list.
    pub job: usize,
    /// Index (in the sentence) of the first word in this window.
    pub first_word: usize,
    pub ids: Vec<i64>,
    pub types: Vec<i64>,
    /// Position in `ids` of each word's first piece.
    pub heads: Vec<usize>,
}

/// Word pieces of one sentence grouped into words (as the tokenizer's pre-tokenizer splits).
pub fn encode_sentence(
    tokenizer: &Tokenizer,
    token_types: TokenTypes,
    text: &str,
) -> std::result::Result<Vec<Word>, String> {
    let enc = tokenizer.encode(text, false).map_err(|e| e.to_string())?;
    let mut words: Vec<Word> = Vec::new();
    let mut last_word: Option<u32> = None;
    for (i, (&id, &(s, e))) in enc.get_ids().iter().zip(enc.get_offsets()).enumerate() {
        let wid = enc.get_word_ids().get(i).copied().flatten();
        let flag = match token_types {
            TokenTypes::CaseFlag => text.get(s..e).is_some_and(|t| t.chars().any(char::is_uppercase)) as i64,
            TokenTypes::Zeros => 0,
        };
        let new_word = wid.is_none() || wid != last_word || words.is_empty();
        last_word = wid;
        if new_word {
            words.push(Word { ids: vec![id as i64], types: vec![flag], start: s, end: e });
        } else if let Some(w) = words.last_mut() {
            w.ids.push(id as i64);
            w.types.push(flag);
            w.start = w.start.min(s);
            w.end = w.end.max(e);
        }
    }
    Ok(words)
}

/// Split a sentence's words into windows of at most `max_pieces` pieces that overlap by about a
/// quarter, so every word is seen with context on both sides somewhere.
pub fn plan_windows(words: &[Word], max_pieces: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut a = 0;
    while a < words.len() {
        let mut b = a;
        let mut n = 0;
        while b < words.len() && (b == a || n + words[b].ids.len() <= max_pieces) {
            n += words[b].ids.len();
            b += 1;
        }
        out.push((a, b));
        if b == words.len() {
            break;
        }
        a = (b - (b - a) / 4).max(a + 1);
    }
    out
}

/// The model inputs for words `a..b` of a sentence: [CLS] pieces… [SEP].
pub fn build_window(
    job: usize,
    words: &[Word],
    (a, b): (usize, usize),
    cls: i64,
    sep: i64,
    max_pieces: usize,
) -> Window {
    let mut ids = vec![cls];
    let mut types = vec![0];
    let mut heads = Vec::with_capacity(b - a);
    for w in &words[a..b] {
        heads.push(ids.len());
        // A single word longer than a window keeps its leading pieces; only its first piece is
        // ever read, so nothing is lost for labelling.
        let keep = w.ids.len().min(max_pieces);
        ids.extend_from_slice(&w.ids[..keep]);
        types.extend_from_slice(&w.types[..keep]);
    }
    ids.push(sep);
    types.push(0);
    Window { job, first_word: a, ids, types, heads }
}

/// Right-padded input rows for a batch of windows.
pub struct Batch {
    pub ids: Vec<i64>,
    pub mask: Vec<i64>,
    pub types: Vec<i64>,
    pub rows: usize,
    pub width: usize,
}

impl Batch {
    pub fn pad(windows: &[Window], batch: &[usize], pad_id: i64) -> Batch {
        let width = batch.iter().map(|&i| windows[i].ids.len()).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(batch.len() * width);
        let mut mask = Vec::with_capacity(batch.len() * width);
        let mut types = Vec::with_capacity(batch.len() * width);
        for &i in batch {
            let w = &windows[i];
            let pad = width - w.ids.len();
            ids.extend_from_slice(&w.ids);
            ids.extend(std::iter::repeat_n(pad_id, pad));
            mask.extend(std::iter::repeat_n(1i64, w.ids.len()));
            mask.extend(std::iter::repeat_n(0i64, pad));
            types.extend_from_slice(&w.types);
            types.extend(std::iter::repeat_n(0i64, pad));
        }
        Batch { ids, mask, types, rows: batch.len(), width }
    }
}

/// Split `text` into windows of at most `max_pieces` word pieces, cutting between words (for
/// whole-text classifiers). Without a tokenizer, a conservative two pieces per word is assumed.
pub fn text_windows<'t>(text: &'t str, tokenizer: Option<&Tokenizer>, max_pieces: usize) -> Vec<&'t str> {
    let words: Vec<(usize, usize)> = text
        .split_whitespace()
        .map(|w| {
            let start = w.as_ptr() as usize - text.as_ptr() as usize;
            (start, start + w.len())
        })
        .collect();
    let cost: Vec<usize> = match tokenizer.and_then(|t| t.encode(text, false).ok()) {
        Some(enc) => {
            let mut cost = vec![0usize; words.len()];
            for &(s, _) in enc.get_offsets() {
                let wi = words.partition_point(|&(_, e)| e <= s);
                if let Some(c) = cost.get_mut(wi) {
                    *c += 1;
                }
            }
            cost
        }
        None => vec![2; words.len()],
    };
    let mut out = Vec::new();
    let mut start = 0;
    while start < words.len() {
        let mut end = start;
        let mut n = 0;
        while end < words.len() && (end == start || n + cost[end] <= max_pieces) {
            n += cost[end];
            end += 1;
        }
        if let Some(w) = text.get(words[start].0..words[end - 1].1) {
            out.push(w);
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_all_words_with_overlap() {
        let words: Vec<Word> =
            (0..10).map(|i| Word { ids: vec![1; 1 + i % 2], types: vec![0; 1 + i % 2], start: 0, end: 0 }).collect();
        let plan = plan_windows(&words, 5);
        assert_eq!(plan.first().map(|p| p.0), Some(0));
        assert_eq!(plan.last().map(|p| p.1), Some(10));
        for w in plan.windows(2) {
            assert!(w[1].0 < w[0].1 || w[0].1 - w[0].0 < 4, "windows {:?} should overlap", w);
            assert!(w[1].0 > w[0].0);
        }
        for (a, b) in &plan {
            let n: usize = words[*a..*b].iter().map(|w| w.ids.len()).sum();
            assert!(n <= 5);
        }
    }

    #[test]
    fn text_windows_cover_text_without_truncation() {
        let text = "one two three four five six seven eight nine ten";
        let ws = text_windows(text, None, 6);
        assert_eq!(ws, vec!["one two three", "four five six", "seven eight nine", "ten"]);
    }
}
