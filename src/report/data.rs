//! Aggregation: reads the tables once each and keeps only what the page shows. Every map is a
//! BTreeMap and every ranking has a total order (count, then id), so the same folder always
//! gives the same report.

use super::read::{self, for_each_row, int, opt_float, OutDir};
use super::ReportError;
use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub struct Options {
    pub sample_docs: usize,
    pub top_actors: usize,
    pub corpus: Vec<String>,
    pub id_field: String,
    pub text_field: String,
}

/// Bounds that keep the page small whatever the corpus size.
const NETWORK_NODES: usize = 40;
const NETWORK_EDGES: usize = 150;
const EVIDENCE_PER_EDGE: usize = 3;
const EVIDENCE_CHARS: usize = 300;
const TONE_ACTORS: usize = 8;
const MAX_PERIODS: usize = 1500;
const ERROR_ROWS: usize = 200;
const DOC_TEXT_CHARS: usize = 20_000;
const ALIASES_SHOWN: usize = 12;

pub struct Report {
    pub title: String,
    pub overview: Overview,
    /// Top actors by documents, then by mentions (`--top-actors` each).
    pub actors: Vec<ActorAgg>,
    pub actors_by_mentions: Vec<ActorAgg>,
    pub top_actors: usize,
    pub network: Network,
    pub tone: Tone,
    pub doc_view: DocView,
    pub errors: Errors,
}

pub struct Overview {
    pub layout: &'static str,
    pub formats: String,
    pub shards: usize,
    pub documents: u64,
    pub sentences: u64,
    pub mentions: u64,
    pub actors_distinct: u64,
    pub actor_rows: u64,
    pub actions: u64,
    pub stances: u64,
    pub flagged: BTreeMap<String, u64>,
    /// (key, value) pairs from the manifest(s): version, model, engines, config hash.
    pub run_info: Vec<(String, String)>,
}

#[derive(Clone)]
pub struct ActorAgg {
    pub actor_id: String,
    pub name: String,
    pub kind: String,
    pub docs: u64,
    pub mentions: u64,
    pub aliases: Vec<String>,
    pub n_aliases: usize,
    pub roles: Vec<String>,
    pub kb_id: Option<String>,
    pub linked: Option<String>,
    /// Documents whose stance toward the actor is favour / against / neutral / unscored.
    pub stance: [u64; 4],
    pub sentiment_mean: Option<f64>,
}

pub const STANCES: [&str; 4] = ["favour", "against", "neutral", "unscored"];

pub struct Network {
    pub nodes: Vec<NetNode>,
    pub edges: Vec<NetEdge>,
    pub total_edges: usize,
    pub total_nodes: usize,
    pub evidence_rows: u64,
}

pub struct NetNode {
    pub actor_id: String,
    pub name: String,
    pub kind: String,
    pub docs: u64,
    pub weight: u64,
}

pub struct NetEdge {
    pub source: String,
    pub target: String,
    pub kind: &'static str,
    pub count: u64,
    pub evidence: Vec<Evidence>,
}

pub struct Evidence {
    pub doc_id: String,
    pub sentence_idx: i64,
    /// What the tables say: the stance cue or the action's agent / predicate / target.
    pub claim: String,
    /// The sentence itself, when the corpus text was given.
    pub sentence: Option<String>,
}

pub struct Tone {
    pub dated: u64,
    pub undated: u64,
    pub unparsed_examples: Vec<String>,
    pub default_granularity: &'static str,
    pub granularities: Vec<&'static str>,
    pub doc_rows: Vec<ToneRow>,
    pub actor_rows: Vec<ActorToneRow>,
}

pub struct ToneRow {
    pub g: &'static str,
    pub period: String,
    pub docs: u64,
    pub mean: Option<f64>,
    pub labels: [u64; 3],
}

pub const LABELS: [&str; 3] = ["positive", "neutral", "negative"];

pub struct ActorToneRow {
    pub g: &'static str,
    pub period: String,
    pub actor: String,
    pub docs: u64,
    pub mean: f64,
}

pub struct DocView {
    pub docs: Vec<SampleDoc>,
    pub texts_found: usize,
    pub corpus_given: bool,
    pub text_note: String,
}

pub struct SampleDoc {
    pub doc_id: String,
    pub title: Option<String>,
    pub published: Option<String>,
    pub sentiment: Option<String>,
    pub score: Option<f64>,
    /// Why the text is missing, when it is.
    pub text_status: Option<String>,
    pub truncated: bool,
    pub blocks: Vec<Block>,
    pub mentions: Vec<MentionRow>,
    pub actions: Vec<ActionRow>,
    pub actor_names: BTreeMap<String, String>,
}

