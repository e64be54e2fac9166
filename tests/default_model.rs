//! The committed default model (models/default-ner) through the real pipeline: capitalisation,
//! obvious entities in self-written news sentences, and the actors table of a news-style article.

use actorlens::actors::ActorResolver;
use actorlens::document::{Document, Meta, Origin};
use actorlens::ner::{NerOptions, NerStage};
use actorlens::segment;
use std::sync::{Mutex, OnceLock};

/// Tensors are `Send` but not `Sync`: share one loaded model between tests through a mutex.
fn ner() -> std::sync::MutexGuard<'static, NerStage> {
    static M: OnceLock<Mutex<NerStage>> = OnceLock::new();
    let m = M.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default-ner");
        Mutex::new(
            NerStage::load(&dir, NerOptions::default()).expect("the default model is committed in models/default-ner"),
        )
    });
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn run(text: &str) -> Document {
    let mut d = Document::new("t".into(), Origin::default(), Meta::default(), text.into(), vec![], String::new());
    segment::segment(&mut d);
    let mut docs = vec![d];
    ner().recognize(&mut docs);
    assert!(docs.iter().all(|d| d.error.is_none()), "a document failed");
    let mut d = docs.remove(0);
    ActorResolver::default().resolve(&mut d);
    d
}

fn ents(d: &Document) -> Vec<(String, String)> {
    d.mentions.iter().map(|m| (m.text.clone(), m.kind.to_string())).collect()
}

fn has(d: &Document, text: &str, kinds: &[&str]) -> bool {
    d.mentions.iter().any(|m| m.text == text && kinds.contains(&m.kind.as_str()))
}

#[test]
fn capitalisation_tells_the_country_from_the_pronoun() {
    let d = run("The US military said on Friday that it would send more ships to the region.");
    assert!(has(&d, "US", &["GPE", "LOC"]), "{:?}", ents(&d));
    let d = run("Let us go to the market together and buy some bread.");
    assert!(d.mentions.iter().all(|m| m.text.to_lowercase() != "us"), "{:?}", ents(&d));
}

#[test]
fn obvious_entities_in_news_sentences() {
    let d = run("German Chancellor Olaf Scholz met Emmanuel Macron in Paris on Tuesday to discuss NATO spending. \
         The European Union pledged $2.5 billion to Ukraine last year.");
    for (text, kinds) in [
        ("Olaf Scholz", &["PER"][..]),
        ("Emmanuel Macron", &["PER"]),
        ("Paris", &["GPE"]),
        ("NATO", &["ORG"]),
        ("Ukraine", &["GPE"]),
        ("German", &["NORP"]),
    ] {
        assert!(has(&d, text, kinds), "{text} as {kinds:?} not in {:?}", ents(&d));
    }
    assert!(d.mentions.iter().any(|m| m.kind == "MONEY" && m.text.contains("2.5 billion")), "{:?}", ents(&d));
    assert!(d.mentions.iter().any(|m| m.kind == "DATE" && m.text.contains("Tuesday")), "{:?}", ents(&d));
    for m in &d.mentions {
        assert_eq!(&d.text[m.span.start_byte..m.span.end_byte], m.text);
    }
}

