//! `actorlens report`: the HTML report of the bundled sample, opened in a real browser (Debian's
//! headless `chromium`, installed by `.ci/run`), plus its failure modes and escaping.
//!
//! Console messages are read from Chromium's own log (`--enable-logging=stderr --v=0` writes
//! every `console.*` call and uncaught exception as a `CONSOLE` line); the page logs nothing when
//! all is well, so any such line fails the test. A dead proxy (127.0.0.1:9) makes any network
//! fetch fail loudly in that log too. Set ACTORLENS_SKIP_BROWSER=1 to skip only the browser part
//! on a machine without Chromium.

mod common;

use actorlens::sink::tables::{self, ColType, Table};
use common::{actorlens, read};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

const SAMPLE: [&str; 3] = ["data/sotu", "data/sotu_paragraphs.jsonl", "data/sotu_paragraphs.csv"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-tests").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `actorlens extract` of the bundled sample, once per test binary.
fn sample_out(layout: &str) -> PathBuf {
    static SINGLE: OnceLock<PathBuf> = OnceLock::new();
    static PARTS: OnceLock<PathBuf> = OnceLock::new();
    let cell = if layout == "single" { &SINGLE } else { &PARTS };
    cell.get_or_init(|| {
        let out = tmp(&format!("sample-{layout}"));
        // parts: two shards publishing Parquet into one folder, as two cluster jobs would.
        let runs: &[&[&str]] = if layout == "single" {
            &[&["--format", "csv,jsonl,parquet"]]
        } else {
            &[&["--format", "parquet", "--shard", "0/2"], &["--format", "parquet", "--shard", "1/2"]]
        };
        for extra in runs {
            actorlens()
                .current_dir(root())
                .arg("extract")
                .args(SAMPLE)
                .args(["--quiet", "--layout", layout])
                .args(*extra)
                .arg("--out")
                .arg(&out)
                .assert()
                .success();
        }
        out
    })
    .clone()
}

fn report(out: &Path, html: &Path, corpus: bool) -> String {
    let mut c = actorlens();
    c.current_dir(root()).arg("report").arg(out).arg("--html").arg(html);
    if corpus {
        c.arg("--corpus").args(SAMPLE);
    }
    c.assert().success();
    read(html)
}

/// The sample's report (with the corpus text), made once.
fn sample_report() -> (PathBuf, String) {
    static R: OnceLock<(PathBuf, String)> = OnceLock::new();
    R.get_or_init(|| {
        let html = tmp("sample-report").join("report.html");
        let page = report(&sample_out("single"), &html, true);
        (html, page)
    })
    .clone()
}

fn chromium() -> Option<PathBuf> {
    if std::env::var_os("ACTORLENS_SKIP_BROWSER").is_some_and(|v| v == "1") {
        eprintln!("ACTORLENS_SKIP_BROWSER=1: browser check skipped");
        return None;
    }
    for c in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(c).is_file() {
            return Some(c.into());
        }
    }
    panic!(
        "headless Chromium is needed for the report's browser check: `apt-get install -y chromium` \
         (.ci/run does this), or set ACTORLENS_SKIP_BROWSER=1 to skip it"
    );
}

/// Open `html` headless; returns (stdout, console lines). `mode` is e.g. `--dump-dom` or
/// `--screenshot=PATH`.
fn browse(bin: &Path, html: &Path, mode: &str) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--proxy-server=127.0.0.1:9",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1400,5200",
            "--virtual-time-budget=15000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(mode)
        .arg(format!("file://{}", html.canonicalize().unwrap().display()))
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {}\n{stderr}", out.status);
    let console = stderr.lines().filter(|l| l.contains("CONSOLE")).map(str::to_string).collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

#[test]
fn browser_check_catches_console_errors() {
    // The checker itself: a page that logs must be caught, or the real checks prove nothing.
    let Some(bin) = chromium() else { return };
    let html = tmp("console").join("bad.html");
    std::fs::write(&html, "<!DOCTYPE html><p>x</p><script>console.error('boom'); missingFunction();</script>").unwrap();
    let (_, console) = browse(&bin, &html, "--dump-dom");
    assert!(console.iter().any(|l| l.contains("boom")), "{console:?}");
    assert!(console.iter().any(|l| l.contains("missingFunction")), "{console:?}");
}

#[test]
fn sample_report_renders_in_chromium_without_console_errors() {
    let (html, _) = sample_report();
    let Some(bin) = chromium() else { return };
    let dir = root().join("build/report-test");
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("report.png");
    let _ = std::fs::remove_file(&png);
    let (_, console) = browse(&bin, &html, &format!("--screenshot={}", png.display()));
    assert!(console.is_empty(), "console output while opening the report:\n{}", console.join("\n"));
    let shot = std::fs::read(&png).expect("screenshot written");
    assert!(shot.starts_with(b"\x89PNG") && shot.len() > 50_000, "{} bytes", shot.len());
}

