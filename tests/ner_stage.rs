//! The NER stage driven directly through the library, on tiny generated models.

mod common;

use actorlens::document::{Document, Meta, Origin};
use actorlens::ner::{NerOptions, NerStage};
use actorlens::segment;

fn doc(id: &str, text: &str) -> Document {
    let mut d = Document::new(id.into(), Origin::default(), Meta::default(), text.into(), vec![], String::new());
    segment::segment(&mut d);
    d
}

fn run(model: &std::path::Path, texts: &[&str]) -> Vec<Document> {
    let ner =
        NerStage::load(model, NerOptions { batch_size: Some(4), ..Default::default() }).expect("load fixture model");
    let mut docs: Vec<Document> = texts.iter().enumerate().map(|(i, t)| doc(&format!("d{i}"), t)).collect();
    ner.recognize(&mut docs);
    assert!(docs.iter().all(|d| d.error.is_none()), "a document failed");
    docs
}

fn texts(d: &Document) -> Vec<&str> {
    d.mentions.iter().map(|m| m.text.as_str()).collect()
}

#[test]
fn capitalised_names_become_multiword_entities_via_case_flag_and_viterbi() {
    let docs = run(&common::case_model(), &["we met Claudia Sheinbaum and Donald Trump in the city."]);
    assert_eq!(texts(&docs[0]), vec!["Claudia Sheinbaum", "Donald Trump"]);
    let m = &docs[0].mentions[0];
    assert_eq!((m.label.as_str(), m.kind.as_str()), ("PER", "PER"));
    assert!(m.score > 0.0 && m.score <= 1.0, "score {}", m.score);
}

#[test]
fn offsets_are_exact_slices_for_non_ascii_text() {
    let text = "l'été: Émile Zoë met 中文 people. 😀 then Ångström spoke, and Ünal Øre left 😀 Čapek.";
    let docs = run(&common::case_model(), &[text]);
    let d = &docs[0];
    assert!(texts(d).contains(&"Émile Zoë"), "{:?}", texts(d));
    assert!(texts(d).contains(&"Ångström"));
    assert!(texts(d).contains(&"Ünal Øre"));
    assert!(texts(d).contains(&"Čapek"));
    let chars: Vec<char> = text.chars().collect();
    for m in &d.mentions {
        assert_eq!(&text[m.span.start_byte..m.span.end_byte], m.text);
        let by_char: String = chars[m.span.start_char..m.span.end_char].iter().collect();
        assert_eq!(by_char, m.text);
    }
    // Sentence spans are exact too.
    for s in &d.sentences {
        let by_char: String = chars[s.span.start_char..s.span.end_char].iter().collect();
        assert_eq!(by_char, &text[s.span.start_byte..s.span.end_byte]);
    }
}

#[test]
fn long_sentences_are_windowed_not_truncated_and_give_the_same_entities() {
    // ~60 word pieces in one sentence; the short model sees at most 14 per window.
    let text = "we met Ana Bell and then we met the go let us Carl Diaz in the go and the let Eve Ford said \
                the us go let and Gil Hart met in the and Ian Jones said the let go and Kim Lee left.";
    let long = run(&common::case_model(), &[text]);
    let short = run(&common::case_model_short(), &[text]);
    assert_eq!(long[0].sentences.len(), 1);
    assert_eq!(long[0].n_windows, 1);
    assert!(short[0].n_windows >= 4, "windows: {}", short[0].n_windows);
    assert_eq!(texts(&short[0]), texts(&long[0]));
    assert_eq!(texts(&long[0]), vec!["Ana Bell", "Carl Diaz", "Eve Ford", "Gil Hart", "Ian Jones", "Kim Lee"]);
}

#[test]
fn empty_and_whitespace_documents_never_reach_the_model() {
    let docs = run(&common::case_model(), &["", "   \n\n  ", "Ana Bell left."]);
    assert!(docs[0].mentions.is_empty() && docs[0].sentences.is_empty());
    assert!(docs[1].mentions.is_empty());
    assert_eq!(texts(&docs[2]), vec!["Ana Bell"]);
}

#[test]
fn stock_models_load_from_vocab_txt_and_run() {
    let ner = NerStage::load(&common::random_model(), NerOptions::default()).expect("load");
    let mut docs = vec![doc("a", "A plain model runs. It has random weights!")];
    ner.recognize(&mut docs);
    assert!(docs.iter().all(|d| d.error.is_none()), "a document failed");
    for m in &docs[0].mentions {
        assert_eq!(&docs[0].text[m.span.start_byte..m.span.end_byte], m.text);
    }
    assert!(ner.model_name().contains("random"));
}

#[test]
fn missing_model_files_are_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = NerStage::load(dir.path(), NerOptions::default()).err().expect("must fail");
    assert!(err.to_string().contains("config.json"), "{err}");
    std::fs::copy(common::case_model().join("config.json"), dir.path().join("config.json")).unwrap();
    std::fs::copy(common::case_model().join("tokenizer.json"), dir.path().join("tokenizer.json")).unwrap();
    let err = NerStage::load(dir.path(), NerOptions::default()).err().expect("must fail");
    assert!(err.to_string().contains("model.safetensors"), "{err}");
}

#[test]
fn a_document_longer_than_one_forward_pass_keeps_every_entity_in_order() {
    // More sentences than one pass takes: the model sees them in groups, and the result must be
    // the same as for short documents.
    let n = actorlens::ner::SENTENCES_PER_PASS + 37;
    let text: String = (0..n).map(|i| if i % 2 == 0 { "Bell met us. " } else { "Diaz said go. " }).collect();
    let docs = run(&common::case_model(), &[text.as_str()]);
    let d = &docs[0];
    assert_eq!(d.sentences.len(), n);
    assert_eq!(d.mentions.len(), n, "one name per sentence");
    for (i, m) in d.mentions.iter().enumerate() {
        assert_eq!(m.mention_id, i);
        assert_eq!(m.sentence_idx, i);
        assert_eq!(m.text, if i % 2 == 0 { "Bell" } else { "Diaz" });
    }
}