/// The actors a careful reader lists for tests/data/news_article.txt (self-written).
#[test]
fn news_article_actor_table() {
    let text = include_str!("data/news_article.txt");
    let d = run(text);
    let table: Vec<String> = d
        .actors
        .iter()
        .map(|a| {
            format!(
                "{} {} [{}] ({}) {}",
                a.actor_id,
                a.kind,
                a.aliases.join("|"),
                a.roles.join("|"),
                a.linked_actor_id.clone().unwrap_or_default()
            )
        })
        .collect();
    let show = table.join("\n");
    let get =
        |id: &str| d.actors.iter().find(|a| a.actor_id == id).unwrap_or_else(|| panic!("missing {id} in\n{show}"));
    let lula = get("per:luiz-inacio-lula-da-silva");
    assert!(lula.aliases.contains(&"Lula".to_string()), "{show}");
    assert_eq!(lula.roles, vec!["President"], "{show}");
    let uvdl = get("per:ursula-von-der-leyen");
    assert!(uvdl.aliases.iter().any(|a| a.eq_ignore_ascii_case("von der leyen")), "{show}");
    let scholz = get("per:olaf-scholz");
    assert_eq!(scholz.roles, vec!["Chancellor"], "{show}");
    assert_eq!(scholz.n_mentions, 2, "{show}");
    assert!(get("org:world-trade-organization").aliases.contains(&"WTO".to_string()), "{show}");
    assert!(get("org:european-commission").n_mentions >= 2, "{show}");
    assert!(get("gpe:brazil").aliases.iter().any(|a| a == "Brazilian"), "{show}");
    assert_eq!(get("org:france-government").linked_actor_id.as_deref(), Some("gpe:france"), "{show}");
    assert_eq!(get("org:argentina-government").linked_actor_id.as_deref(), Some("gpe:argentina"), "{show}");
    for id in ["gpe:france", "gpe:germany", "gpe:brussels", "gpe:argentina", "gpe:buenos-aires"] {
        get(id);
    }
    // No fragments: one actor per real-world actor.
    for id in ["per:lula", "per:scholz", "per:von-der-leyen", "org:wto", "gpe:french", "gpe:german"] {
        assert!(d.actors.iter().all(|a| a.actor_id != id), "fragment {id} in\n{show}");
    }
    let people: Vec<&str> = d.actors.iter().filter(|a| a.kind == "PER").map(|a| a.actor_id.as_str()).collect();
    assert_eq!(people, vec!["per:luiz-inacio-lula-da-silva", "per:ursula-von-der-leyen", "per:olaf-scholz"], "{show}");
}

/// Issue 17 point 4: a sentence's entities (and their scores) do not depend on the other windows
/// in its model call. Checked for the default engine and for the fp32 ONNX graph at batch 8, with
/// the sentence alone and then batched among documents of very different lengths.
#[test]
fn a_sentences_entities_are_the_same_alone_and_inside_a_batch() {
    use actorlens::model::encoder::Engine;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default-ner");
    let target = "Finance Minister Chrystia Freeland told reporters in Ottawa that the Bank of Canada \
                  would not cut rates before March.";
    let long = "The committee met again on Thursday. ".repeat(3)
        + "Senator Elizabeth Warren questioned the chief executive of Wells Fargo for three hours, \
           and members of the House Financial Services Committee from both parties joined her in \
           asking why the bank had opened millions of accounts without the consent of customers \
           in California, Texas and New York over more than a decade.";
    let fillers = ["Rain.", long.as_str(), "Angela Merkel visited Warsaw.", "It was late."];
    let doc = |id: &str, text: &str| {
        let mut d = Document::new(id.into(), Origin::default(), Meta::default(), text.into(), vec![], String::new());
        segment::segment(&mut d);
        d
    };
    let key = |d: &Document| -> Vec<(usize, usize, String, String)> {
        d.mentions
            .iter()
            .map(|m| (m.span.start_byte, m.span.end_byte, m.label.clone(), format!("{:.3}", m.score)))
            .collect()
    };
    for engine in [Engine::Auto, Engine::Onnx] {
        let opts = NerOptions { engine, batch_size: Some(8), ..NerOptions::default() };
        let stage = NerStage::load(&dir, opts).expect("the default model is committed");
        let mut alone = vec![doc("t", target)];
        stage.recognize(&mut alone);
        let mut batch: Vec<Document> = fillers.iter().enumerate().map(|(i, f)| doc(&format!("f{i}"), f)).collect();
        batch.insert(2, doc("t", target));
        stage.recognize(&mut batch);
        assert!(alone.iter().chain(&batch).all(|d| d.error.is_none()), "{engine:?}: a document failed");
        let (a, b) = (key(&alone[0]), key(&batch[2]));
        assert!(a.iter().any(|m| m.2.starts_with("PER")), "{engine:?}: no person in {a:?}");
        assert_eq!(a, b, "{engine:?} (batch {}): alone vs inside a batch", stage.batch_size());
    }
}
