//! Stage 4: group entity mentions into actors, within each document, with corpus-wide ids.
//!
//! Rules, in order, for every PER/ORG/GPE/LOC/NORP mention:
//! 1. `--aliases` pins (alias → canonical, type, kb_id) win over every heuristic;
//! 2. "the X administration/government/regime" and "X's government" become an ORG actor linked
//!    to X (`linked_actor_id`), kept apart from X so what a government did is not credited to a
//!    person, yet analysts can roll it up;
//! 3. countries: names, official names, alternative spellings and demonyms from the
//!    world-countries data set resolve to one `gpe:` actor ("US", "U.S.", "America", "Mexicans");
//! 4. persons: titles are stripped into `roles`; a short form joins the most recent full name
//!    that ends (or starts) with it; different full names are never merged on a shared surname;
//! 5. organisations: parenthetical acronyms ("(CJNG)", "(Spanish abbr: CJNG)") and initials
//!    ("DEA" ↔ "Drug Enforcement Administration") become aliases; shorter multi-word forms that
//!    end a longer name join it.
//!
//! Ids are `type:slug` of the canonical name, so the same actor gets the same id in every
//! document without any corpus-wide state.

use crate::document::{Actor, Document};
use crate::error::{Error, Result};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::OnceLock;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

const COUNTRIES: &str = include_str!("../models/gazetteer/countries.tsv");
const EXTRA_NAMES: &str = include_str!("../models/gazetteer/extra_names.tsv");
const TITLES: &str = include_str!("../models/gazetteer/titles.txt");

pub const ACTOR_TYPES: &[&str] = &["PER", "ORG", "GPE", "LOC", "NORP"];

pub fn is_actor_type(kind: &str) -> bool {
    ACTOR_TYPES.contains(&kind)
}

/// Matching key: accents folded, lowercase, alphanumerics only, dots inside tokens dropped
/// ("U.S." → "us", "Nicolás" → "nicolas"), tokens joined by one space.
pub fn key(s: &str) -> String {
    let folded: String = s.nfd().filter(|c| !is_combining_mark(*c)).collect();
    let mut out = String::new();
    for tok in folded.split(|c: char| c.is_whitespace() || c == '-' || c == '/') {
        let t: String = tok.chars().filter(|c| c.is_alphanumeric() || *c == '&').flat_map(char::to_lowercase).collect();
        if !t.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&t);
        }
    }
    out
}

/// Readable id part: `Donald Trump` → `donald-trump`.
pub fn slug(s: &str) -> String {
    key(s).replace('&', "and").replace(' ', "-")
}

fn prefix(kind: &str) -> String {
    kind.to_ascii_lowercase()
}

/// Drop a leading "the", a trailing possessive and stray punctuation; keep inner dots ("U.S.").
fn clean_surface(text: &str) -> String {
    let mut s =
        text.trim().trim_matches(|c: char| matches!(c, '"' | '\u{201c}' | '\u{201d}' | ',' | ';' | ':' | '(' | ')'));
    for suffix in ["'s", "\u{2019}s", "'", "\u{2019}"] {
        if let Some(rest) = s.strip_suffix(suffix) {
            s = rest;
            break;
        }
    }
    let lower = s.to_lowercase();
    if lower.starts_with("the ") {
        s = s[4..].trim_start();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Debug)]
struct Country {
    name: String,
}

/// Countries from models/gazetteer/countries.tsv (world-countries, ODbL) plus extra short names.
struct Gazetteer {
    countries: Vec<Country>,
    by_name: HashMap<String, usize>,
    by_demonym: HashMap<String, usize>,
    /// Upper-case codes (US, USA, UK) only match upper-case mentions.
    by_code: HashMap<String, usize>,
    titles: Vec<(Vec<String>, String)>,
}

fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| {
        let mut g = Gazetteer {
            countries: Vec::new(),
            by_name: HashMap::new(),
            by_demonym: HashMap::new(),
            by_code: HashMap::new(),
            titles: Vec::new(),
        };
        let mut by_cca3 = HashMap::new();
        let mut demonym_owner_sovereign: HashMap<usize, bool> = HashMap::new();
        let rows = COUNTRIES.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        for line in rows {
            let cols: Vec<&str> = line.split('\t').collect();
            let (cca3, common) = (cols[0], cols.get(1).copied().unwrap_or(""));
            let idx = g.countries.len();
            g.countries.push(Country { name: common.to_string() });
            by_cca3.insert(cca3.to_string(), idx);
            g.by_name.entry(key(common)).or_insert(idx);
            for alt in cols.get(2).copied().unwrap_or("").split('|').filter(|a| !a.is_empty()) {
                let compact: String = alt.chars().filter(|c| c.is_alphanumeric()).collect();
                if compact.chars().count() <= 3 && compact.chars().all(|c| c.is_ascii_uppercase()) {
                    g.by_code.entry(compact).or_insert(idx);
                } else {
                    g.by_name.entry(key(alt)).or_insert(idx);
                }
            }
            let sovereign = cols.get(4).is_some_and(|f| *f == "1");
            for dem in cols.get(3).copied().unwrap_or("").split('|').filter(|a| !a.is_empty()) {
                for k in [key(dem), format!("{}s", key(dem))] {
                    // A sovereign state wins a shared demonym ("French": France, not the French
                    // Southern Lands); otherwise the first by cca3.
                    match g.by_demonym.get(&k) {
                        Some(&prev) if !sovereign || demonym_owner_sovereign.get(&prev).copied().unwrap_or(false) => {}
                        _ => {
                            g.by_demonym.insert(k, idx);
                        }
                    }
                }
            }
            demonym_owner_sovereign.insert(idx, sovereign);
        }
        for line in EXTRA_NAMES.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            if let Some((cca3, name)) = line.split_once('\t') {
                if let Some(&idx) = by_cca3.get(cca3) {
                    g.by_name.insert(key(name), idx);
                }
            }
        }
        let mut titles: Vec<(Vec<String>, String)> = TITLES
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|t| (key(t).split(' ').map(String::from).collect(), t.trim().trim_end_matches('.').to_string()))
            .collect();
        titles.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        g.titles = titles;
        g
    })
}

