//! Shared machinery: feature hashing, the averaged perceptron (training and inference) and a
//! small checked binary format (gzip-compressed) for the model files.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{Read, Write};
use std::path::Path;

use super::SyntaxError;

// ---------------------------------------------------------------- hashing

/// splitmix64 finaliser: a cheap, well-mixed 64-bit permutation.
#[inline]
pub fn fmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a over bytes, finalised. Stable across platforms and runs (the model files depend on it).
#[inline]
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    fmix(h)
}

/// Feature id of template `t` over up to three already-hashed parts.
#[inline]
pub fn feat(t: u64, a: u64, b: u64, c: u64) -> u64 {
    fmix(fmix(fmix(t.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ a) ^ b.rotate_left(17)) ^ c.rotate_left(41))
}

/// Identity hasher for keys that are already well-mixed u64 hashes.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);
impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*b) ^ (self.0 >> 56);
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}
pub type IdBuild = BuildHasherDefault<IdHasher>;
pub type IdMap<V> = HashMap<u64, V, IdBuild>;

// ---------------------------------------------------------------- inference weights

/// Averaged, pruned perceptron weights: feature id -> sparse (class, weight) list.
#[derive(Debug, Clone, Default)]
pub struct Weights {
    pub n_classes: usize,
    index: IdMap<(u32, u32)>,
    entries: Vec<(u16, f32)>,
}

impl Weights {
    /// Add the weights of `feats` to `scores` (length n_classes).
    #[inline]
    pub fn score(&self, feats: &[u64], scores: &mut [f32]) {
        for f in feats {
            if let Some(&(start, len)) = self.index.get(f) {
                let (s, l) = (start as usize, len as usize);
                if let Some(es) = self.entries.get(s..s + l) {
                    for &(c, w) in es {
                        if let Some(x) = scores.get_mut(c as usize) {
                            *x += w;
                        }
                    }
                }
            }
        }
    }

    pub fn n_features(&self) -> usize {
        self.index.len()
    }

    /// Copy without entries of magnitude below `thr` (and without features left empty).
    pub fn pruned(&self, thr: f32) -> Weights {
        let mut keys: Vec<&u64> = self.index.keys().collect();
        keys.sort_unstable();
        let mut index = IdMap::default();
        let mut entries = Vec::new();
        for k in keys {
            let (s, l) = self.index[k];
            let start = entries.len() as u32;
            entries.extend(self.entries[s as usize..(s + l) as usize].iter().filter(|(_, w)| w.abs() >= thr));
            let l = entries.len() as u32 - start;
            if l > 0 {
                index.insert(*k, (start, l));
            }
        }
        Weights { n_classes: self.n_classes, index, entries }
    }

    pub fn write(&self, w: &mut Writer) {
        w.u32(self.n_classes as u32);
        let mut keys: Vec<&u64> = self.index.keys().collect();
        keys.sort_unstable();
        w.u32(keys.len() as u32);
        for k in keys {
            let (s, l) = self.index[k];
            w.u64(*k);
            w.u16(l as u16);
            for &(c, wt) in &self.entries[s as usize..(s + l) as usize] {
                w.u16(c);
                w.f32(wt);
            }
        }
    }

    pub fn read(r: &mut Reader) -> Result<Weights, String> {
        let n_classes = r.u32()? as usize;
        if n_classes == 0 || n_classes > 4096 {
            return Err(format!("implausible class count {n_classes}"));
        }
        let n = r.u32()? as usize;
        // each feature needs at least 10 bytes: refuse counts the data cannot hold
        if n > r.remaining() / 10 {
            return Err(format!("feature count {n} exceeds the file size"));
        }
        let mut index = IdMap::with_capacity_and_hasher(n, IdBuild::default());
        let mut entries = Vec::with_capacity(n * 2);
        for _ in 0..n {
            let key = r.u64()?;
            let l = r.u16()? as usize;
            if l > n_classes {
                return Err("feature with more entries than classes".into());
            }
            let start = entries.len() as u32;
            for _ in 0..l {
                let c = r.u16()?;
                let wt = r.f32()?;
                if c as usize >= n_classes || !wt.is_finite() {
                    return Err("bad weight entry".into());
                }
                entries.push((c, wt));
            }
            index.insert(key, (start, l as u32));
        }
        Ok(Weights { n_classes, index, entries })
    }
}

