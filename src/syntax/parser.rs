//! Greedy arc-hybrid dependency parser with an averaged perceptron, trained with the dynamic
//! oracle of Goldberg & Nivre (2013) (design and feature set after M. Honnibal, "Parsing
//! English in 500 lines of Python", 2013), plus an arc labeller: a second perceptron that
//! labels each arc of the finished tree from the words, tags, siblings and children around it.
//!
//! The virtual root sits after the last word; `LEFT` onto it is only allowed for the last item
//! on the stack, so every parse is a single tree with exactly one root.

use std::path::Path;

use super::model::{argmax, feat, hash_str, load_bytes, Reader, Rng, Trainer, Weights, Writer};
use super::{norm_word, suffix, SyntaxError, Upos};

const KIND: &str = "parser";
const SHIFT: usize = 0;
const RIGHT: usize = 1;
const LEFT: usize = 2;
const NONE: u64 = 0x6e6f_6e65;
const ROOT_W: u64 = 0x726f_6f74;
const NO_HEAD: usize = usize::MAX;

/// Per-token hashes; index n is the virtual root.
struct Lex {
    w: Vec<u64>,
    t: Vec<u64>,
    sfx: Vec<u64>,
    tags: Vec<Upos>,
}

fn tag_hash(u: Upos) -> u64 {
    0x7461_6700 + u.index() as u64
}

fn lex(words: &[&str], tags: &[Upos]) -> Lex {
    let mut w = Vec::with_capacity(words.len() + 1);
    let mut t = Vec::with_capacity(words.len() + 1);
    let mut sfx = Vec::with_capacity(words.len() + 1);
    for (word, tag) in words.iter().zip(tags) {
        let n = norm_word(word);
        w.push(hash_str(&n));
        sfx.push(hash_str(suffix(&n, 3)));
        t.push(tag_hash(*tag));
    }
    w.push(ROOT_W);
    t.push(ROOT_W + 1);
    sfx.push(ROOT_W + 2);
    Lex { w, t, sfx, tags: tags.to_vec() }
}

struct State {
    n: usize,
    i: usize,
    stack: Vec<usize>,
    heads: Vec<usize>,
    lefts: Vec<Vec<usize>>,
    rights: Vec<Vec<usize>>,
}

impl State {
    fn new(n: usize) -> Self {
        State {
            n,
            i: 0,
            stack: Vec::with_capacity(n),
            heads: vec![NO_HEAD; n],
            lefts: vec![Vec::new(); n + 1],
            rights: vec![Vec::new(); n + 1],
        }
    }

    fn done(&self) -> bool {
        self.stack.is_empty() && self.i >= self.n
    }

    fn valid(&self) -> [bool; 3] {
        let d = self.stack.len();
        [self.i < self.n, d >= 2, d >= 1 && (self.i < self.n || d == 1)]
    }

    fn apply(&mut self, m: usize) {
        match m {
            SHIFT => {
                self.stack.push(self.i);
                self.i += 1;
            }
            RIGHT => {
                if let Some(s0) = self.stack.pop() {
                    if let Some(&s1) = self.stack.last() {
                        self.heads[s0] = s1;
                        self.rights[s1].push(s0);
                    }
                }
            }
            _ => {
                if let Some(s0) = self.stack.pop() {
                    self.heads[s0] = self.i;
                    self.lefts[self.i].push(s0);
                }
            }
        }
    }

    /// Zero-cost moves under the arc-hybrid dynamic oracle (gold: head per word, n = root).
    fn gold_moves(&self, gold: &[usize]) -> [bool; 3] {
        let valid = self.valid();
        let (i, n) = (self.i, self.n);
        let Some(&s0) = self.stack.last() else {
            return [true, false, false];
        };
        if valid[SHIFT] && gold[i] == s0 {
            return [true, false, false];
        }
        if gold[s0] == i && valid[LEFT] {
            return [false, false, true];
        }
        let mut ok = valid;
        if self.stack.len() >= 2 && gold[s0] == self.stack[self.stack.len() - 2] {
            ok[LEFT] = false;
        }
        if ok[SHIFT] && self.stack.iter().any(|&s| gold[s] == i || (i < n && gold[i] == s)) {
            ok[SHIFT] = false;
        }
        if gold[s0] > i || (i + 1..n).any(|w| gold[w] == s0) {
            ok[LEFT] = false;
            ok[RIGHT] = false;
        }
        ok
    }

