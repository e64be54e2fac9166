//! Stage `actions`: claimed actions — who did what to whom, according to whom.
//!
//! Reads the `parse` stage's dependency trees (ClearNLP labels, as in spaCy English models) and
//! turns every main verb with a subject or an object into an action. What each field holds and
//! the rules behind it are in README ("Claimed actions"); in short:
//!
//! * **agent**: the subject; for a passive the `by` phrase; for a verb without a subject of its
//!   own the subject it inherits: a conjoined verb shares its head's subject (and passive voice),
//!   a controlled infinitive takes its controller (object control for ask/urge/force/…: "urged
//!   Congress to act" → Congress), a participial or purpose clause and a by-/after-gerund take the
//!   main clause's subject ("…, alleging that he…", "braved the storm to help save 40 lives"); a
//!   relative clause's `who/which/that` is replaced by the noun it modifies.
//! * **verb**: lemma with its particle and, for prepositional and light verbs, the preposition
//!   or noun that belongs to it ("rule out", "call on", "back away from", "take advantage of").
//! * **target**: direct object, passive subject, the object of a verb's preposition, or — for
//!   speech acts ("She stressed that …", `"…," Powell wrote`) — the claim's text span; verbs
//!   inside the claim get the speaker as **source**, as does "according to X".
//! * **argument spans** are whole phrases around the head noun, without relative clauses,
//!   appositions and temporal modifiers ("The Trump administration on Thursday" → "The Trump
//!   administration"); the actor id is the head's (a head-based link: "his government" is not the
//!   person). Coordinated arguments that are each an actor give one row per conjunct.
//! * **not actions**: copulas and states (be, need, want, know, see, …), discourse markers ("As
//!   we speak", "You see", "To say the least", "thank you"), aspectual and other verbs whose
//!   complement carries the action ("continue to …", "help save") and the "according" of
//!   "according to".

use crate::document::{Action, Document};
use crate::parse::{Parse, ParseStage};
use crate::syntax::Upos;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

const PLOVER_VERBS: &str = include_str!("../models/lexicons/plover_verbs.tsv");

/// Verbs of saying and claiming. With a clausal complement or a quotation they are speech acts:
/// one row whose target is the claim, and the claim's own actions get the speaker as source.
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
    "deny",
    "admit",
    "concede",
    "promise",
    "vow",
    "pledge",
    "predict",
    "caution",
    "assure",
    "recall",
    "estimate",
    "charge",
    "complain",
    "demand",
    "urge",
    "propose",
    "recommend",
    "respond",
    "reply",
    "agree",
    "accuse",
    "hint",
    "signal",
    "conclude",
    "find",
    "show",
    "ask",
];

/// States, copulas and perception or cognition verbs: never actions themselves.
const NOT_ACTIONS: &[&str] = &[
    "be",
    "have",
    "need",
    "want",
    "know",
    "see",
    "seem",
    "appear",
    "become",
    "remain",
    "look",
    "sound",
    "feel",
    "like",
    "wish",
    "hope",
    "mean",
    "matter",
    "exist",
    "belong",
    "consist",
    "contain",
    "deserve",
    "understand",
    "get",
    "let",
    "go",
    "come",
    "happen",
    "lie",
    "sit",
    "stand",
    "live",
    "tend",
];

/// Aspectual and similar verbs: their complement carries the action ("continued to attack",
/// "helped save"); without a complement or object they are no action ("cooperation would
/// continue").
const ASPECTUAL: &[&str] = &[
    "begin", "start", "continue", "keep", "stop", "resume", "cease", "finish", "help", "try", "attempt", "seek",
    "manage", "go", "come", "use", "tend", "happen", "expect", "want", "need", "wish", "hope", "like", "love",
    "prefer", "choose", "prepare", "dare", "struggle", "work", "move", "rush", "hurry", "get", "have", "make", "let",
    "end", "aim",
];

/// Commitment verbs: with an infinitive they are a row of their own whose target is the
/// infinitive clause ("agreed to share gas reserves"), and the committed act is a row too, with
/// the committing agent as its source — except after refuse/decline/fail, where it did not
/// happen.
const COMMIT: &[&str] = &[
    "agree",
    "promise",
    "pledge",
    "vow",
    "threaten",
    "offer",
    "decide",
    "plan",
    "intend",
    "refuse",
    "decline",
    "fail",
    "vote",
    "resolve",
    "undertake",
    "swear",
    "volunteer",
    "propose",
];

/// Matrix verbs whose infinitive complement did not (yet) happen: the complement's action is
/// hedged; for refuse/fail/decline it is negated.
const IRREALIS: &[&str] = &[
    "want",
    "plan",
    "hope",
    "intend",
    "threaten",
    "try",
    "seek",
    "aim",
    "vow",
    "promise",
    "pledge",
    "propose",
    "offer",
    "expect",
    "attempt",
    "wish",
    "prepare",
    "decide",
    "agree",
    "ask",
    "urge",
    "call",
    "demand",
    "encourage",
    "invite",
    "push",
    "press",
];
const NEGATING: &[&str] = &["refuse", "fail", "decline", "neglect", "forget"];

/// Object-control verbs: the object is the subject of the infinitive ("urged Congress to act").
const OBJECT_CONTROL: &[&str] = &[
    "ask",
    "urge",
    "tell",
    "order",
    "force",
    "persuade",
    "allow",
    "permit",
    "require",
    "encourage",
    "invite",
    "compel",
    "instruct",
    "direct",
    "authorize",
    "authorise",
    "enable",
    "help",
    "call",
    "press",
    "push",
    "pressure",
    "convince",
    "warn",
    "advise",
    "lead",
    "cause",
    "get",
    "want",
    "expect",
    "need",
    "beg",
];

const HEDGES: &[&str] = &["would", "could", "may", "might", "should", "can", "must"];