/// The document text cut into sentences and, inside them, mention spans.
pub enum Block {
    Gap(String),
    Sentence { idx: i64, segments: Vec<(String, Option<usize>)> },
}

pub struct MentionRow {
    pub sentence_idx: i64,
    pub start_char: i64,
    pub end_char: i64,
    pub text: String,
    pub label: String,
    pub kind: String,
    pub actor_id: Option<String>,
}

#[derive(Clone)]
pub struct ActionRow {
    pub action_id: i64,
    pub sentence_idx: i64,
    pub agent_actor_id: Option<String>,
    pub agent_text: Option<String>,
    pub predicate: String,
    pub target_actor_id: Option<String>,
    pub target_text: Option<String>,
    pub source_text: Option<String>,
    pub negated: bool,
    pub modality: String,
    pub is_quote: bool,
    pub category: String,
    pub quad_class: String,
}

pub struct Errors {
    pub total: u64,
    pub by_kind: BTreeMap<String, u64>,
    pub rows: Vec<[String; 5]>,
}

struct Doc {
    doc_id: String,
    title: Option<String>,
    published: Option<String>,
    date: Option<NaiveDate>,
    label: Option<String>,
    score: Option<f64>,
    n_mentions: i64,
    sha: String,
}

struct ActorDocRow {
    doc: usize,
    actor_id: String,
    stance_score: Option<f64>,
}

struct StanceRow {
    doc_id: String,
    source: String,
    target: String,
    stance: String,
    evidence_action_id: Option<String>,
    sentence_idx: i64,
    cue: String,
}

struct Sent {
    idx: i64,
    start: i64,
    end: i64,
}

fn s(v: Option<&str>) -> String {
    v.unwrap_or_default().to_string()
}
fn os(v: Option<&str>) -> Option<String> {
    v.map(str::to_string)
}

/// `published` as written: an ISO date or date-time prefix (2024-03-05, 2024-03-05T10:00Z),
/// 2024/03/05, or RFC 2822 ("Tue, 5 Mar 2024 10:00:00 +0000"). The calendar date is taken as
/// written (no time-zone conversion).
pub fn parse_date(v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    if v.len() >= 10 && v.is_char_boundary(10) {
        let head = v[..10].replace('/', "-");
        if let Ok(d) = NaiveDate::parse_from_str(&head, "%Y-%m-%d") {
            let rest = &v[10..];
            if rest.is_empty() || rest.starts_with(['T', ' ', 't']) {
                return Some(d);
            }
        }
    }
    chrono::DateTime::parse_from_rfc2822(v).ok().map(|d| d.date_naive())
}

fn period(g: &str, d: NaiveDate) -> String {
    let p = match g {
        "day" => d,
        // ISO weeks start on Monday; the period is named by its Monday.
        "week" => d - chrono::Duration::days(d.weekday().num_days_from_monday() as i64),
        "month" => d.with_day(1).unwrap_or(d),
        _ => NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d),
    };
    p.format("%Y-%m-%d").to_string()
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn cap_chars(v: &str, n: usize) -> String {
    match v.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &v[..i]),
        None => v.to_string(),
    }
}

