//! Actor-identity fixes (issue 13, point 5) on self-written sentences with hand-placed mentions:
//! coordinated names split into two actors, real names containing "and" kept whole, and an
//! acronym shared by two forms of one agency's name.

use actorlens::actors::ActorResolver;
use actorlens::document::Document;

mod common;
use common::doc_with;

fn resolve(text: &str, ents: &[(&str, &str)]) -> Document {
    let mut d = doc_with(text, ents);
    ActorResolver::default().resolve(&mut d);
    d
}

fn mentions(d: &Document) -> Vec<(&str, &str)> {
    d.mentions.iter().map(|m| (m.text.as_str(), m.actor_id.as_deref().unwrap_or(""))).collect()
}

#[test]
fn a_coordination_of_two_agencies_becomes_two_actors_and_the_acronym_joins_one() {
    let d = resolve(
        "The US Justice Department and Drug Enforcement Agency announced charges. The DEA said more would follow.",
        &[("US Justice Department and Drug Enforcement Agency", "ORG"), ("DEA", "ORG")],
    );
    assert_eq!(
        mentions(&d),
        vec![
            ("US Justice Department", "org:us-justice-department"),
            ("Drug Enforcement Agency", "org:drug-enforcement-agency"),
            ("DEA", "org:drug-enforcement-agency"),
        ]
    );
    // Offsets stay exact and ids are renumbered.
    for (i, m) in d.mentions.iter().enumerate() {
        assert_eq!(m.mention_id, i);
        assert_eq!(&d.text[m.span.start_byte..m.span.end_byte], m.text);
    }
}

#[test]
fn two_countries_split_but_names_with_and_stay_whole() {
    let d = resolve("Kenya and Uganda signed a deal.", &[("Kenya and Uganda", "GPE")]);
    assert_eq!(mentions(&d), vec![("Kenya", "gpe:kenya"), ("Uganda", "gpe:uganda")]);
    for (text, ent, kind) in [
        ("Trinidad and Tobago won the match.", "Trinidad and Tobago", "GPE"),
        ("Procter & Gamble raised prices.", "Procter & Gamble", "ORG"),
        (
            "The Bureau of Alcohol, Tobacco, Firearms and Explosives seized guns.",
            "Bureau of Alcohol, Tobacco, Firearms and Explosives",
            "ORG",
        ),
        ("The Food and Drug Administration approved it.", "Food and Drug Administration", "ORG"),
        ("The Department of Health and Human Services spoke.", "Department of Health and Human Services", "ORG"),
    ] {
        let d = resolve(text, &[(ent, kind)]);
        assert_eq!(d.mentions.len(), 1, "{text}: {:?}", mentions(&d));
        assert_eq!(d.mentions[0].text, ent);
        assert_eq!(d.actors.len(), 1);
    }
}

#[test]
fn an_acronym_matches_two_forms_of_one_name_that_differ_in_the_head_word() {
    let d = resolve(
        "The Drug Enforcement Agency raided a lab. The DEA, formally the Drug Enforcement Administration, \
         made arrests.",
        &[("Drug Enforcement Agency", "ORG"), ("DEA", "ORG"), ("Drug Enforcement Administration", "ORG")],
    );
    let ids: Vec<&str> = mentions(&d).iter().map(|m| m.1).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|i| *i == ids[0]), "{:?}", mentions(&d));
    // Different heads with different initials stay apart.
    let d = resolve(
        "The National Security Agency spoke. The National Security Council did not.",
        &[("National Security Agency", "ORG"), ("National Security Council", "ORG")],
    );
    assert_eq!(d.actors.len(), 2);
}