#[test]
fn sample_report_dom_has_every_section_and_drawn_charts() {
    let (html, _) = sample_report();
    let Some(bin) = chromium() else { return };
    let (dom, console) = browse(&bin, &html, "--dump-dom");
    assert!(console.is_empty(), "{}", console.join("\n"));
    for id in ["overview", "actors", "network", "tone", "documents", "errors"] {
        assert!(dom.contains(&format!("<section id=\"{id}\"")), "section {id} missing");
    }
    assert!(dom.contains("data-charts=\"rendered\""), "charts did not finish");
    for chart in ["actors-docs", "actors-mentions", "network", "tone"] {
        let at = dom.find(&format!("id=\"chart-{chart}\"")).unwrap_or_else(|| panic!("chart {chart} missing"));
        let tag_end = at + dom[at..].find('>').unwrap();
        assert!(dom[at..tag_end].contains("data-rendered=\"true\""), "chart {chart} not drawn");
        let section_end = tag_end + dom[tag_end..].find("</section>").unwrap();
        assert!(dom[tag_end..section_end].contains("<svg"), "chart {chart} has no SVG");
    }
    // The network has one path per edge; the sample has stances and actor-to-actor actions.
    assert!(dom.contains("role-mark") || dom.contains("mark-path"), "no vega marks");
    // Document view: entity highlighting and the claimed actions list.
    let doc_text = &dom[dom.find("id=\"doc-text\"").unwrap()..];
    assert!(doc_text.contains("<mark class=\"ent ent-GPE"), "no GPE highlight");
    assert!(doc_text.contains("the United States"));
    assert!(dom.contains("Claimed actions ("));
    assert!(dom.matches("<option value=").count() >= 20, "document picker");
    // Numbers from the tables, in the overview.
    let docs = common::csv_rows(&sample_out("single").join("documents.csv")).len();
    assert!(dom.contains(&format!("<div class=\"n\">{docs}</div><div class=\"l\">documents</div>")));
}

#[test]
fn report_is_self_contained_and_deterministic() {
    let (_, page) = sample_report();
    // Nothing to fetch: no external scripts, styles, images, frames or CSS imports in the page
    // itself (markup, CSS, JSON data; the inlined vega code after it builds tooltips and SVG).
    let own = &page[..page.find("<script>").expect("inlined code")];
    for bad in ["<script src", "<link", "<img", "<iframe", "@import", "url(", "http://", "src="] {
        assert!(!own.contains(bad), "{bad} in the page");
    }
    assert_eq!(page.matches("<script").count(), page.matches("</script>").count());
    assert!(
        page.contains("vegaEmbed") && page.contains("\"$schema\":\"https://vega.github.io/schema/vega-lite/v6.json\"")
    );
    // Network hover: each edge's tooltip carries its evidence sentence (text from --corpus).
    assert!(page.contains("\"evidence 1\":\"“"), "no evidence sentence in the network tooltips");
    // Same folder, same bytes (the manifest's times are not used).
    let again = report(&sample_out("single"), &tmp("again").join("r.html"), true);
    assert!(again == page, "two reports of one folder differ");
    // Bounded: the sample's page is the inlined libraries plus well under a megabyte.
    assert!(page.len() < 2_000_000, "{} bytes", page.len());
}

#[test]
fn parts_layout_with_parquet_gives_the_same_report_numbers() {
    let (_, single) = sample_report();
    let html = tmp("parts-report").join("r.html");
    let parts = report(&sample_out("parts"), &html, true);
    let cut = |p: &str, from: &str, to: &str| -> String {
        let a = p.find(from).unwrap_or_else(|| panic!("{from} missing"));
        let b = a + p[a..].find(to).unwrap();
        p[a..b].to_string()
    };
    assert!(
        parts.contains("parts (2 manifests), tables read as CSV + Parquet"),
        "{}",
        cut(&parts, "<th>layout", "</tr>")
    );
    // The two shards together are the single run: same totals, same actor aggregates.
    assert_eq!(cut(&parts, "<div class=\"cards\">", "<h3>Run"), cut(&single, "<div class=\"cards\">", "<h3>Run"));
    assert_eq!(
        cut(&parts, "<table class=\"grid\" id=\"actors-table\"", "</table>"),
        cut(&single, "<table class=\"grid\" id=\"actors-table\"", "</table>")
    );
    assert_eq!(cut(&parts, "<p id=\"tone-note\">", "</p>"), cut(&single, "<p id=\"tone-note\">", "</p>"));
}

