//! `actorlens extract` end to end through the binary.

mod common;

use common::{actorlens, csv_rows, read};

use std::path::Path;

/// A corpus mixing good and bad records of every input kind.
fn messy_corpus(dir: &Path) {
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("good.txt"), "Ana Bell met Carl Diaz in the city. They talked.").unwrap();
    std::fs::write(dir.join("sub/latin1.txt"), b"Eve Ford said caf\xe9 prices rose.".as_slice()).unwrap();
    std::fs::write(dir.join("empty.txt"), "").unwrap();
    std::fs::write(dir.join("image.txt"), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".as_slice()).unwrap();
    std::fs::write(dir.join("notes.bin"), "not a supported format").unwrap();
    std::fs::write(dir.join(".hidden.txt"), "skipped: hidden files are not inputs").unwrap();
    std::fs::write(
        dir.join("wire.jsonl"),
        concat!(
            "{\"id\": \"a\", \"text\": \"Gil Hart left.\", \"title\": \"T1\", \"source\": \"Wire\"}\n",
            "{\"id\": \"b\", \"text\": \"Nothing to see.\"}\n",
            "{\"id\": \"c\", \"text\": 42}\n",
            "{this is not json\n",
            "\n",
            "{\"id\": \"a\", \"text\": \"Duplicate id.\"}\n",
            "{\"text\": \"No id here, Ian Jones.\"}\n",
            "{\"id\": \"d\"}\n",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("feed.csv"),
        "id,title,text\ncsv-1,Headline,\"Kim Lee, the mayor, spoke.\"\ncsv-2,Short row\ncsv-3,Quoted,\"Line one.\nLine two.\"\n",
    )
    .unwrap();
}

#[test]
fn every_record_is_accounted_for_in_documents_or_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    messy_corpus(&corpus);
    let out = tmp.path().join("out");
    let assert = actorlens()
        .args(["extract", corpus.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet", "--threads", "2"])
        .arg("--ner-model")
        .arg(common::case_model())
        .assert()
        .code(1); // finished, with error rows
    let _ = assert;

    let docs = csv_rows(&out.join("documents.csv"));
    let ids: Vec<&str> = docs.iter().map(|r| &r[0]).collect();
    assert_eq!(
        ids,
        vec![
            "empty.txt",
            "csv-1",
            "csv-3",
            "good.txt",
            "sub/latin1.txt",
            "a",
            "b",
            &format!("{}:7", corpus.join("wire.jsonl").display())
        ],
        "documents in input order (directory walked sorted)"
    );
    let flags: Vec<(&str, &str)> = docs.iter().map(|r| (&r[0], &r[9])).filter(|(_, f)| !f.is_empty()).collect();
    assert_eq!(flags, vec![("empty.txt", "empty"), ("sub/latin1.txt", "invalid_utf8")]);

    let errors = csv_rows(&out.join("errors.csv"));
    let kinds: Vec<(String, String, String)> = errors
        .iter()
        .map(|r| {
            (
                Path::new(&r[0]).file_name().unwrap().to_string_lossy().into_owned(),
                r[1].to_string(),
                r[4 - 1].to_string(),
            )
        })
        .collect();
    let expect = |f: &str, l: &str, k: &str| (f.to_string(), l.to_string(), k.to_string());
    assert_eq!(
        kinds,
        vec![
            expect("feed.csv", "3", "missing_text"),
            expect("image.txt", "0", "binary"),
            expect("notes.bin", "0", "unsupported_format"),
            expect("wire.jsonl", "3", "invalid_field"),
            expect("wire.jsonl", "4", "malformed_jsonl"),
            expect("wire.jsonl", "6", "duplicate_id"),
            expect("wire.jsonl", "8", "missing_text"),
        ]
    );
    // 8 documents + 7 errors = every record (2 + 3 + 1 + 1 + 1 + 1 CSV/JSONL/txt records ...)
    assert_eq!(docs.len() + errors.len(), 15);
    for e in &errors {
        assert!(!e[4].is_empty(), "error rows carry a message: {e:?}");
    }

    // Mentions point into the right documents with exact text.
    let mentions = csv_rows(&out.join("mentions.csv"));
    let found: Vec<(&str, &str)> = mentions.iter().map(|r| (&r[0], &r[7])).collect();
    assert!(found.contains(&("good.txt", "Ana Bell")), "{found:?}");
    assert!(found.contains(&("csv-1", "Kim Lee")), "{found:?}");

    let manifest: serde_json::Value = serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(manifest["counts"]["documents"], 8);
    assert_eq!(manifest["counts"]["errors"], 7);
    assert_eq!(manifest["model"]["weights_sha256"].as_str().map(str::len), Some(64));

    // documents.jsonl: one object per document, nested mentions.
    let jsonl = read(&out.join("documents.jsonl"));
    let objs: Vec<serde_json::Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objs.len(), 8);
    assert_eq!(objs[5]["title"], "T1");
    assert_eq!(objs[5]["outlet"], "Wire");
    assert_eq!(objs[5]["mentions"][0]["text"], "Gil Hart");
    // No temporary files are left behind.
    for entry in std::fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "leftover temp file {name}");
    }
}

