//! Batch-job behaviour: killed runs resume without duplicates or gaps, incremental re-runs,
//! deterministic part files with a manifest, streaming JSON Lines, typed Parquet.

mod common;

use common::{actorlens, csv_rows, read};

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&read(p)).unwrap()
}

const NAMES: [&str; 8] =
    ["Ana Bell", "Carl Diaz", "Eve Ford", "Gil Hart", "Ian Jones", "Kim Lee", "Max Neri", "Ola Park"];

/// `n` small documents as JSON Lines, ids `d0000`…, with `offset` shifting the ids.
fn corpus(n: usize, offset: usize) -> String {
    (offset..offset + n)
        .map(|i| {
            let (a, b) = (NAMES[i % 8], NAMES[(i * 3 + 1) % 8]);
            format!(
                "{{\"id\": \"d{i:04}\", \"text\": \"{a} met {b} in Town {i}, and she talked about the Plan {}.\"}}\n",
                i % 7
            )
        })
        .collect()
}

fn extract(out: &Path, input: &Path, extra: &[&str]) -> assert_cmd::Command {
    common::extract_case(out, &[input], 2, extra)
}

const TABLES: [&str; 8] =
    ["documents", "mentions", "actors", "sentences", "stances", "actions", "errors", "corpus_actors"];

/// Every published data file of a single-layout run, by name.
fn data_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && n != "manifest.json")
        .map(|n| (n.clone(), std::fs::read(out.join(&n)).unwrap()))
        .collect()
}

fn committed_chunks(out: &Path) -> usize {
    let dir = out.join("_actorlens_state/shard-00000-of-00001/chunks");
    std::fs::read_dir(dir)
        .map(|d| d.flatten().filter(|e| !e.file_name().to_string_lossy().ends_with(".tmp")).count())
        .unwrap_or(0)
}