/// Index of the highest score among `allowed` (ties -> lowest index). Deterministic.
#[inline]
pub fn argmax(scores: &[f32]) -> usize {
    let mut best = 0;
    let mut bv = f32::NEG_INFINITY;
    for (i, &s) in scores.iter().enumerate() {
        if s > bv {
            bv = s;
            best = i;
        }
    }
    best
}

// ---------------------------------------------------------------- training

#[derive(Clone, Copy)]
struct Entry {
    class: u16,
    w: f32,
    total: f64,
    ts: u64,
}

/// Averaged perceptron under training (Collins 2002; lazy averaging as in Honnibal's tagger).
pub struct Trainer {
    pub n_classes: usize,
    map: IdMap<Vec<Entry>>,
    t: u64,
}

impl Trainer {
    pub fn new(n_classes: usize) -> Self {
        Trainer { n_classes, map: IdMap::default(), t: 0 }
    }

    pub fn score(&self, feats: &[u64], scores: &mut [f32]) {
        for f in feats {
            if let Some(es) = self.map.get(f) {
                for e in es {
                    scores[e.class as usize] += e.w;
                }
            }
        }
    }

    /// One training instance seen (call once per instance, also when the guess was right).
    pub fn tick(&mut self) {
        self.t += 1;
    }

    pub fn update(&mut self, truth: usize, guess: usize, feats: &[u64]) {
        if truth == guess {
            return;
        }
        let t = self.t;
        for f in feats {
            let es = self.map.entry(*f).or_default();
            for (class, delta) in [(truth, 1.0f32), (guess, -1.0f32)] {
                let c = class as u16;
                match es.iter_mut().find(|e| e.class == c) {
                    Some(e) => {
                        e.total += (t - e.ts) as f64 * f64::from(e.w);
                        e.ts = t;
                        e.w += delta;
                    }
                    None => es.push(Entry { class: c, w: delta, total: 0.0, ts: t }),
                }
            }
        }
    }

    /// Averaged weights; entries with |w| < prune are dropped.
    pub fn average(&self, prune: f32) -> Weights {
        let t = self.t.max(1);
        let mut keys: Vec<&u64> = self.map.keys().collect();
        keys.sort_unstable();
        let mut index = IdMap::default();
        let mut entries = Vec::new();
        for k in keys {
            let start = entries.len() as u32;
            let mut es: Vec<(u16, f32)> = self.map[k]
                .iter()
                .map(|e| {
                    let total = e.total + (t - e.ts) as f64 * f64::from(e.w);
                    (e.class, (total / t as f64) as f32)
                })
                .filter(|(_, w)| w.abs() >= prune && *w != 0.0)
                .collect();
            es.sort_unstable_by_key(|e| e.0);
            if es.is_empty() {
                continue;
            }
            let l = es.len() as u32;
            entries.extend(es);
            index.insert(*k, (start, l));
        }
        Weights { n_classes: self.n_classes, index, entries }
    }
}

/// Small deterministic PRNG (xorshift64*) for shuffling training data.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------- binary format

const MAGIC: &[u8; 8] = b"ALSYNTX1";
/// Refuse to inflate more than this (a corrupt or hostile file must not exhaust memory).
const MAX_INFLATED: u64 = 512 << 20;

