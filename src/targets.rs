//! `actorlens score-targets`: the stance head on given (sentence, target span) pairs, through
//! the same NER-pass code path as `extract` ([`NerStage::score_spans`]). This is how the stance
//! model is scored on NewsMTSC (`make stance-eval`) and compared with the Python reference
//! (`make stance-parity`), and how anyone can score a labelled set of their own.
//!
//! Input: JSON Lines, one sentence per line, with `sentence_normalized` (NewsMTSC) or `text`,
//! and `targets`: `[{"from": CHAR, "to": CHAR, ...}]` (char offsets, end exclusive). Each text
//! is scored as one sentence (no segmentation). Output: one JSON line per target with `line`,
//! `target` (index in the line's list), `from`, `to`, `mention`, the input's `polarity` if
//! any, and `stance`, `p_negative`, `p_neutral`, `p_positive`; a line that cannot be read or
//! scored gives one `{"line", "error"}` line instead. Nothing is dropped silently.

use crate::document::{Document, MentionStance, Origin, Sentence};
use crate::error::{Error, Result};
use crate::ner::NerStage;
use serde_json::{json, Value};
use std::io::{BufRead, Write};

/// Sentences scored per pass (bounds memory; results do not depend on it).
const CHUNK: usize = 256;

struct Item {
    line: usize,
    targets: Vec<Value>,
    /// (from, to) in chars and the byte span, per target.
    spans: Vec<Option<(usize, usize)>>,
}

/// What scores the targets.
pub enum Scorer<'a> {
    /// The stance head in the NER pass.
    Model(&'a NerStage),
    /// `--stance-engine vader`'s per-mention equivalent: VADER's compound of the clause that
    /// holds the target ([`crate::tone::clauses`]), labelled with VADER's ±0.05 thresholds.
    Vader,
}

