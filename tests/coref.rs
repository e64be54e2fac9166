//! The coref stage on self-written sentences with hand-placed NER mentions (no model): each
//! rule with a case where it must link and a case where it must leave the pronoun alone.

use actorlens::actors::ActorResolver;
use actorlens::coref;
use actorlens::document::Document;

mod common;
use common::doc_with;

fn run(text: &str, ents: &[(&str, &str)]) -> Document {
    let mut d = doc_with(text, ents);
    ActorResolver::default().resolve(&mut d);
    coref::resolve(&mut d);
    d
}

/// (text, label, actor_id) of the coref rows, in order.
fn links(d: &Document) -> Vec<(String, String, String)> {
    d.mentions
        .iter()
        .filter(|m| coref::is_coref_mention(m))
        .map(|m| (m.text.clone(), m.label.clone(), m.actor_id.clone().unwrap_or_default()))
        .collect()
}

fn l(t: &str, label: &str, id: &str) -> (String, String, String) {
    (t.into(), label.into(), id.into())
}

#[test]
fn gendered_pronouns_follow_given_names() {
    let d = run(
        "President Claudia Sheinbaum met Donald Trump on Monday. She stressed that cooperation would \
         continue. He said his government agreed.",
        &[("Claudia Sheinbaum", "PERSON"), ("Donald Trump", "PERSON"), ("Monday", "DATE")],
    );
    assert_eq!(
        links(&d),
        vec![
            l("She", "PRON", "per:claudia-sheinbaum"),
            l("He", "PRON", "per:donald-trump"),
            l("his", "PRON", "per:donald-trump"),
        ]
    );
    // Text order, renumbered, with the actor's type; the named count keeps its meaning.
    let ids: Vec<usize> = d.mentions.iter().map(|m| m.mention_id).collect();
    assert_eq!(ids, (0..d.mentions.len()).collect::<Vec<_>>());
    assert!(d.mentions.windows(2).all(|w| w[0].span.start_byte <= w[1].span.start_byte));
    assert!(d.mentions.iter().filter(|m| m.label == "PRON").all(|m| m.kind == "PER" && m.score > 0.5));
    assert_eq!(coref::n_named_mentions(&d), 3);
    let sheinbaum = d.actors.iter().find(|a| a.actor_id == "per:claudia-sheinbaum").unwrap();
    assert_eq!((sheinbaum.n_mentions, sheinbaum.n_pronoun_mentions), (1, 1));
    let trump = d.actors.iter().find(|a| a.actor_id == "per:donald-trump").unwrap();
    assert_eq!(trump.n_pronoun_mentions, 2);
    // Offsets are exact slices.
    for m in &d.mentions {
        assert_eq!(&d.text[m.span.start_byte..m.span.end_byte], m.text);
    }
}

#[test]
fn two_people_of_one_gender_leave_a_later_pronoun_to_the_subject_or_unresolved() {
    // Sentence-initial "He" continues the previous sentence's subject.
    let d = run(
        "Nicolas Maduro accused Gustavo Petro of lying. He later repeated the charge.",
        &[("Nicolas Maduro", "PERSON"), ("Gustavo Petro", "PERSON")],
    );
    assert_eq!(links(&d), vec![l("He", "PRON", "per:nicolas-maduro")]);
    // Two equally salient men, neither a subject: no guess.
    let d = run(
        "Officials said Nicolas Maduro and Gustavo Petro would meet. Analysts said he was wrong.",
        &[("Nicolas Maduro", "PERSON"), ("Gustavo Petro", "PERSON")],
    );
    assert!(links(&d).iter().all(|x| x.0 != "he"), "{:?}", links(&d));
}

