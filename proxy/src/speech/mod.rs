//! Reply text in, speech out: the sentence splitter, what a reply's speech may use and cost,
//! the pipeline that speaks a reply while it streams, the voice service (backend choice,
//! session cap, clip cache), the pieces a sentence's audio is sent in, and PCM → WAV → data URL.
//!
//! - [`sentences`]: cuts streamed text into speakable units; `speakable()` drops what is not read.
//! - [`plan`]: one reply's caps and prices, checked before anything is paid for.
//! - [`pipeline`]: synthesises units as they complete and hands their pieces out in order.
//! - [`voice`]: text → audio over the client's backend (`upstream::xai::{tts, realtime}`).
//! - [`pieces`]: cuts a sentence's PCM into pieces as it arrives (pure).
//! - [`words`]: the first sentence's words sent ahead; what a broken-off sentence has left (pure).
//! - [`audio`]: pure PCM/WAV/data-URL functions.

pub mod audio;
pub mod pieces;
pub mod pipeline;
pub mod plan;
pub mod voice;
pub mod words;

/// The sentence splitter and `speakable()`, shared with the widget.
pub mod sentences {
    pub use speech_text::{SentenceSplitter, speakable};
}

pub use pipeline::SpeechPipeline;
pub use plan::SpeechPlan;
