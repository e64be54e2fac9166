//! Train and evaluate the syntax models (tagger, lemmatizer, parser) from the CoNLL-U files
//! written by `training/syntax/prep.py`. See `models/syntax/MODEL_CARD.md`.
//!
//!   cargo run --release --bin train_syntax -- train --data build/syntax --out models/syntax
//!   cargo run --release --bin train_syntax -- eval  --data build/syntax --model models/syntax
//!   cargo run --release --bin train_syntax -- predict --input gold.conllu --out pred.conllu

use std::path::{Path, PathBuf};
use std::time::Instant;

use actorlens::syntax::conllu::{self, Sentence};
use actorlens::syntax::lemma::Lemmatizer;
use actorlens::syntax::parser::{ParseSent, Parser};
use actorlens::syntax::tagger::Tagger;
use actorlens::syntax::{Syntax, Upos};
use clap::{Parser as ClapParser, Subcommand};

#[derive(ClapParser)]
#[command(about = "Train / evaluate the actorlens syntax models")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Train tagger, lemmatizer and parser; write them to --out.
    Train {
        #[arg(long, default_value = "build/syntax")]
        data: PathBuf,
        #[arg(long, default_value = "models/syntax")]
        out: PathBuf,
        #[arg(long, default_value_t = 6)]
        tag_epochs: usize,
        #[arg(long, default_value_t = 8)]
        parse_epochs: usize,
        #[arg(long, default_value_t = 6)]
        label_epochs: usize,
        /// Also train the tagger on the spaCy-tagged SOTU training split (silver).
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        tagger_sotu: bool,
        /// Cap on parser training sentences (0 = all), taken evenly from the list.
        #[arg(long, default_value_t = 0)]
        max_parse_sents: usize,
        #[arg(long, default_value_t = 150)]
        max_sent_len: usize,
        #[arg(long, default_value_t = 20261126)]
        seed: u64,
        /// More gold-UPOS CoNLL-U files for the tagger (e.g. UD English EWT train).
        #[arg(long)]
        tagger_extra: Vec<PathBuf>,
        /// Train only the tagger and put it into the model folder --base (keeping its lemmatizer
        /// and parser), written to --out.
        #[arg(long)]
        only_tagger_into: Option<PathBuf>,
    },
    /// Re-save a model folder without small weights (to shrink the files).
    Prune {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 0.0)]
        tagger: f32,
        #[arg(long, default_value_t = 0.0)]
        arcs: f32,
        #[arg(long, default_value_t = 0.0)]
        labels: f32,
    },
    /// Evaluate a model folder on the held-out splits; print a table, write JSON.
    Eval {
        #[arg(long, default_value = "build/syntax")]
        data: PathBuf,
        #[arg(long, default_value = "models/syntax")]
        model: PathBuf,
        /// Where to write the metrics (JSON).
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Tag, lemmatize and parse the gold tokenization of a CoNLL-U file (e.g. UD English EWT):
    /// word lines only (multi-word token ranges `1-2` and empty nodes `8.1` are skipped); write
    /// CoNLL-U with predicted LEMMA, UPOS, HEAD and DEPREL (ClearNLP labels, as the model has
    /// them). `training/syntax/ewt_eval.py` converts and scores the result.
    Predict {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "models/syntax")]
        model: PathBuf,
    },
}

fn read(data: &Path, name: &str) -> Result<Vec<Sentence>, String> {
    let p = data.join(name);
    let v = conllu::read(&p)?;
    eprintln!("[syntax] {}: {} sentences, {} tokens", p.display(), v.len(), tokens(&v));
    Ok(v)
}

fn tokens(v: &[Sentence]) -> usize {
    v.iter().map(|s| s.words.len()).sum()
}

fn upos_of(s: &Sentence) -> Vec<Upos> {
    s.upos.iter().map(|u| Upos::parse(u)).collect()
}

