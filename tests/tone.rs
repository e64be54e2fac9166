//! The tone stage on self-written sentences (VADER default) and the rust-bert options on tiny
//! generated models.

mod common;

use actorlens::actors::ActorResolver;
use actorlens::document::Document;
use actorlens::tone::{SentimentEngine, StanceEngine, ToneStage};
use common::doc_with;

fn toned(text: &str, ents: &[(&str, &str)]) -> Document {
    let mut d = doc_with(text, ents);
    ActorResolver::default().resolve(&mut d);
    ToneStage::default().run(std::slice::from_mut(&mut d));
    assert!(d.error.is_none(), "{:?}", d.error);
    d
}

fn stance(d: &Document, id: &str) -> (String, f64) {
    let a = d.actors.iter().find(|a| a.actor_id == id).unwrap_or_else(|| panic!("no {id}"));
    (a.stance.map(|s| s.to_string()).unwrap_or_default(), a.stance_score.unwrap_or(f64::NAN))
}

#[test]
fn praise_and_criticism_of_two_actors_in_one_document() {
    let d = toned(
        "The mayor warmly praised Ana Bell for her courage and generosity. Critics condemned Carl Diaz as \
         corrupt, dishonest and dangerous.",
        &[("Ana Bell", "PER"), ("Carl Diaz", "PER")],
    );
    assert_eq!(stance(&d, "per:ana-bell").0, "favour");
    assert_eq!(stance(&d, "per:carl-diaz").0, "against");
    let diaz = d.actors.iter().find(|a| a.actor_id == "per:carl-diaz").unwrap();
    assert_eq!(diaz.stance_evidence, vec![1]);
    assert!(diaz.sentiment_mean.unwrap() < -0.3);
    assert_eq!(d.sentence_tone.len(), 2);
    assert_eq!(d.sentence_tone[0].sentiment, "positive");
    assert_eq!(d.sentence_tone[1].sentiment, "negative");
}

#[test]
fn one_sentence_can_praise_one_actor_and_criticise_another() {
    let d = toned(
        "Officials praised Ana Bell as brave and honest, but critics condemned Carl Diaz as corrupt.",
        &[("Ana Bell", "PER"), ("Carl Diaz", "PER")],
    );
    assert_eq!(stance(&d, "per:ana-bell").0, "favour");
    assert_eq!(stance(&d, "per:carl-diaz").0, "against");
}

#[test]
fn negation_did_not_condemn_is_not_against() {
    let d = toned("Ana Bell did not condemn Carl Diaz.", &[("Ana Bell", "PER"), ("Carl Diaz", "PER")]);
    assert_ne!(stance(&d, "per:carl-diaz").0, "against");
    assert!(d.stances.is_empty(), "no actor-to-actor stance from a negated condemnation: {:?}", d.stances);
    let d = toned("Ana Bell condemned Carl Diaz.", &[("Ana Bell", "PER"), ("Carl Diaz", "PER")]);
    let s = &d.stances[0];
    assert_eq!(
        (s.source_actor_id.as_str(), s.target_actor_id.as_str(), s.stance.as_str()),
        ("per:ana-bell", "per:carl-diaz", "against")
    );
    assert_eq!(s.evidence_sentence_idx, 0);
    let d = toned("Ana Bell strongly backed Carl Diaz.", &[("Ana Bell", "PER"), ("Carl Diaz", "PER")]);
    assert_eq!(d.stances[0].stance, "favour");
}

#[test]
fn reported_speech_attributing_a_negative_claim() {
    let d = toned(
        "Ana Bell alleged that Nicolas Maduro is a corrupt and brutal narco-trafficker.",
        &[("Ana Bell", "PER"), ("Nicolas Maduro", "PER")],
    );
    // The claim is about Maduro; the speaker is not its target.
    assert_eq!(stance(&d, "per:nicolas-maduro").0, "against");
    assert_eq!(stance(&d, "per:ana-bell").0, "neutral");
    // A speaker's own upbeat words say nothing about the article's stance toward the speaker.
    let d = toned("Carl Diaz said the talks were a wonderful success.", &[("Carl Diaz", "PER")]);
    assert_eq!(stance(&d, "per:carl-diaz").0, "neutral");
    assert!(d.actors[0].sentiment_mean.unwrap() > 0.3, "the tone around him is still positive");
}