impl Gazetteer {
    fn country(&self, surface: &str) -> Option<usize> {
        let compact: String = surface.chars().filter(|c| c.is_alphanumeric()).collect();
        if compact.chars().count() <= 3 && compact.chars().all(|c| c.is_ascii_uppercase()) {
            if let Some(&i) = self.by_code.get(&compact) {
                return Some(i);
            }
        }
        let k = key(surface);
        self.by_name.get(&k).or_else(|| self.by_demonym.get(&k)).copied()
    }

    /// Titles at the start of `name`: ("President Donald Trump") → (["President"], "Donald Trump").
    fn strip_titles(&self, name: &str) -> (Vec<String>, String) {
        let mut words: Vec<&str> = name.split_whitespace().collect();
        let mut roles = Vec::new();
        'outer: while words.len() > 1 {
            for (tks, display) in &self.titles {
                if tks.len() < words.len() && words[..tks.len()].iter().zip(tks).all(|(w, t)| key(w) == *t) {
                    roles.push(display.clone());
                    words.drain(..tks.len());
                    continue 'outer;
                }
            }
            break;
        }
        (roles, words.join(" "))
    }

    /// A title written right before a mention: "Secretary of State Marco Rubio".
    fn title_before(&self, left: &str) -> Option<String> {
        let words: Vec<String> =
            left.split_whitespace().rev().take(5).map(key).collect::<Vec<_>>().into_iter().rev().collect();
        for (tks, display) in &self.titles {
            if tks.len() <= words.len() && words[words.len() - tks.len()..] == tks[..] {
                return Some(display.clone());
            }
        }
        None
    }
}

/// `--aliases FILE`: user pins applied before the heuristics.
#[derive(Debug, Default, Clone)]
pub struct AliasTable {
    by_key: HashMap<String, Vec<AliasEntry>>,
}

#[derive(Debug, Clone)]
struct AliasEntry {
    canonical: String,
    kind: Option<String>,
    kb_id: Option<String>,
}

impl AliasTable {
    /// CSV with header `alias,canonical,type[,kb_id]`. Every invalid row is listed in the error.
    pub fn from_csv(path: &Path) -> Result<Self> {
        let bad = |m: String| Error::Usage(format!("--aliases {}: {m}", path.display()));
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|e| bad(e.to_string()))?;
        let headers: Vec<String> =
            rdr.headers().map_err(|e| bad(e.to_string()))?.iter().map(|h| h.trim().to_lowercase()).collect();
        let col = |n: &str| headers.iter().position(|h| h == n);
        let (Some(a), Some(c)) = (col("alias"), col("canonical")) else {
            return Err(bad("header must have columns alias,canonical,type[,kb_id]".into()));
        };
        let (t, k) = (col("type"), col("kb_id"));
        let mut table = AliasTable::default();
        let mut problems = Vec::new();
        for rec in rdr.records() {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    problems.push(e.to_string());
                    continue;
                }
            };
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).map(str::trim).filter(|s| !s.is_empty());
            let (Some(alias), Some(canonical)) = (get(Some(a)), get(Some(c))) else {
                problems.push(format!("line {line}: alias and canonical must not be empty"));
                continue;
            };
            let kind = get(t).map(str::to_ascii_uppercase).map(|k| if k == "PERSON" { "PER".into() } else { k });
            if let Some(kind) = &kind {
                if !is_actor_type(kind) {
                    problems.push(format!("line {line}: type `{kind}` is not one of {}", ACTOR_TYPES.join(", ")));
                    continue;
                }
            }
            let entry = AliasEntry { canonical: canonical.to_string(), kind, kb_id: get(k).map(String::from) };
            table.by_key.entry(key(alias)).or_default().push(entry.clone());
            table.by_key.entry(key(canonical)).or_default().push(entry);
        }
        if !problems.is_empty() {
            return Err(bad(format!("{} invalid row(s):\n  {}", problems.len(), problems.join("\n  "))));
        }
        Ok(table)
    }

    fn lookup(&self, surface: &str, kind: &str) -> Option<&AliasEntry> {
        self.by_key.get(&key(surface))?.iter().find(|e| e.kind.as_deref().is_none_or(|k| k == kind))
    }
}

/// An actor being built; merged drafts point at their survivor through `parent`.
#[derive(Debug, Default)]
struct Draft {
    kind: String,
    /// Surface forms (cleaned, titles stripped) with the order first seen.
    names: Vec<String>,
    /// `key` of each name (same order), computed once.
    name_keys: Vec<String>,
    acronyms: BTreeSet<String>,
    roles: BTreeSet<String>,
    n_mentions: usize,
    first_char: usize,
    last_seen: usize,
    /// Fixed canonical name and id (aliases file, countries).
    canonical: Option<String>,
    kb_id: Option<String>,
    /// Government drafts: owner draft and the word ("administration").
    owner: Option<usize>,
    gov_word: Option<String>,
}

impl Draft {
    fn keys(&self) -> impl Iterator<Item = String> + '_ {
        self.name_keys.iter().cloned()
    }

    fn full_names(&self) -> impl Iterator<Item = Vec<String>> + '_ {
        self.keys().map(|k| k.split(' ').map(String::from).collect::<Vec<_>>()).filter(|t| t.len() >= 2)
    }

    fn is_acronym_only(&self) -> bool {
        self.names.iter().all(|n| is_acronym(n))
    }

    /// The longest form seen (most words, then most chars, then earliest).
    fn best_name(&self) -> String {
        if let Some(c) = &self.canonical {
            return c.clone();
        }
        let mut best: Option<&String> = None;
        for n in &self.names {
            let better = match best {
                None => true,
                Some(b) => {
                    let (nw, bw) = (n.split_whitespace().count(), b.split_whitespace().count());
                    let (na, ba) = (is_acronym(n), is_acronym(b));
                    (ba && !na) || (na == ba && (nw > bw || (nw == bw && n.chars().count() > b.chars().count())))
                }
            };
            if better {
                best = Some(n);
            }
        }
        best.cloned().unwrap_or_default()
    }
}

