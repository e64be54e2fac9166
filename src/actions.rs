//! Stage 5: claimed actions — who did what to whom, according to whom.
//!
//! Each sentence is tagged and parsed by the project's own syntax models (`syntax`), and every
//! main verb with a subject or an object becomes an action: agent (nsubj, or the `by` phrase of a
//! passive, or the subject inherited from a conjoined or controlling verb, or the noun a relative
//! clause modifies), predicate as written (with auxiliaries, negation, adverbs and particles:
//! "absolutely ruled out"), verb lemma with particle ("rule out"), target (dobj, passive subject,
//! or the object of against/on/with/to/...), negation, modality, attribution ("X said that ..."
//! → source X; "according to media reports" → source "media reports"; inside quotation marks →
//! `is_quote`), a PLOVER-style category from `models/lexicons/plover_verbs.tsv`, and char offsets
//! of the evidence span. Agents and targets that contain an actor mention carry its actor id.

use crate::document::{Action, Document};
use crate::syntax::{Syntax, TokenAnalysis, Upos};
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

const PLOVER_VERBS: &str = include_str!("../models/lexicons/plover_verbs.tsv");

/// Verbs that introduce reported speech; they attribute, they are not actions themselves
/// (unless the lexicon gives them a category, e.g. "allege" → ACCUSE).
const REPORTING: &[&str] = &[
    "say",
    "tell",
    "state",
    "stress",
    "claim",
    "add",
    "note",
    "announce",
    "insist",
    "argue",
    "declare",
    "report",
    "write",
    "confirm",
    "explain",
    "assert",
    "acknowledge",
    "suggest",
    "believe",
    "think",
    "allege",
    "warn",
    "emphasize",
    "emphasise",
    "reiterate",
    "maintain",
    "contend",
    "indicate",
    "reveal",
    "testify",
    "tweet",
    "post",
];

const HEDGES: &[&str] = &["would", "could", "may", "might", "should", "can"];

/// PLOVER quad classes.
pub fn quad_class(category: &str) -> &'static str {
    match category {
        "AGREE" | "CONSULT" | "SUPPORT" | "REQUEST" => "verbal_cooperation",
        "COOPERATE" | "AID" | "RETREAT" => "material_cooperation",
        "ACCUSE" | "REJECT" | "THREATEN" => "verbal_conflict",
        "PROTEST" | "SANCTION" | "MOBILIZE" | "COERCE" | "ASSAULT" => "material_conflict",
        _ => "",
    }
}

fn lexicon() -> &'static HashMap<String, String> {
    static L: OnceLock<HashMap<String, String>> = OnceLock::new();
    L.get_or_init(|| {
        PLOVER_VERBS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| l.split_once('\t'))
            .map(|(v, c)| (v.trim().to_string(), c.trim().to_string()))
            .collect()
    })
}

pub fn category(lemma: &str) -> &'static str {
    lexicon().get(lemma).map(|c| c.as_str()).map(static_category).unwrap_or("OTHER")
}

fn static_category(c: &str) -> &'static str {
    const ALL: &[&str] = &[
        "AGREE",
        "CONSULT",
        "SUPPORT",
        "COOPERATE",
        "AID",
        "RETREAT",
        "REQUEST",
        "ACCUSE",
        "REJECT",
        "THREATEN",
        "PROTEST",
        "SANCTION",
        "MOBILIZE",
        "COERCE",
        "ASSAULT",
    ];
    ALL.iter().find(|x| **x == c).copied().unwrap_or("OTHER")
}

