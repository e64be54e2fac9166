//! The NER inference engines behind `--engine`: ONNX Runtime (fp32, int8) against the rust-bert /
//! libtorch reference on the bundled model, and clear failures when an engine cannot run.

mod common;

use common::actorlens;

use predicates::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;

type Entity = (String, String, String, String);

fn entities(out: &Path) -> BTreeSet<Entity> {
    csv::Reader::from_path(out.join("mentions.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].to_string(), r[3].to_string(), r[4].to_string(), r[8].to_string()))
        .collect()
}

fn run_engine(input: &Path, out: &Path, engine: &str) -> String {
    actorlens()
        .args(["extract", "--quiet", "--format", "csv", "--no-actions", "--engine", engine, "--out"])
        .arg(out)
        .arg(input)
        .assert()
        .success();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    manifest["model"]["name"].as_str().unwrap().to_string()
}

#[test]
fn onnx_engines_find_the_entities_of_the_torch_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/news_article.txt");
    let torch_out = tmp.path().join("torch");
    assert!(run_engine(&input, &torch_out, "torch").ends_with("(engine torch)"));
    let reference = entities(&torch_out);
    assert!(reference.len() > 20, "the article has many entities: {}", reference.len());

    let fp32 = tmp.path().join("onnx");
    assert!(run_engine(&input, &fp32, "onnx").ends_with("(engine onnx)"));
    // Same graph, same weights: the same entities (scores may differ in the last decimal).
    assert_eq!(entities(&fp32), reference);

    // The default (`auto`) is the int8 graph: measured F1 0.9947 against torch on the
    // 3,794-sentence test split (ENGINES.md); one short article allows a couple of differences.
    let auto = tmp.path().join("auto");
    assert!(run_engine(&input, &auto, "auto").ends_with("(engine onnx-int8)"));
    let int8 = entities(&auto);
    let same = int8.intersection(&reference).count() as f64;
    let f1 = 2.0 * same / (int8.len() + reference.len()) as f64;
    assert!(f1 >= 0.95, "int8 vs torch F1 {f1:.4}");
    // Per-token activation scales: a sentence's entities do not depend on what else is in the run.
    let alone = tmp.path().join("alone.txt");
    let text = std::fs::read_to_string(&input).unwrap();
    let first_paragraph = text.splitn(3, "\n\n").take(2).collect::<Vec<_>>().join("\n\n");
    std::fs::write(&alone, &first_paragraph).unwrap();
    let alone_out = tmp.path().join("alone");
    run_engine(&alone, &alone_out, "onnx-int8");
    let spans = |set: &BTreeSet<Entity>| -> BTreeSet<(String, String, String)> {
        set.iter().map(|e| (e.1.clone(), e.2.clone(), e.3.clone())).collect()
    };
    let end = first_paragraph.chars().count();
    let in_full: BTreeSet<_> = spans(&int8).into_iter().filter(|e| e.1.parse::<usize>().unwrap() <= end).collect();
    assert!(in_full.len() >= 5, "{in_full:?}");
    assert_eq!(spans(&entities(&alone_out)), in_full);
}

#[test]
fn an_engine_that_cannot_run_is_a_clear_error_and_auto_falls_back_to_torch() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, "{\"id\": \"a\", \"text\": \"Ana Bell met Carl Diaz in Paris.\"}\n").unwrap();
    // No ONNX Runtime library.
    actorlens()
        .env("ORT_DYLIB_PATH", tmp.path().join("missing/libonnxruntime.so"))
        .args(["extract", "--quiet", "--engine", "onnx", "--out"])
        .arg(tmp.path().join("x"))
        .arg(&input)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("ONNX Runtime library").and(predicates::str::contains("make setup")));
    let out = tmp.path().join("auto");
    actorlens()
        .env("ORT_DYLIB_PATH", tmp.path().join("missing/libonnxruntime.so"))
        .args(["extract", "--quiet", "--out"])
        .arg(&out)
        .arg(&input)
        .assert()
        .success();
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("(engine torch)"), "{manifest}");
    assert!(!entities(&out).is_empty());
    // A model folder without an ONNX graph: the error names the missing file.
    actorlens()
        .args(["extract", "--quiet", "--engine", "onnx", "--ner-model"])
        .arg(common::case_model())
        .arg("--out")
        .arg(tmp.path().join("y"))
        .arg(&input)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("model.onnx"));
}

/// The int8 engine batches only when the folder says the graph's activation scales do not depend
/// on the batch, and the graph must record the same: a folder whose config.json and graph disagree
/// (or names an unknown scheme) is refused with a message naming the key, not run at the wrong
/// batch size.
#[test]
fn int8_scales_claim_must_match_the_graph() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, "{\"id\": \"a\", \"text\": \"Ana Bell met Carl Diaz in Paris.\"}\n").unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default-ner");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(src.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["actorlens"]["int8_scales"], "per-token", "the shipped int8 graph batches");
    for (name, claim, says) in [
        ("dynamic", Some("dynamic"), "records `per-token`"),
        ("absent", None, "records `per-token`"),
        ("bogus", Some("bogus"), "unknown actorlens.int8_scales"),
    ] {
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        for e in std::fs::read_dir(&src).unwrap() {
            let p = e.unwrap().path();
            if p.file_name().unwrap() != "config.json" {
                std::os::unix::fs::symlink(&p, dir.join(p.file_name().unwrap())).unwrap();
            }
        }
        let mut c = config.clone();
        match claim {
            Some(v) => c["actorlens"]["int8_scales"] = v.into(),
            None => {
                c["actorlens"].as_object_mut().unwrap().remove("int8_scales");
            }
        }
        std::fs::write(dir.join("config.json"), serde_json::to_string(&c).unwrap()).unwrap();
        actorlens()
            .args(["extract", "--quiet", "--engine", "onnx-int8", "--ner-model"])
            .arg(&dir)
            .arg("--out")
            .arg(tmp.path().join(format!("out-{name}")))
            .arg(&input)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("int8_scales").and(predicates::str::contains(says)));
    }
}
