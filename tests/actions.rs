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
    // The speech act is a row of its own, its target the claim.
    let say = find(&d, "say");
    assert_eq!(say.agent_actor_id.as_deref(), Some("per:ana-bell"));
    assert_eq!(say.target_text.as_deref(), Some("Carl Diaz attacked the convoy"));
    assert_eq!((say.category.as_str(), say.target_actor_id.as_deref()), ("STATEMENT", None));
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

fn row<'a>(d: &'a Document, lemma: &str) -> Option<&'a Action> {
    d.actions.iter().find(|a| a.verb_lemma == lemma)
}

fn txt(o: &Option<String>) -> &str {
    o.as_deref().unwrap_or("")
}

#[test]
fn speech_acts_are_rows_with_the_claim_as_target_and_the_speaker_as_source() {
    let d = actions(
        "Claudia Ruiz stressed that close cooperation with the agency would continue.",
        &[("Claudia Ruiz", "PER")],
    );
    let a = find(&d, "stress");
    assert_eq!(a.agent_actor_id.as_deref(), Some("per:claudia-ruiz"));
    assert_eq!(txt(&a.target_text), "close cooperation with the agency would continue");
    assert_eq!(a.category, "STATEMENT");
    // The lexicon's category wins over the neutral statement: allege → ACCUSE, deny → REJECT.
    let d = actions("Ana Bell alleged that Carl Diaz ran the network.", &[("Ana Bell", "PER"), ("Carl Diaz", "PER")]);
    assert_eq!(find(&d, "allege").category, "ACCUSE");
    let run = find(&d, "run");
    assert_eq!(
        (run.agent_actor_id.as_deref(), run.source_actor_id.as_deref()),
        (Some("per:carl-diaz"), Some("per:ana-bell"))
    );
    let d = actions("Carl Diaz denied that he took the money.", &[("Carl Diaz", "PER")]);
    assert_eq!(find(&d, "deny").category, "REJECT");
    // A reporting verb with a plain object is an ordinary action.
    let d = actions("Eight companies have announced layoffs.", &[]);
    let a = find(&d, "announce");
    assert_eq!((txt(&a.agent_text), txt(&a.target_text)), ("Eight companies", "layoffs"));
    // Direct quotes attributed after the quote: the speech act's target is the quote.
    let d = actions("\"The border will stay open,\" Ana Bell wrote.", &[("Ana Bell", "PER")]);
    let w = find(&d, "write");
    assert_eq!(w.agent_actor_id.as_deref(), Some("per:ana-bell"));
    assert!(txt(&w.target_text).contains("The border will stay open"), "{w:?}");
    // The whole quotation, whatever the parser hung where, and no reporting clause inside it.
    let d =
        actions("\u{201c}We closed the plant, and we will reopen it,\u{201d} Carl Diaz said.", &[("Carl Diaz", "PER")]);
    let say = find(&d, "say");
    assert_eq!(txt(&say.target_text), "We closed the plant, and we will reopen it");
    assert_eq!(find(&d, "reopen").source_actor_id.as_deref(), Some("per:carl-diaz"));
}

#[test]
fn particles_and_prepositions_stay_with_the_verb() {
    let cases = [
        ("The council rolled back the new rules.", "roll back", "the new rules"),
        ("Ana Bell called on the governors to act.", "call on", "the governors"),
        ("Carl Diaz met with the foreign minister.", "meet with", "the foreign minister"),
        ("The firm backed away from the merger.", "back away from", "the merger"),
        ("The unions will stand with the striking workers.", "stand with", "the striking workers"),
        ("The two countries entered into a trade agreement.", "enter into", "a trade agreement"),
    ];
    for (text, lemma, target) in cases {
        let names: Vec<(&str, &str)> =
            [("Ana Bell", "PER"), ("Carl Diaz", "PER")].into_iter().filter(|(n, _)| text.contains(n)).collect();
        let d = actions(text, &names);
        let a = row(&d, lemma).unwrap_or_else(|| panic!("{text}: no `{lemma}` in {:#?}", d.actions));
        assert_eq!(txt(&a.target_text), target, "{text}");
    }
    // A preposition that is not part of the verb stays out of the lemma.
    let d = actions("The soldiers walked to the river.", &[]);
    assert!(row(&d, "walk to").is_none(), "{:#?}", d.actions);
}

