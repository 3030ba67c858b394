//! The server's `data:audio/wav;base64,` pieces, read in Rust rather than by the browser:
//! decoded to samples for a Web Audio buffer (exact lengths, so each piece can be scheduled at
//! the exact end of the one before), or joined back into one clip for the audio element.
//! Only what the proxy sends is read: 16-bit PCM, mono. Pure, tested natively.

const PREFIX: &str = "data:audio/wav;base64,";
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A piece's audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Pcm {
    pub rate: u32,
    /// Little-endian 16-bit samples, as they were in the WAV.
    pub data: Vec<u8>,
}

impl Pcm {
    /// The samples in -1..1, what an `AudioBuffer` holds.
    pub fn samples(&self) -> Vec<f32> {
        self.data
            .chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
            .collect()
    }
}

/// Reads a `data:audio/wav;base64,` URL of 16-bit mono PCM.
pub fn decode(url: &str) -> Option<Pcm> {
    let wav = base64_decode(url.strip_prefix(PREFIX)?)?;
    if wav.get(0..4)? != b"RIFF" || wav.get(8..12)? != b"WAVE" {
        return None;
    }
    let u16_at = |i: usize| Some(u16::from_le_bytes(wav.get(i..i + 2)?.try_into().ok()?));
    let u32_at = |i: usize| Some(u32::from_le_bytes(wav.get(i..i + 4)?.try_into().ok()?));
    let mut pos = 12;
    let mut rate = None;
    loop {
        let id = wav.get(pos..pos + 4)?;
        let size = u32_at(pos + 4)? as usize;
        let body = pos + 8;
        if id == b"fmt " {
            // PCM, mono, 16 bits: what the proxy writes.
            if u16_at(body)? != 1 || u16_at(body + 2)? != 1 || u16_at(body + 14)? != 16 {
                return None;
            }
            rate = Some(u32_at(body + 4)?);
        } else if id == b"data" {
            // Whole samples only, and no further than the file goes.
            let len = size.min(wav.len().saturating_sub(body)) & !1;
            let data = wav.get(body..body + len)?.to_vec();
            return Some(Pcm { rate: rate?, data });
        }
        pos = body.checked_add(size + size % 2)?;
    }
}

/// One clip of all `urls` (pieces of one sentence, at one rate), for the audio element; a
/// single piece is returned as it is.
pub fn join(urls: &[String]) -> Option<String> {
    if let [one] = urls {
        return Some(one.clone());
    }
    let mut rate = None;
    let mut data = Vec::new();
    for url in urls {
        let pcm = decode(url)?;
        if *rate.get_or_insert(pcm.rate) != pcm.rate {
            return None;
        }
        data.extend_from_slice(&pcm.data);
    }
    let rate = rate?;
    let len = u32::try_from(data.len()).ok()?;
    let mut wav = Vec::with_capacity(44 + data.len());
    for part in [
        b"RIFF".as_slice(),
        &(36 + len).to_le_bytes(),
        b"WAVEfmt ",
        &16u32.to_le_bytes(),
        &1u16.to_le_bytes(),
        &1u16.to_le_bytes(),
        &rate.to_le_bytes(),
        &(rate * 2).to_le_bytes(),
        &2u16.to_le_bytes(),
        &16u16.to_le_bytes(),
        b"data",
        &len.to_le_bytes(),
        &data,
    ] {
        wav.extend_from_slice(part);
    }
    let mut url = String::with_capacity(PREFIX.len() + wav.len().div_ceil(3) * 4);
    url.push_str(PREFIX);
    for chunk in wav.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            url.push(if i <= chunk.len() {
                char::from(ALPHABET[(n >> shift & 63) as usize])
            } else {
                '='
            });
        }
    }
    Some(url)
}

/// Standard base64 with or without padding; `None` for anything else.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unpadded base64, written independently of the joiner's encoder.
    fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut n = 0u32;
            for (i, b) in chunk.iter().enumerate() {
                n |= u32::from(*b) << (16 - 8 * i);
            }
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }

    fn data(samples: &[i16]) -> Vec<u8> {
        samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    }

    /// What the proxy sends: a canonical 44-byte header, then the samples.
    fn wav(samples: &[i16], rate: u32) -> Vec<u8> {
        let data = data(samples);
        let mut wav = b"RIFF".to_vec();
        wav.extend((36 + data.len() as u32).to_le_bytes());
        wav.extend(b"WAVEfmt ");
        wav.extend(16u32.to_le_bytes());
        wav.extend([1, 0, 1, 0]);
        wav.extend(rate.to_le_bytes());
        wav.extend((rate * 2).to_le_bytes());
        wav.extend([2, 0, 16, 0]);
        wav.extend(b"data");
        wav.extend((data.len() as u32).to_le_bytes());
        wav.extend(&data);
        wav
    }

    fn piece(samples: &[i16], rate: u32) -> String {
        format!("{PREFIX}{}", encode(&wav(samples, rate)))
    }

    #[test]
    fn a_piece_decodes_to_its_samples() {
        let pcm = decode(&piece(&[0, 16384, -32768, 32767, 1], 24_000)).unwrap();
        assert_eq!(pcm.rate, 24_000);
        let s = pcm.samples();
        assert_eq!(s.len(), 5);
        assert_eq!(&s[..3], [0.0, 0.5, -1.0]);
        assert!((s[3] - 1.0).abs() < 1e-4);
    }

    #[test]
    fn pieces_join_into_one_clip_of_all_their_samples() {
        let pieces = [
            piece(&[1, 2, 3], 16_000),
            piece(&[4], 16_000),
            piece(&[5, 6], 16_000),
        ];
        let joined = join(&pieces).unwrap();
        assert_eq!(
            (joined.len() - PREFIX.len()) % 4,
            0,
            "padded, like the proxy's"
        );
        let joined = decode(&joined).unwrap();
        assert_eq!(joined.rate, 16_000);
        assert_eq!(joined.data, data(&[1, 2, 3, 4, 5, 6]));
        assert_eq!(join(&pieces[..1]).as_deref(), Some(pieces[0].as_str()));
        assert_eq!(join(&[piece(&[1], 16_000), piece(&[1], 24_000)]), None);
    }

    #[test]
    fn anything_but_pcm16_mono_is_refused() {
        assert_eq!(decode("data:audio/mpeg;base64,AAAA"), None);
        assert_eq!(decode("data:audio/wav;base64,!!!"), None);
        let mut stereo = wav(&[0, 0], 8000);
        stereo[22] = 2;
        assert_eq!(decode(&format!("{PREFIX}{}", encode(&stereo))), None);
    }
}