/// Split UAX #29 words further at English clitics, as the syntax models were trained
/// ("Venezuela's" → "Venezuela" "'s", "don't" → "do" "n't").
fn parse_words(text: &str, tokens: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(tokens.len() + 4);
    for &(s, e) in tokens {
        let w = &text[s..e];
        let lw = w.to_lowercase();
        let mut cut = None;
        for suf in ["n't", "n\u{2019}t", "'s", "\u{2019}s", "'re", "'ve", "'ll", "'d", "'m", "\u{2019}re", "\u{2019}ll"]
        {
            if lw.ends_with(suf) && lw.len() > suf.len() {
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

pub struct ActionStage {
    syntax: Syntax,
}

struct Sent<'a> {
    words: Vec<(usize, usize)>,
    ana: Vec<TokenAnalysis>,
    children: Vec<Vec<usize>>,
    text: &'a str,
}

impl<'a> Sent<'a> {
    fn word(&self, i: usize) -> &'a str {
        &self.text[self.words[i].0..self.words[i].1]
    }

    fn child(&self, i: usize, deps: &[&str]) -> Option<usize> {
        self.children[i].iter().copied().find(|&c| deps.contains(&self.ana[c].deprel.as_str()))
    }

    /// Token range of a noun phrase: the subtree of `i` without clausal modifiers and edge
    /// punctuation.
    fn phrase(&self, i: usize) -> (usize, usize) {
        let mut lo = i;
        let mut hi = i;
        let mut stack = vec![i];
        let mut seen = 0;
        while let Some(n) = stack.pop() {
            seen += 1;
            if seen > self.words.len() {
                break; // malformed tree: never loop
            }
            lo = lo.min(n);
            hi = hi.max(n);
            for &c in &self.children[n] {
                if !matches!(self.ana[c].deprel.as_str(), "relcl" | "acl" | "advcl" | "appos" | "punct" | "cc" | "mark")
                {
                    stack.push(c);
                }
            }
        }
        (lo, hi)
    }

    fn span_text(&self, (lo, hi): (usize, usize)) -> &'a str {
        &self.text[self.words[lo].0..self.words[hi].1]
    }
}

impl crate::stage::Stage for ActionStage {
    fn name(&self) -> &'static str {
        "actions"
    }
    fn reads(&self) -> &'static [crate::stage::Field] {
        use crate::stage::Field::*;
        &[Text, Sentences, Tokens, Mentions, MentionActors, Actors]
    }
    fn writes(&self) -> &'static [crate::stage::Field] {
        &[crate::stage::Field::Actions]
    }
    fn run(&self, docs: &mut [Document]) {
        crate::stage::per_document("actions", docs, |d| {
            ActionStage::run(self, d);
            Ok(())
        })
    }
}

impl ActionStage {
    pub fn load(dir: &Path) -> crate::error::Result<Self> {
        let syntax = Syntax::load(dir)
            .map_err(|e| crate::error::Error::ModelInvalid { dir: dir.into(), message: e.to_string() })?;
        Ok(ActionStage { syntax })
    }

    pub fn run(&self, doc: &mut Document) {
        use rayon::prelude::*;
        let by_sentence: Vec<Vec<(usize, usize)>> = doc
            .tokens_by_sentence()
            .iter()
            .map(|ts| ts.iter().map(|t| (t.span.start_byte, t.span.end_byte)).collect())
            .collect();
        // Sentences are independent: parse them in parallel (one long document then uses every
        // core) and concatenate in sentence order, so the result does not depend on threads.
        let doc_ref: &Document = doc;
        let per_sentence: Vec<Vec<Action>> = by_sentence
            .par_iter()
            .enumerate()
            .map(|(si, toks)| {
                let mut out = Vec::new();
                let words = parse_words(&doc_ref.text, toks);
                if words.is_empty() {
                    return out;
                }
                let strs: Vec<&str> = words.iter().map(|&(s, e)| &doc_ref.text[s..e]).collect();
                let ana = self.syntax.analyze(&strs);
                let mut children = vec![Vec::new(); words.len()];
                for (i, a) in ana.iter().enumerate() {
                    if let Some(h) = a.head.filter(|&h| h < words.len() && h != i) {
                        children[h].push(i);
                    }
                }
                let sent = Sent { words, ana, children, text: &doc_ref.text };
                self.sentence(doc_ref, si, &sent, &mut out);
                out
            })
            .collect();
        let mut actions: Vec<Action> = per_sentence.into_iter().flatten().collect();
        for (i, a) in actions.iter_mut().enumerate() {
            a.action_id = i;
        }
        doc.actions = actions;
    }

