//! The adversarial battery (issue 16): inputs and situations a hostile user produces. Each test
//! names the silent-loss path it closes; every one fails on the code before the fix.
//! Slow cases (10 MB document, 100k documents) are `#[ignore]`d and run by `make stress`.

mod common;

use common::{actorlens, csv_rows, read};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("actorlens")
}

/// `actorlens extract --quiet` with the tiny case model (capitalised words are PER).
fn extract(out: &Path, inputs: &[&Path], extra: &[&str]) -> assert_cmd::Command {
    common::extract_case(out, inputs, 1, extra)
}

/// `n` one-sentence JSONL documents with ids `{prefix}{i}`.
fn corpus(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!("{{\"id\": \"{prefix}{i:05}\", \"text\": \"Ana Bell met Carl Diaz in Town {i}.\"}}\n"))
        .collect()
}

/// A run reading JSON Lines from a stdin pipe we hold: it commits a chunk per `chunk` documents
/// written and then waits for more input, so tests can act while it is mid-run, without races.
fn spawn_stdin(out: &Path, chunk: usize) -> Child {
    Command::new(bin())
        .args(["extract", "--quiet", "--threads", "1", "-", "--out"])
        .arg(out)
        .arg("--ner-model")
        .arg(common::case_model())
        .args(["--chunk-size", &chunk.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn feed(child: &mut Child, lines: &str) {
    use std::io::Write;
    let stdin = child.stdin.as_mut().unwrap();
    stdin.write_all(lines.as_bytes()).unwrap();
    stdin.flush().unwrap();
}

fn committed_chunks(out: &Path) -> usize {
    let dir = out.join("_actorlens_state/shard-00000-of-00001/chunks");
    std::fs::read_dir(dir)
        .map(|d| d.flatten().filter(|e| !e.file_name().to_string_lossy().ends_with(".tmp")).count())
        .unwrap_or(0)
}

fn wait_for_chunks(out: &Path, n: usize, child: &mut Child) {
    let t = Instant::now();
    while committed_chunks(out) < n {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before {n} chunks were committed");
        assert!(t.elapsed() < Duration::from_secs(120), "no chunk committed in time");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn column(p: &Path, name: &str) -> Vec<String> {
    let mut r = csv::Reader::from_path(p).unwrap();
    let i = r.headers().unwrap().iter().position(|h| h == name).unwrap();
    r.records().map(|x| x.unwrap()[i].to_string()).collect()
}

fn errors(out: &Path) -> Vec<(String, String, String, String)> {
    csv_rows(&out.join("errors.csv"))
        .iter()
        .map(|r| (r[0].to_string(), r[1].to_string(), r[3].to_string(), r[4].to_string()))
        .collect()
}

fn kill(child: &Child, signal: &str) {
    let ok = Command::new("kill").args(["-s", signal, &child.id().to_string()]).status().unwrap();
    assert!(ok.success());
}

// 1. Two runs into one --out.

#[test]
fn a_second_run_into_a_busy_out_exits_2_naming_the_holder_and_the_first_keeps_its_own_data() {
    let tmp = tempfile::tempdir().unwrap();
    let small = tmp.path().join("small.jsonl");
    std::fs::write(&small, corpus("small", 50)).unwrap();
    let out = tmp.path().join("out");
    let first_docs = corpus("big", 40);
    let (head, tail) = first_docs.split_at(first_docs.match_indices('\n').nth(3).unwrap().0 + 1);
    let mut first = spawn_stdin(&out, 2);
    feed(&mut first, head); // 4 documents: 2 chunks, then the run waits for more input
    wait_for_chunks(&out, 2, &mut first);
    let second = extract(&out, &[&small], &["--chunk-size", "2"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("pid {}", first.id())), "{stderr}");
    assert!(stderr.contains(&out.display().to_string()), "{stderr}");
    feed(&mut first, tail);
    drop(first.stdin.take());
    assert_eq!(first.wait().unwrap().code(), Some(0));
    let ids = column(&out.join("documents.csv"), "doc_id");
    assert_eq!(ids.len(), 40);
    assert!(ids.iter().all(|i| i.starts_with("big")), "the second run's documents leaked in");
}

#[test]
fn a_lock_left_by_a_killed_run_does_not_block_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let docs = corpus("d", 30);
    std::fs::write(&input, &docs).unwrap();
    let out = tmp.path().join("out");
    let mut child = spawn_stdin(&out, 2);
    feed(&mut child, &docs[..docs.match_indices('\n').nth(3).unwrap().0 + 1]);
    wait_for_chunks(&out, 2, &mut child);
    child.kill().unwrap(); // SIGKILL while it holds the lock
    child.wait().unwrap();
    assert!(out.join("_actorlens_state/lock").is_file());
    let resumed = actorlens()
        .args(["extract", "--quiet", "--threads", "1", "-", "--chunk-size", "2", "--resume", "--out"])
        .arg(&out)
        .arg("--ner-model")
        .arg(common::case_model())
        .write_stdin(docs)
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", String::from_utf8_lossy(&resumed.stderr));
    assert_eq!(csv_rows(&out.join("documents.csv")).len(), 30);
    assert_eq!(read(&out.join("manifest.json")).matches("\"skipped_done\": 4").count(), 1);
}

// 2. Symlinks, broken links, loops, FIFOs.

#[cfg(unix)]
#[test]
fn the_folder_walk_follows_file_links_and_reports_broken_links_loops_and_fifos() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    let real = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&real).unwrap();
    std::fs::write(real.join("target.txt"), "Ana Bell spoke.").unwrap();
    std::os::unix::fs::symlink(real.join("target.txt"), dir.join("a.txt")).unwrap();
    std::os::unix::fs::symlink(dir.join("missing.txt"), dir.join("b.txt")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("loop")).unwrap();
    let fifo = dir.join("f.txt");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let out = tmp.path().join("out");
    extract(&out, &[&dir], &[]).timeout(Duration::from_secs(60)).assert().code(1);
    assert_eq!(column(&out.join("documents.csv"), "doc_id"), ["a.txt"]);
    let errs = errors(&out);
    let kind_of = |suffix: &str| errs.iter().find(|e| e.0.ends_with(suffix)).map(|e| (e.2.clone(), e.3.clone()));
    let (kind, msg) = kind_of("b.txt").expect("broken link reported");
    assert_eq!(kind, "io");
    assert!(msg.contains("broken symbolic link"), "{msg}");
    let (kind, msg) = kind_of("loop").expect("loop reported");
    assert_eq!(kind, "io");
    assert!(msg.contains("loop"), "{msg}");
    let (kind, msg) = kind_of("f.txt").expect("fifo reported");
    assert_eq!(kind, "special_file");
    assert!(msg.contains("FIFO"), "{msg}");
    assert_eq!(errs.len(), 3, "{errs:?}");
}

// 3. Unbalanced CSV quotes.

#[test]
fn an_unterminated_csv_quote_is_an_error_row_and_the_rows_after_it_survive() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("q.csv");
    std::fs::write(&input, "id,text\na,\"open quote by Joe Biden\nb,Angela Merkel.\nc,Paris.\n").unwrap();
    let out = tmp.path().join("out");
    extract(&out, &[&input], &[]).assert().code(1);
    assert_eq!(column(&out.join("documents.csv"), "doc_id"), ["b", "c"]);
    assert_eq!(column(&out.join("documents.csv"), "line"), ["3", "4"]);
    let errs = errors(&out);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!((errs[0].1.as_str(), errs[0].2.as_str()), ("2", "malformed_csv"));
    assert!(errs[0].3.contains("line 2") && errs[0].3.contains("3-4"), "{}", errs[0].3);
}

#[test]
fn a_quote_closed_lines_later_by_a_stray_quote_does_not_swallow_the_rows_between() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("q.csv");
    let data = "id,text\na,\"open quote\nb,Angela Merkel.\nc,\"Paris\" is nice.\nd,\"Two\nlines\"\n";
    std::fs::write(&input, data).unwrap();
    let out = tmp.path().join("out");
    extract(&out, &[&input], &[]).assert().code(1);
    let docs = csv_rows(&out.join("documents.csv"));
    let ids: Vec<&str> = docs.iter().map(|r| &r[0]).collect();
    assert_eq!(ids, ["b", "c", "d"], "a proper multi-line field (d) still works");
    assert_eq!(errors(&out)[0].1, "2");
}

