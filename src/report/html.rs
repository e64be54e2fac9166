//! The page: static parts (numbers, tables) rendered here with every text HTML-escaped; charts
//! and the document view as JSON in `<script type="application/json">` blocks (with `<`, `>`,
//! `&`, U+2028/9 escaped, so no article text can close the script) read by `report.js`, which
//! only ever inserts text with `textContent`.

use super::data::{Block, Report, STANCES};
use super::specs;
use serde_json::{json, Value};
use std::fmt::Write;

const VEGA: &str = include_str!("../../vendor/vega.min.js");
const VEGA_LITE: &str = include_str!("../../vendor/vega-lite.min.js");
const VEGA_EMBED: &str = include_str!("../../vendor/vega-embed.min.js");
const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// Text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// JSON that is safe inside a `<script>` element: `</script>` or `<!--` in a string can't end
/// or change the script, and JS line separators are escaped.
pub fn script_json(v: &Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Inlined code must not contain a closing script tag (checked by a test on the vendored files).
fn script_code(code: &str) -> String {
    code.replace("</script", "<\\/script")
}

fn num(n: u64) -> String {
    // 12345678 -> 12,345,678
    let s = n.to_string();
    let mut o = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            o.push(',');
        }
        o.push(c);
    }
    o
}

fn chart(out: &mut String, id: &str, spec: Option<Value>, empty: &str, specs_out: &mut Vec<(String, Value)>) {
    match spec {
        Some(v) => {
            let _ = write!(out, "<div class=\"chart\" id=\"chart-{id}\" data-spec=\"spec-{id}\"></div>");
            specs_out.push((format!("spec-{id}"), v));
        }
        None => {
            let _ = write!(out, "<p class=\"empty\" id=\"chart-{id}\">{}</p>", esc(empty));
        }
    }
}