#[test]
fn binding_keeps_an_object_pronoun_off_its_own_subject() {
    let d = run(
        "Joe Biden called Emmanuel Macron. Macron thanked him.",
        &[("Joe Biden", "PERSON"), ("Emmanuel Macron", "PERSON"), ("Macron", "PERSON")],
    );
    assert_eq!(links(&d), vec![l("him", "PRON", "per:joe-biden")]);
    // A reflexive takes its own clause's subject.
    let d = run(
        "Joe Biden met Emmanuel Macron. Macron defended himself.",
        &[("Joe Biden", "PERSON"), ("Emmanuel Macron", "PERSON"), ("Macron", "PERSON")],
    );
    assert_eq!(links(&d), vec![l("himself", "PRON", "per:emmanuel-macron")]);
}

#[test]
fn a_human_noun_in_between_blocks_the_link() {
    let d = run(
        "Claudia Sheinbaum spoke on Monday. A spokeswoman for the ministry later said she disagreed.",
        &[("Claudia Sheinbaum", "PERSON"), ("Monday", "DATE")],
    );
    assert!(links(&d).is_empty(), "{:?}", links(&d));
}

#[test]
fn it_and_they_need_an_organisation_and_an_agentive_verb() {
    let d = run(
        "The Sinaloa Cartel denied the report. It said the claims were false. It is unclear what happens next.",
        &[("The Sinaloa Cartel", "ORG")],
    );
    assert_eq!(links(&d), vec![l("It", "PRON", "org:sinaloa-cartel")]);
    let d = run(
        "Mexicans voted on Sunday. They chose a new congress. US officials said they were surprised.",
        &[("Mexicans", "NORP"), ("Sunday", "DATE"), ("US", "GPE")],
    );
    assert_eq!(links(&d), vec![l("They", "PRON", "gpe:mexico")]);
}

#[test]
fn gender_is_learned_from_titles_and_unknown_names_stay_open() {
    // "Ms." makes an unknown given name female.
    let d = run(
        "Ms. Quorra Vantablack met Donald Trump. She said the talks went well.",
        &[("Ms. Quorra Vantablack", "PERSON"), ("Donald Trump", "PERSON")],
    );
    assert_eq!(links(&d), vec![l("She", "PRON", "per:quorra-vantablack")]);
    assert_eq!(coref::gender_of("Claudia Sheinbaum", &[]), coref::Gender::Female);
    assert_eq!(coref::gender_of("Donald Trump", &[]), coref::Gender::Male);
    assert_eq!(coref::gender_of("Sheinbaum", &[]), coref::Gender::Unknown);
}

#[test]
fn unambiguous_cataphora() {
    let d = run(
        "Before he left for Washington, Marco Rubio said the deal was done.",
        &[("Washington", "GPE"), ("Marco Rubio", "PERSON")],
    );
    assert_eq!(links(&d), vec![l("he", "PRON", "per:marco-rubio")]);
}

#[test]
fn role_descriptions_resolve_to_the_matching_actor() {
    let d = run(
        "President Claudia Sheinbaum met officials of the Drug Enforcement Administration in Mexico City. \
         The agency said the talks went well. The president said Mexico would not accept troops. \
         The country has long rejected foreign forces.",
        &[
            ("Claudia Sheinbaum", "PERSON"),
            ("the Drug Enforcement Administration", "ORG"),
            ("Mexico City", "GPE"),
            ("Mexico", "GPE"),
        ],
    );
    assert_eq!(
        links(&d),
        vec![
            l("The agency", "NOM", "org:drug-enforcement-administration"),
            l("The president", "NOM", "per:claudia-sheinbaum"),
            l("The country", "NOM", "gpe:mexico"),
        ]
    );
    let a = d.actors.iter().find(|a| a.actor_id == "per:claudia-sheinbaum").unwrap();
    assert_eq!((a.n_pronoun_mentions, a.n_role_mentions), (0, 1));
    // No president named: "the president" stays unresolved.
    let d = run("Mexico rejected the plan. The president said no.", &[("Mexico", "GPE")]);
    assert!(links(&d).is_empty());
}