#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}
impl Writer {
    pub fn new(kind: &str) -> Self {
        let mut w = Writer { buf: MAGIC.to_vec() };
        w.str(kind);
        w
    }
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn str(&mut self, s: &str) {
        let b = s.as_bytes();
        let n = b.len().min(u16::MAX as usize);
        self.u16(n as u16);
        self.buf.extend_from_slice(&b[..n]);
    }
    pub fn strs(&mut self, v: &[String]) {
        self.u32(v.len() as u32);
        for s in v {
            self.str(s);
        }
    }
    pub fn save(&self, path: &Path) -> Result<(), SyntaxError> {
        let io = |source| SyntaxError::Io { path: path.to_path_buf(), source };
        let f = std::fs::File::create(path).map_err(io)?;
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::best());
        gz.write_all(&self.buf).map_err(io)?;
        gz.finish().map_err(io)?;
        Ok(())
    }
}

pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}
impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.remaining() < n {
            return Err("unexpected end of data".into());
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    pub fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    pub fn f32(&mut self) -> Result<f32, String> {
        let b = self.take(4)?;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn str(&mut self) -> Result<String, String> {
        let n = self.u16()? as usize;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| "invalid UTF-8 string".to_string())
    }
    pub fn strs(&mut self) -> Result<Vec<String>, String> {
        let n = self.u32()? as usize;
        if n > self.remaining() / 2 {
            return Err("string count exceeds the file size".into());
        }
        (0..n).map(|_| self.str()).collect()
    }
    pub fn done(&self) -> Result<(), String> {
        if self.remaining() != 0 {
            return Err(format!("{} trailing bytes", self.remaining()));
        }
        Ok(())
    }
}

/// Read and inflate a model file; check the magic and the component kind.
pub fn load_bytes(path: &Path, kind: &str) -> Result<Vec<u8>, SyntaxError> {
    let f = std::fs::File::open(path).map_err(|source| SyntaxError::Io { path: path.to_path_buf(), source })?;
    let mut buf = Vec::new();
    flate2::read::GzDecoder::new(f)
        .take(MAX_INFLATED)
        .read_to_end(&mut buf)
        .map_err(|e| SyntaxError::format(path, format!("not a gzip model file ({e})")))?;
    let mut r = Reader::new(&buf);
    let magic = r.take(MAGIC.len()).map_err(|e| SyntaxError::format(path, e))?;
    if magic != MAGIC {
        return Err(SyntaxError::format(path, "wrong magic (not an actorlens syntax model)"));
    }
    let k = r.str().map_err(|e| SyntaxError::format(path, e))?;
    if k != kind {
        return Err(SyntaxError::format(path, format!("expected a {kind} model, found {k}")));
    }
    Ok(buf[r.pos..].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perceptron_learns_and_roundtrips() {
        let mut t = Trainer::new(3);
        let data = [(vec![1u64, 10], 0usize), (vec![2, 10], 1), (vec![3, 10], 2)];
        for _ in 0..5 {
            for (f, y) in &data {
                let mut s = [0f32; 3];
                t.score(f, &mut s);
                t.tick();
                t.update(*y, argmax(&s), f);
            }
        }
        let w = t.average(0.0);
        for (f, y) in &data {
            let mut s = [0f32; 3];
            w.score(f, &mut s);
            assert_eq!(argmax(&s), *y);
        }
        let mut wr = Writer::default();
        w.write(&mut wr);
        let w2 = Weights::read(&mut Reader::new(&wr.buf)).unwrap();
        assert_eq!(w2.n_features(), w.n_features());
        // truncated data is an error, not a panic
        for cut in 0..wr.buf.len() {
            let _ = Weights::read(&mut Reader::new(&wr.buf[..cut]));
        }
    }

    #[test]
    fn hashing_is_stable() {
        assert_eq!(hash_str("the"), hash_str("the"));
        assert_ne!(hash_str("the"), hash_str("The"));
        assert_ne!(feat(1, 2, 3, 4), feat(2, 2, 3, 4));
    }
}
