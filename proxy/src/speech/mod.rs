//! Reply text in, speech clips out: the sentence splitter, what a reply's speech may use and
//! cost, the pipeline that speaks a reply while it streams, the voice service (backend choice,
//! session cap, clip cache) and PCM → WAV → data URL.
//!
//! - [`sentences`]: cuts streamed text into speakable units; `speakable()` drops what is not read.
//! - [`plan`]: one reply's caps and prices, checked before anything is paid for.
//! - [`pipeline`]: synthesises units as they complete and hands clips out in order.
//! - [`voice`]: text → clip over the client's backend (`upstream::xai::{tts, realtime}`).
//! - [`audio`]: pure PCM/WAV/data-URL functions.

pub mod audio;
pub mod pipeline;
pub mod plan;
pub mod voice;

/// The sentence splitter and `speakable()`, shared with the widget.
pub mod sentences {
    pub use speech_text::{SentenceSplitter, speakable};
}

pub use pipeline::SpeechPipeline;
pub use plan::SpeechPlan;
