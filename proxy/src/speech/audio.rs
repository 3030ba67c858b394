//! PCM16 mono → WAV → `data:audio/wav;base64,…`. Pure functions, no I/O.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Size of the canonical RIFF/WAVE header for PCM.
pub const WAV_HEADER_LEN: usize = 44;
const DATA_URL_PREFIX: &str = "data:audio/wav;base64,";

/// Wraps 16-bit signed little-endian mono PCM in a WAV container at `sample_rate`.
/// A trailing odd byte (half a sample) is dropped: WAV data must be whole frames.
pub fn wav_from_pcm16(pcm: &[u8], sample_rate: u32) -> Vec<u8> {
    let data = &pcm[..pcm.len() & !1];
    let data_len = u32::try_from(data.len()).unwrap_or(u32::MAX - 36);
    let channels: u16 = 1;
    let bits: u16 = 16;
    let block_align = channels * bits / 8;
    // Saturating: a rate over u32::MAX / 2 has no valid byte rate, and must not panic.
    let byte_rate = sample_rate.saturating_mul(u32::from(block_align));
    let mut out = Vec::with_capacity(WAV_HEADER_LEN + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size for PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // format: PCM
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&byte_rate.to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// `data:audio/wav;base64,<wav>`.
pub fn wav_data_url(wav: &[u8]) -> String {
    let mut url = String::with_capacity(DATA_URL_PREFIX.len() + wav.len().div_ceil(3) * 4);
    url.push_str(DATA_URL_PREFIX);
    STANDARD.encode_string(wav, &mut url);
    url
}

/// Milliseconds of audio in `pcm_len` bytes of PCM16 mono at `sample_rate`.
pub fn pcm16_duration_ms(pcm_len: usize, sample_rate: u32) -> u64 {
    if sample_rate == 0 {
        return 0;
    }
    (pcm_len as u64 / 2) * 1000 / u64::from(sample_rate)
}

/// What a WAV header says, for tests and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavInfo {
    pub channels: u16,
    pub sample_rate: u32,
    pub bits_per_sample: u16,
    pub samples: usize,
}

/// Reads back a canonical PCM WAV (as [`wav_from_pcm16`] writes it).
pub fn parse_wav(wav: &[u8]) -> Option<(WavInfo, &[u8])> {
    if wav.len() < WAV_HEADER_LEN
        || &wav[0..4] != b"RIFF"
        || &wav[8..12] != b"WAVE"
        || &wav[12..16] != b"fmt "
    {
        return None;
    }
    let u16_at = |i: usize| u16::from_le_bytes([wav[i], wav[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([wav[i], wav[i + 1], wav[i + 2], wav[i + 3]]);
    if u16_at(20) != 1 || &wav[36..40] != b"data" {
        return None;
    }
    let data_len = u32_at(40) as usize;
    let data = wav.get(WAV_HEADER_LEN..WAV_HEADER_LEN + data_len)?;
    let bits = u16_at(34);
    let channels = u16_at(22);
    let frame = usize::from(bits / 8) * usize::from(channels);
    Some((
        WavInfo {
            channels,
            sample_rate: u32_at(24),
            bits_per_sample: bits,
            samples: data.len() / frame.max(1),
        },
        data,
    ))
}

/// How far the start of a streamed WAV is readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WavHead {
    /// Not all of the header has arrived yet.
    NeedMore,
    /// Not a 16-bit PCM WAV.
    Bad,
    Pcm16 {
        sample_rate: u32,
        channels: u16,
        /// Where the samples start.
        data_at: usize,
        /// The `data` size, unless it is a streaming placeholder (0 or `0xFFFFFFFF`).
        data_len: Option<usize>,
    },
}

/// Reads the header of a WAV whose body is still streaming: chunks before `data` (`LIST`, …)
/// are skipped; a `data` size written as a placeholder means "until the end".
pub fn wav_head(bytes: &[u8]) -> WavHead {
    if bytes.len() < 12 {
        return WavHead::NeedMore;
    }
    if &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return WavHead::Bad;
    }
    let mut pos = 12;
    let mut format = None;
    loop {
        let Some(header) = bytes.get(pos..pos + 8) else {
            return WavHead::NeedMore;
        };
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let body = pos + 8;
        if &header[0..4] == b"data" {
            let Some((sample_rate, channels, 1, 16)) = format else {
                return WavHead::Bad;
            };
            return WavHead::Pcm16 {
                sample_rate,
                channels,
                data_at: body,
                data_len: (size != 0 && size != u32::MAX).then_some(size as usize),
            };
        }
        let size = size as usize;
        if &header[0..4] == b"fmt " {
            let Some(f) = bytes.get(body..body + 16) else {
                return WavHead::NeedMore;
            };
            let u16_at = |i: usize| u16::from_le_bytes([f[i], f[i + 1]]);
            let rate = u32::from_le_bytes([f[4], f[5], f[6], f[7]]);
            format = Some((rate, u16_at(2), u16_at(0), u16_at(14)));
        }
        pos = body.saturating_add(size + size % 2);
    }
}

/// Decodes a `data:audio/wav;base64,` URL back to WAV bytes.
pub fn decode_wav_data_url(url: &str) -> Option<Vec<u8>> {
    STANDARD.decode(url.strip_prefix(DATA_URL_PREFIX)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn header_fields_are_those_of_pcm16_mono() {
        let wav = wav_from_pcm16(&[0u8; 48_000], 24_000);
        assert_eq!(wav.len(), 44 + 48_000);
        assert_eq!(&wav[0..4], b"RIFF");
        assert_eq!(
            u32::from_le_bytes(wav[4..8].try_into().unwrap()),
            36 + 48_000
        );
        assert_eq!(u16::from_le_bytes([wav[20], wav[21]]), 1, "PCM");
        assert_eq!(u16::from_le_bytes([wav[22], wav[23]]), 1, "mono");
        assert_eq!(u32::from_le_bytes(wav[24..28].try_into().unwrap()), 24_000);
        assert_eq!(
            u32::from_le_bytes(wav[28..32].try_into().unwrap()),
            48_000,
            "byte rate"
        );
        assert_eq!(u16::from_le_bytes([wav[32], wav[33]]), 2, "block align");
        assert_eq!(u16::from_le_bytes([wav[34], wav[35]]), 16);
        assert_eq!(pcm16_duration_ms(48_000, 24_000), 1000);
    }

    /// Found by `fuzz/` (target `wav`): the byte rate overflowed for rates over 2^31.
    #[test]
    fn an_absurd_sample_rate_does_not_panic() {
        let wav = wav_from_pcm16(&[1, 2], u32::MAX);
        assert_eq!(
            u32::from_le_bytes(wav[28..32].try_into().unwrap()),
            u32::MAX
        );
        assert_eq!(parse_wav(&wav).unwrap().0.sample_rate, u32::MAX);
    }

    #[test]
    fn the_data_url_has_the_wav_mime_type() {
        let url = wav_data_url(&wav_from_pcm16(&[1, 2, 3, 4], 16_000));
        assert!(url.starts_with("data:audio/wav;base64,UklGR"), "{url}");
    }

    #[test]
    fn a_streamed_wav_header_is_read_as_it_arrives() {
        let wav = wav_from_pcm16(&[1, 0, 2, 0], 24_000);
        for cut in 0..WAV_HEADER_LEN {
            assert_eq!(wav_head(&wav[..cut]), WavHead::NeedMore, "{cut}");
        }
        assert_eq!(
            wav_head(&wav),
            WavHead::Pcm16 {
                sample_rate: 24_000,
                channels: 1,
                data_at: 44,
                data_len: Some(4)
            }
        );
        // A LIST chunk first and a placeholder size, as streaming encoders write.
        let mut odd = wav[..36].to_vec();
        odd.extend_from_slice(b"LIST\x03\0\0\0abc\0");
        odd.extend_from_slice(b"data\xff\xff\xff\xff");
        assert_eq!(
            wav_head(&odd),
            WavHead::Pcm16 {
                sample_rate: 24_000,
                channels: 1,
                data_at: odd.len(),
                data_len: None
            }
        );
        assert_eq!(wav_head(b"RIFF\0\0\0\0WAVX"), WavHead::Bad);
        let mut float = wav.clone();
        float[20] = 3;
        assert_eq!(wav_head(&float), WavHead::Bad);
    }

    proptest! {
        #[test]
        fn pcm_round_trips_through_wav_and_the_data_url(
            pcm in proptest::collection::vec(any::<u8>(), 0..4096),
            rate in prop::sample::select(vec![8000u32, 11025, 16000, 22050, 24000, 32000, 44100, 48000]),
        ) {
            let wav = wav_from_pcm16(&pcm, rate);
            let even = pcm.len() & !1;
            prop_assert_eq!(wav.len(), WAV_HEADER_LEN + even);
            let back = decode_wav_data_url(&wav_data_url(&wav)).unwrap();
            let (info, data) = parse_wav(&back).unwrap();
            prop_assert_eq!(info.sample_rate, rate);
            prop_assert_eq!(info.channels, 1);
            prop_assert_eq!(info.bits_per_sample, 16);
            prop_assert_eq!(info.samples, even / 2);
            prop_assert_eq!(data, &pcm[..even]);
        }

        #[test]
        fn the_data_url_length_is_predictable(len in 0usize..10_000) {
            let wav = wav_from_pcm16(&vec![0u8; len], 24_000);
            let url = wav_data_url(&wav);
            prop_assert_eq!(url.len(), DATA_URL_PREFIX.len() + wav.len().div_ceil(3) * 4);
        }
    }
}
