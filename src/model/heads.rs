//! Heads: what turns an encoder's outputs into results. [`TokenTagger`] (NER decoding: argmax or
//! BIO-constrained Viterbi over the `logits` output) is the first; [`PooledHead`] (a linear
//! classifier over pooled `hidden` states of a span plus [CLS], TD-BERT style) shows how a second
//! head reads the same forward pass.

use super::folder::{invalid, HeadSpec, ModelFolder};
use crate::error::Result;

/// How word labels are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decoding {
    /// Best label per word, independently (Hugging Face's token-classification pipeline).
    Argmax,
    /// Best label sequence that obeys the BIO scheme (no I-X without a B-X/I-X before it).
    BioViterbi,
}

impl Decoding {
    pub fn as_str(&self) -> &'static str {
        match self {
            Decoding::Argmax => "argmax",
            Decoding::BioViterbi => "bio-viterbi",
        }
    }
}

/// Position of a tag inside an entity, parsed from labels like `B-PER`, `I-ORG`, `S-LOC`, `O`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Outside,
    Begin,
    Inside,
    End,
    Single,
}

#[derive(Debug, Clone)]
pub struct Tag {
    pub part: Part,
    pub entity: String,
}

pub fn parse_tag(label: &str) -> Tag {
    if label == "O" || label.is_empty() {
        return Tag { part: Part::Outside, entity: String::new() };
    }
    let (part, rest) = match label.split_once(['-', '_']) {
        Some(("B", r)) => (Part::Begin, r),
        Some(("I", r)) => (Part::Inside, r),
        Some(("E" | "L", r)) => (Part::End, r),
        Some(("S" | "U", r)) => (Part::Single, r),
        // IO scheme: a bare type continues an entity of that type.
        _ => (Part::Inside, label),
    };
    Tag { part, entity: rest.to_string() }
}

/// The NER head: per-word label log-probabilities (from the `logits` output at each word's first
/// piece) → labels → entity spans.
pub struct TokenTagger {
    pub tags: Vec<Tag>,
    /// allowed[prev][cur] for constrained decoding; `prev == n` is the sentence start.
    allowed: Vec<Vec<bool>>,
    pub decoding: Decoding,
}

/// An entity found by [`TokenTagger::decode`]: words `first..last` (exclusive), its label, and
/// the mean probability of the chosen labels.
#[derive(Debug, Clone, PartialEq)]
pub struct TaggedSpan {
    pub first: usize,
    pub last: usize,
    pub entity: String,
    pub score: f32,
}

impl TokenTagger {
    pub const INPUT: &'static str = "logits";

    pub fn new(folder: &ModelFolder, decoding: Option<Decoding>) -> Result<Self> {
        if !folder.has_labels() {
            return Err(invalid(&folder.dir, "config.json has no id2label"));
        }
        let decoding = match (decoding, folder.keys.decoding.as_deref()) {
            (Some(d), _) => d,
            (None, None | Some("argmax")) => Decoding::Argmax,
            (None, Some("bio_viterbi")) => Decoding::BioViterbi,
            (None, Some(other)) => return Err(invalid(&folder.dir, format!("unknown actorlens.decoding `{other}`"))),
        };
        let tags: Vec<Tag> = folder.labels.iter().map(|l| parse_tag(l)).collect();
        let allowed = transition_table(&tags);
        Ok(TokenTagger { tags, allowed, decoding })
    }

    pub fn n_labels(&self) -> usize {
        self.tags.len()
    }

    /// log-softmax of one position's logits, in f32.
    pub fn log_probs(logits: &[f32]) -> Vec<f32> {
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let sum: f32 = logits.iter().map(|&x| (x - max).exp()).sum();
        let lse = max + sum.ln();
        logits.iter().map(|&x| x - lse).collect()
    }

    /// Entities of one sentence from its per-word log-probabilities.
    pub fn decode(&self, emit: &[Vec<f32>]) -> Vec<TaggedSpan> {
        let labels = match self.decoding {
            Decoding::BioViterbi => viterbi(emit, &self.allowed),
            Decoding::Argmax => emit.iter().map(|r| argmax(r)).collect(),
        };
        spans(&labels, &self.tags)
            .into_iter()
            .map(|(a, b, entity)| {
                let score =
                    (a..b).map(|k| emit[k].get(labels[k]).copied().unwrap_or(f32::NEG_INFINITY).exp()).sum::<f32>()
                        / (b - a) as f32;
                TaggedSpan { first: a, last: b, entity, score }
            })
            .collect()
    }
}

