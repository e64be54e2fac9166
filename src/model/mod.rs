//! One encoder, many heads. A model folder is parsed once ([`folder`]); sentences become padded
//! windows of word pieces ([`window`]); an [`encoder::Encoder`] (libtorch or ONNX Runtime, one
//! engine table) runs each batch once and returns named outputs (`logits`, `hidden`); heads
//! ([`heads`]) turn those outputs into results. The NER decoding is the first head; a second head
//! (stance, parser) reads the same forward pass.

pub mod encoder;
pub mod folder;
pub mod heads;
pub mod window;

pub use encoder::{Encoder, Engine, EngineSpec, Outputs};
pub use folder::ModelFolder;
