//! Text to PCM16 audio: the deterministic tone, espeak-ng speech, WAV framing, resampling.

use std::f64::consts::PI;

use crate::state::SpeechMode;

/// PCM sample rates x.ai lists for `audio/pcm` (spec §5.2).
pub(crate) const PCM_RATES: &[u32] = &[8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000];

/// Number of samples [`SpeechMode::Tone`] produces for `text` at `rate`: 60 ms per character
/// (at least 300 ms), so tests can predict audio lengths exactly.
pub fn tone_samples(text: &str, rate: u32) -> usize {
    let chars = u64::try_from(text.chars().count()).unwrap_or(u64::MAX);
    let ms = chars.saturating_mul(60).max(300);
    usize::try_from(u64::from(rate).saturating_mul(ms) / 1000).unwrap_or(usize::MAX)
}

/// A 440 Hz sine at amplitude 0.3, [`tone_samples`] long.
pub(crate) fn tone(text: &str, rate: u32) -> Vec<i16> {
    let mut tone = ToneStream::new(rate);
    let mut samples = tone.extend(text);
    samples.extend(tone.finish());
    samples
}

/// The tone of a text that arrives in parts (the streaming TTS socket speaks as text comes):
/// phase-continuous, and in all exactly [`tone_samples`] of the whole text, however it was cut.
pub(crate) struct ToneStream {
    rate: u32,
    chars: usize,
    made: usize,
}

impl ToneStream {
    pub(crate) fn new(rate: u32) -> Self {
        Self {
            rate,
            chars: 0,
            made: 0,
        }
    }

    /// The samples for `text`, which follows what was given before.
    pub(crate) fn extend(&mut self, text: &str) -> Vec<i16> {
        self.chars += text.chars().count();
        let ms = u64::try_from(self.chars)
            .unwrap_or(u64::MAX)
            .saturating_mul(60);
        let upto = usize::try_from(u64::from(self.rate).saturating_mul(ms) / 1000).unwrap_or(0);
        self.upto(upto)
    }

    /// The rest, once the text is complete: the 300 ms floor of a short text.
    pub(crate) fn finish(&mut self) -> Vec<i16> {
        self.upto(self.made.max(self.rate as usize * 300 / 1000))
    }

    fn upto(&mut self, end: usize) -> Vec<i16> {
        let amplitude = 0.3 * f64::from(i16::MAX);
        let rate = f64::from(self.rate);
        let out = (self.made..end.max(self.made))
            .map(|n| (amplitude * (2.0 * PI * 440.0 * n as f64 / rate).sin()).round() as i16)
            .collect();
        self.made = self.made.max(end);
        out
    }
}

/// Speech for `text` at `rate` in the configured mode.
pub(crate) async fn synthesize(mode: SpeechMode, text: &str, rate: u32) -> Vec<i16> {
    match mode {
        SpeechMode::Tone => tone(text, rate),
        SpeechMode::Espeak => match espeak(text, rate).await {
            Some(samples) if !samples.is_empty() => samples,
            _ => tone(text, rate),
        },
    }
}

/// Speech for a text said in parts, in the configured mode: the tone continues across parts;
/// espeak-ng speaks each part on its own.
pub(crate) struct Speaker {
    mode: SpeechMode,
    rate: u32,
    tone: ToneStream,
}

impl Speaker {
    pub(crate) fn new(mode: SpeechMode, rate: u32) -> Self {
        Self {
            mode,
            rate,
            tone: ToneStream::new(rate),
        }
    }

    pub(crate) async fn say(&mut self, text: &str) -> Vec<i16> {
        if self.mode == SpeechMode::Espeak
            && let Some(samples) = espeak(text, self.rate).await.filter(|s| !s.is_empty())
        {
            return samples;
        }
        self.tone.extend(text)
    }

    /// What is left once the whole text was said (the tone's floor).
    pub(crate) fn finish(&mut self) -> Vec<i16> {
        match self.mode {
            SpeechMode::Tone => self.tone.finish(),
            SpeechMode::Espeak => Vec::new(),
        }
    }
}

async fn espeak(text: &str, rate: u32) -> Option<Vec<i16>> {
    // The text is one argument (no shell); a leading '-' would read as an option.
    let arg = if text.starts_with('-') {
        format!(" {text}")
    } else {
        text.to_owned()
    };
    let output = tokio::process::Command::new("espeak-ng")
        .args(["--stdout", "-v", "en-gb", &arg])
        .kill_on_drop(true)
        .output()
        .await
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let (source_rate, samples) = parse_wav(&output.stdout)?;
    Some(resample(&samples, source_rate, rate))
}