/// Prepositions that make a verb with them one predicate (`call on`, `meet with`): the pair is
/// the verb lemma and the preposition's object the target. Other prepositional objects become
/// the target only when the verb has no object, and the preposition is then not in the lemma.
const PREP_VERBS: &[(&str, &str)] = &[
    ("call", "on"),
    ("call", "upon"),
    ("call", "for"),
    ("meet", "with"),
    ("stand", "with"),
    ("stand", "by"),
    ("stand", "against"),
    ("enter", "into"),
    ("deal", "with"),
    ("cope", "with"),
    ("side", "with"),
    ("work", "with"),
    ("cooperate", "with"),
    ("negotiate", "with"),
    ("talk", "with"),
    ("talk", "to"),
    ("speak", "with"),
    ("speak", "to"),
    ("speak", "out"),
    ("agree", "with"),
    ("agree", "on"),
    ("agree", "to"),
    ("break", "with"),
    ("clash", "with"),
    ("compete", "with"),
    ("interfere", "with"),
    ("rely", "on"),
    ("depend", "on"),
    ("focus", "on"),
    ("insist", "on"),
    ("crack", "down"),
    ("vote", "for"),
    ("vote", "against"),
    ("vote", "on"),
    ("fight", "for"),
    ("fight", "against"),
    ("push", "for"),
    ("ask", "for"),
    ("pay", "for"),
    ("care", "about"),
    ("worry", "about"),
    ("look", "into"),
    ("look", "at"),
    ("look", "for"),
    ("listen", "to"),
    ("respond", "to"),
    ("react", "to"),
    ("object", "to"),
    ("turn", "to"),
    ("appeal", "to"),
    ("apologize", "to"),
    ("apologise", "to"),
    ("invest", "in"),
    ("engage", "in"),
    ("intervene", "in"),
    ("participate", "in"),
    ("succeed", "in"),
    ("withdraw", "from"),
    ("retreat", "from"),
    ("escape", "from"),
    ("benefit", "from"),
    ("recover", "from"),
    ("resign", "from"),
    ("protest", "against"),
    ("campaign", "for"),
    ("campaign", "against"),
    ("argue", "for"),
    ("argue", "against"),
    ("account", "for"),
    ("approve", "of"),
    ("dispose", "of"),
    ("lash", "out"),
    ("go", "after"),
    ("hit", "back"),
    ("retaliate", "against"),
    ("rebel", "against"),
    ("discriminate", "against"),
    ("testify", "before"),
    ("sue", "for"),
    ("search", "for"),
    ("wait", "for"),
    ("prepare", "for"),
    ("apply", "for"),
    ("qualify", "for"),
    ("compensate", "for"),
    ("pray", "for"),
    ("vouch", "for"),
    ("aim", "at"),
    ("fire", "at"),
    ("shoot", "at"),
    ("point", "at"),
    ("arrive", "in"),
    ("arrive", "at"),
    ("return", "to"),
    ("travel", "to"),
    ("fly", "to"),
    ("move", "into"),
    ("break", "into"),
    ("crash", "into"),
    ("rule", "on"),
    ("comment", "on"),
    ("report", "on"),
    ("impose", "on"),
    ("spy", "on"),
    ("prey", "on"),
    ("embark", "on"),
    ("elaborate", "on"),
    ("capitalize", "on"),
    ("capitalise", "on"),
    ("close", "in"),
    ("close", "on"),
    ("run", "for"),
    ("run", "against"),
    ("side", "against"),
    ("turn", "against"),
    ("lobby", "for"),
    ("lobby", "against"),
    ("vote", "to"),
    ("write", "to"),
    ("reach", "out"),
];

/// Light verbs with their noun (and preposition): "take advantage of X" → lemma
/// `take advantage of`, target X.
const LIGHT_VERBS: &[(&str, &str, &str)] = &[
    ("take", "advantage", "of"),
    ("take", "part", "in"),
    ("take", "action", "against"),
    ("take", "action", "on"),
    ("take", "control", "of"),
    ("take", "charge", "of"),
    ("take", "care", "of"),
    ("take", "aim", "at"),
    ("take", "issue", "with"),
    ("take", "responsibility", "for"),
    ("take", "credit", "for"),
    ("take", "note", "of"),
    ("take", "steps", "to"),
    ("take", "office", ""),
    ("take", "place", ""),
    ("make", "progress", "on"),
    ("make", "progress", "toward"),
    ("make", "progress", "towards"),
    ("make", "use", "of"),
    ("make", "peace", "with"),
    ("make", "war", "on"),
    ("make", "a deal", "with"),
    ("make", "contact", "with"),
    ("make", "room", "for"),
    ("make", "sense", ""),
    ("make", "a difference", ""),
    ("make", "an effort", ""),
    ("make", "a decision", ""),
    ("make", "a commitment", "to"),
    ("pay", "tribute", "to"),
    ("pay", "attention", "to"),
    ("pay", "homage", "to"),
    ("pay", "a visit", "to"),
    ("give", "priority", "to"),
    ("give", "way", "to"),
    ("give", "rise", "to"),
    ("give", "support", "to"),
    ("keep", "track", "of"),
    ("lose", "track", "of"),
    ("lose", "sight", "of"),
    ("put", "pressure", "on"),
    ("put", "an end", "to"),
    ("put", "a stop", "to"),
    ("bring", "an end", "to"),
    ("declare", "war", "on"),
    ("declare", "war", "against"),
    ("wage", "war", "on"),
    ("wage", "war", "against"),
    ("hold", "talks", "with"),
    ("have", "talks", "with"),
    ("hold", "accountable", ""),
    ("lay", "siege", "to"),
    ("set", "fire", "to"),
    ("open", "fire", "on"),
    ("cast", "doubt", "on"),
    ("shed", "light", "on"),
    ("pose", "a threat", "to"),
    ("pose", "a risk", "to"),
    ("do", "business", "with"),
    ("find", "fault", "with"),
    ("raise", "concerns", "about"),
    ("express", "concern", "about"),
    ("express", "support", "for"),
    ("voice", "support", "for"),
    ("voice", "concern", "about"),
    ("impose", "sanctions", "on"),
    ("lift", "sanctions", "on"),
    ("cut", "ties", "with"),
    ("sever", "ties", "with"),
    ("break", "ties", "with"),
    ("reach", "an agreement", "with"),
    ("reach", "a deal", "with"),
    ("sign", "a deal", "with"),
    ("strike", "a deal", "with"),
];

/// Discourse markers and fixed phrases that look like clauses but claim no action, matched on
/// lower-cased words around the verb.
const DISCOURSE: &[&[&str]] = &[
    &["as", "we", "speak"],
    &["as", "i", "speak"],
    &["you", "see"],
    &["you", "know"],
    &["i", "mean"],
    &["to", "say", "the", "least"],
    &["needless", "to", "say"],
    &["so", "to", "speak"],
    &["that", "is", "to", "say"],
    &["thank", "you"],
    &["thanks", "you"],
    &["mind", "you"],
    &["let", "'s", "face", "it"],
    &["let", "us", "face", "it"],
    &["let", "me", "be", "clear"],
    &["god", "bless"],
    &["so", "help", "me"],
    &["believe", "it", "or", "not"],
    &["to", "be", "sure"],
    &["to", "be", "honest"],
    &["truth", "be", "told"],
    &["as", "it", "turns", "out"],
    &["it", "turns", "out"],
    &["mark", "my", "words"],
    &["make", "no", "mistake"],
    &["i", "think"],
    &["i", "believe"],
    &["i", "guess"],
    &["i", "suppose"],
];

/// Head nouns of groups that act through their members: a name in their pre-modifiers is the
/// actor ("the Trump administration", "the US military").
const GROUP_HEADS: &[&str] = &[
    "administration",
    "government",
    "regime",
    "ministry",
    "department",
    "agency",
    "force",
    "forces",
    "military",
    "army",
    "navy",
    "troops",
    "police",
    "officials",
    "official",
    "authorities",
    "leaders",
    "leadership",
    "delegation",
    "embassy",
    "cabinet",
    "party",
    "campaign",
    "team",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "office",
    "court",
    "parliament",
    "legislature",
    "congress",
    "senate",
    "diplomats",
    "negotiators",
    "prosecutors",
    "investigators",
    "lawmakers",
    "soldiers",
    "commandos",
];

/// Temporal nouns: a prepositional phrase or noun modifier made of them is not part of an
/// argument ("The Trump administration on Thursday").
const TIME_WORDS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "today",
    "yesterday",
    "tomorrow",
    "tonight",
    "morning",
    "afternoon",
    "evening",
    "night",
    "week",
    "weekend",
    "month",
    "year",
    "day",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "weeks",
    "months",
    "years",
    "days",
    "hours",
    "time",
    "decade",
    "century",
    "spring",
    "summer",
    "autumn",
    "fall",
    "winter",
    "earlier",
    "later",
    "recently",
];

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

/// PLOVER-style category of a verb lemma (with particle), `OTHER` when it is not listed.
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
        "STATEMENT",
    ];
    ALL.iter().find(|x| **x == c).copied().unwrap_or("OTHER")
}

/// Category of a lemma that may carry a particle or preposition: the full lemma first, then the
/// verb alone.
fn category_of(lemma: &str) -> &'static str {
    match category(lemma) {
        "OTHER" => lemma.split_once(' ').map(|(v, _)| category(v)).unwrap_or("OTHER"),
        c => c,
    }
}