fn is_acronym(s: &str) -> bool {
    let letters: Vec<char> = s.chars().filter(|c| !matches!(c, '.' | '&' | '-')).collect();
    (2..=8).contains(&letters.len())
        && letters.iter().all(|c| c.is_uppercase() || c.is_ascii_digit())
        && !s.contains(' ')
}

const STOPWORDS: &[&str] = &["of", "the", "and", "for", "de", "del", "la", "el", "y", "&", "on", "in"];

/// Initials of a name, with and without function words: "Department of Justice" → DOJ, DJ.
fn initials(name: &str) -> Vec<String> {
    let words: Vec<String> = key(name).split(' ').map(String::from).collect();
    let all: String = words.iter().filter_map(|w| w.chars().next()).collect();
    let content: String =
        words.iter().filter(|w| !STOPWORDS.contains(&w.as_str())).filter_map(|w| w.chars().next()).collect();
    vec![all, content]
}

fn government_res() -> &'static (Regex, Regex, Regex) {
    static R: OnceLock<(Regex, Regex, Regex)> = OnceLock::new();
    R.get_or_init(|| {
        let word = "administration|government|regime";
        (
            // right after a mention: "Trump administration", "Mexico's government"
            Regex::new(&format!(r"^(?:['\u{{2019}}]s)?\s+(?i:({word}))\b")).expect("static regex"),
            // inside an ORG mention: "Trump administration", "the Mexican government"
            Regex::new(&format!(r"^(.+?)(?:['\u{{2019}}]s)?\s+(?i:({word}))$")).expect("static regex"),
            // parenthetical acronym: "(CJNG)", "(Spanish abbr: CJNG)", "(known as CJNG)"
            Regex::new(r"^\s*\((?:[^():]{0,40}:\s*|known as\s+)?([A-Z][A-Za-z0-9&.\-]{1,11})\)").expect("static regex"),
        )
    })
}

/// Resolves the actors of a document; holds only read-only data, so one serves all threads.
#[derive(Debug, Default, Clone)]
pub struct ActorResolver {
    aliases: AliasTable,
}

/// Where to look for candidates: every lookup used to scan all actors of the document
/// (O(mentions × actors), minutes for a long transcript); these indexes map a name key, a token,
/// initials, an acronym or a canonical name to the drafts that have it. Entries may point at a
/// draft merged away since: they are mapped to its root and re-checked with the same predicate
/// as before, so results are exactly those of the full scan.
#[derive(Default)]
struct Index {
    by_key: HashMap<String, Vec<usize>>,
    /// Plural-insensitive NORP key ("mexicans" ~ "mexican").
    by_norp: HashMap<String, Vec<usize>>,
    /// First / last / any token of multi-word keys.
    by_first: HashMap<String, Vec<usize>>,
    by_last: HashMap<String, Vec<usize>>,
    by_token: HashMap<String, Vec<usize>>,
    /// Proper multi-token suffixes of keys ("justice department" of "us justice department").
    by_suffix: HashMap<String, Vec<usize>>,
    /// Initials of non-acronym names ("Drug Enforcement Administration" → dea).
    by_initials: HashMap<String, Vec<usize>>,
    by_acronym: HashMap<String, Vec<usize>>,
    by_canonical: HashMap<String, Vec<usize>>,
    /// Government drafts by their owner's root.
    govs: HashMap<usize, Vec<usize>>,
}

fn norp_key(s: &str) -> String {
    if s.len() > 4 {
        s.trim_end_matches('s').to_string()
    } else {
        s.to_string()
    }
}

fn add(map: &mut HashMap<String, Vec<usize>>, k: &str, i: usize) {
    let v = map.entry(k.to_string()).or_default();
    if v.last() != Some(&i) {
        v.push(i);
    }
}

struct Builder<'a> {
    g: &'a Gazetteer,
    aliases: &'a AliasTable,
    drafts: Vec<Draft>,
    parent: Vec<usize>,
    index: Index,
}

impl<'a> Builder<'a> {
    fn find(&self, mut i: usize) -> usize {
        while self.parent[i] != i {
            i = self.parent[i];
        }
        i
    }

    fn roots(&self) -> Vec<usize> {
        (0..self.drafts.len()).filter(|&i| self.parent[i] == i).collect()
    }

    /// Add a surface form to draft `i` (a root) and index it.
    fn add_name(&mut self, i: usize, name: &str) {
        if self.drafts[i].names.iter().any(|n| n == name) {
            return;
        }
        let k = key(name);
        let ix = &mut self.index;
        add(&mut ix.by_key, &k, i);
        add(&mut ix.by_norp, &norp_key(&k), i);
        let toks: Vec<&str> = k.split(' ').collect();
        if toks.len() >= 2 {
            add(&mut ix.by_first, toks[0], i);
            add(&mut ix.by_last, toks[toks.len() - 1], i);
            for t in &toks {
                add(&mut ix.by_token, t, i);
            }
            for j in 1..toks.len().saturating_sub(1) {
                add(&mut ix.by_suffix, &toks[j..].join(" "), i);
            }
        }
        if !is_acronym(name) {
            for ini in initials(name) {
                add(&mut ix.by_initials, &ini, i);
            }
        }
        self.drafts[i].names.push(name.into());
        self.drafts[i].name_keys.push(k);
    }

