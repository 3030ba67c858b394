//! The proxy's WAV and data-URL helpers (`proxy::speech::audio`).
//!
//! Input: arbitrary bytes, read three ways: as a WAV (as `tts.rs` checks x.ai's answers), as a
//! data URL, and as PCM (the first four bytes a sample rate) to round-trip. Properties: no
//! panic; what `parse_wav` returns lies inside the input and matches its header; PCM written
//! by `wav_from_pcm16` reads back unchanged, through the data URL too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy::speech::audio::{
    WAV_HEADER_LEN, decode_wav_data_url, parse_wav, pcm16_duration_ms, wav_data_url, wav_from_pcm16,
};

fuzz_target!(|data: &[u8]| {
    // Arbitrary bytes as a WAV.
    if let Some((info, samples)) = parse_wav(data) {
        let declared = u32::from_le_bytes(data[40..44].try_into().unwrap()) as usize;
        assert_eq!(samples.len(), declared);
        assert_eq!(samples, &data[WAV_HEADER_LEN..WAV_HEADER_LEN + declared]);
        let frame = usize::from(info.bits_per_sample / 8) * usize::from(info.channels);
        assert!(info.samples * frame.max(1) <= samples.len(), "{info:?}");
    }

    // Arbitrary text as a data URL: what decodes re-encodes to the same URL.
    let text = String::from_utf8_lossy(data);
    let url = format!("data:audio/wav;base64,{}", text.trim());
    if let Some(wav) = decode_wav_data_url(&url) {
        assert_eq!(wav_data_url(&wav), url);
    }
    let _ = decode_wav_data_url(&text);

    // Arbitrary PCM at an arbitrary rate: round trip.
    let Some((rate, pcm)) = data.split_first_chunk::<4>() else {
        return;
    };
    let rate = u32::from_le_bytes(*rate);
    let wav = wav_from_pcm16(pcm, rate);
    let even = pcm.len() & !1;
    assert_eq!(wav.len(), WAV_HEADER_LEN + even);
    let back = decode_wav_data_url(&wav_data_url(&wav)).expect("our own data URL decodes");
    assert_eq!(back, wav);
    let (info, samples) = parse_wav(&back).expect("our own WAV parses");
    assert_eq!(info.sample_rate, rate);
    assert_eq!((info.channels, info.bits_per_sample), (1, 16));
    assert_eq!(info.samples, even / 2);
    assert_eq!(samples, &pcm[..even]);
    // Bytes per second for 16-bit mono; a header field cannot hold more than u32::MAX.
    let byte_rate = u32::from_le_bytes(wav[28..32].try_into().unwrap());
    assert_eq!(
        u64::from(byte_rate),
        (u64::from(rate) * 2).min(u64::from(u32::MAX))
    );
    // A second of PCM is `rate` samples.
    let second = usize::try_from(rate)
        .unwrap_or(usize::MAX)
        .saturating_mul(2);
    assert_eq!(
        pcm16_duration_ms(second, rate),
        if rate == 0 { 0 } else { 1000 }
    );
});