pub struct ActionStage {
    parser: Arc<ParseStage>,
}

/// One parsed sentence with the document text.
struct Sent<'a> {
    p: &'a Parse,
    text: &'a str,
    lower: Vec<String>,
}

impl<'a> Sent<'a> {
    fn n(&self) -> usize {
        self.p.words.len()
    }
    fn word(&self, i: usize) -> &'a str {
        &self.text[self.p.words[i].0..self.p.words[i].1]
    }
    fn dep(&self, i: usize) -> &str {
        self.p.analysis[i].deprel.as_str()
    }
    fn upos(&self, i: usize) -> Upos {
        self.p.analysis[i].upos
    }
    fn lemma(&self, i: usize) -> String {
        self.p.analysis[i].lemma.to_lowercase()
    }
    fn head(&self, i: usize) -> Option<usize> {
        self.p.analysis[i].head.filter(|&h| h < self.n() && h != i)
    }
    fn kids(&self, i: usize) -> &[usize] {
        &self.p.children[i]
    }
    fn child(&self, i: usize, deps: &[&str]) -> Option<usize> {
        self.kids(i).iter().copied().find(|&c| deps.contains(&self.dep(c)))
    }
    fn is_nominal(&self, i: usize) -> bool {
        matches!(self.upos(i), Upos::Noun | Upos::Propn | Upos::Pron | Upos::Num)
    }
    fn is_time(&self, i: usize) -> bool {
        TIME_WORDS.contains(&self.lower[i].as_str())
    }

    /// Whether the subtree of `i` is a temporal modifier ("on Thursday", "last week").
    fn temporal(&self, i: usize) -> bool {
        match self.dep(i) {
            "npadvmod" | "tmod" => self.is_time(i),
            "prep" => self.child(i, &["pobj"]).is_some_and(|o| self.is_time(o)),
            _ => false,
        }
    }

    /// First and last word of the subtree of `i`, descending only into children that `keep`.
    fn subtree(&self, i: usize, keep: impl Fn(usize) -> bool) -> (usize, usize) {
        let (mut lo, mut hi) = (i, i);
        let mut stack = vec![i];
        let mut seen = 0;
        while let Some(n) = stack.pop() {
            seen += 1;
            if seen > self.n() {
                break; // malformed tree: never loop
            }
            lo = lo.min(n);
            hi = hi.max(n);
            stack.extend(self.kids(n).iter().copied().filter(|&c| keep(c)));
        }
        (lo, hi)
    }

    /// Token range of the argument phrase headed by `i`: its subtree without clausal modifiers,
    /// appositions, temporal modifiers and edge punctuation.
    fn phrase(&self, i: usize) -> (usize, usize) {
        let (mut lo, mut hi) = self.subtree(i, |c| {
            !matches!(self.dep(c), "relcl" | "acl" | "advcl" | "appos" | "punct" | "mark" | "parataxis")
                && !self.temporal(c)
        });
        // A phrase is contiguous text: stop at a relative clause or apposition that sits inside.
        let cut = (i + 1..=hi).find(|&k| {
            matches!(self.dep(k), "relcl" | "appos" | "acl") && self.head(k).is_some_and(|h| h <= i || h == i)
        });
        if let Some(k) = cut {
            hi = k.saturating_sub(1).max(i);
            while hi > i
                && (self.upos(hi) == Upos::Punct || matches!(self.lower[hi].as_str(), "who" | "which" | "that"))
            {
                hi -= 1;
            }
        }
        while lo < i && self.upos(lo) == Upos::Punct {
            lo += 1;
        }
        while hi > i && (self.upos(hi) == Upos::Punct || matches!(self.dep(hi), "cc")) {
            hi -= 1;
        }
        (lo, hi)
    }

    /// The span of a clause (a claim): the subtree of `i` without its complementizer and edge
    /// punctuation.
    fn clause(&self, i: usize) -> (usize, usize) {
        let (mut lo, mut hi) = self.subtree(i, |_| true);
        while lo < i && (self.upos(lo) == Upos::Punct || (self.dep(lo) == "mark" && self.lower[lo] == "that")) {
            lo += 1;
        }
        while hi > i && self.upos(hi) == Upos::Punct {
            hi -= 1;
        }
        (lo, hi)
    }

    fn span_text(&self, (lo, hi): (usize, usize)) -> &'a str {
        &self.text[self.p.words[lo].0..self.p.words[hi].1]
    }

    /// The head of a noun phrase the parser cut to a determiner or adjective ("signed a
    /// groundbreaking directive" parsed with "a" as the object): the last noun of the run of
    /// determiners, adjectives, numbers and nouns that starts at `i`.
    fn np_head(&self, i: usize) -> usize {
        if self.is_nominal(i) || !matches!(self.upos(i), Upos::Det | Upos::Adj) {
            return i;
        }
        if self.upos(i) == Upos::Adj && !self.kids(i).is_empty() {
            return i;
        }
        // Only a leaf: a determiner or adjective with dependents of its own heads a real phrase.
        if self.kids(i).iter().any(|&c| !matches!(self.dep(c), "punct" | "acl" | "acomp" | "amod")) {
            return i;
        }
        let mut best = i;
        let mut noun = false;
        for k in i + 1..self.n() {
            let next_nominal = k + 1 < self.n() && matches!(self.upos(k + 1), Upos::Adj | Upos::Noun | Upos::Propn);
            match self.upos(k) {
                Upos::Noun | Upos::Propn => {
                    best = k;
                    noun = true;
                }
                Upos::Adj if !noun => best = k,
                Upos::Det | Upos::Num | Upos::Adv if best == i => {}
                Upos::Verb if best == i && next_nominal && self.word(k).ends_with("ing") => {}
                _ => break,
            }
        }
        best
    }

    /// Relative pronouns stand for the noun their clause modifies.
    fn antecedent(&self, i: usize) -> usize {
        if !matches!(self.lower[i].as_str(), "who" | "whom" | "which" | "that") {
            return i;
        }
        let mut h = i;
        for _ in 0..self.n() {
            let Some(up) = self.head(h) else { break };
            if self.dep(h) == "relcl" {
                return up;
            }
            h = up;
        }
        i
    }

    /// Do the words `seq` occur with `v` among them (a discourse marker)?
    fn in_fixed_phrase(&self, v: usize) -> bool {
        DISCOURSE.iter().any(|seq| {
            (0..seq.len()).any(|off| {
                v >= off && v - off + seq.len() <= self.n() && (0..seq.len()).all(|k| self.lower[v - off + k] == seq[k])
            })
        })
    }
}

/// The subject a verb inherits when it has none of its own, and whether that subject is the
/// passive subject (so the verb is passive too).
#[derive(Clone, Copy)]
struct Inherited {
    subject: Option<usize>,
    /// The committing verb's subject, for the act it commits to ("promised to fund").
    committed_by: Option<usize>,
    passive: bool,
    /// The verb depends on a matrix verb that leaves it unrealised (hedged) or negated.
    hedged: bool,
    negated: bool,
}