    fn features(&self, lx: &Lex, out: &mut Vec<u64>) {
        out.clear();
        let n = self.n;
        let d = self.stack.len();
        let st = |k: usize| -> Option<usize> {
            if d > k {
                Some(self.stack[d - 1 - k])
            } else {
                None
            }
        };
        let buf = |k: usize| -> Option<usize> {
            let j = self.i + k;
            if j <= n {
                Some(j)
            } else {
                None
            }
        };
        let kid = |x: Option<usize>, left: bool, k: usize| -> Option<usize> {
            let x = x?;
            let v = if left { &self.lefts[x] } else { &self.rights[x] };
            if v.len() > k {
                Some(v[v.len() - 1 - k])
            } else {
                None
            }
        };
        let val = |x: Option<usize>, left: bool| -> u64 {
            x.map(|x| if left { self.lefts[x].len() } else { self.rights[x].len() }).unwrap_or(0) as u64
        };
        let w = |x: Option<usize>| x.map(|x| lx.w[x]).unwrap_or(NONE);
        let t = |x: Option<usize>| x.map(|x| lx.t[x]).unwrap_or(NONE);
        let (s0, s1, s2) = (st(0), st(1), st(2));
        let (n0, n1, n2) = (buf(0), buf(1), buf(2));
        let (n0b1, n0b2) = (kid(n0, true, 0), kid(n0, true, 1));
        let (s0b1, s0b2) = (kid(s0, true, 0), kid(s0, true, 1));
        let (s0f1, s0f2) = (kid(s0, false, 0), kid(s0, false, 1));
        let dist = match (s0, n0) {
            (Some(a), Some(b)) => (b - a).min(5) as u64,
            _ => 0,
        };
        let slots = [n0, n1, n2, s0, s1, s2, n0b1, n0b2, s0b1, s0b2, s0f1, s0f2];
        out.push(feat(1, 0, 0, 0));
        for (k, x) in slots.iter().enumerate() {
            out.push(feat(2 + k as u64, w(*x), 0, 0));
            out.push(feat(20 + k as u64, t(*x), 0, 0));
        }
        let (ws0, ts0, wn0, tn0) = (w(s0), t(s0), w(n0), t(n0));
        out.extend_from_slice(&[
            feat(40, wn0, tn0, 0),
            feat(41, w(n1), t(n1), 0),
            feat(42, w(n2), t(n2), 0),
            feat(43, ws0, ts0, 0),
            feat(44, ws0, wn0, 0),
            feat(45, wn0, tn0, ws0),
            feat(46, wn0, tn0, ts0),
            feat(47, ws0, ts0, wn0),
            feat(48, ws0, ts0, tn0),
            feat(49, feat(0, ws0, ts0, 0), wn0, tn0),
            feat(50, ts0, tn0, 0),
            feat(51, tn0, t(n1), 0),
            feat(52, tn0, t(n1), t(n2)),
            feat(53, ts0, tn0, t(n1)),
            feat(54, ts0, t(s1), tn0),
            feat(55, ts0, t(s0f1), tn0),
            feat(56, ts0, tn0, t(n0b1)),
            feat(57, ts0, t(s0b1), t(s0b2)),
            feat(58, ts0, t(s0f1), t(s0f2)),
            feat(59, tn0, t(n0b1), t(n0b2)),
            feat(60, ts0, t(s1), t(s2)),
            feat(61, ws0, val(s0, false), 0),
            feat(62, ws0, val(s0, true), 0),
            feat(63, wn0, val(n0, true), 0),
            feat(64, ts0, val(s0, false), 0),
            feat(65, ts0, val(s0, true), 0),
            feat(66, tn0, val(n0, true), 0),
            feat(67, ws0, dist, 0),
            feat(68, wn0, dist, 0),
            feat(69, ts0, dist, 0),
            feat(70, tn0, dist, 0),
            feat(71, tn0, ts0, dist),
            feat(72, wn0, ws0, dist),
            feat(73, s0.map(|x| lx.sfx[x]).unwrap_or(NONE), ts0, 0),
            feat(74, n0.map(|x| lx.sfx[x]).unwrap_or(NONE), tn0, 0),
            feat(75, w(s1), t(s1), 0),
            feat(76, ts0, t(s1), wn0),
            feat(77, ws0, t(s1), tn0),
        ]);
    }
}