#[test]
fn documents_without_pronouns_are_unchanged_and_rerunning_is_idempotent() {
    let mut d = doc_with("Mexico rejected the plan on Monday.", &[("Mexico", "GPE"), ("Monday", "DATE")]);
    ActorResolver::default().resolve(&mut d);
    let before = d.mentions.clone();
    coref::resolve(&mut d);
    assert_eq!(d.mentions, before);
    let mut d = run("Claudia Sheinbaum spoke. She left.", &[("Claudia Sheinbaum", "PERSON")]);
    let once = d.mentions.clone();
    coref::resolve(&mut d);
    assert_eq!(d.mentions, once);
    coref::clear(&mut d);
    assert_eq!(d.mentions.len(), 1);
}

#[test]
fn claimed_actions_take_the_resolved_actor_but_not_through_a_possessive() {
    use actorlens::actions::ActionStage;
    let stage = ActionStage::load(&actorlens::plan::bundled_model_dir("syntax")).expect("committed syntax model");
    let mut d = run(
        "President Claudia Sheinbaum ruled out military action. She rejected the plan on Tuesday. \
         Her government criticized the report.",
        &[("Claudia Sheinbaum", "PERSON"), ("Tuesday", "DATE")],
    );
    stage.run(&mut d);
    let reject = d.actions.iter().find(|a| a.verb_lemma == "reject").expect("a reject action");
    assert_eq!(reject.agent_text.as_deref(), Some("She"));
    assert_eq!(reject.agent_actor_id.as_deref(), Some("per:claudia-sheinbaum"));
    // "Her government" is the government, not the person.
    let crit = d.actions.iter().find(|a| a.verb_lemma == "criticize").expect("a criticize action");
    assert_eq!(crit.agent_actor_id, None);
    // Without coref the same action has no agent actor.
    let mut plain = doc_with(
        "President Claudia Sheinbaum ruled out military action. She rejected the plan on Tuesday.",
        &[("Claudia Sheinbaum", "PERSON"), ("Tuesday", "DATE")],
    );
    ActorResolver::default().resolve(&mut plain);
    stage.run(&mut plain);
    assert_eq!(plain.actions.iter().find(|a| a.verb_lemma == "reject").and_then(|a| a.agent_actor_id.clone()), None);
}

#[test]
fn tone_scores_resolved_pronouns_like_names() {
    use actorlens::tone::ToneStage;
    // The criticism is said of "him" only: without coref Diaz gets no negative stance.
    let text = "Carl Diaz took office in May. Critics condemned him as a corrupt and brutal failure.";
    let ents = [("Carl Diaz", "PERSON"), ("May", "DATE")];
    let mut d = run(text, &ents);
    assert_eq!(links(&d), vec![l("him", "PRON", "per:carl-diaz")]);
    ToneStage::default().run(std::slice::from_mut(&mut d));
    let diaz = d.actors.iter().find(|a| a.actor_id == "per:carl-diaz").unwrap();
    assert_eq!(diaz.stance.map(|s| s.as_str()), Some("against"), "{diaz:?}");
    let mut plain = doc_with(text, &ents);
    ActorResolver::default().resolve(&mut plain);
    ToneStage::default().run(std::slice::from_mut(&mut plain));
    let diaz = plain.actors.iter().find(|a| a.actor_id == "per:carl-diaz").unwrap();
    assert_ne!(diaz.stance.map(|s| s.as_str()), Some("against"));
}