impl crate::stage::Stage for ActionStage {
    fn name(&self) -> &'static str {
        "actions"
    }
    fn reads(&self) -> &'static [crate::stage::Field] {
        use crate::stage::Field::*;
        &[Text, Sentences, Tokens, Parse, Mentions, MentionActors, Actors]
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
    /// Load the syntax models from `dir`; [`ActionStage::run`] parses documents that the
    /// `parse` stage has not seen.
    pub fn load(dir: &Path) -> crate::error::Result<Self> {
        Ok(ActionStage { parser: Arc::new(ParseStage::load(dir)?) })
    }

    /// Share the parse stage's models (the pipeline loads them once).
    pub fn with_parser(parser: Arc<ParseStage>) -> Self {
        ActionStage { parser }
    }

    pub fn run(&self, doc: &mut Document) {
        if doc.parses.len() != doc.sentences.len() {
            self.parser.run_doc(doc);
        }
        let mut actions = Vec::new();
        for si in 0..doc.parses.len() {
            let p = &doc.parses[si];
            if p.is_empty() {
                continue;
            }
            let lower = (0..p.len()).map(|i| doc.text[p.words[i].0..p.words[i].1].to_lowercase()).collect();
            let s = Sent { p, text: &doc.text, lower };
            sentence(doc, si, &s, &mut actions);
        }
        for (i, a) in actions.iter_mut().enumerate() {
            a.action_id = i;
        }
        doc.actions = actions;
    }
}

fn is_reporting(lemma: &str) -> bool {
    REPORTING.contains(&lemma)
}

/// The claim a speech verb introduces: a clausal complement, or the quoted clause it is
/// attached to (`"…," Powell wrote` — the quote is the complement or the verb's head).
fn claim_of(s: &Sent, v: usize) -> Option<usize> {
    if let Some(c) = s.child(v, &["ccomp"]) {
        return Some(c);
    }
    if let Some(c) = s.kids(v).iter().copied().find(|&c| s.dep(c) == "parataxis" && s.p.quoted[c]) {
        return Some(c);
    }
    // "…," Powell wrote: the parser often makes the reporting verb a parataxis/ccomp child of
    // the quoted clause's verb.
    if matches!(s.dep(v), "parataxis" | "ccomp") && !s.p.quoted[v] {
        if let Some(h) = s.head(v) {
            if s.p.quoted[h] && h < v {
                return Some(h);
            }
        }
    }
    None
}

/// The run of quoted words around word `k`, without edge punctuation.
fn quote_run(s: &Sent, k: usize) -> (usize, usize) {
    let (mut lo, mut hi) = (k, k);
    while lo > 0 && s.p.quoted[lo - 1] {
        lo -= 1;
    }
    while hi + 1 < s.n() && s.p.quoted[hi + 1] {
        hi += 1;
    }
    while hi > lo && s.upos(hi) == Upos::Punct {
        hi -= 1;
    }
    while lo < hi && s.upos(lo) == Upos::Punct {
        lo += 1;
    }
    (lo, hi)
}

/// A quotation next to an unquoted speech verb, whatever the parser made of it:
/// `"…," she added` (the quote ends at most a short subject before the verb) or
/// `Powell wrote: "…"` (it starts right after). Returns a quoted word of it.
fn adjacent_quote(s: &Sent, v: usize) -> Option<usize> {
    if s.p.quoted[v] {
        return None;
    }
    // Before: only the speaker phrase and punctuation between the quote and the verb.
    let mut j = v;
    let mut gap = 0;
    while j > 0 {
        j -= 1;
        if s.p.quoted[j] {
            return (s.upos(j) != Upos::Punct || j > 0).then_some(j);
        }
        gap += 1;
        if gap > 5 || matches!(s.upos(j), Upos::Verb) {
            break;
        }
    }
    // After: `wrote: "…"`.
    let mut k = v + 1;
    while k < s.n() && s.upos(k) == Upos::Punct && !s.p.quoted[k] {
        k += 1;
    }
    (k < s.n() && s.p.quoted[k]).then_some(k)
}

/// Is `k` inside `v`'s own clause (reached from `v` without crossing a conjoined verb or a
/// clausal dependent)?
fn governed_by(s: &Sent, k: usize, v: usize) -> bool {
    let mut h = k;
    for _ in 0..s.n() {
        if h == v {
            return true;
        }
        if matches!(s.dep(h), "ccomp" | "advcl" | "relcl" | "xcomp" | "parataxis")
            || (s.dep(h) == "conj" && s.upos(h) == Upos::Verb)
        {
            return false;
        }
        match s.head(h) {
            Some(up) => h = up,
            None => return false,
        }
    }
    false
}

fn to_infinitive(s: &Sent, v: usize) -> bool {
    s.kids(v).iter().any(|&c| s.dep(c) == "aux" && s.lower[c] == "to")
}

/// An infinitive under the object of an object-control verb ("urged the senators to reject").
fn controlled_acl(s: &Sent, v: usize) -> bool {
    s.dep(v) == "acl"
        && to_infinitive(s, v)
        && s.head(v).is_some_and(|n| {
            s.dep(n) == "dobj" && s.head(n).is_some_and(|m| OBJECT_CONTROL.contains(&s.lemma(m).as_str()))
        })
}

/// Walk up from a subject-less verb to the subject it shares.
fn inherit(s: &Sent, v: usize) -> Inherited {
    let mut out = Inherited { subject: None, committed_by: None, passive: false, hedged: false, negated: false };
    let mut h = v;
    for _ in 0..s.n() {
        let dep = s.dep(h).to_string();
        let Some(up) = s.head(h) else { break };
        let up_lemma = s.lemma(up);
        match dep.as_str() {
            "conj" => {
                if let Some(a) = s.child(up, &["nsubj", "csubj"]) {
                    out.subject = Some(a);
                    return out;
                }
                if let Some(a) = s.child(up, &["nsubjpass"]) {
                    out.subject = Some(a);
                    // A participle conjoined to a passive verb is passive too ("was kidnapped,
                    // tortured, and enslaved").
                    out.passive = s.child(h, &["aux"]).is_none();
                    return out;
                }
            }
            "xcomp" => {
                if IRREALIS.contains(&up_lemma.as_str()) {
                    out.hedged = true;
                }
                if NEGATING.contains(&up_lemma.as_str()) {
                    out.negated = true;
                }
                if s.child(up, &["neg"]).is_some() && ASPECTUAL.contains(&up_lemma.as_str()) {
                    out.negated = true;
                }
                if COMMIT.contains(&up_lemma.as_str()) && !NEGATING.contains(&up_lemma.as_str()) {
                    out.committed_by = s.child(up, &["nsubj"]).or_else(|| inherit(s, up).subject);
                }
                if OBJECT_CONTROL.contains(&up_lemma.as_str()) {
                    if let Some(o) = s.child(up, &["dobj"]) {
                        out.subject = Some(o);
                        return out;
                    }
                    // "call on X to act"
                    if let Some(o) =
                        s.kids(up).iter().copied().find(|&c| s.dep(c) == "prep").and_then(|p| s.child(p, &["pobj"]))
                    {
                        if up_lemma == "call" {
                            out.subject = Some(o);
                            return out;
                        }
                    }
                }
                if let Some(a) = s.child(up, &["nsubj", "csubj"]) {
                    out.subject = Some(a);
                    return out;
                }
            }
            "advcl"
                if s.child(up, &["nsubjpass", "auxpass"]).is_some()
                    && s.word(h).ends_with("ed")
                    && s.child(h, &["mark", "aux", "auxpass"]).is_none()
                    && s.kids(up).iter().any(|&c| s.dep(c) == "conj" && c > h) =>
            {
                // "was kidnapped, tortured, and enslaved": a participle in the list of a passive
                // verb, parsed as advcl, is one more conjunct.
                out.subject = s.child(up, &["nsubjpass"]);
                out.passive = true;
                return out;
            }
            "advcl" => {
                // Participial and purpose clauses take the main clause's subject; a clause
                // with a subordinator of its own ("if", "because") has its own subject or none.
                if s.child(h, &["mark"]).is_some_and(|m| s.lower[m] != "to" && s.lower[m] != "by") {
                    return out;
                }
                if let Some(a) = s.child(up, &["nsubj", "csubj"]) {
                    out.subject = Some(a);
                    return out;
                }
                if s.child(up, &["nsubjpass"]).is_some() {
                    // "X was arrested, accused of …": the passive subject did not act.
                    return out;
                }
            }
            "pcomp" => {
                // by/after/before/while/without + gerund: climb through the preposition.
                h = up;
                continue;
            }
            "prep" => {
                if s.upos(up) != Upos::Verb {
                    return out;
                }
                if let Some(a) = s.child(up, &["nsubj", "csubj"]) {
                    out.subject = Some(a);
                    return out;
                }
            }
            "relcl" => {
                out.subject = Some(up);
                return out;
            }
            "acl" => {
                // "forces conducting operations": the noun is the agent of an -ing participle.
                if s.word(h).ends_with("ing") {
                    out.subject = Some(up);
                }
                // "urged the senators to reject": an infinitive hung under the object of an
                // object-control verb is that verb's complement.
                if to_infinitive(s, h) && s.dep(up) == "dobj" {
                    if let Some(m) = s.head(up) {
                        if OBJECT_CONTROL.contains(&s.lemma(m).as_str()) {
                            out.subject = Some(up);
                            out.hedged = IRREALIS.contains(&s.lemma(m).as_str());
                        }
                    }
                }
                return out;
            }
            _ => return out,
        }
        h = up;
    }
    out
}