fn transition_table(tags: &[Tag]) -> Vec<Vec<bool>> {
    let n = tags.len();
    let mut allowed = vec![vec![true; n]; n + 1];
    for (cur, t) in tags.iter().enumerate() {
        if matches!(t.part, Part::Inside | Part::End) {
            // I-X / E-X only continue B-X or I-X; never at the start of a sentence.
            for (prev, p) in tags.iter().enumerate() {
                allowed[prev][cur] = matches!(p.part, Part::Begin | Part::Inside) && p.entity == t.entity;
            }
            allowed[n][cur] = false;
        }
    }
    allowed
}

/// Best label sequence under the transition constraints; `emit[w][l]` are log-probabilities.
fn viterbi(emit: &[Vec<f32>], allowed: &[Vec<bool>]) -> Vec<usize> {
    let n_labels = allowed.len() - 1;
    if emit.is_empty() {
        return vec![];
    }
    let at = |row: &[f32], l: usize| row.get(l).copied().unwrap_or(f32::NEG_INFINITY);
    let mut score: Vec<f32> =
        (0..n_labels).map(|l| if allowed[n_labels][l] { at(&emit[0], l) } else { f32::NEG_INFINITY }).collect();
    let mut back: Vec<Vec<usize>> = Vec::with_capacity(emit.len());
    for row in &emit[1..] {
        let mut next = vec![f32::NEG_INFINITY; n_labels];
        let mut ptr = vec![0usize; n_labels];
        for cur in 0..n_labels {
            for prev in 0..n_labels {
                if allowed[prev][cur] && score[prev] > f32::NEG_INFINITY {
                    let s = score[prev] + at(row, cur);
                    if s > next[cur] {
                        next[cur] = s;
                        ptr[cur] = prev;
                    }
                }
            }
        }
        back.push(ptr);
        score = next;
    }
    let mut best = argmax(&score);
    let mut path = vec![best; emit.len()];
    for (i, ptr) in back.iter().enumerate().rev() {
        best = ptr[best];
        path[i] = best;
    }
    path
}

fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Word-level labels → entity spans `(first_word, last_word_exclusive, entity)`.
fn spans(labels: &[usize], tags: &[Tag]) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (i, &l) in labels.iter().enumerate() {
        let Some(tag) = tags.get(l) else { continue };
        let continues =
            matches!(tag.part, Part::Inside | Part::End) && open.as_ref().is_some_and(|(_, e)| *e == tag.entity);
        if !continues {
            if let Some((s, e)) = open.take() {
                out.push((s, i, e));
            }
            if tag.part != Part::Outside {
                open = Some((i, tag.entity.clone()));
            }
        }
        if matches!(tag.part, Part::End | Part::Single) {
            if let Some((s, e)) = open.take() {
                out.push((s, i + 1, e));
            }
        }
    }
    if let Some((s, e)) = open {
        out.push((s, labels.len(), e));
    }
    out
}

/// A linear classifier over the mean of the `hidden` states at [CLS] and at a span's word
/// pieces (TD-BERT-style target pooling), declared in config.json under `actorlens.heads`
/// and loaded from a safetensors file with `weight` [labels, dim] and `bias` [labels].
pub struct PooledHead {
    pub name: String,
    pub input: String,
    pub labels: Vec<String>,
    weight: Vec<Vec<f32>>,
    bias: Vec<f32>,
}