fn words_of(s: &Sentence) -> Vec<&str> {
    s.words.iter().map(|w| w.as_str()).collect()
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.cmd {
        Cmd::Train {
            data,
            out,
            tag_epochs,
            parse_epochs,
            label_epochs,
            tagger_sotu,
            max_parse_sents,
            max_sent_len,
            seed,
            tagger_extra,
            only_tagger_into,
        } => {
            let t0 = Instant::now();
            let mut log = |s: String| eprintln!("[syntax {:>5.0}s] {s}", t0.elapsed().as_secs_f64());
            let brown = read(&data, "brown_gold_train.conllu")?;
            let sotu = read(&data, "sotu_train.conllu")?;
            let silver = read(&data, "brown_silver_train.conllu")?;

            // tagger: Brown gold (+ SOTU silver)
            let mut tag_data: Vec<(Vec<String>, Vec<Upos>)> =
                brown.iter().map(|s| (s.words.clone(), upos_of(s))).collect();
            if tagger_sotu {
                tag_data.extend(sotu.iter().map(|s| (s.words.clone(), upos_of(s))));
            }
            for extra in &tagger_extra {
                let v = conllu::read(extra)?;
                log(format!("tagger: + {} sentences from {}", v.len(), extra.display()));
                tag_data.extend(v.iter().map(|s| (s.words.clone(), upos_of(s))));
            }
            log(format!("tagger: {} sentences", tag_data.len()));
            let tagger = Tagger::train(&tag_data, tag_epochs, seed, &mut log);
            log(format!("tagger: {} features", tagger.n_features()));
            if let Some(base) = only_tagger_into {
                let mut syn = Syntax::load(&base).map_err(|e| e.to_string())?;
                syn.tagger = tagger;
                syn.save(&out).map_err(|e| e.to_string())?;
                report_sizes(&syn, &out);
                return Ok(());
            }

            // lemmatizer: spaCy lemmas of SOTU train + Brown train
            let lemmatizer = Lemmatizer::train(sotu.iter().chain(silver.iter()).flat_map(|s| {
                s.words.iter().zip(&s.upos).zip(&s.lemmas).map(|((w, u), l)| (w.as_str(), Upos::parse(u), l.as_str()))
            }));
            let (ne, nr) = lemmatizer.sizes();
            log(format!("lemmatizer: {ne} exceptions, {nr} rules"));

            // parser: silver trees, tags predicted by our tagger
            let mut trees: Vec<&Sentence> =
                sotu.iter().chain(silver.iter()).filter(|s| s.has_tree() && s.words.len() <= max_sent_len).collect();
            let all = trees.len();
            trees.retain(|s| conllu::is_projective(&s.heads));
            log(format!("parser: {} trees ({} non-projective dropped)", trees.len(), all - trees.len()));
            if max_parse_sents > 0 && trees.len() > max_parse_sents {
                let step = trees.len() as f64 / max_parse_sents as f64;
                trees = (0..max_parse_sents).map(|i| trees[(i as f64 * step) as usize]).collect();
            }
            let psents: Vec<ParseSent> = trees
                .iter()
                .map(|s| ParseSent {
                    words: s.words.clone(),
                    tags: tagger.tag(&words_of(s)),
                    heads: s.heads.clone(),
                    deprels: s.deprels.clone(),
                })
                .collect();
            log(format!("parser: training on {} sentences", psents.len()));
            let parser = Parser::train(&psents, parse_epochs, label_epochs, seed, &mut log);
            let (fa, fl) = parser.n_features();
            log(format!("parser: {fa} arc features, {fl} label features, {} labels", parser.labels().len()));

            let syn = Syntax { tagger, lemmatizer, parser };
            syn.save(&out).map_err(|e| e.to_string())?;
            report_sizes(&syn, &out);
            log(format!("done in {:.0}s", t0.elapsed().as_secs_f64()));
            Ok(())
        }
        Cmd::Prune { model, out, tagger, arcs, labels } => {
            let mut syn = Syntax::load(&model).map_err(|e| e.to_string())?;
            syn.tagger.prune(tagger);
            syn.parser.prune(arcs, labels);
            syn.save(&out).map_err(|e| e.to_string())?;
            report_sizes(&syn, &out);
            Ok(())
        }
        Cmd::Eval { data, model, json } => {
            let syn = Syntax::load(&model).map_err(|e| e.to_string())?;
            let brown = read(&data, "brown_gold_test.conllu")?;
            let sotu = read(&data, "sotu_test.conllu")?;
            let m = evaluate(&syn, &brown, &sotu);
            println!("{}", serde_json::to_string_pretty(&m).unwrap_or_default());
            if let Some(p) = json {
                std::fs::write(&p, serde_json::to_string_pretty(&m).unwrap_or_default() + "\n")
                    .map_err(|e| format!("{}: {e}", p.display()))?;
            }
            Ok(())
        }
        Cmd::Predict { input, out, model } => {
            let syn = Syntax::load(&model).map_err(|e| e.to_string())?;
            let sents = read_any(&input)?;
            let t0 = Instant::now();
            let mut buf = String::new();
            for s in &sents {
                if !s.id.is_empty() {
                    buf.push_str(&format!("# sent_id = {}\n", s.id));
                }
                let an = syn.analyze(&words_of(s));
                for (k, (w, a)) in s.words.iter().zip(&an).enumerate() {
                    let head = a.head.map_or(0, |h| h + 1);
                    buf.push_str(&format!(
                        "{}\t{}\t{}\t{}\t_\t_\t{}\t{}\t_\t_\n",
                        k + 1,
                        w,
                        a.lemma,
                        a.upos,
                        head,
                        a.deprel
                    ));
                }
                buf.push('\n');
            }
            std::fs::write(&out, buf).map_err(|e| format!("{}: {e}", out.display()))?;
            eprintln!(
                "[syntax] predict: {} sentences, {} words in {:.1}s -> {}",
                sents.len(),
                tokens(&sents),
                t0.elapsed().as_secs_f64(),
                out.display()
            );
            Ok(())
        }
    }
}