#[test]
fn a_killed_run_resumes_with_every_document_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let n = 600;
    std::fs::write(&input, corpus(n, 0)).unwrap();
    let formats = ["--format", "csv,jsonl,parquet", "--chunk-size", "3"];

    let reference = tmp.path().join("reference");
    extract(&reference, &input, &formats).assert().success();

    // Start the same job, SIGKILL it once a few chunks are committed, then resume.
    let out = tmp.path().join("out");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("actorlens"))
        .args(["extract", "--quiet", "--threads", "2"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .arg("--ner-model")
        .arg(common::case_model())
        .args(formats)
        .spawn()
        .unwrap();
    let start = Instant::now();
    while committed_chunks(&out) < 5 && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert!(
        !out.join("manifest.json").exists(),
        "the run finished before it could be killed; make the test corpus larger"
    );
    let done_before = committed_chunks(&out);
    assert!(done_before >= 5 && done_before < n / 3, "committed chunks at kill time: {done_before}");
    // Nothing is published under the final names by a killed run.
    assert!(!out.join("documents.csv").exists());

    extract(&out, &input, &formats).arg("--resume").assert().success();
    let manifest = json(&out.join("manifest.json"));
    let skipped = manifest["skipped_done"].as_u64().unwrap() as usize;
    assert!(skipped >= done_before * 3, "skipped {skipped}, committed chunks {done_before}");
    assert_eq!(manifest["counts"]["documents"], n);
    assert_eq!(manifest["this_run"]["documents"].as_u64().unwrap() as usize + skipped, n);

    // Every document exactly once, and the files are valid and identical to an uninterrupted run.
    let ids: Vec<String> = csv_rows(&out.join("documents.csv")).iter().map(|r| r[0].to_string()).collect();
    let want: Vec<String> = (0..n).map(|i| format!("d{i:04}")).collect();
    assert_eq!(ids, want);
    for line in read(&out.join("documents.jsonl")).lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
    let got = data_files(&out);
    let want = data_files(&reference);
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
    for (name, bytes) in &want {
        assert!(got[name] == *bytes, "{name} differs from the uninterrupted run");
    }
}

#[test]
fn resume_adds_new_documents_and_refuses_to_mix_models_or_changed_texts() {
    let tmp = tempfile::tempdir().unwrap();
    // The nightly file grows: 10 documents, then 6 more.
    let ab = tmp.path().join("feed.jsonl");
    std::fs::write(&ab, corpus(10, 0)).unwrap();
    let out = tmp.path().join("out");
    extract(&out, &ab, &[]).assert().success();
    std::fs::write(&ab, corpus(10, 0) + &corpus(6, 10)).unwrap();
    extract(&out, &ab, &["--resume"]).assert().success();
    let manifest = json(&out.join("manifest.json"));
    assert_eq!(manifest["skipped_done"], 10);
    assert_eq!(manifest["this_run"]["documents"], 6);
    assert_eq!(manifest["counts"]["documents"], 16);
    // The same result as one fresh run over both.
    let fresh = tmp.path().join("fresh");
    extract(&fresh, &ab, &[]).assert().success();
    for t in TABLES {
        let f = format!("{t}.csv");
        assert_eq!(read(&out.join(&f)), read(&fresh.join(&f)), "{f}");
    }
    assert_eq!(read(&out.join("documents.jsonl")), read(&fresh.join("documents.jsonl")));
    // The manifest lists each file with its row count and sha256.
    for f in manifest["outputs"].as_array().unwrap() {
        let path = out.join(f["path"].as_str().unwrap());
        assert_eq!(f["sha256"].as_str().unwrap(), common::sha256(&path), "{}", path.display());
        if f["format"] == "csv" {
            assert_eq!(f["rows"].as_u64().unwrap() as usize, csv_rows(&path).len(), "{}", path.display());
            // counts are the totals of the published tables (coref's PRON/NOM mention rows too).
            if let Some(n) = manifest["counts"].get(f["table"].as_str().unwrap()) {
                assert_eq!(n, &f["rows"], "counts.{} vs {}", f["table"], path.display());
            }
        }
    }

    // Running again changes nothing.
    extract(&out, &ab, &["--resume"]).assert().success();
    assert_eq!(json(&out.join("manifest.json"))["this_run"]["documents"], 0);
    assert_eq!(read(&out.join("documents.csv")), read(&fresh.join("documents.csv")));

    // A done id with other text is not processed twice: it becomes an error row, once.
    let changed = ab.clone();
    std::fs::write(&changed, corpus(16, 0).replace("Town 3,", "Town 33,")).unwrap();
    extract(&out, &changed, &["--resume"]).assert().code(1);
    // Nothing left to do, but the published errors.csv has the row: still exit 1 (issue 16).
    extract(&out, &changed, &["--resume"]).assert().code(1);
    let errors = csv_rows(&out.join("errors.csv"));
    assert_eq!(errors.len(), 1);
    assert_eq!((&errors[0][2], &errors[0][3]), ("d0003", "changed_since_done"));
    assert_eq!(csv_rows(&out.join("documents.csv")).len(), 16);

    // Another model or configuration: refused, outputs untouched.
    let before = read(&out.join("documents.csv"));
    extract(&out, &changed, &["--resume", "--batch-size", "7"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("another model or configuration"));
    assert_eq!(read(&out.join("documents.csv")), before);
}

/// All part files under `out`, relative paths → bytes.
fn part_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(out)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(out).unwrap().to_string_lossy().into_owned())
        .filter(|p| !p.starts_with("_actorlens_state") && !p.starts_with("_manifests"))
        .map(|p| (p.clone(), std::fs::read(out.join(&p)).unwrap()))
        .collect()
}