impl PooledHead {
    pub fn load(folder: &ModelFolder, name: &str, spec: &HeadSpec) -> Result<Self> {
        let dir = &folder.dir;
        let path = dir.join(&spec.weights);
        let bad = |m: String| invalid(dir, format!("head `{name}` ({}): {m}", spec.weights));
        let tensors = tch::Tensor::read_safetensors(&path).map_err(|e| bad(e.to_string()))?;
        let get = |n: &str| {
            tensors
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, t)| t.shallow_clone())
                .ok_or_else(|| bad(format!("no `{n}` tensor")))
        };
        let (w, b) = (get("weight")?, get("bias")?);
        let size = w.size();
        if size.len() != 2 || size[0] as usize != spec.labels.len() || b.size() != [size[0]] {
            return Err(bad(format!(
                "weight {:?} / bias {:?} do not match {} labels",
                size,
                b.size(),
                spec.labels.len()
            )));
        }
        let flat = |t: &tch::Tensor| -> Result<Vec<f32>> {
            let t = t.f_to_kind(tch::Kind::Float)?.f_contiguous()?;
            Ok(Vec::<f32>::try_from(t.f_view([-1])?)?)
        };
        let wf = flat(&w)?;
        let dim = size[1] as usize;
        let weight = wf.chunks(dim.max(1)).map(|c| c.to_vec()).collect();
        Ok(PooledHead {
            name: name.into(),
            input: spec.input.clone(),
            labels: spec.labels.clone(),
            weight,
            bias: flat(&b)?,
        })
    }

    pub fn dim(&self) -> usize {
        self.weight.first().map(|r| r.len()).unwrap_or(0)
    }

    /// Label probabilities for the mean of `vectors` (the [CLS] row and the span's rows).
    pub fn classify(&self, vectors: &[&[f32]]) -> Vec<f32> {
        let dim = self.dim();
        let mut pooled = vec![0f32; dim];
        let usable: Vec<&&[f32]> = vectors.iter().filter(|v| v.len() == dim).collect();
        for v in &usable {
            for (p, x) in pooled.iter_mut().zip(v.iter()) {
                *p += x;
            }
        }
        let n = usable.len().max(1) as f32;
        pooled.iter_mut().for_each(|p| *p /= n);
        let logits: Vec<f32> = self
            .weight
            .iter()
            .zip(&self.bias)
            .map(|(row, b)| row.iter().zip(&pooled).map(|(w, x)| w * x).sum::<f32>() + b)
            .collect();
        TokenTagger::log_probs(&logits).into_iter().map(f32::exp).collect()
    }
}

/// A head with transformer layers of its own over an intermediate encoder layer (`layer.K`),
/// scoring one *target span* at a time: a learned target vector is added at the span's pieces,
/// the head's layers run over the window, and [CLS] + mean(span pieces) are classified (the
/// stance head, `training/stance/stance.py`). An ONNX graph for the B targets of one window of
/// n positions: `hidden` [1,n,dim] f32 (the window once: layers below the target's entry run
/// once for all targets), `attention_mask` [1,n] i64, `target_mask` [B,n] f32, `target_index`
/// [B,k] i64 (each target's piece positions, padded with 0) → `probs` [B,labels]. Runs on ONNX
/// Runtime whatever the encoder's engine; one session per worker, one intra-op thread each.
pub struct SpanEncoderHead {
    pub name: String,
    /// The encoder output it reads (`layer.K`).
    pub input: String,
    pub labels: Vec<String>,
    sessions: Vec<std::sync::Mutex<ort::session::Session>>,
    pub path: std::path::PathBuf,
}

impl SpanEncoderHead {
    pub fn load(folder: &ModelFolder, name: &str, spec: &HeadSpec, workers: usize) -> Result<Self> {
        let dir = &folder.dir;
        let path = dir.join(&spec.weights);
        let bad = |m: String| invalid(dir, format!("head `{name}` ({}): {m}", spec.weights));
        if spec.layer().is_none() {
            return Err(bad(format!("input `{}` is not an encoder layer (`layer.K`)", spec.input)));
        }
        if !path.is_file() {
            return Err(crate::Error::ModelMissing { dir: dir.clone(), file: spec.weights.clone() });
        }
        let env = super::encoder::ort_runtime().map_err(|e| bad(format!("needs ONNX Runtime: {e}")))?;
        let bytes = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
        let sessions = super::encoder::worker_sessions(env, &bytes, workers).map_err(bad)?;
        let head = SpanEncoderHead {
            name: name.into(),
            input: spec.input.clone(),
            labels: spec.labels.clone(),
            sessions,
            path,
        };
        // Fail at load, not on the first document, if the graph does not take what we feed it.
        let names: Vec<String> = match head.sessions.first().map(|m| m.lock()) {
            Some(Ok(s)) => s.inputs().iter().map(|i| i.name().to_string()).collect(),
            _ => Vec::new(),
        };
        for need in ["hidden", "attention_mask", "target_mask", "target_index"] {
            if !names.iter().any(|n| n == need) {
                return Err(bad(format!("the graph has no `{need}` input (inputs: {names:?})")));
            }
        }
        Ok(head)
    }

