//! The actors stage on self-written sentences with hand-placed mentions (no model involved), so
//! each grouping rule is tested on its own, with positive and negative cases.

use actorlens::actors::{ActorResolver, AliasTable, CorpusActors};
use actorlens::document::Document;

mod common;
use common::doc_with;

fn resolve(text: &str, ents: &[(&str, &str)]) -> Document {
    let mut d = doc_with(text, ents);
    ActorResolver::default().resolve(&mut d);
    d
}

fn ids(d: &Document) -> Vec<&str> {
    d.mentions.iter().map(|m| m.actor_id.as_deref().unwrap_or("")).collect()
}

fn actor<'a>(d: &'a Document, id: &str) -> &'a actorlens::document::Actor {
    d.actors.iter().find(|a| a.actor_id == id).unwrap_or_else(|| panic!("no actor {id} in {:#?}", d.actors))
}

#[test]
fn short_forms_join_the_full_name_and_titles_become_roles() {
    let d = resolve(
        "President Donald Trump spoke on Monday. Trump said talks failed. Mexican President Claudia Sheinbaum \
         replied. Sheinbaum rejected the plan, and Mr. Trump left.",
        &[
            ("Donald Trump", "PER"),
            ("Trump", "PER"),
            ("Mexican", "NORP"),
            ("Claudia Sheinbaum", "PER"),
            ("Sheinbaum", "PER"),
            ("Mr. Trump", "PER"),
        ],
    );
    assert_eq!(
        ids(&d),
        vec![
            "per:donald-trump",
            "per:donald-trump",
            "gpe:mexico",
            "per:claudia-sheinbaum",
            "per:claudia-sheinbaum",
            "per:donald-trump"
        ]
    );
    let trump = actor(&d, "per:donald-trump");
    assert_eq!(trump.name, "Donald Trump");
    assert_eq!(trump.roles, vec!["Mr", "President"]);
    assert_eq!(trump.aliases, vec!["Trump"]);
    assert_eq!(trump.n_mentions, 3);
    assert_eq!(actor(&d, "per:claudia-sheinbaum").roles, vec!["President"]);
    assert_eq!(d.actors.len(), 3);
}

#[test]
fn a_short_form_seen_first_is_absorbed_by_the_later_full_name() {
    let d = resolve("Maduro spoke. Nicolás Maduro later denied it.", &[("Maduro", "PER"), ("Nicolás Maduro", "PER")]);
    assert_eq!(ids(&d), vec!["per:nicolas-maduro", "per:nicolas-maduro"]);
    assert_eq!(actor(&d, "per:nicolas-maduro").name, "Nicolás Maduro");
}

#[test]
fn different_full_names_sharing_a_surname_stay_apart() {
    let d = resolve(
        "George Bush met George W. Bush in Texas. Hunter Biden and Joe Biden arrived. Biden spoke.",
        &[
            ("George Bush", "PER"),
            ("George W. Bush", "PER"),
            ("Texas", "GPE"),
            ("Hunter Biden", "PER"),
            ("Joe Biden", "PER"),
            ("Biden", "PER"),
        ],
    );
    assert_eq!(
        ids(&d),
        vec!["per:george-bush", "per:george-w-bush", "gpe:texas", "per:hunter-biden", "per:joe-biden", "per:joe-biden"]
    );
    // A bare surname seen before two full names is not merged into either.
    let d = resolve(
        "Biden spoke. Hunter Biden and Joe Biden arrived.",
        &[("Biden", "PER"), ("Hunter Biden", "PER"), ("Joe Biden", "PER")],
    );
    assert_eq!(ids(&d), vec!["per:biden", "per:hunter-biden", "per:joe-biden"]);
}

#[test]
fn parenthetical_acronyms_and_initials_become_aliases() {
    let d = resolve(
        "The Jalisco New Generation Cartel (Spanish abbr: CJNG) grew. CJNG fighters fled. The Drug Enforcement \
         Administration said DEA agents and NATO officials met.",
        &[
            ("Jalisco New Generation Cartel", "ORG"),
            ("CJNG", "ORG"),
            ("Drug Enforcement Administration", "ORG"),
            ("DEA", "ORG"),
            ("NATO", "ORG"),
        ],
    );
    assert_eq!(
        ids(&d),
        vec![
            "org:jalisco-new-generation-cartel",
            "org:jalisco-new-generation-cartel",
            "org:drug-enforcement-administration",
            "org:drug-enforcement-administration",
            "org:nato"
        ]
    );
    assert_eq!(actor(&d, "org:jalisco-new-generation-cartel").aliases, vec!["CJNG"]);
    // Acronym first, full name later ("Agency" is a common misnomer for the DEA).
    let d = resolve(
        "DEA agents left. The Drug Enforcement Agency confirmed it.",
        &[("DEA", "ORG"), ("Drug Enforcement Agency", "ORG")],
    );
    assert_eq!(ids(&d), vec!["org:drug-enforcement-agency", "org:drug-enforcement-agency"]);
    // Plain parentheses around a non-acronym do not create aliases.
    let d = resolve("The Sinaloa Cartel (based in Culiacan) grew.", &[("Sinaloa Cartel", "ORG")]);
    assert!(actor(&d, "org:sinaloa-cartel").aliases.is_empty());
}