fn read_any(p: &Path) -> Result<Vec<Sentence>, String> {
    let v = conllu::read(p)?;
    eprintln!("[syntax] {}: {} sentences, {} tokens", p.display(), v.len(), tokens(&v));
    Ok(v)
}

fn report_sizes(syn: &Syntax, out: &Path) {
    for f in [actorlens::syntax::TAGGER_FILE, actorlens::syntax::LEMMA_FILE, actorlens::syntax::PARSER_FILE] {
        let p = out.join(f);
        let sz = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        eprintln!("[syntax] wrote {} ({:.2} MB)", p.display(), sz as f64 / 1e6);
    }
    let (ne, nr) = syn.lemmatizer.sizes();
    let (fa, fl) = syn.parser.n_features();
    eprintln!(
        "[syntax] tagger {} features; lemmatizer {ne} exceptions, {nr} rules; parser {fa} arc + {fl} label features, {} labels",
        syn.tagger.n_features(),
        syn.parser.labels().len()
    );
}

/// user+system CPU seconds of this process (Linux /proc; None elsewhere).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn pct(a: usize, b: usize) -> f64 {
    (10000.0 * a as f64 / b.max(1) as f64).round() / 100.0
}

fn evaluate(syn: &Syntax, brown: &[Sentence], sotu: &[Sentence]) -> serde_json::Value {
    // POS vs Brown gold
    let (mut ok, mut tot) = (0, 0);
    let mut confusion: std::collections::BTreeMap<String, usize> = Default::default();
    for s in brown {
        let pred = syn.tag(&words_of(s));
        for ((p, g), w) in pred.iter().zip(&s.upos).zip(&s.words) {
            tot += 1;
            if p.as_str() == g {
                ok += 1;
            } else {
                *confusion.entry(format!("{g}->{p}")).or_default() += 1;
                let _ = w;
            }
        }
    }
    let mut conf: Vec<(String, usize)> = confusion.into_iter().collect();
    conf.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    conf.truncate(12);
    let brown_pos = pct(ok, tot);
    let brown_tokens = tot;

    // SOTU held-out: POS agreement, lemma, UAS/LAS vs the spaCy teacher
    let (mut pos_ok, mut lem_ok, mut lem_gold_ok, mut n) = (0, 0, 0, 0);
    let (mut uas, mut las, mut np, mut uas_np, mut las_np, mut ntree) = (0, 0, 0, 0, 0, 0);
    let mut per_label: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for s in sotu {
        let ws = words_of(s);
        let an = syn.analyze(&ws);
        for (k, a) in an.iter().enumerate() {
            n += 1;
            pos_ok += (a.upos.as_str() == s.upos[k]) as usize;
            lem_ok += (a.lemma == s.lemmas[k]) as usize;
            lem_gold_ok += (syn.lemmatizer.lemma(ws[k], Upos::parse(&s.upos[k])) == s.lemmas[k]) as usize;
            if s.has_tree() {
                ntree += 1;
                let head_ok = a.head == s.heads[k];
                let lab_ok = head_ok && a.deprel == s.deprels[k];
                uas += head_ok as usize;
                las += lab_ok as usize;
                let e = per_label.entry(s.deprels[k].clone()).or_default();
                e.0 += 1;
                e.1 += lab_ok as usize;
                if s.upos[k] != "PUNCT" {
                    np += 1;
                    uas_np += head_ok as usize;
                    las_np += lab_ok as usize;
                }
            }
        }
    }
    let mut labels: Vec<(String, usize, usize)> = per_label.into_iter().map(|(l, (t, o))| (l, t, o)).collect();
    labels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let label_json: Vec<serde_json::Value> = labels
        .iter()
        .take(20)
        .map(|(l, t, o)| serde_json::json!({"label": l, "count": t, "las": pct(*o, *t)}))
        .collect();

    // speed (single thread): tagger alone, and the full analysis
    let sents: Vec<Vec<&str>> = sotu.iter().map(words_of).collect();
    let words: usize = sents.iter().map(|s| s.len()).sum();
    // CPU time of this process, so that a busy machine does not distort the figure
    let speed = |f: &dyn Fn(&[&str]) -> usize| -> f64 {
        let (c0, t) = (cpu_seconds(), Instant::now());
        let mut done = 0usize;
        let mut sink = 0usize;
        loop {
            for s in &sents {
                sink = sink.wrapping_add(f(s));
            }
            done += words;
            let used = match (c0, cpu_seconds()) {
                (Some(a), Some(b)) => b - a,
                _ => t.elapsed().as_secs_f64(),
            };
            if used >= 1.5 {
                std::hint::black_box(sink);
                return (done as f64 / used).round();
            }
        }
    };
    let tag_wps = speed(&|s| syn.tag(s).len());
    let full_wps = speed(&|s| syn.analyze(s).len());

    serde_json::json!({
        "brown_heldout": {"tokens": brown_tokens, "upos_accuracy": brown_pos,
                           "top_confusions_gold_to_pred": conf},
        "sotu_heldout_vs_spacy": {
            "tokens": n, "upos_agreement": pct(pos_ok, n),
            "lemma_accuracy": pct(lem_ok, n), "lemma_accuracy_teacher_tags": pct(lem_gold_ok, n),
            "uas": pct(uas, ntree), "las": pct(las, ntree),
            "uas_no_punct": pct(uas_np, np), "las_no_punct": pct(las_np, np),
            "las_by_label": label_json,
        },
        "speed_words_per_s_one_thread_cpu_time": {"tagger": tag_wps, "tag_lemma_parse": full_wps},
    })
}