#[test]
fn light_verbs_keep_their_noun() {
    let d = actions("The rebels took advantage of the chaos.", &[]);
    let a = find(&d, "take advantage of");
    assert_eq!((txt(&a.agent_text), txt(&a.target_text)), ("The rebels", "the chaos"));
    let d = actions("The negotiators made progress on the treaty.", &[]);
    assert_eq!(txt(&find(&d, "make progress on").target_text), "the treaty");
    // An ordinary object of "take" is no light verb.
    let d = actions("The soldiers took the bridge.", &[]);
    assert_eq!(txt(&find(&d, "take").target_text), "the bridge");
}

#[test]
fn arguments_are_whole_phrases_without_time_modifiers_or_determiner_cuts() {
    let d = actions("The ministry on Thursday doubled to $50 million its reward for information.", &[]);
    let a = find(&d, "double");
    assert_eq!(txt(&a.agent_text), "The ministry");
    assert!(txt(&a.target_text).starts_with("its reward"), "{a:?}");
    // The first object after the verb; a dative "to" phrase stands for its object.
    let d = actions("The king awarded Carl Diaz a medal.", &[("Carl Diaz", "PER")]);
    assert_eq!(find(&d, "award").target_actor_id.as_deref(), Some("per:carl-diaz"));
    let d = actions("The president gave his report to Congress.", &[("Congress", "ORG")]);
    assert!(!txt(&find(&d, "give").target_text).starts_with("to "), "{:#?}", d.actions);
    let d = actions("Carl Diaz secretly signed a groundbreaking directive.", &[("Carl Diaz", "PER")]);
    assert_eq!(txt(&find(&d, "sign").target_text), "a groundbreaking directive");
    // Head-based link: the group noun's named modifier is the actor, a possessor is not.
    let d = actions("The Kenyan government expelled the envoy.", &[("Kenyan", "NORP")]);
    let _ = find(&d, "expel");
    let d = actions("Carl Diaz's lawyers attacked the ruling.", &[("Carl Diaz", "PER")]);
    assert_eq!(find(&d, "attack").agent_actor_id, None, "the lawyers are not Carl Diaz");
}

#[test]
fn implied_subjects_of_participles_and_infinitives() {
    let d =
        actions("The ministry doubled its reward, alleging that Carl Diaz runs the network.", &[("Carl Diaz", "PER")]);
    let a = find(&d, "allege");
    assert_eq!(txt(&a.agent_text), "The ministry");
    assert_eq!(txt(&a.target_text), "Carl Diaz runs the network");
    let d = actions("The firefighters braved the storm to help save 40 lives.", &[]);
    let save = find(&d, "save");
    assert_eq!((txt(&save.agent_text), txt(&save.target_text)), ("The firefighters", "40 lives"));
    assert!(row(&d, "help").is_none(), "the complement carries the action: {:#?}", d.actions);
    // Object control: the object of "urge" does the urged act.
    let d = actions("Ana Bell urged the senators to reject the bill.", &[("Ana Bell", "PER")]);
    let r = find(&d, "reject");
    assert_eq!(txt(&r.agent_text), "the senators");
    assert_eq!(r.modality, "hedged", "an urged act has not happened");
    // Commitments are rows with the committed act as target; the act is claimed by its agent,
    // unless it was refused.
    let d = actions("The senators promised to fund a new tribunal.", &[]);
    assert_eq!(txt(&find(&d, "promise").target_text), "to fund a new tribunal");
    let f = find(&d, "fund");
    assert_eq!((txt(&f.agent_text), txt(&f.source_text)), ("The senators", "The senators"));
    let d = actions("The governor refused to sign the bill.", &[]);
    assert_eq!(txt(&find(&d, "refuse").target_text), "to sign the bill");
    assert!(row(&d, "sign").is_none(), "a refused act is not claimed: {:#?}", d.actions);
}