    fn set_canonical(&mut self, i: usize, canonical: String) {
        add(&mut self.index.by_canonical, &key(&canonical), i);
        self.drafts[i].canonical = Some(canonical);
    }

    /// The distinct roots of the drafts listed under the given index entries.
    fn candidates<'k>(&self, lists: impl IntoIterator<Item = Option<&'k Vec<usize>>>) -> Vec<usize> {
        let mut v: Vec<usize> = lists.into_iter().flatten().flatten().map(|&i| self.find(i)).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Most recently seen candidate satisfying `pred` (ties: the later draft, as a scan in draft
    /// order with `max_by_key` gives).
    fn latest_of(&self, cands: Vec<usize>, pred: impl Fn(&Draft) -> bool) -> Option<usize> {
        cands.into_iter().filter(|&i| pred(&self.drafts[i])).max_by_key(|&i| (self.drafts[i].last_seen, i))
    }

    fn create(&mut self, kind: &str, name: &str, first_char: usize, seen: usize) -> usize {
        self.drafts.push(Draft { kind: kind.into(), first_char, last_seen: seen, ..Default::default() });
        let i = self.drafts.len() - 1;
        self.parent.push(i);
        self.add_name(i, name);
        i
    }

    fn touch(&mut self, i: usize, name: &str, first_char: usize, seen: usize) {
        self.add_name(i, name);
        let d = &mut self.drafts[i];
        d.first_char = d.first_char.min(first_char);
        d.last_seen = d.last_seen.max(seen);
    }

    /// Fold `from` into `into` (both roots). Index entries of `from` now lead to `into` through
    /// `find`; governments owned by `from` move to `into`.
    fn merge(&mut self, into: usize, from: usize) {
        if into == from {
            return;
        }
        let f = std::mem::take(&mut self.drafts[from]);
        self.parent[from] = into;
        let d = &mut self.drafts[into];
        for (n, k) in f.names.into_iter().zip(f.name_keys) {
            if !d.names.contains(&n) {
                d.names.push(n);
                d.name_keys.push(k);
            }
        }
        d.acronyms.extend(f.acronyms);
        d.roles.extend(f.roles);
        d.n_mentions += f.n_mentions;
        d.first_char = d.first_char.min(f.first_char);
        d.last_seen = d.last_seen.max(f.last_seen);
        d.kb_id = d.kb_id.take().or(f.kb_id);
        d.canonical = d.canonical.take().or(f.canonical);
        if let Some(govs) = self.index.govs.remove(&from) {
            for &g in &govs {
                self.drafts[g].owner = Some(into);
            }
            self.index.govs.entry(into).or_default().extend(govs);
        }
    }

    /// Find or create the actor for `name` of `kind`.
    fn resolve(&mut self, name: &str, kind: &str, first_char: usize, seen: usize) -> usize {
        // 1. User pins.
        if let Some(entry) = self.aliases.lookup(name, kind).cloned() {
            let kind = entry.kind.clone().unwrap_or_else(|| kind.to_string());
            let canon_key = key(&entry.canonical);
            let cands = self.candidates([self.index.by_canonical.get(&canon_key)]);
            let found =
                self.latest_of(cands, |d| d.kind == kind && d.canonical.as_deref().map(key) == Some(canon_key.clone()));
            let i = found.unwrap_or_else(|| self.create(&kind, name, first_char, seen));
            self.set_canonical(i, entry.canonical.clone());
            self.drafts[i].kb_id = entry.kb_id.clone().or(self.drafts[i].kb_id.take());
            self.touch(i, name, first_char, seen);
            return i;
        }
        // 2. Countries and their peoples.
        if matches!(kind, "GPE" | "NORP" | "LOC") {
            if let Some(c) = self.g.country(name) {
                let canon = self.g.countries[c].name.clone();
                let cands = self.candidates([self.index.by_canonical.get(&key(&canon))]);
                let found =
                    self.latest_of(cands, |d| d.kind == "GPE" && d.canonical.as_deref() == Some(canon.as_str()));
                let i = found.unwrap_or_else(|| self.create("GPE", name, first_char, seen));
                self.set_canonical(i, canon);
                self.touch(i, name, first_char, seen);
                return i;
            }
        }
        let k = key(name);
        let toks: Vec<String> = k.split(' ').map(String::from).collect();
        // 3. Same form seen before (or a known acronym).
        let ix = &self.index;
        let norp = if kind == "NORP" { ix.by_norp.get(&norp_key(&k)) } else { None };
        let cands = self.candidates([ix.by_key.get(&k), ix.by_acronym.get(&k), norp]);
        let exact = self.latest_of(cands, |d| {
            d.kind == kind
                && d.owner.is_none()
                && (d.keys().any(|x| x == k || (kind == "NORP" && norp_key(&x) == norp_key(&k)))
                    || d.acronyms.contains(&k))
        });
        if let Some(i) = exact {
            self.touch(i, name, first_char, seen);
            return i;
        }
        let found = match kind {
            "PER" => self.resolve_person(&toks),
            "ORG" => self.resolve_org(name, &k, &toks),
            _ => None,
        };
        let i = found.unwrap_or_else(|| self.create(kind, name, first_char, seen));
        self.touch(i, name, first_char, seen);
        // A new full name absorbs earlier acronyms that only it explains.
        if kind == "ORG" && !is_acronym(name) {
            for ini in initials(name) {
                let cands = self.candidates([self.index.by_key.get(&ini)]);
                if let Some(j) =
                    self.latest_of(cands, |d| d.kind == "ORG" && d.is_acronym_only() && d.keys().any(|x| x == ini))
                {
                    let (ri, rj) = (self.find(i), self.find(j));
                    self.merge(ri, rj);
                }
            }
        }
        self.find(i)
    }

    fn resolve_person(&self, toks: &[String]) -> Option<usize> {
        let ix = &self.index;
        if toks.len() == 1 {
            let t = &toks[0];
            // Surname first, then first name, then a middle name that is a name in its own
            // right ("Lula" in "Luiz Inácio Lula da Silva"), of the most recent full name.
            const PARTICLES: &[&str] = &[
                "da", "de", "del", "der", "den", "van", "von", "la", "le", "di", "du", "bin", "al", "el", "dos", "das",
            ];
            let person = |list: Option<&Vec<usize>>, pred: &dyn Fn(&[String]) -> bool| {
                self.latest_of(self.candidates([list]), |d| {
                    d.kind == "PER" && d.owner.is_none() && d.full_names().any(|f| pred(&f))
                })
            };
            let middle_ok = t.chars().count() >= 3 && !PARTICLES.contains(&t.as_str());
            return person(ix.by_last.get(t), &|f| f.last() == Some(t))
                .or_else(|| person(ix.by_first.get(t), &|f| f.first() == Some(t)))
                .or_else(|| if middle_ok { person(ix.by_token.get(t), &|f| f.contains(t)) } else { None });
        }
        // "Lopez Obrador" after "Andres Manuel Lopez Obrador": a proper token suffix.
        let cands = self.candidates([ix.by_suffix.get(&toks.join(" "))]);
        self.latest_of(cands, |d| {
            d.kind == "PER" && d.owner.is_none() && d.full_names().any(|f| f.len() > toks.len() && f.ends_with(toks))
        })
    }

    /// End of document: a short person form seen before any full name joins the one full name
    /// that ends with it; with two candidates ("Hunter Biden", "Joe Biden") it stays apart.
    fn absorb_short_person_forms(&mut self) {
        for j in self.roots() {
            let d = &self.drafts[j];
            if d.kind != "PER" || d.owner.is_some() || d.canonical.is_some() || d.full_names().next().is_some() {
                continue;
            }
            let short: Vec<Vec<String>> = d.keys().map(|k| k.split(' ').map(String::from).collect()).collect();
            // A full name ends with every short form, so with the first one's last token.
            let Some(last) = short.first().and_then(|s| s.last()) else { continue };
            let candidates: Vec<usize> = self
                .candidates([self.index.by_last.get(last)])
                .into_iter()
                .filter(|&i| {
                    i != j
                        && self.drafts[i].kind == "PER"
                        && self.drafts[i].owner.is_none()
                        && self.drafts[i]
                            .full_names()
                            .any(|f| short.iter().all(|s| f.len() > s.len() && f.ends_with(s)))
                })
                .collect();
            if let [only] = candidates[..] {
                self.merge(only, j);
            }
        }
    }

    fn resolve_org(&self, name: &str, k: &str, toks: &[String]) -> Option<usize> {
        let ix = &self.index;
        if is_acronym(name) {
            return self.latest_of(self.candidates([ix.by_initials.get(k)]), |d| {
                d.kind == "ORG"
                    && d.owner.is_none()
                    && d.names.iter().filter(|n| !is_acronym(n)).any(|n| initials(n).iter().any(|i| i == k))
            });
        }
        if toks.len() >= 2 {
            if let Some(i) = self.head_variant(toks) {
                return Some(i);
            }
            // "Justice Department" after "US Justice Department".
            return self.latest_of(self.candidates([ix.by_suffix.get(&toks.join(" "))]), |d| {
                d.kind == "ORG"
                    && d.owner.is_none()
                    && d.keys().any(|x| {
                        let xt: Vec<&str> = x.split(' ').collect();
                        xt.len() > toks.len() && xt.ends_with(&toks.iter().map(String::as_str).collect::<Vec<_>>())
                    })
            });
        }
        None
    }

    /// Identity fix: "Drug Enforcement Agency" and "Drug Enforcement Administration" (so both
    /// spell "DEA"): the same words but a different head with the same initial, both heads from
    /// ORG_HEADS, at least three words — one organisation.
    fn head_variant(&self, toks: &[String]) -> Option<usize> {
        let n = toks.len();
        if n < 3 || !ORG_HEADS.contains(&toks[n - 1].as_str()) {
            return None;
        }
        // Candidates share the first word (the index of first tokens of multi-word keys).
        let cands = self.candidates([self.index.by_first.get(toks[0].as_str())]);
        self.latest_of(cands, |d| {
            d.kind == "ORG"
                && d.owner.is_none()
                && d.keys().any(|x| {
                    let xt: Vec<&str> = x.split(' ').collect();
                    xt.len() == n
                        && xt[..n - 1].iter().zip(&toks[..n - 1]).all(|(a, b)| *a == b.as_str())
                        && xt[n - 1] != toks[n - 1]
                        && xt[n - 1].chars().next() == toks[n - 1].chars().next()
                        && ORG_HEADS.contains(&xt[n - 1])
                })
        })
    }

    /// A known ORG/PER name (longer than `surface`) that the text starting at a mention spells
    /// out, compared word by word, case-insensitively. The first such actor in draft order.
    fn continues_into(&self, rest: &str, surface: &str) -> Option<usize> {
        let n = key(surface).split(' ').count();
        let ahead: Vec<String> = rest.split_whitespace().take(8).map(key).collect();
        // Only a key that is exactly the next L words (L > n) can match.
        let lists = (n + 1..=ahead.len()).map(|l| self.index.by_key.get(&ahead[..l].join(" ")));
        self.candidates(lists).into_iter().find(|&i| {
            let d = &self.drafts[i];
            matches!(d.kind.as_str(), "ORG" | "PER")
                && d.owner.is_none()
                && d.keys().any(|k| {
                    let ks: Vec<&str> = k.split(' ').collect();
                    ks.len() > n && ks.len() <= ahead.len() && ks.iter().zip(&ahead).all(|(a, b)| *a == b.as_str())
                })
        })
    }

    /// Is there a person whose name is `hk` or ends with it ("Trump" in "Donald Trump")?
    fn known_person(&self, hk: &str) -> bool {
        let last = hk.rsplit(' ').next().unwrap_or(hk);
        let cands = self.candidates([self.index.by_key.get(hk), self.index.by_last.get(last)]);
        cands.into_iter().any(|i| {
            let d = &self.drafts[i];
            d.kind == "PER" && d.keys().any(|k| k == hk || k.ends_with(&format!(" {hk}")))
        })
    }

    /// The ORG actor for "<owner> <word>", linked to the owner.
    fn government(&mut self, owner: usize, word: &str, surface: &str, first_char: usize, seen: usize) -> usize {
        let owner = self.find(owner);
        let word = word.to_lowercase();
        let cands = self.candidates([self.index.govs.get(&owner)]);
        let found = self.latest_of(cands, |d| d.owner == Some(owner) && d.gov_word.as_deref() == Some(word.as_str()));
        let i = found.unwrap_or_else(|| {
            let i = self.create("ORG", surface, first_char, seen);
            self.drafts[i].owner = Some(owner);
            self.drafts[i].gov_word = Some(word.clone());
            self.index.govs.entry(owner).or_default().push(i);
            i
        });
        self.touch(i, surface, first_char, seen);
        i
    }
}

impl crate::stage::Stage for ActorResolver {
    fn name(&self) -> &'static str {
        "actors"
    }
    fn reads(&self) -> &'static [crate::stage::Field] {
        use crate::stage::Field::*;
        &[Text, Mentions]
    }
    fn writes(&self) -> &'static [crate::stage::Field] {
        use crate::stage::Field::*;
        &[Actors, MentionActors]
    }
    fn run(&self, docs: &mut [Document]) {
        crate::stage::per_document("actors", docs, |d| {
            self.resolve(d);
            Ok(())
        })
    }
}