/// Actor id of an argument phrase from its head: the actor mention that contains the head
/// word, or for group nouns ("the Trump administration", "US forces") the actor named in the
/// head's pre-modifiers. Resolved pronouns and role nouns (coref) count as the head only.
fn actor_of(doc: &Document, s: &Sent, head: usize, span: (usize, usize)) -> Option<String> {
    let (hb0, hb1) = s.p.words[head];
    let (b0, b1) = (s.p.words[span.0].0, s.p.words[span.1].1);
    let inside =
        |m: &&crate::document::Mention| m.actor_id.is_some() && m.span.start_byte >= b0 && m.span.end_byte <= b1;
    if let Some(m) = doc.mentions.iter().filter(inside).find(|m| m.span.start_byte < hb1 && hb0 < m.span.end_byte) {
        return m.actor_id.clone();
    }
    if GROUP_HEADS.contains(&s.lower[head].as_str()) || s.upos(head) == Upos::Propn {
        // Pre-modifiers of the head: compound / amod / nmod / poss directly before it.
        let mut lo = head;
        while lo > span.0 {
            let k = lo - 1;
            if s.head(k).is_some_and(|h| h == head || (h > k && h <= head)) && !matches!(s.dep(k), "det" | "punct")
                || matches!(s.upos(k), Upos::Propn)
            {
                lo = k;
            } else {
                break;
            }
        }
        let (m0, m1) = (s.p.words[lo].0, hb0);
        return doc
            .mentions
            .iter()
            .filter(inside)
            .filter(|m| !crate::coref::is_coref_mention(m))
            .find(|m| m.span.start_byte >= m0 && m.span.end_byte <= m1)
            .and_then(|m| m.actor_id.clone());
    }
    None
}

/// Can the head word `h` act: an actor, a personal pronoun, a name, a group or a people noun?
fn animate(doc: &Document, s: &Sent, h: usize) -> bool {
    const PEOPLE: &[&str] = &[
        "people",
        "police",
        "troops",
        "children",
        "men",
        "women",
        "parents",
        "citizens",
        "americans",
        "staff",
        "crowd",
        "crowds",
        "public",
        "family",
        "families",
        "military",
        "army",
        "navy",
        "government",
        "company",
        "firm",
        "union",
        "council",
        "committee",
        "board",
        "court",
        "jury",
        "mayor",
        "president",
        "minister",
        "governor",
        "senator",
        "judge",
        "officer",
        "leader",
        "man",
        "woman",
        "child",
        "boy",
        "girl",
        "nation",
        "country",
        "state",
        "city",
        "group",
        "gang",
        "cartel",
        "rebels",
        "militants",
        "administration",
    ];
    if actor_of(doc, s, h, s.phrase(h)).is_some() || s.upos(h) == Upos::Propn {
        return true;
    }
    let w = s.lower[h].as_str();
    if matches!(w, "i" | "we" | "he" | "she" | "they" | "you" | "who" | "us" | "them") {
        return true;
    }
    GROUP_HEADS.contains(&w)
        || PEOPLE.contains(&w)
        || (w.len() > 4
            && ["ers", "ors", "ists", "ians", "ants", "ents", "als", "ees", "eers"].iter().any(|x| w.ends_with(x)))
}

/// An argument: head word, phrase span, actor.
#[derive(Clone)]
struct Arg {
    span: (usize, usize),
    text: String,
    actor: Option<String>,
}

fn arg(doc: &Document, s: &Sent, i: usize) -> Arg {
    let first = s.antecedent(i);
    let i = s.np_head(first);
    let mut span = s.phrase(i);
    span.0 = span.0.min(first);
    Arg { span, text: s.span_text(span).to_string(), actor: actor_of(doc, s, i, span) }
}

/// One argument per conjunct when the phrase coordinates two or more actors ("Kenya and Uganda
/// signed …" → two rows); otherwise the whole phrase.
fn args(doc: &Document, s: &Sent, i: usize) -> Vec<Arg> {
    let whole = arg(doc, s, i);
    let i = s.np_head(s.antecedent(i));
    let mut heads = vec![i];
    let mut stack = vec![i];
    while let Some(h) = stack.pop() {
        for &c in s.kids(h) {
            if s.dep(c) == "conj" && s.is_nominal(c) {
                heads.push(c);
                stack.push(c);
            }
        }
    }
    if heads.len() < 2 {
        return vec![whole];
    }
    heads.sort_unstable();
    let parts: Vec<Arg> = heads
        .iter()
        .map(|&h| {
            // The conjunct alone: its own subtree without further conjuncts.
            let span = s.subtree(h, |c| {
                !matches!(s.dep(c), "conj" | "cc" | "punct" | "relcl" | "acl" | "appos" | "preconj") && !s.temporal(c)
            });
            Arg { span, text: s.span_text(span).to_string(), actor: actor_of(doc, s, h, span) }
        })
        .collect();
    if parts.iter().filter(|a| a.actor.is_some()).count() >= 2 {
        parts
    } else {
        vec![whole]
    }
}