// 4. --out inside an input folder.

#[test]
fn an_out_folder_inside_the_input_folder_is_never_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("corpus");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("one.txt"), "Ana Bell spoke.").unwrap();
    let out = dir.join("results");
    for _ in 0..2 {
        extract(&out, &[&dir], &[]).assert().success();
        assert_eq!(column(&out.join("documents.csv"), "doc_id"), ["one.txt"]);
        assert!(errors(&out).is_empty());
    }
    // The output folder itself given as input is refused with an error row.
    let other = tmp.path().join("other");
    extract(&other, &[&out], &[]).assert().code(1);
    assert!(errors(&other)[0].3.contains("actorlens output folder"));
}

// 6. Byte-order marks.

#[test]
fn bom_prefixed_utf8_jsonl_and_utf16_files_decode() {
    let tmp = tempfile::tempdir().unwrap();
    let utf8 = tmp.path().join("bom.jsonl");
    std::fs::write(
        &utf8,
        "\u{feff}{\"id\": \"first\", \"text\": \"Ana Bell.\"}\n{\"id\": \"second\", \"text\": \"Eve.\"}\n",
    )
    .unwrap();
    let jsonl16 = "{\"id\": \"le\", \"text\": \"Zoë Ford spoke.\"}\n";
    let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(jsonl16.encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
    std::fs::write(tmp.path().join("le.jsonl"), le).unwrap();
    let txt16 = "Kim Lee went home.";
    let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(txt16.encode_utf16().flat_map(|u| u.to_be_bytes())).collect();
    std::fs::write(tmp.path().join("be.txt"), be).unwrap();
    let out = tmp.path().join("out");
    let (le, be) = (tmp.path().join("le.jsonl"), tmp.path().join("be.txt"));
    extract(&out, &[&utf8, &le, &be], &[]).assert().success();
    assert_eq!(column(&out.join("documents.csv"), "doc_id"), ["first", "second", "le", be.to_str().unwrap()]);
    let mentions = column(&out.join("mentions.csv"), "text");
    assert!(mentions.contains(&"Zoë Ford".to_string()) && mentions.contains(&"Kim Lee".to_string()), "{mentions:?}");
    assert_eq!(column(&out.join("documents.csv"), "n_chars")[3], "18", "no BOM in the text");
}

// 7. NFD text.

#[test]
fn a_mention_in_nfd_text_keeps_its_trailing_combining_mark() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("nfd.jsonl");
    std::fs::write(&input, "{\"id\": \"n\", \"text\": \"They flew to Bogota\u{301} today.\"}\n").unwrap();
    let out = tmp.path().join("out");
    extract(&out, &[&input], &[]).assert().success();
    let rows = csv_rows(&out.join("mentions.csv"));
    let bogota = rows.iter().find(|r| r[7].starts_with("Bogota")).expect("mention");
    assert_eq!(&bogota[7], "Bogota\u{301}");
    assert_eq!((&bogota[3], &bogota[4]), ("13", "20"), "char offsets include the mark");
}