    pub fn workers(&self) -> usize {
        self.sessions.len().max(1)
    }

    /// Label probabilities for each target of one window. `hidden` is the window's `input` rows
    /// (`t` positions × `dim`), `targets` one 0/1 mask over the `t` positions per target. All
    /// targets of a window go in one call, so a target's scores depend only on its window.
    pub fn score(
        &self,
        worker: usize,
        hidden: &[f32],
        t: usize,
        dim: usize,
        targets: &[Vec<f32>],
    ) -> Result<Vec<Vec<f32>>> {
        let b = targets.len();
        if b == 0 || t == 0 {
            return Ok(Vec::new());
        }
        let fail = |e: String| crate::Error::Model(format!("head `{}`: {e}", self.name));
        if hidden.len() != t * dim || targets.iter().any(|m| m.len() != t) {
            return Err(fail(format!("inputs do not match a window of {t} positions × {dim}")));
        }
        let tm: Vec<f32> = targets.concat();
        // Piece positions per target, padded with 0 ([CLS], never a target: its mask is 0).
        let index: Vec<Vec<i64>> = targets
            .iter()
            .map(|m| m.iter().enumerate().filter(|(_, &v)| v > 0.0).map(|(i, _)| i as i64).collect())
            .collect();
        if index.iter().any(|i| i.is_empty()) {
            return Err(fail("a target mask covers no position".into()));
        }
        let k = index.iter().map(Vec::len).max().unwrap_or(1);
        let ti: Vec<i64> = index.iter().flat_map(|i| i.iter().copied().chain(std::iter::repeat(0)).take(k)).collect();
        let tensor_err = |e: ort::Error| fail(e.to_string());
        let hv = ort::value::Tensor::from_array(([1, t as i64, dim as i64], hidden.to_vec())).map_err(tensor_err)?;
        let mv = ort::value::Tensor::from_array(([1, t as i64], vec![1i64; t])).map_err(tensor_err)?;
        let tv = ort::value::Tensor::from_array(([b as i64, t as i64], tm)).map_err(tensor_err)?;
        let iv = ort::value::Tensor::from_array(([b as i64, k as i64], ti)).map_err(tensor_err)?;
        let slot = &self.sessions[worker % self.sessions.len()];
        let mut session = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let out = session
            .run(vec![
                ("hidden", hv.into_dyn()),
                ("attention_mask", mv.into_dyn()),
                ("target_mask", tv.into_dyn()),
                ("target_index", iv.into_dyn()),
            ])
            .map_err(|e| fail(e.to_string()))?;
        let probs = out.get("probs").ok_or_else(|| fail("the graph has no `probs` output".into()))?;
        let (_, data) = probs.try_extract_tensor::<f32>().map_err(|e| fail(e.to_string()))?;
        let n = self.labels.len();
        if data.len() != b * n {
            return Err(fail(format!("`probs` has {} values, expected {b} × {n}", data.len())));
        }
        Ok(data.chunks(n).map(|c| c.to_vec()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(labels: &[&str]) -> Vec<Tag> {
        labels.iter().map(|l| parse_tag(l)).collect()
    }

    #[test]
    fn viterbi_forbids_inside_without_begin() {
        let t = tags(&["O", "B-PER", "I-PER"]);
        let allowed = transition_table(&t);
        // Argmax would say I-PER for the first word; the constraint turns it into B-PER.
        let emit = vec![vec![-2.0, -1.5, -0.3], vec![-2.0, -2.0, -0.1]];
        assert_eq!(viterbi(&emit, &allowed), vec![1, 2]);
        assert_eq!(spans(&[1, 2], &t), vec![(0, 2, "PER".to_string())]);
    }

    #[test]
    fn spans_handle_iob1_and_bioes() {
        let t = tags(&["O", "I-ORG", "B-ORG", "S-LOC", "E-ORG"]);
        // IOB1: I-ORG I-ORG B-ORG → two entities.
        assert_eq!(spans(&[1, 1, 2, 0], &t), vec![(0, 2, "ORG".into()), (2, 3, "ORG".into())]);
        assert_eq!(spans(&[3, 3], &t), vec![(0, 1, "LOC".into()), (1, 2, "LOC".into())]);
        assert_eq!(spans(&[2, 4, 1], &t), vec![(0, 2, "ORG".into()), (2, 3, "ORG".into())]);
    }
}