impl ActorResolver {
    pub fn new(aliases: AliasTable) -> Self {
        ActorResolver { aliases }
    }

    /// Fill `doc.actors` and each actor-type mention's `actor_id`.
    pub fn resolve(&self, doc: &mut Document) {
        split_coordinations(doc);
        let g = gazetteer();
        let (gov_after, gov_inside, paren) = government_res();
        let mut b =
            Builder { g, aliases: &self.aliases, drafts: Vec::new(), parent: Vec::new(), index: Index::default() };
        let mut assigned: Vec<Option<usize>> = vec![None; doc.mentions.len()];
        for (mi, m) in doc.mentions.iter().enumerate() {
            if !m.kind.is_actor() {
                continue;
            }
            let surface = clean_surface(&m.text);
            if key(&surface).is_empty() {
                continue;
            }
            // A mention cut short by the model ("European" in "European Commission President")
            // joins the known actor whose name the text continues into.
            if matches!(m.kind.as_str(), "NORP" | "GPE" | "ORG") {
                if let Some(i) = b.continues_into(&doc.text[m.span.start_byte..], &surface) {
                    b.drafts[i].n_mentions += 1;
                    b.drafts[i].last_seen = mi;
                    assigned[mi] = Some(i);
                    continue;
                }
            }
            let (mut roles, name) = if m.kind == "PER" { g.strip_titles(&surface) } else { (vec![], surface.clone()) };
            if m.kind == "PER" {
                let sent_start = doc.sentences.get(m.sentence_idx).map(|s| s.span.start_byte).unwrap_or(0);
                if let Some(t) = g.title_before(&doc.text[sent_start.min(m.span.start_byte)..m.span.start_byte]) {
                    roles.push(t);
                }
            }
            let after = safe_prefix(&doc.text, m.span.end_byte, 48).unwrap_or("");
            let start = m.span.start_char;

            // Governments: "the Trump administration", "Mexico's government".
            // Inside an ORG mention the word must be lower-case ("Trump administration") unless
            // the head is a known country or person: "Drug Enforcement Administration" is a name.
            let inside = if m.kind == "ORG" { gov_inside.captures(&name) } else { None };
            let inside = inside.and_then(|c| {
                let head = c.get(1)?.as_str().to_string();
                let word = c.get(2)?.as_str().to_string();
                let is_country = g.country(&head).is_some();
                let hk = key(&head);
                let known_person = b.known_person(&hk);
                let lower = word.chars().all(char::is_lowercase);
                (lower || is_country || known_person)
                    .then(|| (head, if is_country { "GPE" } else { "PER" }.to_string(), word))
            });
            let gov = if inside.is_some() {
                inside
            } else if matches!(m.kind.as_str(), "PER" | "GPE" | "NORP") {
                gov_after
                    .captures(after)
                    .and_then(|c| c.get(1))
                    .map(|w| (name.clone(), m.kind.as_str().to_string(), w.as_str().to_string()))
            } else {
                None
            };
            let actor = if let Some((head, head_kind, word)) = gov {
                let owner = b.resolve(&head, &head_kind, start, mi);
                let label = format!("{} {}", head, word.to_lowercase());
                b.government(owner, &word, &label, start, mi)
            } else {
                let i = b.resolve(&name, m.kind.as_str(), start, mi);
                if let Some(c) = paren.captures(after) {
                    if let Some(acr) = c.get(1).map(|x| x.as_str()) {
                        if is_acronym(acr) && !is_acronym(&name) && m.kind == "ORG" {
                            let ak = key(acr);
                            b.drafts[i].acronyms.insert(ak.clone());
                            add(&mut b.index.by_acronym, &ak, i);
                            b.add_name(i, acr);
                            let cands = b.candidates([b.index.by_key.get(&ak)]);
                            if let Some(j) = b.latest_of(cands, |d| {
                                d.kind == "ORG" && d.is_acronym_only() && d.keys().any(|x| x == ak)
                            }) {
                                let ri = b.find(i);
                                if j != ri {
                                    b.merge(ri, j);
                                }
                            }
                        }
                    }
                }
                i
            };
            let root = b.find(actor);
            b.drafts[root].n_mentions += 1;
            b.drafts[root].roles.extend(roles);
            assigned[mi] = Some(actor);
        }

        b.absorb_short_person_forms();

        // Final names and ids; drafts that end with the same id are one actor.
        let mut ids: HashMap<usize, String> = HashMap::new();
        let mut rows: BTreeMap<String, Actor> = BTreeMap::new();
        let roots = b.roots();
        // Owners first, so governments can name themselves after their owner's final name.
        let mut order = roots.clone();
        order.sort_by_key(|&i| b.drafts[i].owner.is_some());
        let mut names: HashMap<usize, String> = HashMap::new();
        for &i in &order {
            let d = &b.drafts[i];
            let (name, id, linked) = match (d.owner, &d.gov_word) {
                (Some(o), Some(word)) => {
                    let o = b.find(o);
                    let owner_name = names.get(&o).cloned().unwrap_or_else(|| b.drafts[o].best_name());
                    let owner_id = ids.get(&o).cloned().unwrap_or_default();
                    (format!("{owner_name} {word}"), format!("org:{}-{}", slug(&owner_name), word), Some(owner_id))
                }
                _ => {
                    let name = d.best_name();
                    (name.clone(), format!("{}:{}", prefix(&d.kind), slug(&name)), None)
                }
            };
            names.insert(i, name.clone());
            ids.insert(i, id.clone());
            let row = rows.entry(id.clone()).or_insert_with(|| Actor {
                actor_id: id.clone(),
                name: name.clone(),
                kind: d.kind.clone(),
                aliases: vec![],
                roles: vec![],
                n_mentions: 0,
                n_pronoun_mentions: 0,
                n_role_mentions: 0,
                first_char: d.first_char,
                kb_id: None,
                linked_actor_id: linked.clone(),
                sentiment_mean: None,
                stance: None,
                stance_score: None,
                stance_evidence: Vec::new(),
            });
            row.n_mentions += d.n_mentions;
            row.first_char = row.first_char.min(d.first_char);
            row.kb_id = row.kb_id.take().or(d.kb_id.clone());
            let mut aliases: BTreeSet<String> = row.aliases.drain(..).collect();
            aliases.extend(d.names.iter().filter(|n| **n != row.name).cloned());
            row.aliases = aliases.into_iter().collect();
            let mut roles: BTreeSet<String> = row.roles.drain(..).collect();
            roles.extend(d.roles.iter().cloned());
            row.roles = roles.into_iter().collect();
        }
        for (m, a) in doc.mentions.iter_mut().zip(assigned) {
            m.actor_id = a.map(|a| b.find(a)).and_then(|r| ids.get(&r).cloned());
        }
        let mut actors: Vec<Actor> = rows.into_values().collect();
        actors.sort_by(|a, b| a.first_char.cmp(&b.first_char).then_with(|| a.actor_id.cmp(&b.actor_id)));
        doc.actors = actors;
    }
}

