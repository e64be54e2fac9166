//! Greedy averaged-perceptron POS tagger over Universal POS tags (after M. Honnibal, "A good
//! part-of-speech tagger in about 200 lines of Python", 2013), with word-shape features and a
//! tag dictionary for frequent unambiguous words.

use std::collections::HashMap;
use std::path::Path;

use super::model::{argmax, feat, hash_str, load_bytes, Reader, Rng, Trainer, Weights, Writer};
use super::{norm_word, prefix, shape, suffix, SyntaxError, Upos};

const KIND: &str = "tagger";
const N: usize = 17;
const START: [u64; 2] = [0x5354_4152_5431, 0x5354_4152_5432];
const END: [u64; 2] = [0x454e_4431, 0x454e_4432];
const TAG_START: u64 = 0xabcdef;

/// Per-token lexical hashes computed once per sentence.
#[derive(Clone, Copy, Default)]
struct Lex {
    w: u64,
    suf3: u64,
    suf2: u64,
    suf4: u64,
    pre1: u64,
    shape: u64,
}

fn lex(words: &[&str]) -> Vec<Lex> {
    words
        .iter()
        .map(|w| {
            let n = norm_word(w);
            Lex {
                w: hash_str(&n),
                suf3: hash_str(suffix(&n, 3)),
                suf2: hash_str(suffix(&n, 2)),
                suf4: hash_str(suffix(&n, 4)),
                pre1: hash_str(prefix(w, 1)),
                shape: hash_str(&shape(w)),
            }
        })
        .collect()
}

fn features(lx: &[Lex], i: usize, p1: u64, p2: u64, out: &mut Vec<u64>) {
    out.clear();
    let n = lx.len();
    let w = |k: isize| -> u64 {
        let j = i as isize + k;
        if j < 0 {
            START[(-j - 1) as usize % 2]
        } else if j as usize >= n {
            END[(j as usize - n) % 2]
        } else {
            lx[j as usize].w
        }
    };
    let suf = |k: isize| -> u64 {
        let j = i as isize + k;
        if j < 0 || j as usize >= n {
            w(k)
        } else {
            lx[j as usize].suf3
        }
    };
    let me = &lx[i];
    out.extend_from_slice(&[
        feat(0, 0, 0, 0),
        feat(1, me.suf3, 0, 0),
        feat(2, me.pre1, 0, 0),
        feat(3, p1, 0, 0),
        feat(4, p2, 0, 0),
        feat(5, p1, p2, 0),
        feat(6, me.w, 0, 0),
        feat(7, p1, me.w, 0),
        feat(8, w(-1), 0, 0),
        feat(9, suf(-1), 0, 0),
        feat(10, w(-2), 0, 0),
        feat(11, w(1), 0, 0),
        feat(12, suf(1), 0, 0),
        feat(13, w(2), 0, 0),
        feat(14, me.shape, 0, 0),
        feat(15, me.shape, (i == 0) as u64, 0),
        feat(16, me.suf2, 0, 0),
        feat(17, me.suf4, 0, 0),
        feat(18, p1, me.suf3, 0),
        feat(19, me.w, w(1), 0),
        feat(20, w(-1), me.w, 0),
        feat(21, p1, me.shape, w(1)),
    ]);
}

#[inline]
fn tag_hash(t: usize) -> u64 {
    t as u64 + 0x7a67
}

#[derive(Debug, Clone)]
pub struct Tagger {
    weights: Weights,
    /// Frequent unambiguous word forms -> tag index.
    tagdict: HashMap<String, u8>,
}

impl Tagger {
    pub fn tag(&self, words: &[&str]) -> Vec<Upos> {
        self.tag_constrained(words, &[])
    }

    /// Tag with some tags fixed in advance (`fixed[i]`, where given: e.g. PROPN inside a named
    /// entity); the fixed tags feed the next words' context features like predicted ones.
    pub fn tag_constrained(&self, words: &[&str], fixed: &[Option<Upos>]) -> Vec<Upos> {
        let lx = lex(words);
        let mut out = Vec::with_capacity(words.len());
        let (mut p1, mut p2) = (TAG_START, TAG_START + 1);
        let mut feats = Vec::with_capacity(24);
        for (i, w) in words.iter().enumerate() {
            let t = match (fixed.get(i).copied().flatten(), self.tagdict.get(*w)) {
                (Some(u), _) => u.index(),
                (None, Some(&t)) => t as usize,
                (None, None) => {
                    features(&lx, i, p1, p2, &mut feats);
                    let mut scores = [0f32; N];
                    self.weights.score(&feats, &mut scores);
                    argmax(&scores)
                }
            };
            out.push(Upos::from_index(t));
            p2 = p1;
            p1 = tag_hash(t);
        }
        out
    }