// 8. Ids.

#[test]
fn ids_keep_their_exact_json_text_and_bad_ids_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("ids.jsonl");
    let lines = [
        r#"{"id": 123456789012345678901234567890, "text": "Big."}"#,
        r#"{"id": 123456789012345678901234567891, "text": "Big too."}"#,
        r#"{"id": 1.0, "text": "Float."}"#,
        r#"{"id": "a\u0000b", "text": "Nul."}"#,
        r#"{"id": "", "text": "Empty id."}"#,
    ];
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let csv_in = tmp.path().join("ids.csv");
    std::fs::write(&csv_in, "id,text\n\"x\ty\",Tab.\n").unwrap();
    let out = tmp.path().join("out");
    extract(&out, &[&input, &csv_in], &[]).assert().code(1);
    let ids = column(&out.join("documents.csv"), "doc_id");
    let empty_fallback = format!("{}:5", input.display());
    assert_eq!(ids, ["123456789012345678901234567890", "123456789012345678901234567891", "1.0", &empty_fallback]);
    let errs = errors(&out);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs.iter().all(|e| e.2 == "invalid_field" && e.3.contains("control character")), "{errs:?}");
    assert!(!read(&out.join("errors.csv")).contains('\0'), "no raw NUL in the CSV");
}

#[cfg(unix)]
#[test]
fn two_non_utf8_file_names_get_two_distinct_ids() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    for (b, text) in [(0xE9u8, "Ana Bell."), (0xE8, "Carl Diaz.")] {
        let name = [b"n".as_slice(), &[b], b".txt"].concat();
        std::fs::write(dir.join(std::ffi::OsStr::from_bytes(&name)), text).unwrap();
    }
    let out = tmp.path().join("out");
    extract(&out, &[&dir], &[]).assert().success();
    assert_eq!(column(&out.join("documents.csv"), "doc_id"), ["n\\xE8.txt", "n\\xE9.txt"]);
}

