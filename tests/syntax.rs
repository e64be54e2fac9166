//! The committed syntax model (models/syntax/) on self-written news sentences, and the loader
//! on damaged files. No Python, no network.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use actorlens::syntax::lemma::Lemmatizer;
use actorlens::syntax::parser::Parser;
use actorlens::syntax::tagger::Tagger;
use actorlens::syntax::{Syntax, SyntaxError, TokenAnalysis, Upos, LEMMA_FILE, PARSER_FILE, TAGGER_FILE};

fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/syntax")
}

/// Loaded once per test binary.
fn syntax() -> &'static Syntax {
    static SYN: OnceLock<Syntax> = OnceLock::new();
    SYN.get_or_init(|| Syntax::load(&model_dir()).expect("models/syntax loads"))
}

fn analyze(syn: &'static Syntax, s: &str) -> (Vec<String>, Vec<TokenAnalysis>) {
    let words: Vec<String> = s.split(' ').map(String::from).collect();
    let refs: Vec<&str> = words.iter().map(|w| w.as_str()).collect();
    let a = syn.analyze(&refs);
    (words, a)
}

fn idx(words: &[String], w: &str) -> usize {
    words.iter().position(|x| x == w).unwrap_or_else(|| panic!("{w} not in sentence"))
}

fn show(words: &[String], a: &[TokenAnalysis]) -> String {
    words
        .iter()
        .zip(a)
        .map(|(w, t)| {
            let h = t.head.map(|h| words[h].as_str()).unwrap_or("-");
            format!("{w}/{}/{} <-{}- {h}", t.upos, t.lemma, t.deprel)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn active_sentence_verb_object() {
    let syn = syntax();
    let (w, a) = analyze(syn, "The Pentagon designated the cartel as a terrorist organization .");
    let d = idx(&w, "designated");
    let c = idx(&w, "cartel");
    let info = show(&w, &a);
    assert_eq!(a[d].upos, Upos::Verb, "{info}");
    assert_eq!(a[d].lemma, "designate", "{info}");
    assert_eq!(a[d].head, None, "{info}");
    assert_eq!(a[d].deprel, "ROOT", "{info}");
    assert_eq!(a[c].upos, Upos::Noun, "{info}");
    assert_eq!(a[c].head, Some(d), "{info}");
    assert!(a[c].deprel == "dobj" || a[c].deprel == "obj", "{info}");
    let p = idx(&w, "Pentagon");
    assert_eq!(a[p].upos, Upos::Propn, "{info}");
    assert_eq!(a[p].head, Some(d), "{info}");
    assert_eq!(a[p].deprel, "nsubj", "{info}");
    // exactly one root, every head inside the sentence
    assert_eq!(a.iter().filter(|t| t.head.is_none()).count(), 1);
    assert!(a.iter().all(|t| t.head.is_none_or(|h| h < w.len())));
}

#[test]
fn passive_sentence() {
    let syn = syntax();
    let (w, a) = analyze(syn, "The cartel was designated by the State Department last year .");
    let info = show(&w, &a);
    let d = idx(&w, "designated");
    let was = idx(&w, "was");
    let c = idx(&w, "cartel");
    let by = idx(&w, "by");
    assert_eq!(a[d].head, None, "{info}");
    assert_eq!(a[was].upos, Upos::Aux, "{info}");
    assert_eq!(a[was].lemma, "be", "{info}");
    assert_eq!(a[was].head, Some(d), "{info}");
    assert!(a[was].deprel == "auxpass" || a[was].deprel == "aux:pass", "{info}");
    assert_eq!(a[c].head, Some(d), "{info}");
    assert!(a[c].deprel == "nsubjpass" || a[c].deprel == "nsubj:pass", "{info}");
    assert_eq!(a[by].head, Some(d), "{info}");
    assert!(a[by].deprel == "agent" || a[by].deprel == "obl:agent", "{info}");
}

#[test]
fn phrasal_verb_particle() {
    let syn = syntax();
    let (w, a) = analyze(syn, "Sheinbaum absolutely ruled out military action .");
    let info = show(&w, &a);
    let r = idx(&w, "ruled");
    let o = idx(&w, "out");
    assert_eq!(a[r].upos, Upos::Verb, "{info}");
    assert_eq!(a[r].lemma, "rule", "{info}");
    assert_eq!(a[o].head, Some(r), "{info}");
    assert!(a[o].deprel == "prt" || a[o].deprel == "compound:prt", "{info}");
    let act = idx(&w, "action");
    assert_eq!(a[act].head, Some(r), "{info}");
    assert_eq!(a[act].deprel, "dobj", "{info}");
    let s = idx(&w, "Sheinbaum");
    assert_eq!(a[s].upos, Upos::Propn, "{info}");
    assert_eq!(a[s].deprel, "nsubj", "{info}");
}

#[test]
fn news_sentence_lemmas_and_prepositions() {
    let syn = syntax();
    let (w, a) = analyze(syn, "Officials said the troops were sent to the border on Tuesday , according to reports .");
    let info = show(&w, &a);
    let said = idx(&w, "said");
    assert_eq!(a[said].lemma, "say", "{info}");
    assert_eq!(a[said].head, None, "{info}");
    let troops = idx(&w, "troops");
    assert_eq!(a[troops].lemma, "troop", "{info}");
    assert_eq!(a[troops].upos, Upos::Noun, "{info}");
    let sent = idx(&w, "sent");
    assert_eq!(a[sent].lemma, "send", "{info}");
    assert_eq!(a[sent].head, Some(said), "{info}");
    let border = idx(&w, "border");
    assert_eq!(a[border].deprel, "pobj", "{info}");
    assert_eq!(a[idx(&w, "Officials")].lemma, "official", "{info}");
}

#[test]
fn edge_inputs_do_not_panic_and_are_deterministic() {
    let syn = syntax();
    assert!(syn.analyze(&[]).is_empty());
    let one = syn.analyze(&["Hello"]);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].head, None);
    let odd = ["", " ", "\u{201c}", "🚀", "Ünïcödé", "12,000", "U.S.", "—", "a\tb"];
    let a = syn.analyze(&odd);
    assert_eq!(a.len(), odd.len());
    assert_eq!(a.iter().filter(|t| t.head.is_none()).count(), 1);
    let long: Vec<&str> = std::iter::repeat_n(["the", "army", "said", "that", ","], 200).flatten().collect();
    let l1 = syn.analyze(&long);
    let l2 = syn.analyze(&long);
    assert_eq!(l1, l2);
    assert_eq!(l1.iter().filter(|t| t.head.is_none()).count(), 1);
}

/// Load one component file with its own loader; true when it is rejected with an error.
fn rejected(file: &str, p: &Path) -> bool {
    match file {
        TAGGER_FILE => Tagger::load(p).is_err(),
        PARSER_FILE => Parser::load(p).is_err(),
        _ => Lemmatizer::load(p).is_err(),
    }
}

#[test]
fn corrupt_or_missing_model_files_give_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    // missing folder / missing file
    assert!(matches!(Syntax::load(&dir.path().join("nope")), Err(SyntaxError::Io { .. })));
    // a corrupt first file stops Syntax::load with a format error
    std::fs::write(dir.path().join(TAGGER_FILE), b"this is not a model").unwrap();
    assert!(matches!(Syntax::load(dir.path()), Err(SyntaxError::Format { .. })));
    for f in [TAGGER_FILE, PARSER_FILE, LEMMA_FILE] {
        let p = dir.path().join(f);
        // not gzip at all
        std::fs::write(&p, b"this is not a model").unwrap();
        assert!(rejected(f, &p), "{f}");
        // valid gzip, wrong or truncated content
        for body in [&b"ALSYNTX1\x06\x00tagger\xff\xff\xff\xff"[..], b"ALSYNTX1\x05\x00lemma", b"ALSYNTX1"] {
            use std::io::Write;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(body).unwrap();
            std::fs::write(&p, gz.finish().unwrap()).unwrap();
            assert!(rejected(f, &p), "{f}");
        }
        // truncated real file (gzip stream cut), and a flipped byte (CRC / structure check)
        let orig = std::fs::read(model_dir().join(f)).unwrap();
        for cut in [10usize, orig.len() / 3, orig.len() - 9] {
            std::fs::write(&p, &orig[..cut]).unwrap();
            assert!(rejected(f, &p), "{f} cut at {cut}");
        }
        let mut flipped = orig.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x55;
        std::fs::write(&p, &flipped).unwrap();
        assert!(rejected(f, &p), "{f} with a flipped byte");
    }
}