pub fn collect(root: &Path, opts: &Options) -> Result<Report, ReportError> {
    let out = OutDir::open(root)?;

    // documents
    let t = out.table("documents")?;
    let formats_used = std::cell::RefCell::new(BTreeSet::new());
    let note_format = |t: &read::TableFiles| {
        formats_used.borrow_mut().insert(match t.format {
            read::Format::Csv => "CSV",
            read::Format::Parquet => "Parquet",
        });
    };
    note_format(&t);
    let mut docs: Vec<Doc> = Vec::new();
    let mut flagged: BTreeMap<String, u64> = BTreeMap::new();
    for_each_row(
        &t,
        &["doc_id", "title", "published", "sentiment_label", "sentiment_score", "n_mentions", "flags", "input_sha256"],
        |c| {
            let published = os(c[2]);
            for f in c[6].unwrap_or_default().split('|').filter(|f| !f.is_empty()) {
                *flagged.entry(f.to_string()).or_default() += 1;
            }
            docs.push(Doc {
                doc_id: s(c[0]),
                title: os(c[1]),
                date: published.as_deref().and_then(parse_date),
                published,
                label: os(c[3]),
                score: opt_float(c[4], "documents", "sentiment_score")?,
                n_mentions: int(c[5], "documents", "n_mentions")?,
                sha: s(c[7]),
            });
            Ok(())
        },
    )?;
    let doc_index: BTreeMap<&str, usize> = docs.iter().enumerate().map(|(i, d)| (d.doc_id.as_str(), i)).collect();

    // actors (per document)
    #[derive(Default)]
    struct Acc {
        names: BTreeMap<String, u64>,
        kind: BTreeMap<String, u64>,
        docs: u64,
        mentions: u64,
        aliases: BTreeSet<String>,
        roles: BTreeSet<String>,
        kb_id: Option<String>,
        linked: Option<String>,
        stance: [u64; 4],
        sent_sum: f64,
        sent_n: u64,
    }
    let t = out.table("actors")?;
    note_format(&t);
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    let mut actor_rows: Vec<ActorDocRow> = Vec::new();
    let mut actor_row_count = 0u64;
    for_each_row(
        &t,
        &[
            "doc_id",
            "actor_id",
            "name",
            "type",
            "aliases",
            "roles",
            "n_mentions",
            "kb_id",
            "linked_actor_id",
            "sentiment_mean",
            "stance",
            "stance_score",
        ],
        |c| {
            actor_row_count += 1;
            let id = s(c[1]);
            let a = acc.entry(id.clone()).or_default();
            *a.names.entry(s(c[2])).or_default() += 1;
            *a.kind.entry(s(c[3])).or_default() += 1;
            a.docs += 1;
            a.mentions += int(c[6], "actors", "n_mentions")?.max(0) as u64;
            for x in c[4].unwrap_or_default().split('|').filter(|x| !x.is_empty()) {
                a.aliases.insert(x.to_string());
            }
            for x in c[5].unwrap_or_default().split('|').filter(|x| !x.is_empty()) {
                a.roles.insert(x.to_string());
            }
            if a.kb_id.is_none() {
                a.kb_id = os(c[7]);
            }
            if a.linked.is_none() {
                a.linked = os(c[8]);
            }
            if let Some(v) = opt_float(c[9], "actors", "sentiment_mean")? {
                a.sent_sum += v;
                a.sent_n += 1;
            }
            let k = match c[10] {
                Some("favour") => 0,
                Some("against") => 1,
                Some("neutral") => 2,
                _ => 3,
            };
            a.stance[k] += 1;
            if let Some(&doc) = c[0].and_then(|d| doc_index.get(d)) {
                actor_rows.push(ActorDocRow {
                    doc,
                    actor_id: id,
                    stance_score: opt_float(c[11], "actors", "stance_score")?,
                });
            }
            Ok(())
        },
    )?;
    let pick = |m: &BTreeMap<String, u64>| -> String {
        // The most frequent value; ties go to the smallest (BTreeMap order), so it is stable.
        let mut best: Option<(&String, u64)> = None;
        for (k, &n) in m {
            if best.is_none_or(|(_, b)| n > b) {
                best = Some((k, n));
            }
        }
        best.map(|(k, _)| k.clone()).unwrap_or_default()
    };
    let mut all_actors: Vec<ActorAgg> = acc
        .iter()
        .map(|(id, a)| {
            let name = pick(&a.names);
            let mut aliases: BTreeSet<String> = a.aliases.clone();
            aliases.extend(a.names.keys().cloned());
            aliases.remove(&name);
            let n_aliases = aliases.len();
            ActorAgg {
                actor_id: id.clone(),
                name,
                kind: pick(&a.kind),
                docs: a.docs,
                mentions: a.mentions,
                aliases: aliases.into_iter().take(ALIASES_SHOWN).collect(),
                n_aliases,
                roles: a.roles.iter().take(ALIASES_SHOWN).cloned().collect(),
                kb_id: a.kb_id.clone(),
                linked: a.linked.clone(),
                stance: a.stance,
                sentiment_mean: (a.sent_n > 0).then(|| round4(a.sent_sum / a.sent_n as f64)),
            }
        })
        .collect();
    all_actors.sort_by(|a, b| b.docs.cmp(&a.docs).then(b.mentions.cmp(&a.mentions)).then(a.actor_id.cmp(&b.actor_id)));
    let names: BTreeMap<String, (String, String, u64)> =
        all_actors.iter().map(|a| (a.actor_id.clone(), (a.name.clone(), a.kind.clone(), a.docs))).collect();
    let actor_name = |id: &str| names.get(id).map(|n| n.0.clone()).unwrap_or_else(|| id.to_string());

    // actions and stances
    let t = out.table("actions")?;
    note_format(&t);
    let mut actions: Vec<(String, ActionRow)> = Vec::new();
    for_each_row(
        &t,
        &[
            "doc_id",
            "action_id",
            "sentence_idx",
            "agent_actor_id",
            "agent_text",
            "predicate",
            "target_actor_id",
            "target_text",
            "source_text",
            "negated",
            "modality",
            "is_quote",
            "category",
            "quad_class",
        ],
        |c| {
            actions.push((
                s(c[0]),
                ActionRow {
                    action_id: int(c[1], "actions", "action_id")?,
                    sentence_idx: int(c[2], "actions", "sentence_idx")?,
                    agent_actor_id: os(c[3]),
                    agent_text: os(c[4]),
                    predicate: s(c[5]),
                    target_actor_id: os(c[6]),
                    target_text: os(c[7]),
                    source_text: os(c[8]),
                    negated: read::boolean(c[9]),
                    modality: s(c[10]),
                    is_quote: read::boolean(c[11]),
                    category: s(c[12]),
                    quad_class: s(c[13]),
                },
            ));
            Ok(())
        },
    )?;
    let t = out.table("stances")?;
    note_format(&t);
    let mut stances: Vec<StanceRow> = Vec::new();
    for_each_row(
        &t,
        &[
            "doc_id",
            "source_actor_id",
            "target_actor_id",
            "stance",
            "evidence_action_id",
            "evidence_sentence_idx",
            "cue",
        ],
        |c| {
            stances.push(StanceRow {
                doc_id: s(c[0]),
                source: s(c[1]),
                target: s(c[2]),
                stance: s(c[3]),
                evidence_action_id: os(c[4]),
                sentence_idx: int(c[5], "stances", "evidence_sentence_idx")?,
                cue: s(c[6]),
            });
            Ok(())
        },
    )?;

    // Network: stance rows first (they say against/favour outright), then actions between two
    // actors that no stance row already stands for.
    let mut edges: BTreeMap<(String, String, &'static str), (u64, Vec<Evidence>)> = BTreeMap::new();
    let mut claimed: BTreeSet<(String, String)> = BTreeSet::new();
    let mut evidence_rows = 0u64;
    let mut add = |src: &str, tgt: &str, kind: &'static str, ev: Evidence| {
        if src.is_empty() || tgt.is_empty() || src == tgt {
            return;
        }
        evidence_rows += 1;
        let e = edges.entry((src.to_string(), tgt.to_string(), kind)).or_default();
        e.0 += 1;
        if e.1.len() < EVIDENCE_PER_EDGE {
            e.1.push(ev);
        }
    };
    for st in &stances {
        if let Some(a) = &st.evidence_action_id {
            claimed.insert((st.doc_id.clone(), a.clone()));
        }
        let kind = match st.stance.as_str() {
            "against" => "against",
            "favour" | "favor" => "favour",
            _ => "other",
        };
        let claim = format!("{} —{}→ {} (stance cue)", actor_name(&st.source), st.cue, actor_name(&st.target));
        add(
            &st.source,
            &st.target,
            kind,
            Evidence { doc_id: st.doc_id.clone(), sentence_idx: st.sentence_idx, claim, sentence: None },
        );
    }
    for (doc_id, a) in &actions {
        let (Some(src), Some(tgt)) = (&a.agent_actor_id, &a.target_actor_id) else { continue };
        if claimed.contains(&(doc_id.clone(), a.action_id.to_string())) {
            continue;
        }
        let kind = if a.quad_class.ends_with("conflict") {
            "against"
        } else if a.quad_class.ends_with("cooperation") {
            "favour"
        } else {
            "other"
        };
        let claim = format!(
            "{} · {} · {} ({})",
            a.agent_text.as_deref().unwrap_or(""),
            a.predicate,
            a.target_text.as_deref().unwrap_or(""),
            if a.category.is_empty() { "action" } else { &a.category }
        );
        add(src, tgt, kind, Evidence { doc_id: doc_id.clone(), sentence_idx: a.sentence_idx, claim, sentence: None });
    }
    let total_edges = edges.len();
    let mut weight: BTreeMap<String, u64> = BTreeMap::new();
    for ((a, b, _), (n, _)) in &edges {
        *weight.entry(a.clone()).or_default() += n;
        *weight.entry(b.clone()).or_default() += n;
    }
    let total_nodes = weight.len();
    let mut ranked: Vec<(&str, u64)> = weight.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let kept: BTreeSet<String> = ranked.iter().take(NETWORK_NODES).map(|(k, _)| k.to_string()).collect();
    let mut net_edges: Vec<NetEdge> = edges
        .into_iter()
        .filter(|((a, b, _), _)| kept.contains(a) && kept.contains(b))
        .map(|((source, target, kind), (count, evidence))| NetEdge { source, target, kind, count, evidence })
        .collect();
    net_edges.sort_by(|a, b| {
        b.count.cmp(&a.count).then_with(|| (&a.source, &a.target, a.kind).cmp(&(&b.source, &b.target, b.kind)))
    });
    net_edges.truncate(NETWORK_EDGES);
    let in_edges: BTreeSet<&str> = net_edges.iter().flat_map(|e| [e.source.as_str(), e.target.as_str()]).collect();
    let nodes: Vec<NetNode> = ranked
        .iter()
        .filter(|(k, _)| in_edges.contains(k))
        .map(|(k, w)| {
            let (name, kind, docs) = names.get(*k).cloned().unwrap_or_else(|| (k.to_string(), String::new(), 0));
            NetNode { actor_id: k.to_string(), name, kind, docs, weight: *w }
        })
        .collect();

    // Tone over time
    let mut dated = 0u64;
    let mut unparsed: BTreeSet<String> = BTreeSet::new();
    let (mut min_d, mut max_d): (Option<NaiveDate>, Option<NaiveDate>) = (None, None);
    for d in &docs {
        match d.date {
            Some(x) => {
                dated += 1;
                min_d = Some(min_d.map_or(x, |m| m.min(x)));
                max_d = Some(max_d.map_or(x, |m| m.max(x)));
            }
            None => {
                if let Some(p) = &d.published {
                    if unparsed.len() < 5 {
                        unparsed.insert(cap_chars(p, 40));
                    }
                }
            }
        }
    }
    let span_days = match (min_d, max_d) {
        (Some(a), Some(b)) => (b - a).num_days(),
        _ => 0,
    };
    let default_granularity = match span_days {
        0..=62 => "day",
        63..=730 => "week",
        731..=7300 => "month",
        _ => "year",
    };
    let tone_actors: Vec<&str> = all_actors.iter().take(TONE_ACTORS).map(|a| a.actor_id.as_str()).collect();
    let mut granularities = Vec::new();
    let mut doc_rows = Vec::new();
    let mut actor_tone_rows = Vec::new();
    for g in ["day", "week", "month", "year"] {
        let mut per: BTreeMap<String, (u64, f64, u64, [u64; 3])> = BTreeMap::new();
        for d in &docs {
            let Some(x) = d.date else { continue };
            let e = per.entry(period(g, x)).or_default();
            e.0 += 1;
            if let Some(v) = d.score {
                e.1 += v;
                e.2 += 1;
            }
            match d.label.as_deref() {
                Some("positive") => e.3[0] += 1,
                Some("negative") => e.3[2] += 1,
                Some(_) => e.3[1] += 1,
                None => {}
            }
        }
        // A day-by-day view of a decade would be thousands of points: offer the coarser ones.
        if per.len() > MAX_PERIODS && g != "year" {
            continue;
        }
        granularities.push(g);
        for (p, (n, sum, ns, labels)) in per {
            doc_rows.push(ToneRow { g, period: p, docs: n, mean: (ns > 0).then(|| round4(sum / ns as f64)), labels });
        }
        let mut per_actor: BTreeMap<(String, &str), (u64, f64)> = BTreeMap::new();
        for r in &actor_rows {
            let (Some(x), Some(v)) = (docs[r.doc].date, r.stance_score) else { continue };
            if !tone_actors.contains(&r.actor_id.as_str()) {
                continue;
            }
            let e = per_actor.entry((period(g, x), r.actor_id.as_str())).or_default();
            e.0 += 1;
            e.1 += v;
        }
        for ((p, id), (n, sum)) in per_actor {
            actor_tone_rows.push(ActorToneRow {
                g,
                period: p,
                actor: actor_name(id),
                docs: n,
                mean: round4(sum / n as f64),
            });
        }
    }
    let default_granularity = if granularities.contains(&default_granularity) { default_granularity } else { "year" };

    // Document sample: documents with claimed actions first, then with mentions, each group in
    // the order of a hash of the doc_id: spread over the corpus (not the N longest articles, nor
    // N reprints of one), and the same for the same folder.
    let with_actions: BTreeSet<&str> = actions.iter().map(|(d, _)| d.as_str()).collect();
    let mut order: Vec<(u8, [u8; 32], usize)> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let group = if with_actions.contains(d.doc_id.as_str()) {
                0
            } else if d.n_mentions > 0 {
                1
            } else {
                2
            };
            (group, Sha256::digest(d.doc_id.as_bytes()).into(), i)
        })
        .collect();
    order.sort();
    let order = order.into_iter().map(|x| x.2);
    let mut sample: Vec<usize> = order.into_iter().take(opts.sample_docs).collect();
    sample.sort(); // shown in input order
    let sample_ids: BTreeSet<String> = sample.iter().map(|&i| docs[i].doc_id.clone()).collect();
    let evidence_keys: BTreeSet<(String, i64)> =
        net_edges.iter().flat_map(|e| e.evidence.iter().map(|v| (v.doc_id.clone(), v.sentence_idx))).collect();

    // sentences: the count, and offsets for the sampled documents and evidence sentences
    let t = out.table("sentences")?;
    note_format(&t);
    let mut sentences_rows = 0u64;
    let mut sents: BTreeMap<String, Vec<Sent>> = BTreeMap::new();
    for_each_row(&t, &["doc_id", "sentence_idx", "start_char", "end_char"], |c| {
        sentences_rows += 1;
        let d = c[0].unwrap_or_default();
        let idx = int(c[1], "sentences", "sentence_idx")?;
        if sample_ids.contains(d) || evidence_keys.contains(&(d.to_string(), idx)) {
            sents.entry(d.to_string()).or_default().push(Sent {
                idx,
                start: int(c[2], "sentences", "start_char")?,
                end: int(c[3], "sentences", "end_char")?,
            });
        }
        Ok(())
    })?;

    // mentions: the count, and rows of the sampled documents
    let t = out.table("mentions")?;
    note_format(&t);
    let mut mentions_rows = 0u64;
    let mut mentions: BTreeMap<String, Vec<MentionRow>> = BTreeMap::new();
    for_each_row(
        &t,
        &["doc_id", "sentence_idx", "start_char", "end_char", "text", "label", "type", "actor_id"],
        |c| {
            mentions_rows += 1;
            let d = c[0].unwrap_or_default();
            if sample_ids.contains(d) {
                mentions.entry(d.to_string()).or_default().push(MentionRow {
                    sentence_idx: int(c[1], "mentions", "sentence_idx")?,
                    start_char: int(c[2], "mentions", "start_char")?,
                    end_char: int(c[3], "mentions", "end_char")?,
                    text: s(c[4]),
                    label: s(c[5]),
                    kind: s(c[6]),
                    actor_id: os(c[7]),
                });
            }
            Ok(())
        },
    )?;

    // errors
    let t = out.table("errors")?;
    note_format(&t);
    let mut errors = Errors { total: 0, by_kind: BTreeMap::new(), rows: Vec::new() };
    for_each_row(&t, &["source", "line", "doc_id", "kind", "message"], |c| {
        errors.total += 1;
        *errors.by_kind.entry(s(c[3])).or_default() += 1;
        if errors.rows.len() < ERROR_ROWS {
            errors.rows.push([s(c[0]), s(c[1]), s(c[2]), s(c[3]), s(c[4])]);
        }
        Ok(())
    })?;

    // Texts from the corpus, for the sampled and evidence documents only.
    let mut wanted: BTreeMap<String, String> = BTreeMap::new();
    for id in sample_ids.iter().chain(evidence_keys.iter().map(|k| &k.0)) {
        if let Some(&i) = doc_index.get(id.as_str()) {
            wanted.insert(id.clone(), docs[i].sha.clone());
        }
    }
    let mut texts: BTreeMap<String, Result<String, String>> = BTreeMap::new();
    if !opts.corpus.is_empty() {
        for p in &opts.corpus {
            if p != "-" && !Path::new(p).exists() {
                return Err(ReportError::new(format!("--corpus {p}: no such file or directory")));
            }
        }
        let ingest_opts = crate::ingest::IngestOptions {
            id_field: opts.id_field.clone(),
            text_field: opts.text_field.clone(),
            ..Default::default()
        };
        for rec in crate::ingest::Ingest::new(&opts.corpus, ingest_opts) {
            let Ok(doc) = rec else { continue };
            let Some(sha) = wanted.get(&doc.doc_id) else { continue };
            if texts.contains_key(&doc.doc_id) {
                continue;
            }
            let v = if *sha == doc.input_sha256 {
                Ok(doc.text)
            } else {
                Err("the corpus text differs from the run's input (input_sha256 mismatch), so offsets would not fit: not shown".to_string())
            };
            texts.insert(doc.doc_id, v);
        }
    }
    let char_slice = |text: &str, a: i64, b: i64| -> Option<String> {
        let (a, b) = (usize::try_from(a).ok()?, usize::try_from(b).ok()?);
        if a > b {
            return None;
        }
        Some(text.chars().skip(a).take(b - a).collect())
    };
    for e in &mut net_edges {
        for ev in &mut e.evidence {
            let Some(Ok(text)) = texts.get(&ev.doc_id) else { continue };
            let Some(st) = sents.get(&ev.doc_id).and_then(|v| v.iter().find(|x| x.idx == ev.sentence_idx)) else {
                continue;
            };
            ev.sentence = char_slice(text, st.start, st.end).map(|x| cap_chars(x.trim(), EVIDENCE_CHARS));
        }
    }

    let mut sample_docs = Vec::new();
    let mut texts_found = 0;
    for &i in &sample {
        let d = &docs[i];
        let ms = mentions.remove(&d.doc_id).unwrap_or_default();
        let acts: Vec<ActionRow> = actions.iter().filter(|(id, _)| *id == d.doc_id).map(|(_, a)| a.clone()).collect();
        let mut actor_names = BTreeMap::new();
        for id in ms
            .iter()
            .filter_map(|m| m.actor_id.clone())
            .chain(acts.iter().flat_map(|a| [a.agent_actor_id.clone(), a.target_actor_id.clone()]).flatten())
        {
            let n = actor_name(&id);
            actor_names.insert(id, n);
        }
        let st = sents.remove(&d.doc_id).unwrap_or_default();
        let (blocks, truncated, text_status) = match texts.get(&d.doc_id) {
            Some(Ok(text)) => {
                texts_found += 1;
                let (b, t) = blocks(text, &st, &ms);
                (b, t, None)
            }
            Some(Err(why)) => (Vec::new(), false, Some(why.clone())),
            None if opts.corpus.is_empty() => (Vec::new(), false, Some("no text: run with --corpus".into())),
            None => (Vec::new(), false, Some("not found in the --corpus inputs".into())),
        };
        sample_docs.push(SampleDoc {
            doc_id: d.doc_id.clone(),
            title: d.title.clone(),
            published: d.published.clone(),
            sentiment: d.label.clone(),
            score: d.score,
            text_status,
            truncated,
            blocks,
            mentions: ms,
            actions: acts,
            actor_names,
        });
    }
    let text_note = if opts.corpus.is_empty() {
        "The output tables hold offsets, mention texts and action texts but not the document text. \
         Run `actorlens report OUT_DIR --corpus INPUT...` with the inputs given to `extract` to see \
         the text with entities highlighted; below, each sentence shows the mentions it holds."
            .to_string()
    } else {
        format!(
            "Text read back from the --corpus inputs and checked against each document's input_sha256 \
             ({texts_found} of {} sampled documents found).",
            sample.len()
        )
    };

    // Overview and run information from the manifest(s)
    let mut run_info: Vec<(String, String)> = Vec::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for (_, m) in &out.manifests {
        let mut push = |k: String, v: &serde_json::Value| {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => return,
                other => other.to_string(),
            };
            if seen.insert((k.clone(), v.clone())) {
                run_info.push((k, v));
            }
        };
        if let Some(v) = m.get("actorlens_version") {
            push("actorlens version".into(), v);
        }
        if let Some(serde_json::Value::Object(model)) = m.get("model") {
            for (k, v) in model {
                push(format!("model.{k}"), v);
            }
        }
        for k in ["engine", "config_hash", "batch_size"] {
            if let Some(v) = m.get(k) {
                push(k.replace('_', " "), v);
            }
        }
    }
    let title = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| root.display().to_string());
    let overview = Overview {
        layout: match out.layout {
            read::Layout::Single => "single",
            read::Layout::Parts => "parts",
        },
        formats: formats_used.borrow().iter().copied().collect::<Vec<_>>().join(" + "),
        shards: out.manifests.len(),
        documents: docs.len() as u64,
        sentences: sentences_rows,
        mentions: mentions_rows,
        actors_distinct: all_actors.len() as u64,
        actor_rows: actor_row_count,
        actions: actions.len() as u64,
        stances: stances.len() as u64,
        flagged,
        run_info,
    };
    let undated = docs.len() as u64 - dated;
    let top = opts.top_actors.max(1);
    let mut by_mentions: Vec<ActorAgg> = all_actors.clone();
    by_mentions.sort_by(|a, b| b.mentions.cmp(&a.mentions).then(b.docs.cmp(&a.docs)).then(a.actor_id.cmp(&b.actor_id)));
    by_mentions.truncate(top);
    all_actors.truncate(top);
    Ok(Report {
        title,
        overview,
        actors: all_actors,
        actors_by_mentions: by_mentions,
        top_actors: top,
        network: Network { nodes, edges: net_edges, total_edges, total_nodes, evidence_rows },
        tone: Tone {
            dated,
            undated,
            unparsed_examples: unparsed.into_iter().collect(),
            default_granularity,
            granularities,
            doc_rows,
            actor_rows: actor_tone_rows,
        },
        doc_view: DocView { docs: sample_docs, texts_found, corpus_given: !opts.corpus.is_empty(), text_note },
        errors,
    })
}