    pub fn save(&self, path: &Path) -> Result<(), SyntaxError> {
        let mut w = Writer::new(KIND);
        let mut dict: Vec<(&String, &u8)> = self.tagdict.iter().collect();
        dict.sort();
        w.u32(dict.len() as u32);
        for (k, v) in dict {
            w.str(k);
            w.u8(*v);
        }
        self.weights.write(&mut w);
        w.save(path)
    }

    pub fn load(path: &Path) -> Result<Tagger, SyntaxError> {
        let buf = load_bytes(path, KIND)?;
        let fmt = |e: String| SyntaxError::format(path, e);
        let mut r = Reader::new(&buf);
        let n = r.u32().map_err(fmt)? as usize;
        if n > r.remaining() / 3 {
            return Err(fmt("tag dictionary larger than the file".into()));
        }
        let mut tagdict = HashMap::with_capacity(n);
        for _ in 0..n {
            let k = r.str().map_err(fmt)?;
            let v = r.u8().map_err(fmt)?;
            if v as usize >= N {
                return Err(fmt("bad tag in dictionary".into()));
            }
            tagdict.insert(k, v);
        }
        let weights = Weights::read(&mut r).map_err(fmt)?;
        if weights.n_classes != N {
            return Err(fmt(format!("tagger has {} classes, expected {N}", weights.n_classes)));
        }
        r.done().map_err(fmt)?;
        Ok(Tagger { weights, tagdict })
    }

    /// Drop weights of magnitude below `thr` (smaller file, slightly lower accuracy).
    pub fn prune(&mut self, thr: f32) {
        self.weights = self.weights.pruned(thr);
    }

    pub fn n_features(&self) -> usize {
        self.weights.n_features()
    }

    /// Train on (words, tags) sentences. `log` receives one line per epoch.
    pub fn train(sents: &[(Vec<String>, Vec<Upos>)], epochs: usize, seed: u64, log: &mut dyn FnMut(String)) -> Tagger {
        // tag dictionary: forms seen >= 20 times with one tag >= 99.5 % of the time
        let mut counts: HashMap<&str, [u32; N]> = HashMap::new();
        for (ws, ts) in sents {
            for (w, t) in ws.iter().zip(ts) {
                counts.entry(w.as_str()).or_insert([0; N])[t.index()] += 1;
            }
        }
        let mut tagdict = HashMap::new();
        for (w, c) in &counts {
            let total: u32 = c.iter().sum();
            let best = argmax(&c.map(|x| x as f32));
            if total >= 20 && f64::from(c[best]) / f64::from(total) >= 0.995 {
                tagdict.insert(w.to_string(), best as u8);
            }
        }
        let mut tr = Trainer::new(N);
        let mut order: Vec<usize> = (0..sents.len()).collect();
        let mut rng = Rng::new(seed);
        let mut feats = Vec::with_capacity(24);
        for ep in 0..epochs {
            rng.shuffle(&mut order);
            let (mut ok, mut tot) = (0usize, 0usize);
            for &si in &order {
                let (ws, ts) = &sents[si];
                let wr: Vec<&str> = ws.iter().map(|s| s.as_str()).collect();
                let lx = lex(&wr);
                let (mut p1, mut p2) = (TAG_START, TAG_START + 1);
                for (i, w) in wr.iter().enumerate() {
                    let gold = ts[i].index();
                    let guess = match tagdict.get(*w) {
                        Some(&t) => t as usize,
                        None => {
                            features(&lx, i, p1, p2, &mut feats);
                            let mut scores = [0f32; N];
                            tr.score(&feats, &mut scores);
                            let g = argmax(&scores);
                            tr.tick();
                            tr.update(gold, g, &feats);
                            g
                        }
                    };
                    ok += (guess == gold) as usize;
                    tot += 1;
                    p2 = p1;
                    p1 = tag_hash(guess);
                }
            }
            log(format!("tagger epoch {}: train acc {:.4}", ep + 1, ok as f64 / tot.max(1) as f64));
        }
        Tagger { weights: tr.average(1e-3), tagdict }
    }
}
