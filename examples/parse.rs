//! Print the syntax layer's parse (and the claimed actions) of each sentence of a text:
//!   cargo run --release --example parse -- "She stressed that cooperation would continue."
//!   cargo run --release --example parse -- --file article.txt
use actorlens::actions::ActionStage;
use actorlens::document::Document;
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let text = match args.first().map(String::as_str) {
        Some("--file") => std::fs::read_to_string(args.get(1).ok_or_else(|| anyhow::anyhow!("--file PATH"))?)?,
        _ => args.join(" "),
    };
    let mut doc = Document::new("x".into(), Default::default(), Default::default(), text, vec![], String::new());
    actorlens::segment::segment(&mut doc);
    let stage = ActionStage::load(Path::new(actorlens::syntax::DEFAULT_DIR))?;
    stage.run(&mut doc);
    for (si, p) in doc.parses.iter().enumerate() {
        println!("# {}", doc.sentence_text(si));
        for (i, a) in p.analysis.iter().enumerate() {
            let (s, e) = p.words[i];
            let head = a.head.map(|h| h.to_string()).unwrap_or_else(|| "-".into());
            println!(
                "{i:>3} {:<16} {:<6} {:<12} {:>3} {}{}",
                &doc.text[s..e],
                a.upos,
                a.lemma,
                head,
                a.deprel,
                if p.quoted[i] { " q" } else { "" }
            );
        }
        for a in doc.actions.iter().filter(|a| a.sentence_idx == si) {
            println!(
                "  => {:?} [{}] {:?} | target {:?} | source {:?} | neg {} | {}",
                a.agent_text, a.verb_lemma, a.predicate, a.target_text, a.source_text, a.negated, a.category
            );
        }
    }
    Ok(())
}