#[test]
fn coordinated_verbs_each_give_a_row() {
    let d = actions("Ana Bell was kidnapped, tortured, and enslaved by the gang.", &[("Ana Bell", "PER")]);
    for lemma in ["kidnap", "torture", "enslave"] {
        let a = find(&d, lemma);
        assert_eq!(txt(&a.agent_text), "the gang", "{lemma}");
        assert_eq!(a.target_actor_id.as_deref(), Some("per:ana-bell"), "{lemma}");
    }
    let d = actions("The senators signed and ratified the treaty.", &[]);
    assert_eq!(txt(&find(&d, "sign").target_text), "the treaty");
    assert_eq!(txt(&find(&d, "ratify").target_text), "the treaty");
}

#[test]
fn coordinated_actors_give_one_row_each() {
    let d = actions("Kenya and Uganda signed the accord.", &[("Kenya", "GPE"), ("Uganda", "GPE")]);
    let mut agents: Vec<_> =
        d.actions.iter().filter(|a| a.verb_lemma == "sign").filter_map(|a| a.agent_actor_id.clone()).collect();
    agents.sort();
    assert_eq!(agents, vec!["gpe:kenya", "gpe:uganda"]);
    // Common nouns in coordination stay one phrase.
    let d = actions("Farmers and traders blocked the road.", &[]);
    assert_eq!(txt(&find(&d, "block").agent_text), "Farmers and traders");
}

#[test]
fn relative_pronouns_are_replaced_by_their_antecedent() {
    let d = actions("The senators rejected the deal which the president had negotiated.", &[]);
    let a = find(&d, "negotiate");
    assert_eq!((txt(&a.agent_text), txt(&a.target_text)), ("the president", "the deal"));
    let d = actions("Police found the car that the gang had stolen.", &[]);
    assert_eq!(txt(&find(&d, "steal").target_text), "the car");
    let d = actions("Carl Diaz, who leads the party, criticized the plan.", &[("Carl Diaz", "PER")]);
    let lead = find(&d, "lead");
    assert_eq!(lead.agent_actor_id.as_deref(), Some("per:carl-diaz"));
    for a in &d.actions {
        for t in [&a.agent_text, &a.target_text] {
            assert!(!matches!(txt(t), "who" | "which" | "that"), "{a:?}");
        }
    }
}

#[test]
fn curly_quotes_and_missing_spaces_do_not_break_the_parse() {
    let d = actions(
        "President Ana Bell on Friday \u{201c}absolutely ruled out\u{201d} military action on its soil.",
        &[("Ana Bell", "PER")],
    );
    let a = find(&d, "rule out");
    assert_eq!(a.agent_actor_id.as_deref(), Some("per:ana-bell"));
    assert_eq!(a.predicate, "absolutely ruled out");
    assert!(txt(&a.target_text).starts_with("military action"), "{a:?}");
    assert!(a.is_quote);
    let d = actions("The mills make steel.The unions blocked the plan.", &[]);
    assert_eq!(d.sentences.len(), 2);
    let b = find(&d, "block");
    assert_eq!((b.sentence_idx, txt(&b.agent_text)), (1, "The unions"));
}

#[test]
fn states_copulas_and_discourse_markers_are_not_actions() {
    for text in [
        "The country needs more jobs.",
        "The voters want change.",
        "Everyone knows the answer.",
        "As we speak, the talks go on.",
        "You see, the plan was bold.",
        "To say the least, the plan is bold.",
        "Thank you.",
        "Close cooperation would continue.",
        "The minister is a lawyer.",
        // Events without a doer or a target: no one acted.
        "Prices fell sharply in March.",
        "The excess profits tax expired.",
        "No such movement of troops took place.",
        // An infinitive whose doer the sentence does not give.
        "It is a plan to destroy any adversary.",
    ] {
        let d = actions(text, &[]);
        assert!(d.actions.is_empty(), "{text}: {:#?}", d.actions);
    }
    // An animate doer acts without a target.
    let d = actions("Tokyo protested.", &[("Tokyo", "GPE")]);
    assert_eq!(find(&d, "protest").agent_actor_id.as_deref(), Some("gpe:tokyo"));
    let d = actions("The striking workers marched.", &[]);
    assert_eq!(txt(&find(&d, "march").agent_text), "The striking workers");
    // ... but the action inside an aspectual verb's complement is kept.
    let d = actions("The rebels continued to shell the city.", &[]);
    assert_eq!(txt(&find(&d, "shell").agent_text), "The rebels");
    assert!(row(&d, "continue").is_none());
}