#[test]
fn without_corpus_the_document_view_says_where_the_text_is() {
    let html = tmp("no-corpus").join("r.html");
    let page = report(&sample_out("single"), &html, false);
    assert!(page.contains("Run `actorlens report OUT_DIR --corpus INPUT...`"));
    assert!(page.contains("\"text_status\":\"no text: run with --corpus\""));
    // Evidence falls back to what the tables say (stance cue / action parts), not a sentence.
    assert!(!page.contains("\"evidence 1\":\"“") && page.contains("(stance cue)"));
    // Mentions are still listed for each sampled document.
    assert!(page.contains("\"text\":\"the United States\""));
}

/// A hand-made output folder: every table with its real header, the given rows (missing cells
/// get a neutral value of their column type).
fn write_table(dir: &Path, t: &Table, rows: &[Vec<(&str, &str)>]) {
    let mut w = csv::Writer::from_path(dir.join(format!("{}.csv", t.name))).unwrap();
    w.write_record(t.header()).unwrap();
    for r in rows {
        let rec: Vec<String> = t
            .columns
            .iter()
            .map(|(c, ty)| {
                r.iter().find(|(k, _)| k == c).map(|(_, v)| v.to_string()).unwrap_or_else(|| match ty {
                    ColType::Int => "0".into(),
                    ColType::Float(_) => "0.0".into(),
                    ColType::Bool => "false".into(),
                    _ => String::new(),
                })
            })
            .collect();
        w.write_record(rec).unwrap();
    }
    w.flush().unwrap();
}

const EVIL: &str = "</script><script>console.error('xss')</script><img src=x onerror=console.error('img')>";