#[test]
fn countries_demonyms_and_variants_resolve_to_one_country() {
    let d = resolve(
        "The US and the U.S. Army, the United States, America and American troops. Mexicans and the Mexican \
         navy watched Venezuela's coast. Venezuelan officials and Texas officials met.",
        &[
            ("US", "GPE"),
            ("U.S.", "GPE"),
            ("United States", "GPE"),
            ("America", "GPE"),
            ("American", "NORP"),
            ("Mexicans", "NORP"),
            ("Mexican", "NORP"),
            ("Venezuela's", "GPE"),
            ("Venezuelan", "NORP"),
            ("Texas", "GPE"),
        ],
    );
    assert_eq!(
        ids(&d),
        vec![
            "gpe:united-states",
            "gpe:united-states",
            "gpe:united-states",
            "gpe:united-states",
            "gpe:united-states",
            "gpe:mexico",
            "gpe:mexico",
            "gpe:venezuela",
            "gpe:venezuela",
            "gpe:texas"
        ]
    );
    assert_eq!(actor(&d, "gpe:united-states").name, "United States");
    assert_eq!(actor(&d, "gpe:united-states").n_mentions, 5);
}

#[test]
fn governments_are_linked_actors() {
    let d = resolve(
        "Donald Trump spoke. The Trump administration doubled the reward. Mexico's government objected, and \
         the Mexican government said so twice.",
        &[("Donald Trump", "PER"), ("Trump administration", "ORG"), ("Mexico", "GPE"), ("Mexican", "NORP")],
    );
    assert_eq!(
        ids(&d),
        vec!["per:donald-trump", "org:donald-trump-administration", "org:mexico-government", "org:mexico-government"]
    );
    let adm = actor(&d, "org:donald-trump-administration");
    assert_eq!(adm.linked_actor_id.as_deref(), Some("per:donald-trump"));
    assert_eq!(adm.kind, "ORG");
    assert_eq!(actor(&d, "org:mexico-government").linked_actor_id.as_deref(), Some("gpe:mexico"));
    // The person keeps only the mentions of the person.
    assert_eq!(actor(&d, "per:donald-trump").n_mentions, 1);
    // Without the government word, "Mexico" is the country.
    let d = resolve("Mexico objected.", &[("Mexico", "GPE")]);
    assert_eq!(ids(&d), vec!["gpe:mexico"]);
}

#[test]
fn case_punctuation_and_possessive_variants_normalise() {
    let d = resolve(
        "The Sinaloa Cartel's leaders and the Sinaloa cartel met. SINALOA CARTEL members left.",
        &[("Sinaloa Cartel's", "ORG"), ("Sinaloa cartel", "ORG"), ("SINALOA CARTEL", "ORG")],
    );
    assert_eq!(ids(&d), vec!["org:sinaloa-cartel"; 3]);
}

#[test]
fn non_actor_types_get_no_actor() {
    let d = resolve("On Monday the fund lost $2 million.", &[("Monday", "DATE"), ("$2 million", "MONEY")]);
    assert_eq!(ids(&d), vec!["", ""]);
    assert!(d.actors.is_empty());
}

#[test]
fn ids_are_the_same_across_documents_and_roll_up() {
    let a = resolve("Donald Trump spoke. Trump left.", &[("Donald Trump", "PER"), ("Trump", "PER")]);
    let b = resolve("President Donald Trump flew to Mexico.", &[("Donald Trump", "PER"), ("Mexico", "GPE")]);
    let mut corpus = CorpusActors::default();
    corpus.add(&a);
    corpus.add(&b);
    let rows = corpus.rows();
    let trump = rows.iter().find(|r| r.actor_id == "per:donald-trump").unwrap();
    assert_eq!((trump.n_docs, trump.n_mentions), (2, 3));
    assert_eq!(trump.aliases, vec!["Trump"]);
    assert_eq!(rows.len(), 2);
}

#[test]
fn aliases_file_pins_and_splits_actors_and_reports_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aliases.csv");
    std::fs::write(
        &path,
        "alias,canonical,type,kb_id\nGeorge Bush,George H. W. Bush,PER,Q23505\nBush,George W. Bush,PER,Q207\nEl Mencho,Nemesio Oseguera,,\n",
    )
    .unwrap();
    let table = AliasTable::from_csv(&path).unwrap();
    let mut d = doc_with(
        "George Bush spoke. Bush left. El Mencho hid.",
        &[("George Bush", "PER"), ("Bush", "PER"), ("El Mencho", "PER")],
    );
    ActorResolver::new(table).resolve(&mut d);
    assert_eq!(ids(&d), vec!["per:george-h-w-bush", "per:george-w-bush", "per:nemesio-oseguera"]);
    assert_eq!(actor(&d, "per:george-w-bush").kb_id.as_deref(), Some("Q207"));
    assert_eq!(actor(&d, "per:nemesio-oseguera").aliases, vec!["El Mencho"]);

    std::fs::write(&path, "alias,canonical,type\n,Nobody,PER\nX,Y,ANIMAL\nok,Fine,ORG\n").unwrap();
    let err = AliasTable::from_csv(&path).err().expect("invalid rows must be rejected").to_string();
    assert!(
        err.contains("2 invalid row(s)") && err.contains("line 2") && err.contains("line 3") && err.contains("ANIMAL"),
        "{err}"
    );
    std::fs::write(&path, "name,target\nx,y\n").unwrap();
    assert!(AliasTable::from_csv(&path).err().expect("bad header").to_string().contains("alias,canonical"));
}

#[test]
fn a_mention_cut_short_joins_the_actor_the_text_continues_into() {
    let d = resolve(
        "The European Commission met. European Commission President Ursula von der Leyen spoke.",
        &[("European Commission", "ORG"), ("European", "NORP"), ("Ursula von der Leyen", "PER")],
    );
    assert_eq!(ids(&d), vec!["org:european-commission", "org:european-commission", "per:ursula-von-der-leyen"]);
    // A demonym that does not continue into a known name is still the country.
    let d = resolve(
        "The European Commission met. European farmers protested.",
        &[("European Commission", "ORG"), ("European", "NORP")],
    );
    assert_eq!(ids(&d)[1], "norp:european");
}
