//! Speech in pieces (`audio_pieces`): every piece a complete WAV, a sentence's pieces adding up
//! to the audio the fake sent, strict order across concurrent sentences, the first unit ending
//! early, the first sentence's words sent ahead, and a sentence cut off mid-audio.

use fake_xai::{Delays, FaultKind, tone_samples};
use proxy::speech::audio::{decode_wav_data_url, parse_wav};
use serde_json::{Value, json};

use crate::helpers::{self, Options, ask, spawn_app_with};

fn ask_pieces(message: &str) -> Value {
    json!({ "client_id": "demo", "message": format!("[[reply: {message}]]"), "audio_pieces": true })
}

async fn events(resp: reqwest::Response) -> Vec<(String, Value)> {
    assert_eq!(resp.status(), 200);
    helpers::sse_events(resp).await
}

/// Samples of a piece, checking it is a whole PCM16 mono WAV at 24 kHz.
fn samples(url: &str) -> usize {
    let wav = decode_wav_data_url(url).expect("a WAV data URL");
    let (info, data) = parse_wav(&wav).expect("a complete PCM WAV");
    assert_eq!(
        (info.channels, info.bits_per_sample, info.sample_rate),
        (1, 16, 24_000)
    );
    assert_eq!(
        data.len(),
        wav.len() - 44,
        "the header's size is the data's"
    );
    info.samples
}

/// One sentence's speech as the stream carried it.
#[derive(Debug, Default)]
struct Said {
    text: String,
    /// `(piece, last, samples)` in arrival order.
    pieces: Vec<(u64, bool, usize)>,
    error: Option<Value>,
}

/// The `audio` / `audio_error` events by sentence index, checking the order on the way: all of
/// a sentence's pieces (and its error, if any) come before the next sentence's.
fn by_sentence(events: &[(String, Value)]) -> Vec<Said> {
    let mut out: Vec<Said> = Vec::new();
    for (name, data) in events {
        if name != "audio" && name != "audio_error" {
            continue;
        }
        let index = data["index"].as_u64().unwrap() as usize;
        if index == out.len() {
            out.push(Said::default());
        }
        assert_eq!(
            index + 1,
            out.len(),
            "sentence {index} out of order: {name} {data}"
        );
        let said = &mut out[index];
        assert!(
            said.error.is_none() && said.pieces.last().is_none_or(|p| !p.1),
            "nothing after a sentence's last piece or error: {data}"
        );
        if name == "audio_error" {
            said.error = Some(data.clone());
            continue;
        }
        said.text = data["text"].as_str().unwrap().to_owned();
        let piece = data["piece"].as_u64().unwrap();
        assert_eq!(
            piece as usize,
            said.pieces.len(),
            "pieces numbered in order"
        );
        let n = samples(data["audio_url"].as_str().unwrap());
        assert!(n > 0, "no empty piece");
        said.pieces
            .push((piece, data["last"].as_bool().unwrap(), n));
    }
    out
}

const REPLY: &str = "Thanks for asking about our opening hours. We are open from nine in the \
morning until six in the evening. On Saturdays we close a little earlier, at four o'clock.";

#[tokio::test]
async fn every_backend_sends_pieces_that_add_up_to_the_audio_the_fake_sent() {
    for backend in ["tts", "tts_stream", "realtime"] {
        let app = spawn_app_with(Options::voice("", &format!("tts_backend = \"{backend}\""))).await;
        app.fake.set_delays(Delays {
            per_delta_ms: 5,
            tts_per_chunk_ms: 2,
            ..Default::default()
        });
        let events = events(app.chat_stream(ask_pieces(REPLY)).await).await;
        let said = by_sentence(&events);
        assert_eq!(said.len(), 4, "{backend}: {said:?}");
        for s in &said {
            assert!(s.error.is_none(), "{backend}: {s:?}");
            assert!(
                s.pieces.last().unwrap().1,
                "{backend}: ends with its last piece"
            );
            let total: usize = s.pieces.iter().map(|p| p.2).sum();
            assert_eq!(
                total,
                tone_samples(&s.text, 24_000),
                "{backend}: {:?}",
                s.text
            );
        }
        assert!(
            said.iter().any(|s| s.pieces.len() >= 4),
            "{backend}: long sentences come in several pieces: {said:?}"
        );
        assert_eq!(events.last().unwrap().0, "done");
    }
}

#[tokio::test]
async fn the_first_piece_is_short_and_later_ones_are_half_a_second_or_more() {
    let app = spawn_app_with(Options::voice("", "tts_backend = \"tts_stream\"")).await;
    app.fake.set_delays(Delays {
        tts_per_chunk_ms: 3,
        ..Default::default()
    });
    let said = by_sentence(&events(app.chat_stream(ask_pieces(REPLY)).await).await);
    let long = &said[2].pieces;
    assert!(long.len() >= 4, "{long:?}");
    assert!(
        long[0].2 <= 24_000 / 4,
        "first piece at most 250 ms: {long:?}"
    );
    for p in &long[1..long.len() - 1] {
        assert!((12_000..=24_000).contains(&p.2), "0.5-1 s: {long:?}");
    }
}

#[tokio::test]
async fn pieces_of_concurrent_sentences_never_interleave() {
    // A long sentence first, synthesised slowly; the short ones after it finish sooner.
    let app = spawn_app_with(Options::voice(
        "concurrency = 3",
        "tts_backend = \"tts_stream\"",
    ))
    .await;
    app.fake.set_delays(Delays {
        tts_per_chunk_ms: 15,
        ..Default::default()
    });
    let reply = "Extraordinarily comprehensive explanations, unfortunately, take a long while. \
        Short one here. Another short one.";
    let events = events(app.chat_stream(ask_pieces(reply)).await).await;
    let said = by_sentence(&events);
    assert!(said.len() >= 3, "{said:?}");
    assert!(said.iter().all(|s| s.error.is_none()), "{said:?}");
    // The three sockets were open together: the later sentences were synthesised while the
    // first was still speaking, yet their pieces came after all of its.
    assert!(app.fake.ws_messages().len() >= 3);
}