/// Up to `max` bytes of `text` from `start`, cut back to a char boundary.
fn safe_prefix(text: &str, start: usize, max: usize) -> Option<&str> {
    let mut end = (start + max).min(text.len());
    while end > start && !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(start..end)
}

/// Corpus-wide roll-up for `corpus_actors.csv`.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct CorpusActors {
    rows: BTreeMap<String, CorpusActor>,
}

#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct CorpusActor {
    pub actor_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub n_docs: usize,
    pub n_mentions: usize,
    pub aliases: Vec<String>,
    pub kb_id: Option<String>,
    name_votes: BTreeMap<String, usize>,
}

impl CorpusActors {
    pub fn add(&mut self, doc: &Document) {
        for a in &doc.actors {
            let row = self.rows.entry(a.actor_id.clone()).or_insert_with(|| CorpusActor {
                actor_id: a.actor_id.clone(),
                kind: a.kind.clone(),
                ..Default::default()
            });
            row.n_docs += 1;
            row.n_mentions += a.n_mentions;
            *row.name_votes.entry(a.name.clone()).or_default() += 1;
            let mut aliases: BTreeSet<String> = row.aliases.drain(..).collect();
            aliases.extend(a.aliases.iter().cloned());
            row.aliases = aliases.into_iter().collect();
            row.kb_id = row.kb_id.take().or(a.kb_id.clone());
        }
    }