// 9. Exit codes, signals, broken pipes, temp files, modes.

#[test]
fn a_resume_with_nothing_left_to_do_still_exits_1_when_errors_csv_has_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, corpus("d", 3) + "not json\n").unwrap();
    let out = tmp.path().join("out");
    extract(&out, &[&input], &[]).assert().code(1);
    extract(&out, &[&input], &["--resume"]).assert().code(1);
    assert_eq!(csv_rows(&out.join("errors.csv")).len(), 1);
}

fn interrupted(signal: &str, code: i32) {
    let tmp = tempfile::tempdir().unwrap();
    let docs = corpus("d", 30);
    let nth_line = |n: usize| docs.match_indices('\n').nth(n - 1).unwrap().0 + 1;
    let stdin_run = |out: &Path, extra: &[&str]| {
        let mut cmd = actorlens();
        cmd.args(["extract", "--quiet", "--threads", "1", "-", "--chunk-size", "2", "--out"])
            .arg(out)
            .arg("--ner-model")
            .arg(common::case_model())
            .args(extra)
            .write_stdin(docs.clone());
        cmd
    };
    let reference = tmp.path().join("reference");
    stdin_run(&reference, &[]).assert().success();
    let out = tmp.path().join("out");
    let mut child = spawn_stdin(&out, 2);
    feed(&mut child, &docs[..nth_line(4)]);
    wait_for_chunks(&out, 2, &mut child);
    kill(&child, signal);
    // The run finishes the chunk in flight (two more documents), commits it and stops.
    std::thread::sleep(Duration::from_millis(100));
    feed(&mut child, &docs[nth_line(4)..nth_line(6)]);
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(code), "{stderr}");
    assert_eq!(stderr, "actorlens: interrupted: 3 chunks committed, rerun with --resume\n");
    assert!(!out.join("documents.csv").exists(), "an interrupted run publishes nothing");
    stdin_run(&out, &["--resume"]).assert().success();
    assert_eq!(read(&out.join("documents.csv")), read(&reference.join("documents.csv")));
    assert_eq!(read(&out.join("mentions.csv")), read(&reference.join("mentions.csv")));
}

#[test]
fn sigterm_stops_between_chunks_with_one_line_and_exit_143() {
    interrupted("TERM", 143);
}

#[test]
fn sigint_stops_between_chunks_with_one_line_and_exit_130() {
    interrupted("INT", 130);
}