    fn sentence(&self, doc: &Document, si: usize, s: &Sent, out: &mut Vec<Action>) {
        let n = s.words.len();
        let lemma = |i: usize| s.ana[i].lemma.to_lowercase();
        // "according to X" anywhere in the sentence attributes every action in it.
        let according = (0..n).find_map(|i| {
            if s.word(i).eq_ignore_ascii_case("according") {
                let to = s.children[i]
                    .iter()
                    .copied()
                    .find(|&c| s.word(c).eq_ignore_ascii_case("to"))
                    .or(Some(i + 1).filter(|&j| j < n && s.word(j).eq_ignore_ascii_case("to")))?;
                let obj = s.child(to, &["pobj"]).or(Some(to + 1).filter(|&j| j < n))?;
                Some(s.phrase(obj))
            } else {
                None
            }
        });
        // Quotation marks: a token is quoted when an odd number of quote marks precede it.
        let mut quoted = vec![false; n];
        let mut open = false;
        for (i, q) in quoted.iter_mut().enumerate() {
            let w = s.word(i);
            if matches!(w, "\"" | "\u{201c}" | "\u{201d}") {
                open = match w {
                    "\u{201c}" => true,
                    "\u{201d}" => false,
                    _ => !open,
                };
                continue;
            }
            *q = open;
        }

        for v in 0..n {
            if s.ana[v].upos != Upos::Verb
                || matches!(s.ana[v].deprel.as_str(), "amod" | "acl" | "compound" | "aux" | "auxpass")
            {
                continue;
            }
            let prt: Vec<usize> = s.children[v].iter().copied().filter(|&c| s.ana[c].deprel == "prt").collect();
            let mut verb_lemma = lemma(v);
            for &p in &prt {
                verb_lemma.push(' ');
                verb_lemma.push_str(&s.word(p).to_lowercase());
            }
            let base = lemma(v);
            let cat = match category(&verb_lemma) {
                "OTHER" => category(&base),
                c => c,
            };
            let has_ccomp = s.child(v, &["ccomp"]).is_some();
            if REPORTING.contains(&base.as_str()) && has_ccomp && cat == "OTHER" {
                continue; // pure attribution: the reported clause carries the action
            }
            // Agent and target.
            let passive = s.child(v, &["nsubjpass"]);
            let mut agent = match passive {
                // The `by` phrase is often attached to the object ("designated a group by the
                // State Department"): accept it anywhere after the verb up to the clause end.
                Some(_) => s
                    .child(v, &["agent"])
                    .or_else(|| {
                        (v + 1..n)
                            .take_while(|&i| !matches!(s.ana[i].deprel.as_str(), "ccomp" | "advcl" | "relcl") || i == v)
                            .find(|&i| {
                                s.word(i).eq_ignore_ascii_case("by")
                                    && matches!(s.ana[i].deprel.as_str(), "agent" | "prep")
                            })
                    })
                    .and_then(|a| s.child(a, &["pobj"])),
                None => s.child(v, &["nsubj", "csubj"]),
            };
            let mut target = match passive {
                Some(p) => Some(p),
                None => s.child(v, &["dobj", "dative"]),
            };
            if target.is_none() {
                for &c in &s.children[v] {
                    let w = s.word(c).to_lowercase();
                    if s.ana[c].deprel == "prep"
                        && matches!(
                            w.as_str(),
                            "against" | "on" | "with" | "to" | "toward" | "towards" | "into" | "at" | "over" | "from"
                        )
                    {
                        if let Some(o) = s.child(c, &["pobj"]) {
                            target = Some(o);
                            break;
                        }
                    }
                }
            }
            if agent.is_none() {
                // Conjoined and controlled verbs share the subject of their head verb;
                // a relative clause's agent is the noun it modifies.
                let mut h = v;
                for _ in 0..n {
                    let dep = s.ana[h].deprel.as_str();
                    let Some(head) = s.ana[h].head else { break };
                    if dep == "relcl" {
                        agent = Some(head);
                        break;
                    }
                    if !matches!(dep, "conj" | "xcomp") {
                        break;
                    }
                    h = head;
                    if let Some(a) = s.child(h, &["nsubj"]) {
                        agent = Some(a);
                        break;
                    }
                }
            } else if let Some(a) = agent {
                if matches!(s.word(a).to_lowercase().as_str(), "who" | "which" | "that") && s.ana[v].deprel == "relcl" {
                    agent = s.ana[v].head;
                }
            }
            if agent.is_none() && target.is_none() {
                continue;
            }
            // Predicate: auxiliaries, negation and adverbs before the verb, particles after.
            let mut lo = v;
            let mut hi = v;
            let mut negated = false;
            let mut hedged = false;
            for &c in &s.children[v] {
                let dep = s.ana[c].deprel.as_str();
                let w = s.word(c).to_lowercase();
                match dep {
                    "neg" => negated = true,
                    "aux" if HEDGES.contains(&w.as_str()) => hedged = true,
                    "advmod" if w == "never" => negated = true,
                    _ => {}
                }
                let before = c < v && matches!(dep, "aux" | "auxpass" | "neg" | "advmod") && c + 3 >= v;
                let after = c > v && dep == "prt";
                if before {
                    lo = lo.min(c);
                }
                if after {
                    hi = hi.max(c);
                }
            }
            let predicate = &doc.text[s.words[lo].0..s.words[hi].1];
            // Attribution: climb ccomp links to a reporting verb; else "according to".
            let mut source: Option<(usize, usize)> = None;
            let mut h = v;
            for _ in 0..n {
                let dep = s.ana[h].deprel.clone();
                let Some(head) = s.ana[h].head else { break };
                if matches!(dep.as_str(), "ccomp" | "parataxis") && REPORTING.contains(&lemma(head).as_str()) {
                    source = s.child(head, &["nsubj"]).map(|x| s.phrase(x));
                    break;
                }
                if dep != "conj" {
                    break;
                }
                h = head;
            }
            let source = source.or(according);
            let agent_span = agent.map(|a| s.phrase(a));
            let target_span = target.map(|t| s.phrase(t));
            let (mut ev_lo, mut ev_hi) = (lo, hi);
            for sp in [agent_span, target_span].into_iter().flatten() {
                ev_lo = ev_lo.min(sp.0);
                ev_hi = ev_hi.max(sp.1);
            }
            let actor_in = |sp: Option<(usize, usize)>, head: Option<usize>| -> Option<String> {
                let (lo, hi) = sp?;
                let (b0, b1) = (s.words[lo].0, s.words[hi].1);
                let head_byte = head.map(|h| s.words[h].0);
                // A resolved pronoun or role noun ("She stressed", "the agency said") stands for
                // its actor only as the phrase's head or the whole phrase: "his government" is
                // not the person.
                let inside: Vec<_> = doc
                    .mentions
                    .iter()
                    .filter(|m| m.actor_id.is_some() && m.span.start_byte >= b0 && m.span.end_byte <= b1)
                    .filter(|m| {
                        !crate::coref::is_coref_mention(m)
                            || head_byte.map_or(m.span.start_byte == b0 && m.span.end_byte == b1, |hb| {
                                m.span.start_byte <= hb && hb < m.span.end_byte
                            })
                    })
                    .collect();
                inside
                    .iter()
                    .find(|m| head_byte.is_some_and(|hb| m.span.start_byte <= hb && hb < m.span.end_byte))
                    .or(inside.first())
                    .and_then(|m| m.actor_id.clone())
            };
            let evidence = doc.span(s.words[ev_lo].0, s.words[ev_hi].1);
            let confidence = 0.5 + 0.2 * agent.is_some() as u8 as f64 + 0.2 * target.is_some() as u8 as f64
                - 0.1 * (cat == "OTHER") as u8 as f64;
            out.push(Action {
                action_id: 0,
                sentence_idx: si,
                agent_actor_id: actor_in(agent_span, agent),
                agent_text: agent_span.map(|sp| s.span_text(sp).to_string()),
                predicate: predicate.to_string(),
                verb_lemma,
                target_actor_id: actor_in(target_span, target),
                target_text: target_span.map(|sp| s.span_text(sp).to_string()),
                source_actor_id: actor_in(source, None),
                source_text: source.map(|sp| s.span_text(sp).to_string()),
                negated,
                modality: if hedged { "hedged" } else { "asserted" }.to_string(),
                is_quote: quoted[v],
                category: cat.to_string(),
                quad_class: quad_class(cat).to_string(),
                start_char: evidence.start_char,
                end_char: evidence.end_char,
                confidence: (confidence * 100.0).round() / 100.0,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clitics_are_split_like_the_training_data() {
        let t = "Venezuela's leaders don't care.";
        let toks = [(0, 11), (12, 19), (20, 25), (26, 30), (30, 31)];
        let w: Vec<&str> = parse_words(t, &toks).into_iter().map(|(s, e)| &t[s..e]).collect();
        assert_eq!(w, vec!["Venezuela", "'s", "leaders", "do", "n't", "care", "."]);
    }

    #[test]
    fn lexicon_categories_and_quads() {
        assert_eq!(category("rule out"), "REJECT");
        assert_eq!(category("designate"), "SANCTION");
        assert_eq!(quad_class(category("praise")), "verbal_cooperation");
        assert_eq!(category("eat"), "OTHER");
        assert_eq!(quad_class("OTHER"), "");
    }
}