    /// Fold in the tallies of a later part of the corpus (a resumed run's earlier chunks, another
    /// chunk). Merging chunk tallies in corpus order gives exactly the single-pass result.
    pub fn merge(&mut self, other: CorpusActors) {
        for (id, o) in other.rows {
            match self.rows.get_mut(&id) {
                None => {
                    self.rows.insert(id, o);
                }
                Some(row) => {
                    row.n_docs += o.n_docs;
                    row.n_mentions += o.n_mentions;
                    for (name, votes) in o.name_votes {
                        *row.name_votes.entry(name).or_default() += votes;
                    }
                    let mut aliases: BTreeSet<String> = row.aliases.drain(..).collect();
                    aliases.extend(o.aliases);
                    row.aliases = aliases.into_iter().collect();
                    row.kb_id = row.kb_id.take().or(o.kb_id);
                }
            }
        }
    }

    /// Rows sorted by actor_id; the name is the one most documents used (ties: alphabetical).
    pub fn rows(&self) -> Vec<CorpusActor> {
        self.rows
            .values()
            .map(|r| {
                let mut r = r.clone();
                let best = r.name_votes.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(n, _)| n.clone());
                r.name = best.unwrap_or_default();
                r.aliases.retain(|x| *x != r.name);
                r
            })
            .collect()
    }
}

