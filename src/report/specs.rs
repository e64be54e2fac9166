//! The charts as Vega-Lite (actors, tone) and Vega (network) specs with their data inline: each
//! is a complete spec that `vegaEmbed`, the Vega editor or Altair (`alt.Chart.from_dict`) can
//! render as it is.

use super::data::{Report, LABELS, STANCES};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const VL_SCHEMA: &str = "https://vega.github.io/schema/vega-lite/v6.json";
const VEGA_SCHEMA: &str = "https://vega.github.io/schema/vega/v6.json";
/// against / favour / other, everywhere in the report.
const STANCE_COLOURS: [(&str, &str); 4] =
    [("favour", "#2ca02c"), ("against", "#d62728"), ("neutral", "#9e9e9e"), ("unscored", "#dddddd")];
const EDGE_KINDS: [(&str, &str); 3] = [("against", "#d62728"), ("favour", "#2ca02c"), ("other", "#8c8c8c")];
const ACTOR_TYPES: [(&str, &str); 5] =
    [("PER", "#4c78a8"), ("ORG", "#f58518"), ("GPE", "#54a24b"), ("LOC", "#b279a2"), ("NORP", "#e45756")];

/// Display labels that stay distinct when two actors share a name.
fn labels<'a>(names: impl Iterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    let pairs: Vec<(&str, &str)> = names.collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, n) in &pairs {
        *count.entry(n).or_default() += 1;
    }
    pairs
        .iter()
        .map(|(id, n)| {
            let l = if count[n] > 1 { format!("{n} [{id}]") } else { n.to_string() };
            (id.to_string(), l)
        })
        .collect()
}

pub fn actors_by_docs(r: &Report, top: usize) -> Option<Value> {
    let shown: Vec<_> = r.actors.iter().take(top).collect();
    if shown.is_empty() {
        return None;
    }
    let lab = labels(shown.iter().map(|a| (a.actor_id.as_str(), a.name.as_str())));
    let mut values = Vec::new();
    for (rank, a) in shown.iter().enumerate() {
        for (k, stance) in STANCES.iter().enumerate() {
            if a.stance[k] == 0 {
                continue;
            }
            values.push(json!({
                "actor": lab[&a.actor_id], "actor_id": a.actor_id, "type": a.kind, "rank": rank,
                "stance": stance, "stance_order": k, "documents": a.stance[k],
                "documents_total": a.docs, "mentions": a.mentions,
                "aliases": a.aliases.join(", "),
            }));
        }
    }
    Some(json!({
        "$schema": VL_SCHEMA,
        "title": {"text": "Top actors by documents", "subtitle": "bar = documents; colour = the article's stance toward the actor"},
        "width": 420,
        "height": {"step": 18},
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": true},
        "encoding": {
            "y": {"field": "actor", "type": "nominal", "sort": {"field": "rank", "op": "min", "order": "ascending"}, "title": null},
            "x": {"field": "documents", "type": "quantitative", "stack": "zero", "title": "documents"},
            "color": {
                "field": "stance", "type": "nominal", "title": "stance",
                "scale": {"domain": STANCE_COLOURS.map(|c| c.0), "range": STANCE_COLOURS.map(|c| c.1)},
                "legend": {"orient": "bottom"}
            },
            "order": {"field": "stance_order"},
            "tooltip": [
                {"field": "actor"}, {"field": "actor_id"}, {"field": "type"}, {"field": "stance"},
                {"field": "documents", "title": "documents with this stance"},
                {"field": "documents_total", "title": "documents"}, {"field": "mentions"}, {"field": "aliases"}
            ]
        }
    }))
}

pub fn actors_by_mentions(r: &Report, top: usize) -> Option<Value> {
    let shown: Vec<_> = r.actors_by_mentions.iter().take(top).collect();
    if shown.is_empty() {
        return None;
    }
    let lab = labels(shown.iter().map(|a| (a.actor_id.as_str(), a.name.as_str())));
    let values: Vec<Value> = shown
        .iter()
        .enumerate()
        .map(|(rank, a)| {
            json!({
                "actor": lab[&a.actor_id], "actor_id": a.actor_id, "type": a.kind, "rank": rank,
                "mentions": a.mentions, "documents": a.docs, "aliases": a.aliases.join(", "),
                "sentiment_mean": a.sentiment_mean,
            })
        })
        .collect();
    Some(json!({
        "$schema": VL_SCHEMA,
        "title": {"text": "Top actors by mentions", "subtitle": "colour = actor type"},
        "width": 360,
        "height": {"step": 18},
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": true},
        "encoding": {
            "y": {"field": "actor", "type": "nominal", "sort": {"field": "rank", "op": "min", "order": "ascending"}, "title": null},
            "x": {"field": "mentions", "type": "quantitative", "title": "mentions"},
            "color": {
                "field": "type", "type": "nominal", "title": "type",
                "scale": {"domain": ACTOR_TYPES.map(|c| c.0), "range": ACTOR_TYPES.map(|c| c.1)},
                "legend": {"orient": "bottom"}
            },
            "tooltip": [
                {"field": "actor"}, {"field": "actor_id"}, {"field": "type"}, {"field": "mentions"},
                {"field": "documents"}, {"field": "sentiment_mean", "title": "mean sentiment around it"},
                {"field": "aliases"}
            ]
        }
    }))
}