fn evil_folder() -> (PathBuf, PathBuf) {
    let dir = tmp("evil");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let text = format!("Bell met {EVIL} in Paris. Diaz condemned Bell.");
    let corpus = dir.join("corpus.jsonl");
    std::fs::write(
        &corpus,
        serde_json::json!({"id": "d1", "text": text, "published": "2024-03-05"}).to_string() + "\n",
    )
    .unwrap();
    let sha = actorlens::ingest::Ingest::new(&[corpus.display().to_string()], Default::default())
        .next()
        .unwrap()
        .unwrap()
        .input_sha256;
    std::fs::write(
        out.join("manifest.json"),
        format!(r#"{{"actorlens_version":"{EVIL}","model":{{"name":"m{EVIL}"}}}}"#),
    )
    .unwrap();
    let title = format!("T {EVIL}");
    write_table(
        &out,
        &tables::DOCUMENTS,
        &[vec![
            ("doc_id", "d1"),
            ("title", &title),
            ("published", "2024-03-05"),
            ("input_sha256", &sha),
            ("n_mentions", "3"),
            ("sentiment_score", "-0.5"),
            ("sentiment_label", "negative"),
        ]],
    );
    let n = text.chars().count();
    let s1 = text.find("Diaz").map(|b| text[..b].chars().count()).unwrap();
    let end0 = (s1 - 1).to_string();
    let s1s = s1.to_string();
    let ns = n.to_string();
    write_table(
        &out,
        &tables::SENTENCES,
        &[
            vec![("doc_id", "d1"), ("sentence_idx", "0"), ("start_char", "0"), ("end_char", &end0)],
            vec![("doc_id", "d1"), ("sentence_idx", "1"), ("start_char", &s1s), ("end_char", &ns)],
        ],
    );
    let evil_start = text.find(EVIL).map(|b| text[..b].chars().count()).unwrap();
    let (es, ee) = (evil_start.to_string(), (evil_start + EVIL.chars().count()).to_string());
    let diaz_end = (s1 + 4).to_string();
    write_table(
        &out,
        &tables::MENTIONS,
        &[
            vec![
                ("doc_id", "d1"),
                ("mention_id", "0"),
                ("start_char", "0"),
                ("end_char", "4"),
                ("text", "Bell"),
                ("label", "PERSON"),
                ("type", "PER"),
                ("actor_id", "per:bell"),
            ],
            vec![
                ("doc_id", "d1"),
                ("mention_id", "1"),
                ("start_char", &es),
                ("end_char", &ee),
                ("text", EVIL),
                ("label", EVIL),
                ("type", EVIL),
                ("actor_id", EVIL),
            ],
            vec![
                ("doc_id", "d1"),
                ("mention_id", "2"),
                ("sentence_idx", "1"),
                ("start_char", &s1s),
                ("end_char", &diaz_end),
                ("text", "Diaz"),
                ("label", "PERSON"),
                ("type", "PER"),
                ("actor_id", "per:diaz"),
            ],
        ],
    );
    write_table(
        &out,
        &tables::ACTORS,
        &[
            vec![
                ("doc_id", "d1"),
                ("actor_id", "per:bell"),
                ("name", "Bell"),
                ("type", "PER"),
                ("n_mentions", "2"),
                ("stance", "against"),
                ("stance_score", "-0.6"),
            ],
            vec![
                ("doc_id", "d1"),
                ("actor_id", "per:diaz"),
                ("name", "Diaz"),
                ("type", "PER"),
                ("n_mentions", "1"),
                ("aliases", EVIL),
            ],
            vec![
                ("doc_id", "d1"),
                ("actor_id", EVIL),
                ("name", EVIL),
                ("type", EVIL),
                ("n_mentions", "1"),
                ("roles", EVIL),
            ],
        ],
    );
    write_table(
        &out,
        &tables::STANCES,
        &[vec![
            ("doc_id", "d1"),
            ("source_actor_id", "per:diaz"),
            ("target_actor_id", "per:bell"),
            ("stance", "against"),
            ("score", "-1.0"),
            ("evidence_sentence_idx", "1"),
            ("cue", EVIL),
        ]],
    );
    write_table(
        &out,
        &tables::ACTIONS,
        &[vec![
            ("doc_id", "d1"),
            ("action_id", "0"),
            ("sentence_idx", "0"),
            ("agent_actor_id", "per:bell"),
            ("agent_text", "Bell"),
            ("predicate", EVIL),
            ("target_actor_id", EVIL),
            ("target_text", EVIL),
            ("source_text", EVIL),
            ("modality", "asserted"),
            ("category", EVIL),
            ("confidence", "0.5"),
        ]],
    );
    write_table(
        &out,
        &tables::ERRORS,
        &[vec![("source", EVIL), ("line", "3"), ("doc_id", EVIL), ("kind", "malformed_jsonl"), ("message", EVIL)]],
    );
    (out, corpus)
}

#[test]
fn text_from_articles_cannot_break_the_page() {
    let (out, corpus) = evil_folder();
    let html = out.join("report.html");
    actorlens().arg("report").arg(&out).arg("--corpus").arg(&corpus).assert().success();
    let page = read(&html);
    // The only script ends are our own: 4 data/spec blocks + 4 code blocks at most.
    assert!(!page.contains("<script>console.error"), "injected script survived");
    assert!(!page.contains("<img src=x"), "injected tag survived");
    assert!(page.contains("&lt;/script&gt;&lt;script&gt;console.error("), "escaped text missing from the tables");
    let Some(bin) = chromium() else { return };
    let (dom, console) = browse(&bin, &html, "--dump-dom");
    assert!(console.is_empty(), "{}", console.join("\n"));
    // The document view shows the article's markup as text, highlighted as a mention.
    let doc_text = &dom[dom.find("id=\"doc-text\"").unwrap()..];
    assert!(
        doc_text.contains("&lt;/script&gt;&lt;script&gt;console.error('xss')&lt;/script&gt;&lt;img src=x"),
        "{}",
        &doc_text[..doc_text.len().min(2000)]
    );
    assert!(doc_text.contains("class=\"ent ent-MISC actor\""));
    assert!(dom.contains("data-charts=\"rendered\""));
}

#[test]
fn missing_or_malformed_tables_are_clear_errors_with_exit_2() {
    let run = |dir: &Path, extra: &[&str]| -> String {
        let out = actorlens().arg("report").arg(dir).args(extra).assert().code(2).get_output().stderr.clone();
        String::from_utf8_lossy(&out).into_owned()
    };
    let nothing = tmp("missing");
    assert!(run(&nothing.join("nope"), &[]).contains("not a directory"));
    assert!(run(&nothing, &[]).contains("no manifest.json and no _manifests/"));

    let (out, _) = evil_folder();
    std::fs::remove_file(out.join("mentions.csv")).unwrap();
    let e = run(&out, &[]);
    assert!(e.contains("table `mentions` is missing"), "{e}");

    let (out, _) = evil_folder();
    let docs = out.join("documents.csv");
    let t = read(&docs).replacen(",3,", ",three,", 1);
    std::fs::write(&docs, t).unwrap();
    let e = run(&out, &[]);
    assert!(e.contains("`n_mentions` = \"three\" is not an integer"), "{e}");

    let (out, _) = evil_folder();
    std::fs::write(out.join("manifest.json"), "{not json").unwrap();
    assert!(run(&out, &[]).contains("manifest.json: not valid JSON"));

    let (out, _) = evil_folder();
    let e = run(&out, &["--corpus", "no/such/input.jsonl"]);
    assert!(e.contains("--corpus no/such/input.jsonl: no such file"), "{e}");
    assert!(!out.join("report.html").exists(), "no report on error");
}