/// Identity fix: one NER mention that coordinates two names ("the US Justice Department and Drug
/// Enforcement Agency", "Kenya and Uganda") becomes two mentions, so each gets its own actor.
/// Real names with "and" stay whole: a country in the gazetteer ("Trinidad and Tobago"), "&"
/// ("Procter & Gamble"), an "and" that continues an "of" list ("Bureau of Alcohol, Tobacco,
/// Firearms and Explosives", "Department of Health and Human Services"), and any side that is not
/// a name in its own right ("Food and Drug Administration"). Mentions are renumbered.
pub fn split_coordinations(doc: &mut Document) {
    static AND: OnceLock<Regex> = OnceLock::new();
    let and = AND.get_or_init(|| Regex::new(r"\s+and\s+").expect("static regex"));
    let g = gazetteer();
    let mut out = Vec::with_capacity(doc.mentions.len());
    let mut changed = false;
    for m in std::mem::take(&mut doc.mentions) {
        let parts: Vec<regex::Match> = and.find_iter(&m.text).collect();
        let split = match parts.as_slice() {
            [one] if matches!(m.kind.as_str(), "ORG" | "GPE" | "LOC") => {
                let (left, right) = (&m.text[..one.start()], &m.text[one.end()..]);
                coordinated_names(g, &m.text, left, right).then_some((one.start(), one.end()))
            }
            _ => None,
        };
        let Some((ls, re)) = split else {
            out.push(m);
            continue;
        };
        changed = true;
        let (s0, e1) = (m.span.start_byte, m.span.end_byte);
        let text = m.text.clone();
        let right_kind =
            if g.country(&clean_surface(&text[re..])).is_some() { crate::document::EntityType::Gpe } else { m.kind };
        let left_kind =
            if g.country(&clean_surface(&text[..ls])).is_some() { crate::document::EntityType::Gpe } else { m.kind };
        out.push(crate::document::Mention {
            span: doc.span(s0, s0 + ls),
            text: text[..ls].to_string(),
            kind: left_kind,
            ..m.clone()
        });
        out.push(crate::document::Mention {
            span: doc.span(s0 + re, e1),
            text: text[re..].to_string(),
            kind: right_kind,
            ..m
        });
    }
    if changed {
        for (i, m) in out.iter_mut().enumerate() {
            m.mention_id = i;
        }
    }
    doc.mentions = out;
}

/// Last words that make an organisation name complete on its own.
const ORG_HEADS: &[&str] = &[
    "department",
    "agency",
    "administration",
    "bureau",
    "ministry",
    "commission",
    "office",
    "service",
    "council",
    "party",
    "bank",
    "police",
    "army",
    "navy",
    "force",
    "forces",
    "guard",
    "court",
    "committee",
    "institute",
    "university",
    "association",
    "union",
    "corporation",
    "company",
    "group",
    "inc",
    "corp",
    "foundation",
    "fund",
    "organization",
    "organisation",
    "authority",
    "board",
    "cartel",
    "network",
    "reserve",
    "congress",
    "senate",
    "parliament",
    "assembly",
];

fn coordinated_names(g: &Gazetteer, whole: &str, left: &str, right: &str) -> bool {
    if left.is_empty() || right.is_empty() || whole.contains('&') || g.country(&clean_surface(whole)).is_some() {
        return false;
    }
    let lk = key(left);
    if lk.split(' ').any(|w| w == "of") || left.trim_end().ends_with(',') {
        return false;
    }
    let (lc, rc) = (g.country(&clean_surface(left)), g.country(&clean_surface(right)));
    if lc.is_some() && rc.is_some() {
        return true;
    }
    let head = |s: &str| key(s).rsplit(' ').next().map(|w| ORG_HEADS.contains(&w)).unwrap_or(false);
    let capitalised = |s: &str| {
        s.split_whitespace()
            .filter(|w| !matches!(key(w).as_str(), "the" | "of" | "for"))
            .all(|w| w.chars().next().is_some_and(|c| c.is_uppercase()))
    };
    head(left) && head(right) && capitalised(left) && capitalised(right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_slugs() {
        assert_eq!(key("U.S."), "us");
        assert_eq!(key("Nicolás  Maduro"), "nicolas maduro");
        assert_eq!(slug("Donald Trump"), "donald-trump");
        assert_eq!(slug("AT&T"), "atandt");
        assert_eq!(clean_surface("the Sinaloa Cartel's"), "Sinaloa Cartel");
        assert_eq!(clean_surface("Venezuela\u{2019}s"), "Venezuela");
    }

    #[test]
    fn countries_resolve_from_names_codes_and_demonyms() {
        let g = gazetteer();
        let name = |s: &str| g.country(s).map(|i| g.countries[i].name.clone());
        for s in ["US", "U.S.", "USA", "United States", "America", "American", "Americans"] {
            assert_eq!(name(s).as_deref(), Some("United States"), "{s}");
        }
        assert_eq!(name("Mexicans").as_deref(), Some("Mexico"));
        assert_eq!(name("French").as_deref(), Some("France"), "sovereign states win shared demonyms");
        assert_eq!(name("Venezuelan").as_deref(), Some("Venezuela"));
        assert_eq!(name("us"), None, "lower-case codes are not countries");
        assert_eq!(name("Texas"), None);
    }

    #[test]
    fn titles_are_stripped() {
        let g = gazetteer();
        assert_eq!(g.strip_titles("President Donald Trump"), (vec!["President".into()], "Donald Trump".into()));
        assert_eq!(g.strip_titles("Secretary of State Marco Rubio").1, "Marco Rubio");
        assert_eq!(g.strip_titles("Sen. Ted Cruz"), (vec!["Sen".into()], "Ted Cruz".into()));
        assert_eq!(g.title_before("said Secretary of State "), Some("Secretary of State".into()));
        assert_eq!(g.title_before("Mexican President "), Some("President".into()));
        assert_eq!(g.title_before("the "), None);
    }

    #[test]
    fn initials_with_and_without_function_words() {
        assert!(initials("Drug Enforcement Administration").contains(&"dea".to_string()));
        assert!(initials("Department of Justice").contains(&"doj".to_string()));
    }
}