const WIDTH: u32 = 820;
const HEIGHT: u32 = 540;

pub fn network(r: &Report) -> Option<Value> {
    let n = &r.network;
    if n.edges.is_empty() {
        return None;
    }
    let index: BTreeMap<&str, usize> = n.nodes.iter().enumerate().map(|(i, x)| (x.actor_id.as_str(), i)).collect();
    let lab = labels(n.nodes.iter().map(|x| (x.actor_id.as_str(), x.name.as_str())));
    let nodes: Vec<Value> = n
        .nodes
        .iter()
        .map(|x| {
            json!({
                "name": lab[&x.actor_id], "actor_id": x.actor_id, "type": x.kind, "documents": x.docs,
                "weight": x.weight, "tx": WIDTH / 2, "ty": HEIGHT / 2,
            })
        })
        .collect();
    let links: Vec<Value> = n
        .edges
        .iter()
        .filter_map(|e| {
            let (s, t) = (*index.get(e.source.as_str())?, *index.get(e.target.as_str())?);
            // vega-tooltip shows an object's keys as rows and its `title` as the heading.
            let mut tip = serde_json::Map::new();
            tip.insert("title".into(), json!(format!("{} → {} ({})", lab[&e.source], lab[&e.target], e.kind)));
            tip.insert("count".into(), json!(e.count));
            for (i, ev) in e.evidence.iter().enumerate() {
                let text = match &ev.sentence {
                    Some(sent) => format!("“{sent}” — {}", ev.claim),
                    None => ev.claim.clone(),
                };
                tip.insert(
                    format!("evidence {}", i + 1),
                    json!(format!("{} (doc {}, sentence {})", text, ev.doc_id, ev.sentence_idx)),
                );
            }
            Some(json!({"source": s, "target": t, "kind": e.kind, "count": e.count, "tip": tip}))
        })
        .collect();
    let max_count = n.edges.iter().map(|e| e.count).max().unwrap_or(1).max(2);
    let max_docs = n.nodes.iter().map(|x| x.docs).max().unwrap_or(1).max(2);
    Some(json!({
        "$schema": VEGA_SCHEMA,
        "description": "Actor-to-actor network from actorlens stances.csv and actions.csv (force layout).",
        "width": WIDTH,
        "height": HEIGHT,
        "padding": 5,
        "autosize": "none",
        "signals": [
            {"name": "cx", "update": "width / 2"},
            {"name": "cy", "update": "height / 2"},
            {"name": "nodeCharge", "value": -160,
             "bind": {"input": "range", "min": -600, "max": -10, "step": 10, "name": "repulsion "}},
            {"name": "linkDistance", "value": 110,
             "bind": {"input": "range", "min": 20, "max": 300, "step": 5, "name": "link distance "}}
        ],
        "data": [
            {"name": "node-data", "values": nodes},
            {"name": "link-data", "values": links}
        ],
        "scales": [
            {"name": "edge", "type": "ordinal", "domain": EDGE_KINDS.map(|c| c.0), "range": EDGE_KINDS.map(|c| c.1)},
            {"name": "ntype", "type": "ordinal", "domain": ACTOR_TYPES.map(|c| c.0), "range": ACTOR_TYPES.map(|c| c.1)},
            {"name": "width", "type": "linear", "domain": [1, max_count], "range": [1.5, 9]},
            {"name": "size", "type": "sqrt", "domain": [1, max_docs], "range": [80, 900]}
        ],
        "legends": [
            {"stroke": "edge", "title": "claim", "orient": "top-left", "symbolType": "stroke", "symbolStrokeWidth": 3},
            {"fill": "ntype", "title": "actor type", "orient": "top-right", "symbolType": "circle"}
        ],
        "marks": [
            {
                "name": "nodes", "type": "symbol", "zindex": 1,
                "from": {"data": "node-data"},
                "encode": {
                    "enter": {
                        "fill": {"scale": "ntype", "field": "type"},
                        "stroke": {"value": "#ffffff"},
                        "size": {"scale": "size", "field": "documents"},
                        "tooltip": {"signal": "{'title': datum.name, 'actor_id': datum.actor_id, 'type': datum.type, 'documents': datum.documents, 'claims in or out': datum.weight}"}
                    }
                },
                "transform": [{
                    "type": "force", "iterations": 300, "static": true, "signal": "force",
                    "forces": [
                        {"force": "center", "x": {"signal": "cx"}, "y": {"signal": "cy"}},
                        {"force": "collide", "radius": 18},
                        {"force": "nbody", "strength": {"signal": "nodeCharge"}},
                        {"force": "link", "links": "link-data", "distance": {"signal": "linkDistance"}},
                        // x/y take a field (of the mark item, hence datum.): pull every node (even a lone pair) gently to the middle.
                        {"force": "x", "x": "datum.tx", "strength": 0.06},
                        {"force": "y", "y": "datum.ty", "strength": 0.06}
                    ]
                }]
            },
            {
                "type": "path", "from": {"data": "link-data"}, "interactive": true,
                "encode": {
                    "update": {
                        "stroke": {"scale": "edge", "field": "kind"},
                        "strokeWidth": {"scale": "width", "field": "count"},
                        "strokeOpacity": {"value": 0.75},
                        "tooltip": {"field": "tip"}
                    },
                    "hover": {"strokeOpacity": {"value": 1}}
                },
                "transform": [{
                    "type": "linkpath", "require": {"signal": "force"}, "shape": "arc",
                    "sourceX": "datum.source.x", "sourceY": "datum.source.y",
                    "targetX": "datum.target.x", "targetY": "datum.target.y"
                }]
            },
            {
                "type": "text", "from": {"data": "nodes"}, "interactive": false, "zindex": 2,
                "encode": {
                    "update": {
                        "x": {"field": "x"}, "y": {"field": "y", "offset": -14},
                        "text": {"field": "datum.name"}, "align": {"value": "center"},
                        "fontSize": {"value": 11}, "fill": {"value": "#222222"}
                    }
                }
            }
        ]
    }))
}