/// Cut `text` into gaps and sentences, and sentences into plain and mention segments (by char
/// offsets; mentions that overlap an earlier one or leave their sentence are listed, not marked).
fn blocks(text: &str, sents: &[Sent], mentions: &[MentionRow]) -> (Vec<Block>, bool) {
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    let n = starts.len() - 1;
    let limit = n.min(DOC_TEXT_CHARS);
    let byte = |c: i64| -> usize { starts[(c.max(0) as usize).min(n)] };
    let mut out = Vec::new();
    let mut pos = 0i64;
    let mut sorted: Vec<&Sent> = sents.iter().collect();
    sorted.sort_by_key(|s| (s.start, s.idx));
    let mut truncated = false;
    for st in sorted {
        if st.start < pos || st.end < st.start {
            continue;
        }
        if st.end as usize > limit {
            truncated = true;
            break;
        }
        if st.start > pos {
            out.push(Block::Gap(text[byte(pos)..byte(st.start)].to_string()));
        }
        let mut segs = Vec::new();
        let mut p = st.start;
        let mut ms: Vec<(usize, &MentionRow)> =
            mentions.iter().enumerate().filter(|(_, m)| m.sentence_idx == st.idx).collect();
        ms.sort_by_key(|(i, m)| (m.start_char, *i));
        for (i, m) in ms {
            if m.start_char < p || m.end_char > st.end || m.end_char <= m.start_char {
                continue;
            }
            if m.start_char > p {
                segs.push((text[byte(p)..byte(m.start_char)].to_string(), None));
            }
            segs.push((text[byte(m.start_char)..byte(m.end_char)].to_string(), Some(i)));
            p = m.end_char;
        }
        if st.end > p {
            segs.push((text[byte(p)..byte(st.end)].to_string(), None));
        }
        out.push(Block::Sentence { idx: st.idx, segments: segs });
        pos = st.end;
    }
    if !truncated && (pos as usize) < n {
        out.push(Block::Gap(text[byte(pos)..].to_string()));
    }
    (out, truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_written() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        assert_eq!(parse_date("2024-03-05"), d(2024, 3, 5));
        assert_eq!(parse_date("2024-03-05T23:30:00-05:00"), d(2024, 3, 5));
        assert_eq!(parse_date("2024/03/05"), d(2024, 3, 5));
        assert_eq!(parse_date("Tue, 5 Mar 2024 10:00:00 +0000"), d(2024, 3, 5));
        assert_eq!(parse_date("March 2024"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("2024-03-05x"), None);
        assert_eq!(parse_date("ü2024-03-05"), None);
    }

    #[test]
    fn periods() {
        let x = NaiveDate::from_ymd_opt(2024, 3, 7).unwrap(); // a Thursday
        assert_eq!(period("day", x), "2024-03-07");
        assert_eq!(period("week", x), "2024-03-04");
        assert_eq!(period("month", x), "2024-03-01");
        assert_eq!(period("year", x), "2024-01-01");
    }

    #[test]
    fn blocks_follow_char_offsets_not_bytes() {
        let text = "Über Zoë sprach. Paris rief.";
        let sents = vec![Sent { idx: 0, start: 0, end: 16 }, Sent { idx: 1, start: 17, end: 28 }];
        let m = |s, a, b, t: &str| MentionRow {
            sentence_idx: s,
            start_char: a,
            end_char: b,
            text: t.into(),
            label: "X".into(),
            kind: "PER".into(),
            actor_id: None,
        };
        let ms = vec![m(0, 5, 8, "Zoë"), m(1, 17, 22, "Paris")];
        let (b, truncated) = blocks(text, &sents, &ms);
        assert!(!truncated);
        let flat: Vec<String> = b
            .iter()
            .map(|x| match x {
                Block::Gap(g) => format!("gap:{g:?}"),
                Block::Sentence { segments, .. } => {
                    segments.iter().map(|(t, m)| format!("{t}{}", if m.is_some() { "*" } else { "" })).collect()
                }
            })
            .collect();
        assert_eq!(flat, vec!["Über Zoë* sprach.", "gap:\" \"", "Paris* rief."]);
    }
}