#[test]
fn an_actor_only_mentioned_neutrally() {
    let d = toned("Eve Ford arrived in Mexico City on Tuesday.", &[("Eve Ford", "PER"), ("Mexico City", "GPE")]);
    assert_eq!(stance(&d, "per:eve-ford"), ("neutral".into(), 0.0));
    assert!(d.actors[0].stance_evidence.is_empty());
    let tone = d.tone.as_ref().unwrap();
    assert_eq!(tone.sentiment_label, "neutral");
}

#[test]
fn document_tone_is_length_weighted() {
    // One short happy line and a long grim paragraph: the document is negative.
    let d = toned(
        "Great! The attack killed dozens of people, destroyed homes, wounded children and left a terrified \
         city grieving in fear and anger.",
        &[],
    );
    assert_eq!(d.sentence_tone[0].sentiment, "positive");
    assert_eq!(d.tone.as_ref().unwrap().sentiment_label, "negative");
}

#[test]
fn transformer_sentiment_scores_long_sentences_in_windows_not_truncated() {
    let engine = SentimentEngine::load(&common::sentiment_model(), tch::Device::Cpu).expect("load sentiment fixture");
    let long =
        "the us go let a b c d e f g h i j k l m n o p q r s t u v w x y z said and in the met go let us ".repeat(3);
    let long = long.trim();
    let windows = actorlens::model::window::text_windows(long, None, 30);
    assert!(windows.len() > 3);
    let whole = engine.score(&[long]).unwrap()[0].compound;
    // Same model, same windows (the engine uses the folder's tokenizer; vocab.txt → WordPiece).
    let tok = tokenizers::Tokenizer::from_file(common::case_model().join("tokenizer.json")).unwrap();
    let ws = actorlens::model::window::text_windows(long, Some(&tok), 30);
    let parts = engine.score(&ws).unwrap();
    let words: Vec<f64> = ws.iter().map(|w| w.split_whitespace().count() as f64).collect();
    let expect = parts.iter().zip(&words).map(|(p, w)| p.compound * w).sum::<f64>() / words.iter().sum::<f64>();
    assert!((whole - expect).abs() < 2e-4, "whole {whole} vs windows {expect}");
    assert!(ws.len() > 1);
    for p in engine.score(&["a short one.", "another short one!"]).unwrap() {
        assert!((-1.0..=1.0).contains(&p.compound));
    }
    assert!(engine.score(&[]).unwrap().is_empty());
}

#[test]
fn zero_shot_stance_model_runs_per_actor() {
    let stage = ToneStage {
        sentiment: SentimentEngine::Vader,
        stance: StanceEngine::load(&common::nli_model(), tch::Device::Cpu).expect("load nli fixture"),
    };
    let mut d = doc_with("Critics condemned Carl Diaz. Eve Ford left.", &[("Carl Diaz", "PER"), ("Eve Ford", "PER")]);
    ActorResolver::default().resolve(&mut d);
    stage.run(std::slice::from_mut(&mut d));
    assert!(d.error.is_none(), "{:?}", d.error);
    for a in &d.actors {
        assert!(matches!(a.stance.map(|s| s.as_str()), Some("favour" | "against" | "neutral")));
        assert!((-1.0..=1.0).contains(&a.stance_score.unwrap()));
    }
}

#[test]
fn tone_models_with_missing_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = SentimentEngine::load(dir.path(), tch::Device::Cpu).err().expect("must fail").to_string();
    assert!(err.contains("config.json"), "{err}");
    std::fs::write(dir.path().join("config.json"), "{\"model_type\": \"bert\"}").unwrap();
    let err = StanceEngine::load(dir.path(), tch::Device::Cpu).err().expect("must fail").to_string();
    assert!(err.contains("id2label"), "{err}");
}
