//! English lemmatizer learned from (word, UPOS, lemma) triples: an exception table for seen
//! forms whose lemma the rules get wrong, plus per-UPOS suffix rewrite rules ("strip k
//! characters, append s") chosen by the longest known word ending (up to 5 characters).
//! Proper nouns keep their case; other words are lower-cased (spaCy's convention).

use std::collections::HashMap;
use std::path::Path;

use super::model::{load_bytes, Reader, Writer};
use super::{SyntaxError, Upos};

const KIND: &str = "lemma";
const MAX_SUFFIX: usize = 5;

#[derive(Debug, Clone, Default)]
pub struct Lemmatizer {
    /// key(upos, form) -> lemma
    exceptions: HashMap<String, String>,
    /// key(upos, ending) -> (strip chars, append)
    rules: HashMap<String, (u8, String)>,
}

fn key(u: Upos, s: &str) -> String {
    let mut k = String::with_capacity(s.len() + 1);
    k.push((b'A' + u.index() as u8) as char);
    k.push_str(s);
    k
}

fn rep(word: &str, u: Upos) -> String {
    let w: String = word
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            _ => c,
        })
        .collect();
    if u == Upos::Propn {
        w
    } else {
        w.to_lowercase()
    }
}

fn ending(chars: &[char], l: usize) -> String {
    chars[chars.len() - l..].iter().collect()
}

fn apply(chars: &[char], rule: &(u8, String)) -> Option<String> {
    let k = rule.0 as usize;
    if k > chars.len() || (k == chars.len() && rule.1.is_empty()) {
        return None;
    }
    let mut s: String = chars[..chars.len() - k].iter().collect();
    s.push_str(&rule.1);
    Some(s)
}

fn edit(from: &[char], to: &str) -> (u8, String) {
    let to_c: Vec<char> = to.chars().collect();
    let p = from.iter().zip(&to_c).take_while(|(a, b)| a == b).count();
    ((from.len() - p).min(255) as u8, to_c[p..].iter().collect())
}

impl Lemmatizer {
    pub fn lemma(&self, word: &str, u: Upos) -> String {
        let r = rep(word, u);
        if let Some(l) = self.exceptions.get(&key(u, &r)) {
            return l.clone();
        }
        self.by_rule(&r, u)
    }

    fn by_rule(&self, r: &str, u: Upos) -> String {
        let chars: Vec<char> = r.chars().collect();
        for l in (0..=MAX_SUFFIX.min(chars.len())).rev() {
            if let Some(rule) = self.rules.get(&key(u, &ending(&chars, l))) {
                if let Some(s) = apply(&chars, rule) {
                    return s;
                }
            }
        }
        r.to_string()
    }

    /// Learn from (word, upos, lemma) triples.
    pub fn train<'a>(data: impl Iterator<Item = (&'a str, Upos, &'a str)>) -> Lemmatizer {
        // token counts per (upos, rep) -> lemma
        let mut seen: HashMap<(Upos, String), HashMap<String, u32>> = HashMap::new();
        for (w, u, l) in data {
            if l.is_empty() || l == "_" {
                continue;
            }
            *seen.entry((u, rep(w, u))).or_default().entry(l.to_string()).or_default() += 1;
        }
        let mut items: Vec<((Upos, String), String)> = seen
            .into_iter()
            .map(|(k, ls)| {
                let mut v: Vec<(String, u32)> = ls.into_iter().collect();
                v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                (k, v.swap_remove(0).0)
            })
            .collect();
        items.sort();
        // rules from types
        let mut rc: HashMap<String, HashMap<(u8, String), u32>> = HashMap::new();
        for ((u, r), l) in &items {
            let chars: Vec<char> = r.chars().collect();
            let e = edit(&chars, l);
            for len in (e.0 as usize)..=MAX_SUFFIX.min(chars.len()) {
                *rc.entry(key(*u, &ending(&chars, len))).or_default().entry(e.clone()).or_default() += 1;
            }
        }
        let mut rules = HashMap::new();
        for (k, m) in rc {
            let total: u32 = m.values().sum();
            let mut v: Vec<((u8, String), u32)> = m.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            // a one-character key is the UPOS prefix alone: the default rule, always kept
            if total >= 2 || k.chars().count() == 1 {
                rules.insert(k, v.swap_remove(0).0);
            }
        }
        let mut lem = Lemmatizer { exceptions: HashMap::new(), rules };
        let mut exceptions = HashMap::new();
        for ((u, r), l) in &items {
            if &lem.by_rule(r, *u) != l {
                exceptions.insert(key(*u, r), l.clone());
            }
        }
        lem.exceptions = exceptions;
        lem
    }

    pub fn sizes(&self) -> (usize, usize) {
        (self.exceptions.len(), self.rules.len())
    }

    pub fn save(&self, path: &Path) -> Result<(), SyntaxError> {
        let mut w = Writer::new(KIND);
        let mut ex: Vec<_> = self.exceptions.iter().collect();
        ex.sort();
        w.u32(ex.len() as u32);
        for (k, v) in ex {
            w.str(k);
            w.str(v);
        }
        let mut ru: Vec<_> = self.rules.iter().collect();
        ru.sort();
        w.u32(ru.len() as u32);
        for (k, (s, a)) in ru {
            w.str(k);
            w.u8(*s);
            w.str(a);
        }
        w.save(path)
    }

    pub fn load(path: &Path) -> Result<Lemmatizer, SyntaxError> {
        let buf = load_bytes(path, KIND)?;
        let fmt = |e: String| SyntaxError::format(path, e);
        let mut r = Reader::new(&buf);
        let n = r.u32().map_err(fmt)? as usize;
        if n > r.remaining() / 4 {
            return Err(fmt("exception count exceeds the file size".into()));
        }
        let mut exceptions = HashMap::with_capacity(n);
        for _ in 0..n {
            let k = r.str().map_err(fmt)?;
            let v = r.str().map_err(fmt)?;
            exceptions.insert(k, v);
        }
        let n = r.u32().map_err(fmt)? as usize;
        if n > r.remaining() / 5 {
            return Err(fmt("rule count exceeds the file size".into()));
        }
        let mut rules = HashMap::with_capacity(n);
        for _ in 0..n {
            let k = r.str().map_err(fmt)?;
            let s = r.u8().map_err(fmt)?;
            let a = r.str().map_err(fmt)?;
            rules.insert(k, (s, a));
        }
        r.done().map_err(fmt)?;
        Ok(Lemmatizer { exceptions, rules })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_rules_and_exceptions() {
        let data = [
            ("designated", Upos::Verb, "designate"),
            ("created", Upos::Verb, "create"),
            ("located", Upos::Verb, "locate"),
            ("ruled", Upos::Verb, "rule"),
            ("walked", Upos::Verb, "walk"),
            ("talked", Upos::Verb, "talk"),
            ("jumped", Upos::Verb, "jump"),
            ("went", Upos::Verb, "go"),
            ("cartels", Upos::Noun, "cartel"),
            ("forces", Upos::Noun, "force"),
            ("troops", Upos::Noun, "troop"),
            ("Americans", Upos::Propn, "Americans"),
        ];
        let lem = Lemmatizer::train(data.iter().map(|(a, b, c)| (*a, *b, *c)));
        for (w, u, l) in data {
            assert_eq!(lem.lemma(w, u), l, "{w}");
        }
        assert_eq!(lem.lemma("Went", Upos::Verb), "go");
        assert_eq!(lem.lemma("militias", Upos::Noun), "militia");
        assert_eq!(lem.lemma("xyz", Upos::Intj), "xyz");
    }
}