pub fn tone(r: &Report) -> Option<Value> {
    let t = &r.tone;
    if t.doc_rows.is_empty() {
        return None;
    }
    let docs: Vec<Value> = t
        .doc_rows
        .iter()
        .map(|x| {
            let mut v = json!({"g": x.g, "period": x.period, "documents": x.docs, "mean_sentiment": x.mean});
            for (i, l) in LABELS.iter().enumerate() {
                v[*l] = json!(x.labels[i]);
            }
            v
        })
        .collect();
    let actors: Vec<Value> = t
        .actor_rows
        .iter()
        .map(|x| json!({"g": x.g, "period": x.period, "actor": x.actor, "documents": x.docs, "mean_stance": x.mean}))
        .collect();
    let x = json!({"field": "period", "type": "temporal", "timeUnit": "utcyearmonthdate", "title": null});
    let filter = json!({"filter": "datum.g == granularity"});
    let mut rows = vec![
        json!({
            "title": "Mean document sentiment (sentiment_score, −1..1)",
            "width": 760, "height": 150,
            "data": {"name": "documents"},
            "transform": [filter.clone(), {"filter": "isValid(datum.mean_sentiment)"}],
            "mark": {"type": "line", "point": true, "tooltip": true},
            "encoding": {
                "x": x.clone(),
                "y": {"field": "mean_sentiment", "type": "quantitative", "scale": {"domain": [-1, 1]}, "title": "mean sentiment"},
                "tooltip": [{"field": "period", "type": "nominal"}, {"field": "documents"}, {"field": "mean_sentiment"}]
            }
        }),
        json!({
            "title": "Documents per period by sentiment label",
            "width": 760, "height": 120,
            "data": {"name": "documents"},
            "transform": [filter.clone(), {"fold": LABELS, "as": ["label", "n"]}],
            // On a time axis bars are hairlines by default: give them a width by period size.
            "mark": {"type": "bar", "tooltip": true,
                     "width": {"expr": "granularity == 'day' ? 2 : granularity == 'week' ? 3 : 5"}},
            "encoding": {
                "x": x.clone(),
                "y": {"field": "n", "type": "quantitative", "stack": "zero", "title": "documents"},
                "color": {
                    "field": "label", "type": "nominal", "title": "sentiment",
                    "scale": {"domain": LABELS, "range": ["#2ca02c", "#bdbdbd", "#d62728"]}
                },
                "tooltip": [{"field": "period", "type": "nominal"}, {"field": "label"}, {"field": "n", "title": "documents"}]
            }
        }),
    ];
    if !actors.is_empty() {
        rows.push(json!({
            "title": "Stance toward the top actors (mean stance_score per period)",
            "width": 760, "height": 170,
            "data": {"name": "actors"},
            "transform": [filter.clone()],
            "mark": {"type": "line", "point": true, "tooltip": true},
            "encoding": {
                "x": x.clone(),
                "y": {"field": "mean_stance", "type": "quantitative", "scale": {"domain": [-1, 1]}, "title": "mean stance"},
                "color": {"field": "actor", "type": "nominal", "legend": {"orient": "right"}},
                "tooltip": [{"field": "actor"}, {"field": "period", "type": "nominal"}, {"field": "documents"}, {"field": "mean_stance"}]
            }
        }));
    }
    Some(json!({
        "$schema": VL_SCHEMA,
        "params": [{
            "name": "granularity", "value": t.default_granularity,
            "bind": {"input": "select", "options": t.granularities, "name": "period: "}
        }],
        "datasets": {"documents": docs, "actors": actors},
        "vconcat": rows,
        "resolve": {"scale": {"x": "shared", "color": "independent"}}
    }))
}
