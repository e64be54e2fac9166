//! Claimed actions on self-written news sentences, with the committed syntax model.

mod common;

use actorlens::actions::ActionStage;
use actorlens::actors::ActorResolver;
use actorlens::document::{Action, Document};
use common::doc_with;
use std::sync::OnceLock;

fn stage() -> &'static ActionStage {
    static S: OnceLock<ActionStage> = OnceLock::new();
    S.get_or_init(|| {
        ActionStage::load(&actorlens::plan::bundled_model_dir("syntax"))
            .expect("the syntax model is committed in models/syntax")
    })
}

fn actions(text: &str, ents: &[(&str, &str)]) -> Document {
    let mut d = doc_with(text, ents);
    ActorResolver::default().resolve(&mut d);
    stage().run(&mut d);
    d
}

fn find<'a>(d: &'a Document, lemma: &str) -> &'a Action {
    d.actions
        .iter()
        .find(|a| a.verb_lemma == lemma)
        .unwrap_or_else(|| panic!("no `{lemma}` action in {:#?}", d.actions))
}

#[test]
fn plain_subject_verb_object() {
    let d = actions("Ana Bell criticized Carl Diaz on Monday.", &[("Ana Bell", "PER"), ("Carl Diaz", "PER")]);
    let a = find(&d, "criticize");
    assert_eq!(a.agent_actor_id.as_deref(), Some("per:ana-bell"));
    assert_eq!(a.target_actor_id.as_deref(), Some("per:carl-diaz"));
    assert_eq!(
        (a.predicate.as_str(), a.category.as_str(), a.quad_class.as_str()),
        ("criticized", "ACCUSE", "verbal_conflict")
    );
    assert!(!a.negated && a.modality == "asserted" && !a.is_quote);
    let evidence: String = d.text.chars().skip(a.start_char).take(a.end_char - a.start_char).collect();
    assert_eq!(evidence, "Ana Bell criticized Carl Diaz");
}

#[test]
fn passive_voice_with_by_agent() {
    let d = actions(
        "The cartel was designated a terrorist organization by the State Department.",
        &[("State Department", "ORG")],
    );
    let a = find(&d, "designate");
    assert_eq!(a.predicate, "was designated");
    assert_eq!(a.agent_actor_id.as_deref(), Some("org:state-department"));
    assert_eq!(a.target_text.as_deref(), Some("The cartel"));
    assert_eq!(a.category, "SANCTION");
}

#[test]
fn phrasal_verb_keeps_adverb_and_particle() {
    let d = actions(
        "Ana Bell absolutely ruled out military action on Mexican soil.",
        &[("Ana Bell", "PER"), ("Mexican", "NORP")],
    );
    let a = find(&d, "rule out");
    assert_eq!(a.predicate, "absolutely ruled out");
    assert_eq!(a.target_text.as_deref(), Some("military action on Mexican soil"));
    assert_eq!(a.category, "REJECT");
    assert_eq!(a.agent_actor_id.as_deref(), Some("per:ana-bell"));
}

#[test]
fn negation_and_modality() {
    let d = actions("Carl Diaz did not sign the agreement.", &[("Carl Diaz", "PER")]);
    let a = find(&d, "sign");
    assert!(a.negated);
    assert_eq!(a.predicate, "did not sign");
    let d = actions("Carl Diaz could deploy troops to the border.", &[("Carl Diaz", "PER")]);
    assert_eq!(find(&d, "deploy").modality, "hedged");
}

#[test]
fn reported_speech_and_according_to() {
    let d = actions("Ana Bell said that Carl Diaz attacked the convoy.", &[("Ana Bell", "PER"), ("Carl Diaz", "PER")]);
    let a = find(&d, "attack");
    assert_eq!(a.agent_actor_id.as_deref(), Some("per:carl-diaz"));
    assert_eq!(a.source_actor_id.as_deref(), Some("per:ana-bell"));
    assert!(d.actions.iter().all(|a| a.verb_lemma != "say"), "saying is attribution, not an action");
    let d = actions("Carl Diaz secretly signed the order, according to media reports.", &[("Carl Diaz", "PER")]);
    let a = find(&d, "sign");
    assert_eq!(a.source_text.as_deref(), Some("media reports"));
    assert_eq!(a.predicate, "secretly signed");
}

#[test]
fn direct_quotes_are_marked() {
    let d = actions("\"We will strike the camps,\" Carl Diaz said.", &[("Carl Diaz", "PER")]);
    let a = find(&d, "strike");
    assert!(a.is_quote);
    assert_eq!(a.source_actor_id.as_deref(), Some("per:carl-diaz"));
}

#[test]
fn conjoined_verbs_share_the_subject() {
    let d = actions("Ana Bell condemned the attack and demanded an investigation.", &[("Ana Bell", "PER")]);
    assert_eq!(find(&d, "condemn").agent_actor_id.as_deref(), Some("per:ana-bell"));
    let b = find(&d, "demand");
    assert_eq!(b.agent_actor_id.as_deref(), Some("per:ana-bell"));
    assert_eq!(b.category, "REQUEST");
}

#[test]
fn relative_clause_agent_is_the_modified_noun() {
    let d = actions("Police arrested the gang that attacked the convoy.", &[]);
    let a = find(&d, "attack");
    assert_eq!(a.agent_text.as_deref(), Some("the gang"));
    assert_eq!(a.target_text.as_deref(), Some("the convoy"));
    assert_eq!(find(&d, "arrest").category, "COERCE");
}

#[test]
fn a_sentence_without_an_action_gives_no_row() {
    let d = actions("The weather in the capital was cold and grey.", &[]);
    assert!(d.actions.is_empty(), "{:#?}", d.actions);
}