fn sentence(doc: &Document, si: usize, s: &Sent, out: &mut Vec<Action>) {
    let n = s.n();
    // "according to X" attributes every action in the sentence.
    let according = (0..n).find_map(|i| {
        if s.lower[i] == "according" {
            let to = s
                .kids(i)
                .iter()
                .copied()
                .find(|&c| s.lower[c] == "to")
                .or(Some(i + 1).filter(|&j| j < n && s.lower[j] == "to"))?;
            let obj = s.child(to, &["pobj"]).or(Some(to + 1).filter(|&j| j < n))?;
            Some(arg(doc, s, obj))
        } else {
            None
        }
    });

    for v in 0..n {
        let dep = s.dep(v);
        if s.upos(v) != Upos::Verb || matches!(dep, "amod" | "compound" | "aux" | "auxpass" | "prt" | "npadvmod") {
            continue;
        }
        let base = s.lemma(v);
        if s.lower[v] == "according" || s.in_fixed_phrase(v) {
            continue;
        }
        // acl participles: "-ing" ones act ("groups controlling the country"), passive ones are
        // done to the noun ("groups designated by the State Department").
        let acl_passive = dep == "acl" && !s.word(v).ends_with("ing") && !controlled_acl(s, v);
        if dep == "acl" && acl_passive && s.child(v, &["agent"]).is_none() {
            continue;
        }
        if dep == "acl" && !acl_passive && !controlled_acl(s, v) {
            // "forces conducting operations", "groups controlling the country": only a noun that
            // can act (an actor, a group noun, a plural) is the agent of its participle.
            let Some(h) = s.head(v) else { continue };
            let can_act = actor_of(doc, s, h, s.phrase(h)).is_some()
                || GROUP_HEADS.contains(&s.lower[h].as_str())
                || (s.upos(h) == Upos::Noun && s.lower[h].ends_with('s') && s.lemma(h) != s.lower[h]);
            if s.child(v, &["dobj", "ccomp"]).is_none() || !can_act {
                continue;
            }
        }
        // The participle of a hyphenated compound ("fentanyl-laced", "state-owned") is no
        // predicate.
        if v >= 2
            && s.lower[v - 1] == "-"
            && s.p.words[v - 1].1 == s.p.words[v].0
            && s.p.words[v - 2].1 == s.p.words[v - 1].0
        {
            continue;
        }
        let claim = if is_reporting(&base) { claim_of(s, v).or_else(|| adjacent_quote(s, v)) } else { None };
        let has_xcomp = s.child(v, &["xcomp"]).is_some_and(|x| s.upos(x) == Upos::Verb);
        let has_obj = s.child(v, &["dobj", "dative", "nsubjpass", "ccomp"]).is_some();
        let prep_verb = s.kids(v).iter().any(|&c| {
            (s.dep(c) == "prep" || s.dep(c) == "prt")
                && PREP_VERBS.iter().any(|(vv, pp)| *vv == base && *pp == s.lower[c])
        });
        if claim.is_none() && !prep_verb {
            if NOT_ACTIONS.contains(&base.as_str())
                && !(base == "have"
                    && s.child(v, &["dobj"])
                        .is_some_and(|o| LIGHT_VERBS.iter().any(|(lv, nn, _)| *lv == "have" && s.lower[o] == *nn)))
            {
                continue;
            }
            if ASPECTUAL.contains(&base.as_str()) && (has_xcomp || !has_obj) && !NOT_ACTIONS.contains(&base.as_str()) {
                // The complement carries the action; without complement or object there is none.
                if has_xcomp || s.kids(v).iter().all(|&c| s.dep(c) != "prep") {
                    continue;
                }
            }
        }

        // Particles: "rule out", "back away".
        let mut verb_lemma = base.clone();
        let mut used_prep: Option<usize> = None;
        let prts: Vec<usize> = s.kids(v).iter().copied().filter(|&c| s.dep(c) == "prt").collect();
        for &p in &prts {
            verb_lemma.push(' ');
            verb_lemma.push_str(&s.lower[p]);
        }
        // "back away from": a particle or adverb followed by its preposition.
        let away = s.kids(v).iter().copied().find(|&c| {
            (s.dep(c) == "prt"
                || (s.dep(c) == "advmod" && matches!(s.lower[c].as_str(), "away" | "out" | "down" | "back" | "up")))
                && c > v
        });
        if let Some(a) = away {
            if !prts.contains(&a) {
                verb_lemma.push(' ');
                verb_lemma.push_str(&s.lower[a]);
            }
            let prep = s.kids(v).iter().chain(s.kids(a).iter()).copied().find(|&c| {
                s.dep(c) == "prep"
                    && c > a
                    && matches!(s.lower[c].as_str(), "from" | "of" | "on" | "with" | "against" | "at" | "to")
            });
            if let Some(p) = prep {
                verb_lemma.push(' ');
                verb_lemma.push_str(&s.lower[p]);
                used_prep = Some(p);
            }
        }

        // A passive subject needs a passive auxiliary (or a participle conjoined to a passive):
        // "Sheinbaum … ruled out" parsed with nsubjpass is an active subject.
        let nsubjpass = s.child(v, &["nsubjpass"]);
        let aux_pass = s.child(v, &["auxpass"]).is_some()
            || s.kids(v).iter().any(|&c| s.dep(c) == "aux" && matches!(s.lemma(c).as_str(), "be" | "get"))
                && s.word(v).ends_with("ed");
        let passive_subj = nsubjpass.filter(|_| aux_pass || dep == "conj");
        let own_subj = s.child(v, &["nsubj", "csubj"]).or(nsubjpass.filter(|_| passive_subj.is_none()));
        let inh = if own_subj.is_none() && passive_subj.is_none() {
            inherit(s, v)
        } else {
            Inherited { subject: None, committed_by: None, passive: false, hedged: false, negated: false }
        };
        if dep == "xcomp" && s.head(v).is_some_and(|h| NEGATING.contains(&s.lemma(h).as_str())) {
            continue; // "refused to meet the editor": the meeting is no claimed act
        }
        let passive = passive_subj.is_some() || inh.passive || acl_passive;

        // by-agent: on the verb, or attached lower (to the object, or to a later conjunct).
        let by_agent = |verb: usize| -> Option<usize> {
            s.child(verb, &["agent"]).and_then(|a| s.child(a, &["pobj"])).or_else(|| {
                (verb + 1..n)
                    .take_while(|&i| !matches!(s.dep(i), "ccomp" | "advcl" | "relcl") || i == verb)
                    .find(|&i| s.lower[i] == "by" && matches!(s.dep(i), "agent" | "prep") && governed_by(s, i, verb))
                    .and_then(|b| s.child(b, &["pobj"]))
                    .filter(|&o| !s.word(o).ends_with("ing"))
            })
        };
        let mut agent_tok: Option<usize> = if passive {
            by_agent(v).or_else(|| {
                // "was kidnapped, tortured, and enslaved by ISIS": the by-phrase of the last
                // conjunct serves them all.
                let mut root = v;
                if s.dep(v) == "advcl" && inh.passive {
                    root = s.head(v).unwrap_or(v);
                }
                while s.dep(root) == "conj" {
                    match s.head(root) {
                        Some(h) => root = h,
                        None => break,
                    }
                }
                let mut conj: Vec<usize> = vec![root];
                let mut st = vec![root];
                while let Some(h) = st.pop() {
                    for &c in s.kids(h) {
                        if s.dep(c) == "conj" && s.upos(c) == Upos::Verb {
                            conj.push(c);
                            st.push(c);
                        }
                    }
                }
                conj.iter()
                    .copied()
                    .filter(|&c| c != v)
                    .find_map(|c| s.child(c, &["agent"]).and_then(|a| s.child(a, &["pobj"])))
            })
        } else {
            own_subj.or(inh.subject)
        };

        // Target.
        let mut target_tok: Option<usize> = None;
        let mut target_claim: Option<(usize, usize)> = None;
        let commit_xcomp = (COMMIT.contains(&base.as_str()) && s.child(v, &["dobj"]).is_none())
            .then(|| s.child(v, &["xcomp"]).filter(|&x| s.upos(x) == Upos::Verb))
            .flatten();
        // A speech verb with an addressee ("told lawmakers that …", "asked Judge Parsons to …"):
        // the addressee is the target; the claim still sources what is inside it.
        let addressee = claim
            .filter(|_| {
                matches!(
                    base.as_str(),
                    "tell"
                        | "ask"
                        | "warn"
                        | "assure"
                        | "remind"
                        | "inform"
                        | "urge"
                        | "notify"
                        | "advise"
                        | "brief"
                        | "promise"
                        | "caution"
                )
            })
            .and_then(|_| s.child(v, &["dobj", "dative"]));
        if let Some(o) = addressee {
            target_tok = Some(o);
        } else if let Some(c) = claim {
            // A quotation is the claim as quoted; a reported clause is its subtree.
            target_claim = Some(if s.p.quoted[c] && !s.p.quoted[v] { quote_run(s, c) } else { s.clause(c) });
        } else if let Some(x) = commit_xcomp {
            let (mut lo, hi) = s.clause(x);
            lo = lo.min(x);
            target_claim = Some((lo, hi));
        } else if passive {
            target_tok = passive_subj.or(inh.subject).or_else(|| if acl_passive { s.head(v) } else { None });
        } else {
            // A dative "to" phrase ("gave the report to Congress") stands for its object.
            // The first object after the verb ("awarded Lind a medal" → Lind).
            target_tok = s.child(v, &["dobj", "dative"]).and_then(|d| {
                if s.upos(d) == Upos::Adp {
                    s.child(d, &["pobj"]).or(s.child(v, &["dobj"]))
                } else {
                    Some(d)
                }
            });
            if target_tok.is_none() && dep == "relcl" && own_subj.is_some() {
                // "the groups his administration designated": the modified noun is the object.
                if s.child(v, &["prep", "xcomp", "oprd", "ccomp"]).is_none()
                    || s.kids(v).iter().any(|&c| s.dep(c) == "oprd" || (s.dep(c) == "prep" && s.lower[c] == "as"))
                {
                    target_tok = s.head(v);
                }
            }
        }
        // Light verbs: "take advantage of X".
        if let Some(o) = target_tok.filter(|_| claim.is_none() && !passive) {
            let obj_words = {
                let (lo, _) = s.phrase(o);
                (lo..=o).map(|k| s.lower[k].as_str()).collect::<Vec<_>>().join(" ")
            };
            let hit = LIGHT_VERBS.iter().find(|(lv, nn, _)| {
                *lv == base
                    && (s.lower[o] == *nn
                        || obj_words == *nn
                        || obj_words.ends_with(&format!(" {nn}")) && nn.contains(' '))
            });
            if let Some((_, nn, pp)) = hit {
                verb_lemma = format!("{base} {nn}");
                target_tok = None;
                if !pp.is_empty() {
                    verb_lemma.push(' ');
                    verb_lemma.push_str(pp);
                    let prep = s
                        .kids(o)
                        .iter()
                        .chain(s.kids(v).iter())
                        .copied()
                        .find(|&c| s.dep(c) == "prep" && s.lower[c] == *pp);
                    target_tok = prep.and_then(|p| s.child(p, &["pobj", "pcomp"]));
                    used_prep = prep;
                }
            }
        }
        // Heavy-object shift: "doubled to $50 million its reward" — the object after a
        // number phrase is often hung under the number.
        if target_tok.is_none() && target_claim.is_none() && !passive {
            for &p in s.kids(v) {
                let Some(o) = s.child(p, &["pobj"]).filter(|_| s.dep(p) == "prep") else { continue };
                if s.upos(o) != Upos::Num {
                    continue;
                }
                if let Some(k) = s.kids(o).iter().copied().find(|&k| {
                    k > o
                        && matches!(s.upos(k), Upos::Noun | Upos::Propn)
                        && matches!(s.dep(k), "relcl" | "appos" | "dep" | "npadvmod" | "dobj" | "conj" | "nmod")
                }) {
                    target_tok = Some(k);
                    break;
                }
            }
        }

        // The noun phrase right after the verb, hung elsewhere by the parser ("doubled our rate
        // of …" with "rate" as npadvmod of a later verb): the verb's object.
        if target_tok.is_none()
            && target_claim.is_none()
            && !passive
            && s.child(v, &["xcomp", "acomp", "attr"]).is_none()
        {
            let mut k = v + 1;
            while k < n && (matches!(s.upos(k), Upos::Adv | Upos::Part) || s.dep(k) == "prt") {
                k += 1;
            }
            if k < n && matches!(s.upos(k), Upos::Det | Upos::Pron | Upos::Adj | Upos::Noun | Upos::Propn) {
                let mut h = k;
                while h + 1 < n
                    && s.head(h).is_some_and(|x| x > h && x <= h + 4)
                    && matches!(s.dep(h), "det" | "poss" | "amod" | "compound" | "nummod")
                {
                    h = s.head(h).unwrap_or(h);
                }
                if s.is_nominal(h) && matches!(s.dep(h), "npadvmod" | "dep") && s.head(h) != Some(v) && !s.is_time(h) {
                    target_tok = Some(h);
                }
            }
        }
        // Prepositional verbs and prepositional targets.
        if target_tok.is_none() && target_claim.is_none() && !passive {
            let preps: Vec<usize> =
                s.kids(v).iter().copied().filter(|&c| s.dep(c) == "prep" && !s.temporal(c)).collect();
            let lexical = preps.iter().copied().find(|&p| {
                let l = s.lower[p].as_str();
                PREP_VERBS.iter().any(|(vv, pp)| *vv == base && *pp == l)
            });
            if let Some(p) = lexical.filter(|_| used_prep.is_none()) {
                verb_lemma = format!("{verb_lemma} {}", s.lower[p]);
                target_tok = s.child(p, &["pobj", "pcomp"]);
            } else if let Some(p) = used_prep {
                target_tok = s.child(p, &["pobj", "pcomp"]);
            } else {
                for &p in &preps {
                    if matches!(
                        s.lower[p].as_str(),
                        "against"
                            | "on"
                            | "with"
                            | "to"
                            | "toward"
                            | "towards"
                            | "into"
                            | "at"
                            | "over"
                            | "from"
                            | "upon"
                    ) {
                        if let Some(o) = s.child(p, &["pobj"]) {
                            target_tok = Some(o);
                            break;
                        }
                    }
                }
            }
        }
        // Shared object of coordinated verbs: "signed and ratified the treaty".
        if target_tok.is_none() && target_claim.is_none() && !passive {
            if let Some(c) = s.kids(v).iter().copied().find(|&c| s.dep(c) == "conj" && s.upos(c) == Upos::Verb) {
                if s.child(v, &["prep", "xcomp", "ccomp", "acomp"]).is_none() {
                    target_tok = s.child(c, &["dobj"]).filter(|&o| o > c);
                }
            }
        }
        // Clausal complement of a non-speech verb as the target ("decided that …" has no
        // nominal target; "ordered that troops withdraw").
        if target_tok.is_none() && target_claim.is_none() && claim.is_none() && !passive {
            if let Some(c) =
                s.child(v, &["ccomp"]).filter(|&c| s.child(c, &["mark"]).is_some_and(|m| s.lower[m] == "that"))
            {
                target_claim = Some(s.clause(c));
            }
        }
        // A bare number ("(1) establish a committee") or a date is no argument: list markers and
        // "began August 2" are parse artefacts.
        let is_date = |t: usize| {
            let (b0, b1) = s.p.words[t];
            doc.mentions.iter().any(|m| {
                matches!(m.kind, crate::document::EntityType::Date | crate::document::EntityType::Time)
                    && m.span.start_byte <= b0
                    && b1 <= m.span.end_byte
            })
        };
        if agent_tok.is_some_and(|a| s.upos(a) == Upos::Num && s.kids(a).is_empty()) {
            agent_tok = None;
        }
        if target_tok.is_some_and(|t| is_date(s.np_head(t))) {
            target_tok = None;
        }
        // Pro-verb "do" ("as they do") claims nothing without an object.
        if base == "do" && target_tok.is_none() && target_claim.is_none() {
            continue;
        }
        if agent_tok.is_none() && target_tok.is_none() && target_claim.is_none() {
            continue;
        }
        // An infinitive or gerund whose doer the sentence does not give ("plans to meet any
        // threat", "for modernizing them") claims no one's action.
        if agent_tok.is_none() && !passive && claim.is_none() && (to_infinitive(s, v) || s.lower[v].ends_with("ing")) {
            continue;
        }
        // Without a target, only an animate doer acts ("He fought back", "Tokyo protested");
        // "prices fell", "the tax expired", "no such movement took place" are events, not acts.
        if target_tok.is_none() && target_claim.is_none() {
            if let Some(a) = agent_tok {
                let h = s.np_head(s.antecedent(a));
                if !animate(doc, s, h) {
                    continue;
                }
            }
        }

        // Predicate: auxiliaries, negation and adverbs right before the verb, particles after.
        let mut lo = v;
        let mut hi = v;
        let mut negated = inh.negated;
        let mut hedged = inh.hedged;
        for &c in s.kids(v) {
            let d = s.dep(c);
            let w = s.lower[c].as_str();
            match d {
                "neg" => negated = true,
                "aux" | "auxpass" if HEDGES.contains(&w) => hedged = true,
                "advmod" if matches!(w, "never" | "not") => negated = true,
                _ => {}
            }
            if c < v && matches!(d, "aux" | "auxpass" | "neg" | "advmod") && c + 4 >= v {
                lo = lo.min(c);
            }
            if c > v && (d == "prt" || Some(c) == away) && c <= v + 3 {
                hi = hi.max(c);
            }
        }
        // Conjoined verbs share the negation and modals of their head when they have none:
        // "did not sign or ratify".
        if dep == "conj" && s.child(v, &["aux", "auxpass", "neg", "nsubj", "nsubjpass"]).is_none() {
            if let Some(h) = s.head(v) {
                for &c in s.kids(h) {
                    if c < h {
                        match s.dep(c) {
                            "neg" => negated = true,
                            "aux" | "auxpass" if HEDGES.contains(&s.lower[c].as_str()) => hedged = true,
                            _ => {}
                        }
                    }
                }
            }
        }
        let predicate = &doc.text[s.p.words[lo].0..s.p.words[hi].1];

        // Attribution: climb to the nearest speech verb whose claim contains this verb.
        let mut source: Option<Arg> = None;
        let mut h = v;
        for _ in 0..n {
            let Some(up) = s.head(h) else { break };
            if is_reporting(&s.lemma(up)) && claim_of(s, up) == Some(h) {
                source = s
                    .child(up, &["nsubj"])
                    .or_else(|| if s.child(up, &["nsubjpass"]).is_none() { inherit(s, up).subject } else { None })
                    .map(|x| arg(doc, s, x));
                break;
            }
            // The quoted clause is the head of its own reporting verb: `"…," Powell wrote`.
            if h == v {
                if let Some(r) =
                    s.kids(v).iter().copied().find(|&r| is_reporting(&s.lemma(r)) && claim_of(s, r) == Some(v))
                {
                    source = s.child(r, &["nsubj"]).map(|x| arg(doc, s, x));
                    break;
                }
            }
            // Everything inside a claim is attributed to its speaker: climb to the root.
            h = up;
        }
        // A quoted verb takes the speaker of its quotation, however the parser attached it.
        if source.is_none() && s.p.quoted[v] {
            let (qlo, qhi) = quote_run(s, v);
            let speaker =
                (0..n).filter(|&r| !s.p.quoted[r] && is_reporting(&s.lemma(r)) && s.upos(r) == Upos::Verb).find(|&r| {
                    adjacent_quote(s, r).is_some_and(|q| quote_run(s, q) == (qlo, qhi))
                        || claim_of(s, r).is_some_and(|c| (qlo..=qhi).contains(&c))
                });
            source = speaker.and_then(|r| s.child(r, &["nsubj"])).map(|x| arg(doc, s, x));
        }
        let source = source.or_else(|| inh.committed_by.map(|x| arg(doc, s, x))).or_else(|| according.clone());

        let category = if claim.is_some() {
            match category_of(&verb_lemma) {
                "OTHER" => "STATEMENT",
                c => c,
            }
        } else {
            category_of(&verb_lemma)
        };

        let agents: Vec<Option<Arg>> = match agent_tok {
            Some(a) => args(doc, s, a).into_iter().map(Some).collect(),
            None => vec![None],
        };
        let targets: Vec<Option<Arg>> = match (target_tok, target_claim) {
            (_, Some(span)) => vec![Some(Arg { span, text: s.span_text(span).to_string(), actor: None })],
            (Some(t), None) => args(doc, s, t).into_iter().map(Some).collect(),
            (None, None) => vec![None],
        };
        for ag in &agents {
            for tg in &targets {
                // Never the same phrase as agent and target (a parse that hangs the subject under
                // the verb twice).
                if let (Some(a), Some(t)) = (ag, tg) {
                    if a.span == t.span {
                        continue;
                    }
                }
                let (mut ev_lo, mut ev_hi) = (lo, hi);
                for sp in [ag.as_ref().map(|a| a.span), tg.as_ref().map(|t| t.span)].into_iter().flatten() {
                    ev_lo = ev_lo.min(sp.0);
                    ev_hi = ev_hi.max(sp.1);
                }
                let evidence = doc.span(s.p.words[ev_lo].0, s.p.words[ev_hi].1);
                let confidence = 0.5 + 0.2 * ag.is_some() as u8 as f64 + 0.2 * tg.is_some() as u8 as f64
                    - 0.1 * (category == "OTHER") as u8 as f64;
                out.push(Action {
                    action_id: 0,
                    sentence_idx: si,
                    agent_actor_id: ag.as_ref().and_then(|a| a.actor.clone()),
                    agent_text: ag.as_ref().map(|a| a.text.clone()),
                    predicate: predicate.to_string(),
                    verb_lemma: verb_lemma.clone(),
                    target_actor_id: tg.as_ref().and_then(|t| t.actor.clone()),
                    target_text: tg.as_ref().map(|t| t.text.clone()),
                    source_actor_id: source.as_ref().and_then(|x| x.actor.clone()),
                    source_text: source.as_ref().map(|x| x.text.clone()),
                    negated,
                    modality: if hedged { "hedged" } else { "asserted" }.to_string(),
                    is_quote: s.p.quoted[v],
                    category: category.to_string(),
                    quad_class: quad_class(category).to_string(),
                    start_char: evidence.start_char,
                    end_char: evidence.end_char,
                    confidence: (confidence * 100.0).round() / 100.0,
                });
            }
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
        let w: Vec<&str> = crate::parse::parse_words(t, &toks).into_iter().map(|(s, e)| &t[s..e]).collect();
        assert_eq!(w, vec!["Venezuela", "'s", "leaders", "do", "n't", "care", "."]);
    }

    #[test]
    fn lexicon_categories_and_quads() {
        assert_eq!(category("rule out"), "REJECT");
        assert_eq!(category("designate"), "SANCTION");
        assert_eq!(quad_class(category("praise")), "verbal_cooperation");
        assert_eq!(category("eat"), "OTHER");
        assert_eq!(quad_class("OTHER"), "");
        assert_eq!(category_of("call on"), "CONSULT");
    }
}