#[test]
fn a_government_named_after_a_person_is_not_he_and_a_modifier_surname_is_not_the_person() {
    // NER tagged "Trump" inside "the Trump administration": the actor is the government, so
    // "its" may take it and "he" may not.
    let d = run(
        "The Trump administration doubled its reward for the arrest of Nicolas Maduro, alleging that he \
         leads a cartel.",
        &[("Trump", "PERSON"), ("Nicolas Maduro", "PERSON")],
    );
    assert_eq!(links(&d), vec![l("its", "PRON", "org:trump-administration"), l("he", "PRON", "per:nicolas-maduro")]);
    // NER missed the second "Trump": as a modifier it is no occurrence of the person.
    let d = run(
        "President Donald Trump spoke on Monday. Officials met later. The Trump administration accused Nicolas Maduro, \
         alleging that he leads a cartel.",
        &[("Donald Trump", "PERSON"), ("Monday", "DATE"), ("Nicolas Maduro", "PERSON")],
    );
    assert_eq!(links(&d), vec![l("he", "PRON", "per:nicolas-maduro")]);
}

#[test]
fn first_person_in_a_quote_goes_to_its_speaker() {
    let d = run(
        "Claudia Sheinbaum spoke on Monday. \u{201c}My government will not accept troops,\u{201d} she said. \
         Donald Trump replied: \u{201c}I am not worried about me.\u{201d} \"We will see,\" officials said.",
        &[("Claudia Sheinbaum", "PERSON"), ("Monday", "DATE"), ("Donald Trump", "PERSON")],
    );
    assert_eq!(
        links(&d),
        vec![
            l("My", "PRON", "per:claudia-sheinbaum"),
            l("she", "PRON", "per:claudia-sheinbaum"),
            l("I", "PRON", "per:donald-trump"),
            l("me", "PRON", "per:donald-trump"),
        ]
    );
}

/// As `run`, with the parse stage's trees on the document (as in the pipeline).
fn run_parsed(text: &str, ents: &[(&str, &str)]) -> Document {
    use std::sync::OnceLock;
    static P: OnceLock<actorlens::parse::ParseStage> = OnceLock::new();
    let parser = P.get_or_init(|| {
        actorlens::parse::ParseStage::load(&actorlens::plan::bundled_model_dir("syntax"))
            .expect("models/syntax is committed")
    });
    let mut d = doc_with(text, ents);
    ActorResolver::default().resolve(&mut d);
    parser.run_doc(&mut d);
    coref::resolve(&mut d);
    d
}

#[test]
fn a_collective_speakers_we_is_the_collective_and_you_is_never_the_speaker() {
    let d = run_parsed(
        "\u{201c}We will appeal the ruling and our lawyers are ready,\u{201d} the Acme Corporation said.",
        &[("Acme Corporation", "ORG")],
    );
    assert_eq!(links(&d), vec![l("We", "PRON", "org:acme-corporation"), l("our", "PRON", "org:acme-corporation")]);
    // A person's "we" (their government? their party?) and "you" (the addressee) stay unlinked;
    // the person's "I" is linked.
    let d = run_parsed("\u{201c}We told you that I would act,\u{201d} Carl Diaz said.", &[("Carl Diaz", "PERSON")]);
    assert_eq!(links(&d), vec![l("I", "PRON", "per:carl-diaz")]);
}

#[test]
fn binding_comes_from_the_parse_when_the_parse_stage_ran() {
    // The subject of "praised" is Tom Reyes, so "him" is not Tom Reyes but Carl Diaz.
    let d =
        run_parsed("Carl Diaz said that Tom Reyes praised him.", &[("Carl Diaz", "PERSON"), ("Tom Reyes", "PERSON")]);
    assert_eq!(links(&d), vec![l("him", "PRON", "per:carl-diaz")]);
    // Object pronoun and the subject of its own clause never corefer.
    let d = run_parsed("Tom Reyes praised him.", &[("Tom Reyes", "PERSON")]);
    assert!(links(&d).is_empty(), "{:?}", links(&d));
    // A name inside a relative clause is not the subject of the main clause: with the parse,
    // "him" can be Carl Diaz.
    let d = run_parsed("The minister who hired Carl Diaz later fired him.", &[("Carl Diaz", "PERSON")]);
    assert_eq!(links(&d), vec![l("him", "PRON", "per:carl-diaz")]);
}