/// Mono PCM16 samples and rate from a WAV file; multi-channel input keeps the first channel.
/// espeak-ng streams to stdout with placeholder sizes, so sizes are clamped to the data present.
pub(crate) fn parse_wav(bytes: &[u8]) -> Option<(u32, Vec<i16>)> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let mut pos = 12;
    let mut format: Option<(u16, u32, u16)> = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size =
            usize::try_from(u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().ok()?)).ok()?;
        let body_start = pos + 8;
        let body_end = body_start.saturating_add(size).min(bytes.len());
        let body = &bytes[body_start..body_end];
        if id == b"fmt " && body.len() >= 16 {
            let channels = u16::from_le_bytes([body[2], body[3]]);
            let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
            let bits = u16::from_le_bytes([body[14], body[15]]);
            format = Some((channels, rate, bits));
        } else if id == b"data" {
            let (channels, rate, bits) = format?;
            if bits != 16 || channels == 0 {
                return None;
            }
            let frame = 2 * usize::from(channels);
            let samples = body
                .chunks_exact(frame)
                .map(|f| i16::from_le_bytes([f[0], f[1]]))
                .collect();
            return Some((rate, samples));
        }
        pos = body_start.saturating_add(size + size % 2);
    }
    None
}

/// Linear-interpolation resampling; good enough for speech in tests.
pub(crate) fn resample(samples: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == to || samples.is_empty() || from == 0 {
        return samples.to_vec();
    }
    let out_len =
        u64::try_from(samples.len()).unwrap_or(u64::MAX) * u64::from(to) / u64::from(from);
    let step = f64::from(from) / f64::from(to);
    (0..out_len)
        .map(|i| {
            let x = i as f64 * step;
            let left = x.floor() as usize;
            let right = (left + 1).min(samples.len() - 1);
            let left = left.min(samples.len() - 1);
            let frac = x - x.floor();
            let value = f64::from(samples[left]) * (1.0 - frac) + f64::from(samples[right]) * frac;
            value.round() as i16
        })
        .collect()
}

/// Little-endian PCM16 bytes.
pub(crate) fn pcm_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// A 44-byte RIFF/WAVE header (PCM, mono, 16-bit) followed by the samples.
pub(crate) fn wav_bytes(samples: &[i16], rate: u32) -> Vec<u8> {
    let data = pcm_bytes(samples);
    let data_len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&16_u32.to_le_bytes());
    out.extend_from_slice(&1_u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1_u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2_u16.to_le_bytes()); // block align
    out.extend_from_slice(&16_u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(&data);
    out
}

/// Samples per 100 ms chunk.
pub(crate) fn chunk_len(rate: u32) -> usize {
    usize::try_from(rate / 10).unwrap_or(2400).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tone_length_follows_the_text() {
        assert_eq!(tone_samples("hi", 24000), 7200); // the 300 ms floor
        assert_eq!(tone_samples("0123456789", 16000), 9600); // 600 ms
        assert_eq!(tone("0123456789", 16000).len(), 9600);
    }

    #[test]
    fn a_tone_said_in_parts_is_the_tone_of_the_whole() {
        for rate in [11025, 24000] {
            let text = "Hello streaming world.";
            let mut parts = ToneStream::new(rate);
            let mut samples = parts.extend("Hello ");
            samples.extend(parts.extend("streaming "));
            samples.extend(parts.extend("world."));
            samples.extend(parts.finish());
            assert_eq!(samples, tone(text, rate));
        }
        let mut short = ToneStream::new(24000);
        let mut samples = short.extend("Hi");
        samples.extend(short.finish());
        assert_eq!(samples.len(), tone_samples("Hi", 24000));
    }

    #[test]
    fn wav_round_trips() {
        let samples = tone("hello", 22050);
        let wav = wav_bytes(&samples, 22050);
        assert_eq!(wav.len(), 44 + samples.len() * 2);
        assert_eq!(parse_wav(&wav), Some((22050, samples)));
    }

    #[test]
    fn resampling_scales_the_length() {
        let samples = vec![0_i16; 22050];
        assert_eq!(resample(&samples, 22050, 24000).len(), 24000);
    }
}