#[tokio::test]
async fn the_first_unit_ends_after_a_few_words_and_its_words_go_ahead() {
    let app = spawn_app_with(Options::voice("", "tts_backend = \"tts_stream\"")).await;
    app.fake.set_delays(Delays::text(0, 20));
    let said = by_sentence(&events(app.chat_stream(ask_pieces(REPLY)).await).await);
    assert_eq!(said[0].text, "Thanks for asking about our");
    assert_eq!(said[1].text, "opening hours.");
    assert_eq!(
        said[2].text,
        "We are open from nine in the morning until six in the evening."
    );
    // The first socket got the first unit's words as they were written, then text.done.
    let first = &app.fake.ws_messages()[0].messages;
    let deltas: Vec<&str> = first
        .iter()
        .filter(|m| m["type"] == "text.delta")
        .map(|m| m["delta"].as_str().unwrap())
        .collect();
    assert!(deltas.len() >= 4, "word by word: {deltas:?}");
    assert_eq!(deltas.concat(), "Thanks for asking about our");
    assert_eq!(first.last().unwrap()["type"], "text.done");
}

#[tokio::test]
async fn a_voice_that_waits_for_text_done_still_gets_every_word() {
    let app = spawn_app_with(Options::voice("", "tts_backend = \"tts_stream\"")).await;
    app.fake.set_tts_stream_incremental(false);
    app.fake.set_delays(Delays {
        per_delta_ms: 10,
        tts_per_chunk_ms: 2,
        ..Default::default()
    });
    let said = by_sentence(&events(app.chat_stream(ask_pieces(REPLY)).await).await);
    for s in &said {
        let total: usize = s.pieces.iter().map(|p| p.2).sum();
        assert_eq!(total, tone_samples(&s.text, 24_000), "{:?}", s.text);
    }
}

#[tokio::test]
async fn a_sentence_cut_off_mid_audio_gets_an_audio_error_for_the_rest_only() {
    for backend in ["tts_stream", "tts", "realtime"] {
        let app = spawn_app_with(Options::voice("", &format!("tts_backend = \"{backend}\""))).await;
        let path = if backend == "realtime" {
            "/v1/realtime"
        } else {
            "/v1/tts"
        };
        // The first unit (five long words) makes about 4 s of audio; the socket drops after 3 s.
        app.inject(path, 1, FaultKind::WsDropMidAudio { after_deltas: 30 });
        app.fake.set_delays(Delays {
            tts_per_chunk_ms: 2,
            ..Default::default()
        });
        let reply = "Unbelievably extraordinary circumstances notwithstanding everybody \
            arrived on time. The second sentence is spoken as usual.";
        let events = events(app.chat_stream(ask_pieces(reply)).await).await;
        let said = by_sentence(&events);
        let first = &said[0];
        let sent: usize = first.pieces.iter().map(|p| p.2).sum();
        assert_eq!(
            sent,
            30 * 2400,
            "{backend}: all the audio that came was passed on"
        );
        assert!(
            first.pieces.iter().all(|p| !p.1),
            "{backend}: no last piece"
        );
        let error = first.error.as_ref().expect("an audio_error");
        let rest = error["text"].as_str().unwrap();
        assert_eq!(error["code"], "tts_failed");
        assert!(
            !rest.is_empty() && rest.len() < first.text.len() && first.text.ends_with(rest),
            "{backend}: the rest only: {rest:?} of {:?}",
            first.text
        );
        assert!(said[1].error.is_none() && said[1].pieces.last().unwrap().1);
        assert_eq!(events.last().unwrap().0, "done");
    }
}

#[tokio::test]
async fn widgets_that_do_not_ask_for_pieces_get_one_clip_per_sentence() {
    let app = spawn_app_with(Options::voice("", "tts_backend = \"tts_stream\"")).await;
    let events = events(app.chat_stream(ask(&format!("[[reply: {REPLY}]]"))).await).await;
    let said = by_sentence(&events);
    assert_eq!(said.len(), 4);
    for s in &said {
        assert_eq!(s.pieces.len(), 1, "{s:?}");
        assert_eq!(s.pieces[0].2, tone_samples(&s.text, 24_000));
    }
    let info = helpers::body_json(
        app.get("/api/clients/demo", &[("Origin", helpers::ORIGIN)])
            .await,
    )
    .await;
    assert_eq!(info["audio_pieces"], true, "the proxy offers pieces");
}

#[tokio::test]
async fn a_reply_with_nothing_to_say_leaves_the_early_socket_unused() {
    for backend in ["tts_stream", "realtime"] {
        let app = spawn_app_with(Options::voice("", &format!("tts_backend = \"{backend}\""))).await;
        let events = events(app.chat_stream(ask_pieces("```\nlet x = 1;\n```")).await).await;
        assert!(by_sentence(&events).is_empty(), "{backend}: {events:?}");
        assert_eq!(events.last().unwrap().0, "done");
        for ws in app.fake.ws_messages() {
            assert!(
                !ws.messages.iter().any(|m| m["type"] == "text.delta"
                    || m["type"] == "text.done"
                    || m["type"] == "conversation.item.create"),
                "{backend}: nothing was said: {:?}",
                ws.messages
            );
        }
    }
}