#[test]
fn outputs_are_byte_identical_across_runs_and_batch_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    messy_corpus(&corpus);
    let mut outs = Vec::new();
    for (i, batch) in ["8", "8", "1"].iter().enumerate() {
        let out = tmp.path().join(format!("out{i}"));
        actorlens()
            .args(["extract", corpus.to_str().unwrap(), "--quiet", "--batch-size", batch, "--chunk-size", "3", "--out"])
            .arg(&out)
            .arg("--ner-model")
            .arg(common::case_model())
            .assert()
            .code(1);
        outs.push(out);
    }
    for f in ["documents.csv", "mentions.csv", "errors.csv", "documents.jsonl"] {
        let a = std::fs::read(outs[0].join(f)).unwrap();
        assert_eq!(a, std::fs::read(outs[1].join(f)).unwrap(), "{f} differs between identical runs");
        assert_eq!(a, std::fs::read(outs[2].join(f)).unwrap(), "{f} differs with another batch size");
    }
}

#[test]
fn stdin_jsonl_and_csv_only_format() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    actorlens()
        .args(["extract", "-", "--quiet", "--format", "csv", "--text-field", "body", "--id-field", "key", "--out"])
        .arg(&out)
        .arg("--ner-model")
        .arg(common::case_model())
        .write_stdin("{\"key\": \"x1\", \"body\": \"Ana Bell spoke.\"}\n{\"key\": \"x2\", \"body\": \"quiet day.\"}\n")
        .assert()
        .success();
    let docs = csv_rows(&out.join("documents.csv"));
    assert_eq!(docs.iter().map(|r| r[0].to_string()).collect::<Vec<_>>(), vec!["x1", "x2"]);
    assert!(!out.join("documents.jsonl").exists());
    assert!(read(&out.join("mentions.csv")).contains("Ana Bell"));
}

#[test]
fn existing_outputs_are_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("mentions.csv"), "stale").unwrap();
    let input = tmp.path().join("a.txt");
    std::fs::write(&input, "Ana Bell spoke.").unwrap();
    actorlens()
        .args(["extract", "--quiet", "--out"])
        .arg(&out)
        .arg(&input)
        .arg("--ner-model")
        .arg(common::case_model())
        .assert()
        .success();
    assert!(read(&out.join("mentions.csv")).starts_with("doc_id,mention_id"));
}

#[test]
fn missing_model_exits_2_naming_the_file_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let out = actorlens()
        .args(["extract", "--quiet", "--out"])
        .arg(tmp.path().join("out"))
        .arg("--ner-model")
        .arg(tmp.path().join("nope"))
        .arg(tmp.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("nope") && stderr.contains("make model"), "{stderr}");
}

#[test]
fn help_explains_every_flag() {
    let out = actorlens().args(["extract", "--help"]).assert().success();
    let help = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for flag in [
        "--out",
        "--ner-model",
        "--device",
        "--batch-size",
        "--max-length",
        "--threads",
        "--format",
        "--id-field",
        "--text-field",
        "--stdin-format",
        "--chunk-size",
        "--quiet",
        "--aliases",
        "--sentiment-model",
        "--stance-model",
        "--syntax-model",
        "--no-actions",
    ] {
        assert!(help.contains(flag), "extract --help lacks {flag}");
    }
    let top = actorlens().arg("--help").assert().success();
    assert!(String::from_utf8_lossy(&top.get_output().stdout).contains("Exit codes"));
}

#[test]
fn bad_flags_exit_2() {
    actorlens().args(["extract", "--out", "x", "--batch-size", "zero", "y"]).assert().code(2);
}