const FUNCTION_TAGS: [Upos; 8] =
    [Upos::Aux, Upos::Part, Upos::Adp, Upos::Sconj, Upos::Cconj, Upos::Pron, Upos::Det, Upos::Punct];

/// Labeller features for the arc head(d) -> d.
fn label_features(lx: &Lex, heads: &[usize], kids: &[Vec<usize>], d: usize, out: &mut Vec<u64>) {
    out.clear();
    let n = heads.len();
    let h = heads[d];
    let (wd, td, wh, th) = (lx.w[d], lx.t[d], lx.w[h], lx.t[h]);
    let dir = (d < h) as u64;
    let dist = {
        let x = d.abs_diff(h);
        if x > 10 {
            7
        } else {
            x.min(6)
        }
    } as u64;
    let hh = if h < n { heads[h] } else { NO_HEAD };
    let tg = if hh == NO_HEAD { NONE } else { lx.t[hh] };
    let prev = if d > 0 { lx.w[d - 1] } else { NONE };
    let next = if d + 1 < n { lx.w[d + 1] } else { NONE };
    let ndk = kids[d].len().min(3) as u64;
    // position of d among h's children on its side (1 = nearest)
    let pos = kids[h].iter().filter(|&&c| (c < h) == (d < h) && c.abs_diff(h) <= d.abs_diff(h)).count() as u64;
    out.extend_from_slice(&[
        feat(100, 0, 0, 0),
        feat(101, wd, 0, 0),
        feat(102, td, 0, 0),
        feat(103, wh, 0, 0),
        feat(104, th, 0, 0),
        feat(105, td, th, 0),
        feat(106, wd, th, 0),
        feat(107, td, wh, 0),
        feat(108, wd, wh, 0),
        feat(109, td, th, dir),
        feat(110, td, th, dist),
        feat(111, lx.sfx[d], td, 0),
        feat(112, lx.sfx[h], th, td),
        feat(113, td, th, tg),
        feat(114, wd, dir, 0),
        feat(115, td, ndk, dir),
        feat(116, wd, ndk, 0),
        feat(117, prev, td, 0),
        feat(118, next, td, 0),
        feat(119, td, lx.sfx[h], dir),
        feat(120, wd, lx.sfx[h], 0),
        feat(121, td, th, feat(0, dir, pos.min(4), 0)),
        feat(122, td, lx.t[d.saturating_sub(1)], lx.t[(d + 1).min(n)]),
    ]);
    for &c in kids[d].iter().take(8) {
        let side = (c < d) as u64;
        out.push(feat(130, td, lx.t[c], side));
        out.push(feat(131, wd, lx.t[c], side));
        if FUNCTION_TAGS.contains(&lx.tags[c]) {
            out.push(feat(132, td, lx.w[c], side));
        }
    }
    for &s in kids[h].iter().take(12) {
        if s == d {
            continue;
        }
        let side = feat(0, dir, (s < d) as u64, 0);
        out.push(feat(140, td, lx.t[s], side));
        out.push(feat(141, td, th, feat(0, lx.t[s], side, 0)));
        if FUNCTION_TAGS.contains(&lx.tags[s]) {
            out.push(feat(142, td, lx.w[s], side));
            out.push(feat(143, wd, lx.w[s], 0));
        }
    }
}