#[test]
fn stream_into_a_closed_pipe_ends_quietly_with_exit_0() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, corpus("d", 3000)).unwrap();
    let mut child = Command::new(bin())
        .args(["extract", "--stream", "--quiet", "--threads", "1", "--chunk-size", "10", "--ner-model"])
        .arg(common::case_model())
        .stdin(std::fs::File::open(&input).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -n 1`: read one line, then close the pipe.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.contains("\"doc_id\":\"d00000\""), "{first}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn stale_temp_files_are_removed_at_the_next_start_and_modes_are_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, corpus("d", 3)).unwrap();
    let out = tmp.path().join("out");
    extract(&out, &[&input], &[]).assert().success();
    // What a kill at the manifest rename or during the merge leaves behind.
    let stale = [out.join(".manifest.json.Xy12Zq"), out.join(".mentions.csv.actorlens-tmp")];
    let keep = out.join(".my-notes.txt");
    for p in stale.iter().chain([&keep]) {
        std::fs::write(p, "x").unwrap();
    }
    for extra in [&[][..], &["--resume"][..]] {
        extract(&out, &[&input], extra).assert().success();
        for p in &stale {
            assert!(!p.exists(), "{} left behind", p.display());
        }
        for p in &stale {
            std::fs::write(p, "x").unwrap();
        }
    }
    assert!(keep.exists(), "files that are not our temp files stay");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |n: &str| std::fs::metadata(out.join(n)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("manifest.json"), mode("mentions.csv"));
        assert_eq!(mode("manifest.json"), mode("documents.jsonl"));
    }
}

// 10. Spreadsheet formulas.

#[test]
fn csv_escape_formulas_prefixes_formula_like_text_cells_only_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let title = "=HYPERLINK(\\\"http://x\\\",\\\"y\\\")";
    std::fs::write(
        &input,
        format!("{{\"id\": \"@d1\", \"title\": \"{title}\", \"text\": \"This is terrible, awful and horrible.\"}}\n"),
    )
    .unwrap();
    let plain = tmp.path().join("plain");
    extract(&plain, &[&input], &[]).assert().success();
    assert_eq!(column(&plain.join("documents.csv"), "title"), ["=HYPERLINK(\"http://x\",\"y\")"]);
    assert_eq!(column(&plain.join("documents.csv"), "doc_id"), ["@d1"]);
    let escaped = tmp.path().join("escaped");
    extract(&escaped, &[&input], &["--csv-escape-formulas", "--format", "csv,jsonl,parquet"]).assert().success();
    assert_eq!(column(&escaped.join("documents.csv"), "title"), ["'=HYPERLINK(\"http://x\",\"y\")"]);
    assert_eq!(column(&escaped.join("documents.csv"), "doc_id"), ["'@d1"]);
    // Numbers are not formulas: a negative score stays a number.
    let compound = &column(&escaped.join("sentences.csv"), "compound")[0];
    assert!(compound.starts_with('-') && compound.parse::<f64>().is_ok(), "{compound}");
    // JSONL keeps the exact values.
    assert!(read(&escaped.join("documents.jsonl")).contains("\"doc_id\":\"@d1\""));
}

// Slow cases: `make stress` (prints time and peak RSS).

fn time_extract(label: &str, out: &Path, input: &Path, extra: &[&str]) {
    let t = Instant::now();
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-v").arg(bin()).args(["extract", "--quiet"]).arg(input).arg("--out").arg(out).args(extra);
    let o = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let rss = stderr.lines().find(|l| l.contains("Maximum resident set size")).unwrap_or("rss ?").trim().to_string();
    let cpu = stderr.lines().find(|l| l.contains("Percent of CPU")).unwrap_or("cpu ?").trim().to_string();
    eprintln!("stress {label}: {:.1}s, {rss}, {cpu}, exit {:?}", t.elapsed().as_secs_f64(), o.status.code());
    assert!(o.status.code().is_some_and(|c| c <= 1), "{stderr}");
}

#[test]
#[ignore = "slow: make stress"]
fn stress_a_10_mb_document() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("big.txt");
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 10_000_000 {
        text.push_str(&format!(
            "Senator Ana Bell{} met Carl Diaz of the Ministry of Town {} in Paris. Bell said the plan was good. ",
            i % 500,
            i % 300
        ));
        i += 1;
    }
    std::fs::write(&input, &text).unwrap();
    let out = tmp.path().join("out");
    time_extract("10 MB document (default model)", &out, &input, &[]);
    assert_eq!(csv_rows(&out.join("documents.csv")).len(), 1);
}

#[test]
#[ignore = "slow: make stress"]
fn stress_100k_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("many.jsonl");
    std::fs::write(&input, corpus("d", 100_000)).unwrap();
    let out = tmp.path().join("out");
    let model = common::case_model();
    time_extract("100k documents (case model)", &out, &input, &["--ner-model", model.to_str().unwrap()]);
    assert_eq!(csv_rows(&out.join("documents.csv")).len(), 100_000);
}

// 5. The actors stage on one long document.

/// A long transcript-like document: `n` sentences with a growing cast (new people, ministries,
/// acronyms and governments keep appearing, as in a long parliamentary record), short forms of
/// recent names, titles, countries and demonyms. Mentions are placed directly (no model).
fn long_document(n: usize) -> actorlens::Document {
    use actorlens::document::{Document, Mention, Meta, Origin};
    const SYL: [&str; 16] =
        ["ka", "lo", "mi", "ra", "zen", "tor", "bel", "dia", "fu", "gan", "hel", "jo", "ver", "nat", "sol", "quin"];
    let name = |k: usize, salt: usize| -> String {
        let s = |j: usize| SYL[(k / 16usize.pow(j as u32) + salt * (j + 3)) % 16];
        let w = format!("{}{}{}", s(0), s(1), s(2));
        let mut c = w.chars();
        c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
    };
    let mut rng = 0x2545F4914F6CDD1Du64;
    let mut next = |m: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % m as u64) as usize
    };
    let countries = ["Mexico", "France", "U.S.", "Mexicans", "Germany", "Americans"];
    let mut text = String::new();
    let mut ents: Vec<(usize, usize, &str)> = Vec::new();
    let put = |text: &mut String, s: &str, kind: &'static str, ents: &mut Vec<(usize, usize, &str)>| {
        ents.push((text.len(), text.len() + s.len(), kind));
        text.push_str(s);
    };
    for i in 0..n {
        let cast = i / 2 + 1; // the cast grows with the document
        let p = if next(3) == 0 { i / 2 } else { next(cast) };
        let (first, last) = (name(p, 1), name(p, 2));
        let org = next(cast / 3 + 1);
        match next(5) {
            0 => {
                text.push_str("President ");
                put(&mut text, &format!("{first} {last}"), "PER", &mut ents);
                text.push_str(" met officials of the ");
                put(&mut text, &format!("Ministry of {}", name(org, 3)), "ORG", &mut ents);
                text.push_str(" in ");
                put(&mut text, countries[next(countries.len())], "GPE", &mut ents);
                text.push_str(". ");
            }
            1 => {
                put(&mut text, &last, "PER", &mut ents);
                text.push_str(" said the ");
                put(&mut text, &format!("{} administration", name(p, 1)), "ORG", &mut ents);
                text.push_str(" would not support the ");
                put(&mut text, countries[next(countries.len())], "NORP", &mut ents);
                text.push_str(" plan. ");
            }
            2 => {
                let full = format!("{} {} Agency", name(org, 4), name(org, 5));
                put(&mut text, &full, "ORG", &mut ents);
                let acr: String = full.split(' ').filter_map(|w| w.chars().next()).collect();
                text.push_str(&format!(" ({acr}) accused "));
                put(&mut text, &format!("{first} {last}"), "PER", &mut ents);
                text.push_str(". ");
            }
            3 => {
                text.push_str("Later ");
                put(&mut text, &first, "PER", &mut ents);
                text.push_str(" and the ");
                let acr: String =
                    [name(org, 4), name(org, 5), "Agency".into()].iter().filter_map(|w| w.chars().next()).collect();
                put(&mut text, &acr, "ORG", &mut ents);
                text.push_str(" left. ");
            }
            _ => {
                put(&mut text, &format!("{}'s government", countries[next(2)]), "ORG", &mut ents);
                text.push_str(" thanked ");
                put(&mut text, &format!("Sen. {first} {last}"), "PER", &mut ents);
                text.push_str(". ");
            }
        }
    }
    let mut d = Document::new("long".into(), Origin::default(), Meta::default(), text, vec![], String::new());
    actorlens::segment::segment(&mut d);
    let starts: Vec<usize> = d.sentences.iter().map(|s| s.span.start_byte).collect();
    for (a, b, kind) in ents {
        let sentence_idx = starts.partition_point(|&s| s <= a).saturating_sub(1);
        let m = Mention {
            mention_id: d.mentions.len(),
            sentence_idx,
            span: d.span(a, b),
            text: d.text[a..b].to_string(),
            label: kind.into(),
            kind: actorlens::ner::coarse_type(kind),
            score: 1.0,
            actor_id: None,
            stance: Default::default(),
        };
        d.mentions.push(m);
    }
    d
}

/// Seconds for the actors stage on `long_document(n)`, and a digest of its result.
fn time_actors(n: usize) -> (f64, usize, usize, String) {
    use sha2::{Digest, Sha256};
    let mut d = long_document(n);
    let resolver = actorlens::actors::ActorResolver::new(Default::default());
    let t = Instant::now();
    resolver.resolve(&mut d);
    let secs = t.elapsed().as_secs_f64();
    let mut h = Sha256::new();
    for a in &d.actors {
        h.update(format!("{a:?}\n").as_bytes());
    }
    for m in &d.mentions {
        h.update(format!("{:?}\n", m.actor_id).as_bytes());
    }
    (secs, d.mentions.len(), d.actors.len(), hex::encode(h.finalize())[..16].to_string())
}

#[test]
fn the_actors_stage_is_not_quadratic_in_a_documents_mentions() {
    // 2k -> 8k sentences (4x): quadratic work would take 16x; allow 8x (timer noise, caches).
    let (small, _, _, _) = time_actors(2_000);
    let (large, _, _, _) = time_actors(8_000);
    eprintln!("actors stage: 2k sentences {small:.3}s, 8k sentences {large:.3}s");
    assert!(large < 8.0 * small.max(0.05), "2k: {small:.3}s, 8k: {large:.3}s");
}

#[test]
#[ignore = "slow: make stress"]
fn stress_actors_stage_timing_table() {
    eprintln!("| sentences | mentions | actors | actors stage s | digest |");
    for n in [2_500, 5_000, 10_000, 20_000] {
        let (secs, m, a, digest) = time_actors(n);
        eprintln!("| {n} | {m} | {a} | {secs:.3} | {digest} |");
    }
}