#[test]
fn parts_layout_is_deterministic_idempotent_and_listed_in_the_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, corpus(40, 0)).unwrap();
    let out = tmp.path().join("out");
    let parts = |shard: &str| {
        extract(&out, &input, &["--layout", "parts", "--chunk-size", "8", "--format", "csv,parquet", "--shard", shard])
            .assert()
            .success();
    };
    parts("0/2");
    parts("1/2");
    let first = part_files(&out);
    assert!(first.keys().any(|p| p.starts_with("csv/documents/part-00000-")), "{:?}", first.keys());
    assert!(first.keys().any(|p| p.starts_with("parquet/mentions/part-00001-")), "{:?}", first.keys());
    assert!(first.contains_key("csv/corpus_actors/part-00000.csv"));

    // Each shard's manifest lists exactly its files, with row counts and sha256.
    let mut listed = Vec::new();
    let mut docs = 0;
    for shard in ["shard-00000-of-00002", "shard-00001-of-00002"] {
        let m = json(&out.join("_manifests").join(format!("{shard}.json")));
        for f in m["outputs"].as_array().unwrap() {
            let rel = f["path"].as_str().unwrap().to_string();
            let path = out.join(&rel);
            assert_eq!(f["sha256"].as_str().unwrap(), common::sha256(&path));
            if f["format"] == "csv" {
                assert_eq!(f["rows"].as_u64().unwrap() as usize, csv_rows(&path).len(), "{rel}");
            }
            if f["table"] == "documents" && f["format"] == "csv" {
                docs += f["rows"].as_u64().unwrap();
            }
            listed.push(rel);
        }
    }
    listed.sort();
    assert_eq!(listed, first.keys().cloned().collect::<Vec<_>>());
    assert_eq!(docs, 40);

    // A retried shard (fresh, no --resume) rewrites the very same files and nothing else.
    parts("0/2");
    assert_eq!(part_files(&out), first);
    // So does a resume of a finished shard.
    extract(
        &out,
        &input,
        &["--layout", "parts", "--chunk-size", "8", "--format", "csv,parquet", "--shard", "1/2", "--resume"],
    )
    .assert()
    .success();
    assert_eq!(part_files(&out), first);
}

#[test]
fn stream_mode_writes_one_json_line_per_input_record_in_input_order() {
    let tmp = tempfile::tempdir().unwrap();
    let input = concat!(
        "{\"id\": \"a\", \"text\": \"Ana Bell met Carl Diaz.\"}\n",
        "{not json\n",
        "{\"id\": \"b\", \"text\": \"Eve Ford left.\"}\n",
        "{\"id\": \"a\", \"text\": \"Duplicate id.\"}\n",
        "{\"id\": \"c\", \"text\": \"\"}\n",
        "{\"id\": \"d\", \"text\": \"Gil Hart stayed.\"}\n",
    );
    let assert = actorlens()
        .current_dir(tmp.path())
        .args(["extract", "--stream", "--quiet", "--chunk-size", "2", "--ner-model"])
        .arg(common::case_model())
        .write_stdin(input)
        .assert()
        .code(1); // error records present
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 6, "{stdout}");
    let ids: Vec<&str> = lines.iter().map(|l| l["doc_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "", "b", "a", "c", "d"]);
    assert_eq!(lines[1]["error"]["kind"], "malformed_jsonl");
    assert_eq!(lines[3]["error"]["kind"], "duplicate_id");
    assert!(lines[0].get("error").is_none());
    assert_eq!(lines[0]["mentions"].as_array().unwrap().len(), 2);
    // Nothing written to disk.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn parquet_tables_have_typed_columns_and_the_csv_rows() {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, corpus(12, 0)).unwrap();
    let out = tmp.path().join("out");
    extract(&out, &input, &["--format", "csv,parquet"]).assert().success();
    let types = |t: &str| -> (BTreeMap<String, String>, usize) {
        let f = std::fs::File::open(out.join(format!("{t}.parquet"))).unwrap();
        let b = ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
        let schema = b.schema().clone();
        let rows = b.build().unwrap().map(|r| r.unwrap().num_rows()).sum();
        (schema.fields().iter().map(|f| (f.name().clone(), f.data_type().to_string())).collect(), rows)
    };
    for t in TABLES {
        let (cols, rows) = types(t);
        assert_eq!(rows, csv_rows(&out.join(format!("{t}.csv"))).len(), "{t}");
        let header: Vec<String> = csv::Reader::from_path(out.join(format!("{t}.csv")))
            .unwrap()
            .headers()
            .unwrap()
            .iter()
            .map(String::from)
            .collect();
        let mut names: Vec<String> = cols.keys().cloned().collect();
        let mut want = header.clone();
        names.sort();
        want.sort();
        assert_eq!(names, want, "{t}");
    }
    let (m, _) = types("mentions");
    assert_eq!(m["start_char"], "Int64");
    assert_eq!(m["score"], "Float64");
    assert_eq!(m["text"], "Utf8");
    let (a, _) = types("actions");
    assert_eq!(a["negated"], "Boolean");
}