#[test]
fn actor_and_tone_tables_are_written_with_transformer_options() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("a.jsonl");
    std::fs::write(
        &input,
        "{\"id\": \"1\", \"text\": \"Ana Bell praised Carl Diaz. Bell left.\"}\n{\"id\": \"2\", \"text\": \"Ana Bell condemned Eve Ford.\"}\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    actorlens()
        .args(["extract", "--quiet", "--out"])
        .arg(&out)
        .arg(&input)
        .arg("--ner-model")
        .arg(common::case_model())
        .arg("--sentiment-model")
        .arg(common::sentiment_model())
        .arg("--stance-model")
        .arg(common::nli_model())
        .assert()
        .success();
    let actors = csv_rows(&out.join("actors.csv"));
    let ids: Vec<(&str, &str, &str)> = actors.iter().map(|r| (&r[0], &r[1], &r[6])).collect();
    assert_eq!(
        ids,
        vec![
            ("1", "per:ana-bell", "2"),
            ("1", "per:carl-diaz", "1"),
            ("2", "per:ana-bell", "1"),
            ("2", "per:eve-ford", "1")
        ]
    );
    let corpus = csv_rows(&out.join("corpus_actors.csv"));
    let bell = corpus.iter().find(|r| &r[0] == "per:ana-bell").unwrap();
    assert_eq!((&bell[3], &bell[4], &bell[5]), ("2", "3", "Bell"));
    let mentions = csv_rows(&out.join("mentions.csv"));
    assert!(mentions.iter().all(|r| r[11].starts_with("per:")));
    let stances = csv_rows(&out.join("stances.csv"));
    let rows: Vec<(&str, &str, &str, &str)> = stances.iter().map(|r| (&r[0], &r[1], &r[2], &r[3])).collect();
    assert_eq!(
        rows,
        vec![("1", "per:ana-bell", "per:carl-diaz", "favour"), ("2", "per:ana-bell", "per:eve-ford", "against")]
    );
    // Both stances come from claimed actions (praise → SUPPORT, condemn → ACCUSE).
    assert!(stances.iter().all(|r| !r[5].is_empty()), "evidence_action_id set: {stances:?}");
    let actions = csv_rows(&out.join("actions.csv"));
    let acts: Vec<(&str, &str, &str, &str, &str)> =
        actions.iter().map(|r| (&r[0], &r[3], &r[6], &r[7], &r[14])).collect();
    assert!(acts.contains(&("1", "per:ana-bell", "praise", "per:carl-diaz", "SUPPORT")), "{acts:?}");
    assert!(acts.contains(&("2", "per:ana-bell", "condemn", "per:eve-ford", "ACCUSE")), "{acts:?}");
    assert_eq!(csv_rows(&out.join("sentences.csv")).len(), 3);
    let docs = csv_rows(&out.join("documents.csv"));
    assert!(docs.iter().all(|r| ["positive", "negative", "neutral"].contains(&&r[15])));
    let manifest: serde_json::Value = serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert!(manifest["model"]["stance"].as_str().unwrap().starts_with("zero-shot:"));
}

#[test]
fn a_document_the_model_fails_on_is_an_error_row_and_the_run_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, "{\"id\": \"ok\", \"text\": \"the us go let met\"}\n{\"id\": \"bad\", \"text\": \"the us go.\"}\n{\"id\": \"ok2\", \"text\": \"Let Us Go\"}\n").unwrap();
    let out = tmp.path().join("out");
    actorlens()
        .args(["extract", "--quiet", "--no-actions", "--out"])
        .arg(&out)
        .arg(&input)
        .arg("--ner-model")
        .arg(common::broken_model())
        .assert()
        .code(1);
    let docs: Vec<String> = csv_rows(&out.join("documents.csv")).iter().map(|r| r[0].to_string()).collect();
    assert_eq!(docs, vec!["ok", "ok2"]);
    let errors = csv_rows(&out.join("errors.csv"));
    assert_eq!(errors.len(), 1);
    assert_eq!((&errors[0][1], &errors[0][2], &errors[0][3]), ("2", "bad", "ner_failed"));
    assert!(errors[0][4].contains("sentence 0"), "{:?}", &errors[0]);
    // The capitalised words of a good document are still found.
    assert!(read(&out.join("mentions.csv")).contains("Let Us Go"));
}

#[test]
fn shards_together_equal_the_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    messy_corpus(&corpus);
    let run = |out: &Path, shard: Option<&str>| {
        let mut cmd = actorlens();
        cmd.args(["extract", "--quiet", "--out"]).arg(out).arg(&corpus).arg("--ner-model").arg(common::case_model());
        if let Some(s) = shard {
            cmd.args(["--shard", s]);
        }
        let _ = cmd.assert();
    };
    let single = tmp.path().join("single");
    run(&single, None);
    let shards: Vec<_> = (0..3).map(|i| tmp.path().join(format!("shard{i}"))).collect();
    for (i, dir) in shards.iter().enumerate() {
        run(dir, Some(&format!("{i}/3")));
    }
    for table in
        ["documents.csv", "mentions.csv", "errors.csv", "actors.csv", "actions.csv", "sentences.csv", "stances.csv"]
    {
        let lines = |dir: &Path| -> Vec<String> { read(&dir.join(table)).lines().skip(1).map(String::from).collect() };
        let mut want = lines(&single);
        let mut got: Vec<String> = shards.iter().flat_map(|d| lines(d)).collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{table}: union of shards differs from the single run");
    }
    let sizes: Vec<usize> = shards.iter().map(|d| csv_rows(&d.join("documents.csv")).len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 8);
    actorlens().args(["extract", "x", "--out", "y", "--shard", "3/3"]).assert().code(2);
}