/// Score every target of `input` and write the result lines to `out`. Returns (lines, targets).
pub fn run(scorer: Scorer, input: impl BufRead, mut out: impl Write) -> Result<(usize, usize)> {
    if let Scorer::Model(ner) = &scorer {
        if ner.stance_head().is_none() {
            return Err(Error::Usage("score-targets needs the NER folder's stance head".into()));
        }
    }
    let io = |e: std::io::Error| Error::Io { context: "writing score-targets output".into(), source: e };
    let (mut n_lines, mut n_targets) = (0usize, 0usize);
    let mut docs: Vec<Document> = Vec::new();
    let mut items: Vec<Item> = Vec::new();
    let mut pending_errors: Vec<(usize, String)> = Vec::new();
    let flush = |docs: &mut Vec<Document>,
                 items: &mut Vec<Item>,
                 errors: &mut Vec<(usize, String)>,
                 out: &mut dyn Write|
     -> Result<usize> {
        let spans: Vec<Vec<(usize, usize)>> =
            items.iter().map(|it| it.spans.iter().flatten().copied().collect()).collect();
        match &scorer {
            Scorer::Model(ner) => ner.score_spans(docs, &spans)?,
            Scorer::Vader => {
                for (doc, sp) in docs.iter_mut().zip(&spans) {
                    let cl = crate::tone::clauses(&doc.text, 0, doc.text.len());
                    for &(a, b) in sp {
                        let c = cl.iter().find(|c| c.0 <= a && a < c.1).copied().unwrap_or((0, doc.text.len()));
                        let compound = crate::tone::vader(&doc.text[c.0..c.1]).compound;
                        let p = match crate::tone::label(compound) {
                            "negative" => [1.0, 0.0, 0.0],
                            "positive" => [0.0, 0.0, 1.0],
                            _ => [0.0, 1.0, 0.0],
                        };
                        doc.target_stances.push(crate::document::TargetStance { start_byte: a, end_byte: b, probs: p });
                    }
                }
            }
        }
        let vader = matches!(scorer, Scorer::Vader);
        let mut written = 0;
        let mut lines: Vec<(usize, String)> = std::mem::take(errors)
            .into_iter()
            .map(|(line, e)| (line, json!({"line": line, "error": e}).to_string()))
            .collect();
        for (doc, it) in docs.iter().zip(items.iter()) {
            if let Some(err) = &doc.error {
                lines.push((it.line, json!({"line": it.line, "error": err.message}).to_string()));
                continue;
            }
            for (k, (t, span)) in it.targets.iter().zip(&it.spans).enumerate() {
                let mut row = json!({
                    "line": it.line,
                    "target": k,
                    "from": t.get("from"),
                    "to": t.get("to"),
                    "mention": t.get("mention"),
                    "polarity": t.get("polarity"),
                });
                let hit = span.and_then(|(a, b)| {
                    doc.target_stances.iter().find(|s| s.start_byte == a && s.end_byte == b).map(|s| s.probs)
                });
                match hit {
                    Some(p) => {
                        let m = MentionStance::from_probs(p);
                        row["stance"] = json!(m.stance.map(|l| l.as_str()));
                        if !vader {
                            // Via f64 rounded to 4 decimals: an f32 widened to f64 prints 0.9584000110626221.
                            let r = |x: Option<f32>| x.map(|v| (f64::from(v) * 1e4).round() / 1e4);
                            row["p_negative"] = json!(r(m.p_negative));
                            row["p_neutral"] = json!(r(m.p_neutral));
                            row["p_positive"] = json!(r(m.p_positive));
                        }
                    }
                    None => row["error"] = json!("target span covers no word of the sentence"),
                }
                lines.push((it.line, row.to_string()));
                written += 1;
            }
        }
        // Input order, whatever failed where.
        lines.sort_by_key(|(l, _)| *l);
        for (_, l) in lines {
            writeln!(out, "{l}").map_err(io)?;
        }
        docs.clear();
        items.clear();
        Ok(written)
    };
    for (i, line) in input.lines().enumerate() {
        let line_no = i + 1;
        let line = line.map_err(|e| Error::Io { context: "reading score-targets input".into(), source: e })?;
        if line.trim().is_empty() {
            continue;
        }
        n_lines += 1;
        let parsed: std::result::Result<(String, Vec<Value>), String> =
            serde_json::from_str::<Value>(&line).map_err(|e| format!("not JSON: {e}")).and_then(|v| {
                let text = v
                    .get("sentence_normalized")
                    .or_else(|| v.get("text"))
                    .and_then(Value::as_str)
                    .ok_or("no `sentence_normalized` or `text` string")?
                    .to_string();
                let targets = v.get("targets").and_then(Value::as_array).ok_or("no `targets` array")?.clone();
                Ok((text, targets))
            });
        let (text, targets) = match parsed {
            Ok(x) => x,
            Err(e) => {
                pending_errors.push((line_no, e));
                continue;
            }
        };
        let mut doc = Document::new(
            format!("line-{line_no}"),
            Origin { source: "score-targets".into(), line: line_no as u64 },
            Default::default(),
            text,
            vec![],
            String::new(),
        );
        doc.sentences.push(Sentence { span: doc.span(0, doc.text.len()) });
        // Char offsets → byte offsets.
        let byte_of = |c: usize| doc.text.char_indices().map(|(b, _)| b).chain([doc.text.len()]).nth(c);
        let spans = targets
            .iter()
            .map(|t| {
                let from = t.get("from").and_then(Value::as_u64)? as usize;
                let to = t.get("to").and_then(Value::as_u64)? as usize;
                let (a, b) = (byte_of(from)?, byte_of(to)?);
                (a < b).then_some((a, b))
            })
            .collect();
        n_targets += targets.len();
        docs.push(doc);
        items.push(Item { line: line_no, targets, spans });
        if docs.len() >= CHUNK {
            flush(&mut docs, &mut items, &mut pending_errors, &mut out)?;
        }
    }
    flush(&mut docs, &mut items, &mut pending_errors, &mut out)?;
    out.flush().map_err(io)?;
    Ok((n_lines, n_targets))
}