pub fn render(r: &Report) -> String {
    let mut specs_out: Vec<(String, Value)> = Vec::new();
    let mut b = String::with_capacity(2 << 20);
    let o = &r.overview;
    let _ = write!(
        b,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"actorlens report\">\
         <title>actorlens report: {t}</title><style>{CSS}</style></head><body>\n\
         <header><h1>actorlens report: <span id=\"run-name\">{t}</span></h1><nav>\
         <a href=\"#overview\">Overview</a><a href=\"#actors\">Actors</a><a href=\"#network\">Network</a>\
         <a href=\"#tone\">Tone over time</a><a href=\"#documents\">Documents</a><a href=\"#errors\">Errors</a>\
         </nav></header><main>\n",
        t = esc(&r.title)
    );

    // Overview
    b.push_str("<section id=\"overview\"><h2>Overview</h2><div class=\"cards\">");
    let err_total = r.errors.total;
    for (label, n) in [
        ("documents", o.documents),
        ("sentences", o.sentences),
        ("mentions", o.mentions),
        ("actors", o.actors_distinct),
        ("claimed actions", o.actions),
        ("actor-to-actor stances", o.stances),
        ("error rows", err_total),
    ] {
        let _ = write!(
            b,
            "<div class=\"card\"><div class=\"n\">{}</div><div class=\"l\">{}</div></div>",
            num(n),
            esc(label)
        );
    }
    b.push_str("</div><div class=\"cols\"><div><h3>Run</h3><table class=\"kv\" id=\"run-info\"><tbody>");
    let _ = write!(
        b,
        "<tr><th>layout</th><td>{} ({} manifest{}), tables read as {}</td></tr>",
        o.layout,
        o.shards,
        if o.shards == 1 { "" } else { "s" },
        esc(&o.formats)
    );
    let _ = write!(b, "<tr><th>actor rows (actor × document)</th><td>{}</td></tr>", num(o.actor_rows));
    for (k, v) in &o.run_info {
        let _ = write!(b, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    for (k, v) in &o.flagged {
        let _ = write!(b, "<tr><th>documents flagged {}</th><td>{}</td></tr>", esc(k), num(*v));
    }
    b.push_str("</tbody></table></div><div><h3>Error rows by kind</h3>");
    if r.errors.by_kind.is_empty() {
        b.push_str("<p class=\"empty\" id=\"errors-by-kind\">No error rows: every input record became a document.</p>");
    } else {
        b.push_str("<table class=\"kv\" id=\"errors-by-kind\"><tbody>");
        for (k, v) in &r.errors.by_kind {
            let _ = write!(b, "<tr><th>{}</th><td>{}</td></tr>", esc(k), num(*v));
        }
        b.push_str("</tbody></table>");
    }
    b.push_str("</div></div></section>\n");

    // Actors
    let top = r.top_actors;
    b.push_str("<section id=\"actors\"><h2>Top actors</h2><div class=\"charts\">");
    chart(&mut b, "actors-docs", specs::actors_by_docs(r, top), "No actors in this run.", &mut specs_out);
    chart(&mut b, "actors-mentions", specs::actors_by_mentions(r, top), "", &mut specs_out);
    b.push_str("</div>");
    if !r.actors.is_empty() {
        b.push_str(
            "<table class=\"grid\" id=\"actors-table\"><thead><tr><th>actor</th><th>id</th><th>type</th>\
             <th>documents</th><th>mentions</th><th>stance: favour / against / neutral / unscored</th>\
             <th>mean sentiment</th><th>aliases</th><th>roles</th></tr></thead><tbody>",
        );
        for a in &r.actors {
            let total = a.docs.max(1) as f64;
            let mut bar = String::from("<div class=\"sbar\">");
            for (k, name) in STANCES.iter().enumerate() {
                if a.stance[k] > 0 {
                    let _ = write!(
                        bar,
                        "<span class=\"st-{name}\" style=\"width:{:.1}%\" title=\"{name}: {}\"></span>",
                        100.0 * a.stance[k] as f64 / total,
                        a.stance[k]
                    );
                }
            }
            bar.push_str("</div>");
            let more = if a.n_aliases > a.aliases.len() {
                format!(" … (+{})", a.n_aliases - a.aliases.len())
            } else {
                String::new()
            };
            let mut id = esc(&a.actor_id);
            if let Some(kb) = &a.kb_id {
                let _ = write!(id, " <small>{}</small>", esc(kb));
            }
            if let Some(l) = &a.linked {
                let _ = write!(id, " <small>→ {}</small>", esc(l));
            }
            let _ = write!(
                b,
                "<tr><td>{}</td><td class=\"id\">{id}</td><td>{}</td><td class=\"r\">{}</td><td class=\"r\">{}</td>\
                 <td>{bar}<small>{} / {} / {} / {}</small></td><td class=\"r\">{}</td><td>{}{}</td><td>{}</td></tr>",
                esc(&a.name),
                esc(&a.kind),
                num(a.docs),
                num(a.mentions),
                a.stance[0],
                a.stance[1],
                a.stance[2],
                a.stance[3],
                a.sentiment_mean.map(|v| format!("{v:+.3}")).unwrap_or_default(),
                esc(&a.aliases.join(", ")),
                esc(&more),
                esc(&a.roles.join(", ")),
            );
        }
        b.push_str("</tbody></table>");
    }
    b.push_str("</section>\n");

    // Network
    let n = &r.network;
    let _ = write!(
        b,
        "<section id=\"network\"><h2>Who acts on whom</h2><p>Edges are claims between two actors: rows of \
         <code>stances.csv</code> (colour from their stance) and claimed actions in <code>actions.csv</code> \
         whose agent and target are both actors (against = conflict categories, favour = cooperation, \
         other = the rest). Width = number of claims; hover an edge for up to {} evidence sentences, a node \
         for the actor. Showing {} of {} actors and {} of {} edges ({} claims in all).</p>",
        3,
        n.nodes.len(),
        n.total_nodes,
        n.edges.len(),
        n.total_edges,
        num(n.evidence_rows)
    );
    chart(
        &mut b,
        "network",
        specs::network(r),
        "No claims between two actors in this run (no stance rows, and no actions with both an agent and a target actor).",
        &mut specs_out,
    );
    b.push_str("</section>\n");

    // Tone
    let t = &r.tone;
    let mut note =
        format!("{} of {} documents have a date in <code>published</code>", num(t.dated), num(t.dated + t.undated));
    if t.undated > 0 {
        let _ = write!(note, "; <strong>{} without a (readable) date are not in these charts</strong>", num(t.undated));
        if !t.unparsed_examples.is_empty() {
            let ex: Vec<String> = t.unparsed_examples.iter().map(|e| format!("“{}”", esc(e))).collect();
            let _ = write!(note, " (unreadable values, e.g. {})", ex.join(", "));
        }
    }
    note.push_str(
        ". Dates are read as YYYY-MM-DD (or RFC 2822) as written; weeks start on Monday. Pick the period \
         below the charts.",
    );
    let _ = write!(b, "<section id=\"tone\"><h2>Tone over time</h2><p id=\"tone-note\">{note}</p>");
    chart(&mut b, "tone", specs::tone(r), "No dated documents: nothing to plot over time.", &mut specs_out);
    b.push_str("</section>\n");

    // Documents
    let d = &r.doc_view;
    let _ = writeln!(
        b,
        "<section id=\"documents\"><h2>Documents</h2><p>A sample of {} documents (spread over the run by a hash of \
         their doc_id; documents with claimed actions first). {}</p>\
         <div class=\"docpick\"><label for=\"doc-select\">document </label><select id=\"doc-select\"></select></div>\
         <div class=\"docview\"><div id=\"doc-text\" class=\"doctext\"></div><aside id=\"doc-actions\"></aside></div></section>",
        d.docs.len(),
        esc(&d.text_note)
    );

    // Errors
    let e = &r.errors;
    b.push_str("<section id=\"errors\"><h2>Errors</h2>");
    if e.rows.is_empty() {
        b.push_str("<p class=\"empty\">No error rows.</p>");
    } else {
        if e.total as usize > e.rows.len() {
            let _ = write!(
                b,
                "<p>Showing the first {} of {} error rows (all are in errors.csv).</p>",
                e.rows.len(),
                num(e.total)
            );
        }
        b.push_str(
            "<table class=\"grid\" id=\"errors-table\"><thead><tr><th>source</th><th>line</th><th>doc_id</th>\
             <th>kind</th><th>message</th></tr></thead><tbody>",
        );
        for row in &e.rows {
            let _ = write!(
                b,
                "<tr><td>{}</td><td class=\"r\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&row[0]),
                esc(&row[1]),
                esc(&row[2]),
                esc(&row[3]),
                esc(&row[4])
            );
        }
        b.push_str("</tbody></table>");
    }
    b.push_str(
        "</section>\n</main><footer>Made by <code>actorlens report</code>. Charts: Vega-Lite / Vega specs \
        (the chart menu shows each spec; they load into Altair with <code>alt.Chart.from_dict</code>), rendered \
        by vega-embed inlined in this file. Nothing is fetched when the page opens.</footer>\n",
    );

    for (id, v) in &specs_out {
        let _ = writeln!(b, "<script type=\"application/json\" id=\"{id}\">{}</script>", script_json(v));
    }
    let _ = writeln!(b, "<script type=\"application/json\" id=\"docs-data\">{}</script>", script_json(&docs_json(r)));
    for code in [VEGA, VEGA_LITE, VEGA_EMBED, JS] {
        let _ = writeln!(b, "<script>{}</script>", script_code(code));
    }
    b.push_str("</body></html>\n");
    b
}

fn docs_json(r: &Report) -> Value {
    let docs: Vec<Value> = r
        .doc_view
        .docs
        .iter()
        .map(|d| {
            let blocks: Vec<Value> = d
                .blocks
                .iter()
                .map(|bl| match bl {
                    Block::Gap(t) => json!({"gap": t}),
                    Block::Sentence { idx, segments } => json!({
                        "s": idx,
                        "segs": segments.iter().map(|(t, m)| match m {
                            Some(i) => json!([t, i]),
                            None => json!([t]),
                        }).collect::<Vec<_>>()
                    }),
                })
                .collect();
            let mentions: Vec<Value> = d
                .mentions
                .iter()
                .map(|m| {
                    json!({"s": m.sentence_idx, "start": m.start_char, "end": m.end_char, "text": m.text,
                           "label": m.label, "type": m.kind, "actor": m.actor_id})
                })
                .collect();
            let actions: Vec<Value> = d
                .actions
                .iter()
                .map(|a| {
                    json!({"id": a.action_id, "s": a.sentence_idx, "agent": a.agent_text, "agent_actor": a.agent_actor_id,
                           "predicate": a.predicate, "target": a.target_text, "target_actor": a.target_actor_id,
                           "source": a.source_text, "negated": a.negated, "modality": a.modality,
                           "quote": a.is_quote, "category": a.category, "quad": a.quad_class})
                })
                .collect();
            json!({
                "doc_id": d.doc_id, "title": d.title, "published": d.published, "sentiment": d.sentiment,
                "score": d.score, "text_status": d.text_status, "truncated": d.truncated,
                "blocks": blocks, "mentions": mentions, "actions": actions, "actors": d.actor_names,
            })
        })
        .collect();
    json!({"docs": docs, "corpus_given": r.doc_view.corpus_given})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_text_and_attributes() {
        assert_eq!(esc(r#"<b a="x">'&'</b>"#), "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;");
    }

    #[test]
    fn script_json_cannot_close_the_script_and_round_trips() {
        let v = json!({"t": "</script><script>alert(1)</script> <!-- \u{2028} & done"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('\u{2028}'), "{s}");
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn vendored_scripts_are_safe_to_inline() {
        // Inlining relies on this: a literal closing tag would end the <script> element early.
        for code in [VEGA, VEGA_LITE, VEGA_EMBED, JS] {
            assert!(!code.to_ascii_lowercase().contains("</script"));
            assert!(code.len() > 1000);
        }
        assert!(VEGA.contains("vega") && VEGA_LITE.contains("vegaLite") && VEGA_EMBED.contains("vegaEmbed"));
    }
}