fn children(heads: &[usize]) -> Vec<Vec<usize>> {
    let n = heads.len();
    let mut kids = vec![Vec::new(); n + 1];
    for (d, &h) in heads.iter().enumerate() {
        if h <= n {
            kids[h].push(d);
        }
    }
    kids
}

/// A training sentence: words, predicted tags, gold heads (None = root) and labels.
pub struct ParseSent {
    pub words: Vec<String>,
    pub tags: Vec<Upos>,
    pub heads: Vec<Option<usize>>,
    pub deprels: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Parser {
    arcs: Weights,
    labeller: Weights,
    labels: Vec<String>,
}

impl Parser {
    /// Heads (None = root) and labels for one tagged sentence.
    pub fn parse(&self, words: &[&str], tags: &[Upos]) -> Vec<(Option<usize>, String)> {
        let n = words.len().min(tags.len());
        if n == 0 {
            return Vec::new();
        }
        let lx = lex(&words[..n], &tags[..n]);
        let heads = self.arcs_of(&lx, n);
        let kids = children(&heads);
        let mut feats = Vec::with_capacity(96);
        let mut scores = vec![0f32; self.labels.len()];
        (0..n)
            .map(|d| {
                if heads[d] >= n {
                    return (None, "ROOT".to_string());
                }
                label_features(&lx, &heads, &kids, d, &mut feats);
                scores.iter_mut().for_each(|s| *s = 0.0);
                self.labeller.score(&feats, &mut scores);
                let l = self.labels.get(argmax(&scores)).cloned().unwrap_or_else(|| "dep".into());
                (Some(heads[d]), l)
            })
            .collect()
    }

    fn arcs_of(&self, lx: &Lex, n: usize) -> Vec<usize> {
        let mut st = State::new(n);
        let mut feats = Vec::with_capacity(96);
        while !st.done() {
            st.features(lx, &mut feats);
            let mut scores = [0f32; 3];
            self.arcs.score(&feats, &mut scores);
            let valid = st.valid();
            let m = best(&scores, &valid);
            st.apply(m);
        }
        st.heads
    }

