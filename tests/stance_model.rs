//! The shipped stance head (models/default-ner/stance.onnx, trained on NewsMTSC) through the real
//! stages — ner (with the head) → actors → coref → tone — on self-written news sentences.

use actorlens::actors::ActorResolver;
use actorlens::coref::CorefStage;
use actorlens::document::{Document, Meta, Origin, StanceLabel};
use actorlens::ner::{NerOptions, NerStage};
use actorlens::segment;
use actorlens::stage::Stage;
use actorlens::tone::{SentimentEngine, StanceEngine, ToneStage};
use std::sync::{Mutex, OnceLock};

fn ner() -> std::sync::MutexGuard<'static, NerStage> {
    static M: OnceLock<Mutex<NerStage>> = OnceLock::new();
    let m = M.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default-ner");
        let opts = NerOptions { stance: true, ..NerOptions::default() };
        Mutex::new(NerStage::load(&dir, opts).expect("the default model and its stance head are committed"))
    });
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn run(text: &str) -> Document {
    let mut d = Document::new("t".into(), Origin::default(), Meta::default(), text.into(), vec![], String::new());
    segment::segment(&mut d);
    let mut docs = vec![d];
    ner().recognize(&mut docs);
    ActorResolver::default().run(&mut docs);
    CorefStage.run(&mut docs);
    ToneStage { sentiment: SentimentEngine::Vader, stance: StanceEngine::Model }.run(&mut docs);
    assert!(docs[0].error.is_none(), "failed: {:?}", docs[0].error);
    docs.remove(0)
}

/// The stance of the first mention with this text, with its probabilities.
fn mention(d: &Document, text: &str) -> (StanceLabel, [f32; 3]) {
    let m = d.mentions.iter().find(|m| m.text == text).unwrap_or_else(|| {
        panic!("no mention `{text}` in {:?}", d.mentions.iter().map(|m| &m.text).collect::<Vec<_>>())
    });
    let p = m.stance.probs().unwrap_or_else(|| panic!("`{text}` has no stance"));
    (m.stance.stance.unwrap_or(StanceLabel::Neutral), p)
}

fn actor_stance(d: &Document, name_part: &str) -> StanceLabel {
    let a = d.actors.iter().find(|a| a.name.contains(name_part)).unwrap_or_else(|| panic!("no actor {name_part}"));
    a.stance.unwrap_or_else(|| panic!("actor {name_part} has no stance"))
}

#[test]
#[ignore = "known failure: the shipped head scores the praised governor against (p 0.96; sentence negativity dominates); issue 12 open"]
fn praised_and_attacked_in_one_sentence_get_opposite_stances() {
    let d = run("Voters praised Governor Maria Lopez as an honest and capable leader, \
         but they condemned Mayor Frank Diaz as a corrupt liar.");
    let (lopez, pl) = mention(&d, "Maria Lopez");
    let (diaz, pd) = mention(&d, "Frank Diaz");
    assert_eq!(lopez, StanceLabel::Favour, "Lopez {pl:?}");
    assert_eq!(diaz, StanceLabel::Against, "Diaz {pd:?}");
    assert_eq!(actor_stance(&d, "Lopez"), StanceLabel::Favour);
    assert_eq!(actor_stance(&d, "Diaz"), StanceLabel::Against);
}

#[test]
#[ignore = "known failure: the shipped head gives the speaker against (p 0.55); issue 12 open"]
fn a_speaker_who_criticises_is_not_thereby_negative() {
    let d = run("Economist John Smith said the new tax plan was a disaster for small businesses.");
    let (smith, p) = mention(&d, "John Smith");
    assert_ne!(smith, StanceLabel::Against, "Smith {p:?}");
}

#[test]
#[ignore = "known failure: the shipped head reads `did not condemn` as against (p 0.99); issue 12 open"]
fn negated_criticism_is_not_criticism() {
    let d = run("The committee did not condemn Senator Paul Harris, and it cleared him of all charges.");
    let (harris, p) = mention(&d, "Paul Harris");
    assert_ne!(harris, StanceLabel::Against, "Harris {p:?}");
}

#[test]
#[ignore = "known failure: the shipped head gives the victim against (p 0.71); issue 12 open"]
fn the_victim_of_a_crime_is_not_negative() {
    let d = run("Police said David Chen, a 34-year-old teacher, was shot and killed by robbers outside his home.");
    let (chen, p) = mention(&d, "David Chen");
    assert_ne!(chen, StanceLabel::Against, "Chen {p:?}");
}

#[test]
fn a_resolved_pronoun_carries_a_stance() {
    let d = run("Senator Paul Harris spoke on Monday. He was widely mocked as a corrupt and incompetent fraud.");
    let he = d.mentions.iter().find(|m| m.text == "He").expect("`He` resolved by coref");
    assert!(he.actor_id.is_some());
    assert_eq!(he.stance.stance, Some(StanceLabel::Against), "{:?}", he.stance);
}

#[test]
fn the_same_sentence_alone_and_inside_a_long_document_scores_the_same() {
    let sentence = "Critics accused Governor Maria Lopez of wasting millions on a failed project.";
    let alone = run(sentence);
    let filler = "The city council met on Tuesday to discuss the budget for the coming year. ";
    let long = format!("{}{sentence} {}", filler.repeat(300), filler.repeat(300));
    let inside = run(&long);
    let a = mention(&alone, "Maria Lopez");
    let b = mention(&inside, "Maria Lopez");
    assert_eq!(a, b, "alone {a:?} vs inside {b:?}");
}

#[test]
fn vader_engine_leaves_mention_stances_empty() {
    let mut d = Document::new(
        "t".into(),
        Origin::default(),
        Meta::default(),
        "Voters praised Governor Maria Lopez.".into(),
        vec![],
        String::new(),
    );
    segment::segment(&mut d);
    let mut docs = vec![d];
    ner().recognize(&mut docs);
    ActorResolver::default().run(&mut docs);
    ToneStage::default().run(&mut docs);
    assert!(docs[0].mentions.iter().all(|m| m.stance.stance.is_none()));
    assert!(docs[0].actors.iter().all(|a| a.stance.is_some()), "the VADER engine still scores actors");
}