    /// Drop arc / label weights of magnitude below the thresholds.
    pub fn prune(&mut self, arcs: f32, labels: f32) {
        self.arcs = self.arcs.pruned(arcs);
        self.labeller = self.labeller.pruned(labels);
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    pub fn n_features(&self) -> (usize, usize) {
        (self.arcs.n_features(), self.labeller.n_features())
    }

    pub fn save(&self, path: &Path) -> Result<(), SyntaxError> {
        let mut w = Writer::new(KIND);
        w.strs(&self.labels);
        self.arcs.write(&mut w);
        self.labeller.write(&mut w);
        w.save(path)
    }

    pub fn load(path: &Path) -> Result<Parser, SyntaxError> {
        let buf = load_bytes(path, KIND)?;
        let fmt = |e: String| SyntaxError::format(path, e);
        let mut r = Reader::new(&buf);
        let labels = r.strs().map_err(fmt)?;
        let arcs = Weights::read(&mut r).map_err(fmt)?;
        let labeller = Weights::read(&mut r).map_err(fmt)?;
        r.done().map_err(fmt)?;
        if arcs.n_classes != 3 || labeller.n_classes != labels.len() {
            return Err(fmt("class counts do not match".into()));
        }
        Ok(Parser { arcs, labeller, labels })
    }

    /// Train the arc model (`epochs`, dynamic oracle with exploration after the first epoch)
    /// and the labeller (`label_epochs`, on the gold trees).
    pub fn train(
        sents: &[ParseSent],
        epochs: usize,
        label_epochs: usize,
        seed: u64,
        log: &mut dyn FnMut(String),
    ) -> Parser {
        let mut labels: Vec<String> =
            sents.iter().flat_map(|s| s.deprels.iter().cloned()).filter(|l| l != "ROOT").collect();
        labels.sort();
        labels.dedup();
        let lexes: Vec<(Lex, Vec<usize>)> = sents
            .iter()
            .map(|s| {
                let n = s.words.len();
                let ws: Vec<&str> = s.words.iter().map(|x| x.as_str()).collect();
                let gold = s.heads.iter().map(|h| h.unwrap_or(n)).collect();
                (lex(&ws, &s.tags), gold)
            })
            .collect();
        let mut rng = Rng::new(seed);
        let mut order: Vec<usize> = (0..sents.len()).collect();
        let mut tr = Trainer::new(3);
        let mut feats = Vec::with_capacity(96);
        for ep in 0..epochs {
            rng.shuffle(&mut order);
            let (mut ok, mut tot) = (0usize, 0usize);
            for &si in &order {
                let (lx, gold) = &lexes[si];
                let n = gold.len();
                let mut st = State::new(n);
                while !st.done() {
                    st.features(lx, &mut feats);
                    let mut scores = [0f32; 3];
                    tr.score(&feats, &mut scores);
                    let valid = st.valid();
                    let guess = best(&scores, &valid);
                    let zero = st.gold_moves(gold);
                    let next = if zero.iter().any(|&z| z) {
                        let b = best(&scores, &zero);
                        tr.tick();
                        tr.update(b, guess, &feats);
                        if ep == 0 {
                            b
                        } else {
                            guess
                        }
                    } else {
                        guess
                    };
                    st.apply(next);
                }
                ok += st.heads.iter().zip(gold).filter(|(a, b)| a == b).count();
                tot += n;
            }
            log(format!("parser epoch {}: train UAS {:.4}", ep + 1, ok as f64 / tot.max(1) as f64));
        }
        let arcs = tr.average(1e-3);

        let lab_ix = |l: &str| labels.binary_search_by(|x| x.as_str().cmp(l)).ok();
        let mut lt = Trainer::new(labels.len().max(1));
        let mut scores = vec![0f32; labels.len().max(1)];
        for ep in 0..label_epochs {
            rng.shuffle(&mut order);
            let (mut ok, mut tot) = (0usize, 0usize);
            for &si in &order {
                let (lx, gold) = &lexes[si];
                let kids = children(gold);
                let n = gold.len();
                for d in 0..n {
                    if gold[d] >= n {
                        continue;
                    }
                    let Some(y) = lab_ix(&sents[si].deprels[d]) else { continue };
                    label_features(lx, gold, &kids, d, &mut feats);
                    scores.iter_mut().for_each(|s| *s = 0.0);
                    lt.score(&feats, &mut scores);
                    let g = argmax(&scores);
                    lt.tick();
                    lt.update(y, g, &feats);
                    ok += (g == y) as usize;
                    tot += 1;
                }
            }
            log(format!("labeller epoch {}: train acc {:.4}", ep + 1, ok as f64 / tot.max(1) as f64));
        }
        Parser { arcs, labeller: lt.average(1e-3), labels }
    }
}

fn best(scores: &[f32; 3], allowed: &[bool; 3]) -> usize {
    let mut b = usize::MAX;
    for m in 0..3 {
        if allowed[m] && (b == usize::MAX || scores[m] > scores[b]) {
            b = m;
        }
    }
    if b == usize::MAX {
        SHIFT
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The oracle, followed from the start, reproduces every projective gold tree.
    #[test]
    fn oracle_is_exact_on_projective_trees() {
        let trees: [&[Option<usize>]; 4] = [
            &[Some(1), None, Some(1)],
            &[Some(1), Some(2), None, Some(4), Some(2), Some(2)],
            &[None, Some(0), Some(1), Some(2), Some(0)],
            &[Some(3), Some(3), Some(1), None, Some(3), Some(6), Some(4)],
        ];
        for heads in trees {
            assert!(crate::syntax::conllu::is_projective(heads));
            let n = heads.len();
            let gold: Vec<usize> = heads.iter().map(|h| h.unwrap_or(n)).collect();
            let mut st = State::new(n);
            let mut steps = 0;
            while !st.done() {
                let z = st.gold_moves(&gold);
                let m = (0..3).find(|&m| z[m]).expect("oracle gives a move");
                st.apply(m);
                steps += 1;
                assert!(steps <= 2 * n + 2);
            }
            assert_eq!(st.heads, gold, "{heads:?}");
        }
    }
}
