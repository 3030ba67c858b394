//! Browser tests of the widget's logic that needs JavaScript: JSON through the browser's
//! `JSON`, `localStorage`, and the DOM the markdown renderer builds. The pure parts (SSE framing,
//! markdown parsing, error wording) are unit tests that run natively.
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test -p widget-wasm --target wasm32-unknown-unknown --test web`

use wasm_bindgen_test::*;
use widget_wasm::api::chat::{Event, Turn, parse_event, request_body};
use widget_wasm::state::persist::{self, Conversation, Saved};
use widget_wasm::state::{Role, Status};

wasm_bindgen_test_configure!(run_in_browser);

fn get(v: &wasm_bindgen::JsValue, k: &str) -> wasm_bindgen::JsValue {
    js_sys::Reflect::get(v, &k.into()).unwrap()
}

#[wasm_bindgen_test]
fn the_request_body_has_exactly_the_protocol_fields() {
    let body = request_body(&Turn {
        client_id: "demo",
        message: "He said \"hi\"\n</script>",
        images: &[],
        previous_response_id: None,
        voice: None,
        session_token: Some("not-in-the-body"),
        audio_pieces: false,
        language: None,
    });
    let v = js_sys::JSON::parse(&body).unwrap();
    let keys: Vec<String> = js_sys::Object::keys(&v.clone().into())
        .iter()
        .map(|k| k.as_string().unwrap())
        .collect();
    assert_eq!(keys, ["client_id", "message"]);
    assert_eq!(
        get(&v, "message").as_string().unwrap(),
        "He said \"hi\"\n</script>"
    );
    let body = request_body(&Turn {
        client_id: "demo",
        message: "x",
        images: &["data:image/png;base64,iVBORw0KGgo=".to_owned()],
        previous_response_id: Some("resp_1"),
        voice: Some("leo"),
        session_token: None,
        audio_pieces: true,
        language: Some("pt-BR"),
    });
    // What the proxy's ChatRequest reads back, images included.
    let req: protocol::ChatRequest = serde_json::from_str(&body).unwrap();
    assert_eq!(req.images, ["data:image/png;base64,iVBORw0KGgo="]);
    assert!(
        body.contains(r#""previous_response_id":"resp_1""#),
        "{body}"
    );
    assert!(body.contains(r#""voice":"leo""#), "{body}");
    assert!(body.contains(r#""audio_pieces":true"#), "{body}");
    let sent: protocol::ChatRequest = serde_json::from_str(&body).unwrap();
    assert!(sent.audio_pieces, "the proxy reads it");
    assert_eq!(sent.language.as_deref(), Some("pt-BR"));
}

#[wasm_bindgen_test]
fn stream_events_are_read_from_their_json() {
    assert_eq!(
        parse_event(r#"{"type":"delta","text":"Hel"}"#),
        Some(Event::Delta("Hel".into()))
    );
    let Some(Event::Done(done)) = parse_event(
        r#"{"type":"done","response_id":"r1","usage":{"input_tokens":3,"output_tokens":5,"total_tokens":8,"cost_usd":0.001}}"#,
    ) else {
        panic!("not done");
    };
    assert_eq!(done.response_id, "r1");
    assert_eq!(done.usage.total_tokens, 8);
    assert_eq!(done.usage.reasoning_tokens, 0);
    assert_eq!(done.usage.cost_usd, Some(0.001));
    assert_eq!(
        parse_event(r#"{"type":"error","code":"upstream_timeout","message":"Too slow."}"#),
        Some(Event::Error {
            code: "upstream_timeout".into(),
            message: "Too slow.".into()
        })
    );
    // Anything newer is not an error (voice events: `audio_events_are_read_from_their_json`).
    assert_eq!(
        parse_event(r#"{"type":"future_thing"}"#),
        Some(Event::Other)
    );
    // Garbage is skipped, never a crash.
    assert_eq!(parse_event("{not json"), None);
    assert_eq!(parse_event(r#"{"type":"delta"}"#), None);
    assert_eq!(parse_event("null"), None);
}

fn sample() -> Conversation {
    Conversation {
        previous_response_id: Some("resp_9".into()),
        messages: vec![
            Saved {
                id: None,
                role: Role::User,
                text: "Hi \"there\" ✓".into(),
                status: Status::Done,
                images: Vec::new(),
            },
            Saved {
                id: None,
                role: Role::Assistant,
                text: "Half a rep".into(),
                status: Status::Stopped,
                images: Vec::new(),
            },
        ],
        draft: "unsent".into(),
    }
}

#[wasm_bindgen_test]
fn a_conversation_survives_the_round_trip() {
    let json = persist::to_json(&sample());
    assert!(json.starts_with(r#"{"v":1,"#), "{json}");
    assert_eq!(persist::from_json(&json), Some(sample()));
}

#[wasm_bindgen_test]
fn corrupt_or_foreign_data_is_tolerated() {
    for bad in [
        "",
        "{",
        "null",
        "[]",
        r#"{"v":2,"messages":[]}"#,
        r#"{"v":1,"messages":{}}"#,
    ] {
        assert_eq!(persist::from_json(bad), None, "{bad}");
    }
    let partial = persist::from_json(
        r#"{"v":1,"previous_response_id":5,"messages":[1,null,{"role":"system","text":"x"},{"role":"assistant"},{"role":"assistant","text":"ok","status":"weird"}]}"#,
    )
    .unwrap();
    assert_eq!(partial.previous_response_id, None);
    assert_eq!(
        partial.messages,
        vec![Saved {
            id: None,
            role: Role::Assistant,
            text: "ok".into(),
            status: Status::Done,
            images: Vec::new(),
        }]
    );
}

#[wasm_bindgen_test]
fn storage_keeps_small_thumbnails_of_the_newest_images_and_never_a_full_image() {
    let thumb = format!("data:image/jpeg;base64,{}", "A".repeat(4000));
    let full = format!("data:image/jpeg;base64,{}", "A".repeat(400_000));
    let mut c = sample();
    c.messages = (0..persist::KEEP_THUMBS + 2)
        .map(|i| Saved {
            id: Some(i as u64),
            role: Role::User,
            text: i.to_string(),
            status: Status::Done,
            images: vec![if i == persist::KEEP_THUMBS + 1 {
                full.clone()
            } else {
                thumb.clone()
            }],
        })
        .collect();
    let json = persist::to_json(&c);
    assert!(json.len() < 60_000, "{} bytes stored", json.len());
    let back = persist::from_json(&json).unwrap();
    // Only the newest KEEP_THUMBS messages with images keep thumbnails, and one too large
    // for a thumbnail (the newest here) keeps a placeholder.
    let kept: Vec<bool> = back
        .messages
        .iter()
        .map(|m| !m.images[0].is_empty())
        .collect();
    let mut want = vec![true; persist::KEEP_THUMBS + 2];
    want[0] = false;
    want[1] = false;
    want[persist::KEEP_THUMBS + 1] = false;
    assert_eq!(kept, want);
    assert_eq!(back.messages[2].images[0], thumb);
}

#[wasm_bindgen_test]
fn only_the_newest_messages_are_kept() {
    let mut c = sample();
    c.messages = (0..persist::MAX_MESSAGES + 5)
        .map(|i| Saved {
            id: None,
            role: Role::User,
            text: i.to_string(),
            status: Status::Done,
            images: Vec::new(),
        })
        .collect();
    let back = persist::from_json(&persist::to_json(&c)).unwrap();
    assert_eq!(back.messages.len(), persist::MAX_MESSAGES);
    assert_eq!(back.messages[0].text, "5");
}

#[wasm_bindgen_test]
fn local_storage_is_per_client_and_cleared_when_empty() {
    persist::save("t-a", &sample());
    assert_eq!(persist::load("t-a"), sample());
    assert_eq!(persist::load("t-b"), Conversation::default());
    persist::save("t-a", &Conversation::default());
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    assert_eq!(storage.get_item(&persist::key("t-a")).unwrap(), None);
    storage.set_item(&persist::key("t-c"), "{garbage").unwrap();
    assert_eq!(persist::load("t-c"), Conversation::default());
    assert_eq!(
        storage.get_item(&persist::key("t-c")).unwrap(),
        None,
        "corrupt data is removed"
    );
}

#[wasm_bindgen_test]
fn markdown_becomes_elements_and_markup_stays_text() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let target = doc.create_element("div").unwrap();
    let blocks = widget_wasm::markdown::parse(
        "<img src=x onerror=alert(1)> **b** [ok](https://a.example) [no](javascript:alert(1))\n\n```\n<b>x</b>\n```",
    );
    widget_wasm::components::markdown::render_into(&target, &blocks);
    assert!(target.query_selector("img, b, script").unwrap().is_none());
    assert_eq!(
        target.inner_html(),
        "<p>&lt;img src=x onerror=alert(1)&gt; <strong>b</strong> \
         <a href=\"https://a.example\" rel=\"noopener noreferrer\" target=\"_blank\">ok</a> no</p>\
         <div class=\"gw-code\"><div class=\"gw-code-head\"><span></span>\
         <button type=\"button\" class=\"gw-copy\">Copy code</button></div>\
         <pre tabindex=\"0\"><code>&lt;b&gt;x&lt;/b&gt;</code></pre></div>"
    );
}

/// Replies as models write them (also in the native streaming test and the differential test).
const CORPUS: &[&str] = &[
    include_str!("markdown-corpus/comparison.md"),
    include_str!("markdown-corpus/howto.md"),
    include_str!("markdown-corpus/code.md"),
    include_str!("markdown-corpus/tasks.md"),
    include_str!("markdown-corpus/quotes.md"),
    include_str!("markdown-corpus/mixed.md"),
    include_str!("markdown-corpus/wide.md"),
];

/// The DOM a reply gets, and the HTML the same reply renders to for the differential test
/// (`widget_wasm::markdown::render::to_html`), parsed by the browser: the same tree.
fn fresh(text: &str) -> String {
    let doc = web_sys::window().unwrap().document().unwrap();
    let el = doc.create_element("div").unwrap();
    el.set_inner_html(&widget_wasm::markdown::render::to_html(
        &widget_wasm::markdown::parse(text),
    ));
    el.inner_html()
}

#[wasm_bindgen_test]
fn the_dom_is_the_tree_the_differential_test_checks() {
    let doc = web_sys::window().unwrap().document().unwrap();
    for text in CORPUS {
        let el = doc.create_element("div").unwrap();
        widget_wasm::components::markdown::render_into(&el, &widget_wasm::markdown::parse(text));
        assert_eq!(el.inner_html(), fresh(text));
    }
}

/// The streaming property, on the real DOM: a reply shown as it was at any cut point, then
/// complete, ends exactly as the whole reply rendered at once; so does one streamed a
/// character at a time (only the blocks that changed are rebuilt on each step).
#[wasm_bindgen_test]
fn a_reply_cut_anywhere_ends_as_the_whole_reply_rendered_at_once() {
    use widget_wasm::components::markdown::Shown;
    use widget_wasm::markdown::{parse, parse_streaming};
    let doc = web_sys::window().unwrap().document().unwrap();
    for text in CORPUS {
        let want = fresh(text);
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        for &cut in &cuts {
            let el = doc.create_element("div").unwrap();
            let mut shown = Shown::default();
            shown.update(&el, parse_streaming(&text[..cut]));
            shown.update(&el, parse(text));
            assert_eq!(el.inner_html(), want, "cut after {:?}", &text[..cut]);
        }
        let el = doc.create_element("div").unwrap();
        let mut shown = Shown::default();
        for &cut in &cuts {
            shown.update(&el, parse_streaming(&text[..cut]));
        }
        shown.update(&el, parse(text));
        assert_eq!(el.inner_html(), want, "streamed a character at a time");
    }
}

#[wasm_bindgen_test]
fn audio_events_are_read_from_their_json() {
    assert_eq!(
        parse_event(
            r#"{"type":"audio","index":2,"text":"Hi there.","audio_url":"data:audio/wav;base64,UklG"}"#
        ),
        Some(Event::Audio {
            index: 2,
            text: "Hi there.".into(),
            audio_url: "data:audio/wav;base64,UklG".into(),
            last: true,
        })
    );
    assert_eq!(
        parse_event(
            r#"{"type":"audio","index":2,"text":"Hi.","audio_url":"data:audio/wav;base64,UklG","piece":0,"last":false}"#
        ),
        Some(Event::Audio {
            index: 2,
            text: "Hi.".into(),
            audio_url: "data:audio/wav;base64,UklG".into(),
            last: false,
        }),
        "a first piece of more"
    );
    assert_eq!(
        parse_event(r#"{"type":"audio_error","index":0,"text":"Hello.","code":"tts_failed"}"#),
        Some(Event::AudioError {
            index: 0,
            text: "Hello.".into(),
            code: "tts_failed".into()
        })
    );
}

mod speech_queue {
    use super::*;
    use widget_wasm::speech::{PlayFailure, Queue, Sentence, Source, classify_play_error};

    fn clip(index: u32) -> Sentence {
        Sentence::server(
            index,
            format!("Sentence {index}."),
            format!("data:audio/wav;base64,{index}"),
            true,
        )
    }

    /// Plays the queue to the end, failing the clips in `broken` the way the player reports
    /// them (`play()` rejected); returns (index, path) in the order they were spoken.
    fn drain(q: &mut Queue, broken: &[u32]) -> Vec<(u32, &'static str)> {
        let mut spoken = Vec::new();
        while let Some(s) = q.start_next() {
            let mut s = s;
            if matches!(s.source, Source::Server(_)) && broken.contains(&s.index) {
                let PlayFailure::Failed(why) = classify_play_error("NotSupportedError") else {
                    panic!("a broken clip is a failure");
                };
                s = q.fall_back(s.index, &why).unwrap();
            }
            spoken.push((
                s.index,
                if matches!(s.source, Source::Server(_)) {
                    "server"
                } else {
                    "browser"
                },
            ));
            assert!(q.finish(s.index));
        }
        spoken
    }

    #[wasm_bindgen_test]
    fn clips_arriving_out_of_order_play_in_index_order() {
        let mut q = Queue::new();
        for i in [2, 0, 4, 1, 3] {
            q.push(clip(i));
        }
        assert_eq!(
            drain(&mut q, &[]),
            [
                (0, "server"),
                (1, "server"),
                (2, "server"),
                (3, "server"),
                (4, "server")
            ]
        );
    }

    #[wasm_bindgen_test]
    fn exactly_the_broken_sentence_goes_to_the_browser_voice_in_its_place() {
        let mut q = Queue::new();
        for i in 0..3 {
            q.push(clip(i));
        }
        q.push(Sentence::browser(3, "Three.".into(), "tts_failed"));
        assert_eq!(
            drain(&mut q, &[1]),
            [(0, "server"), (1, "browser"), (2, "server"), (3, "browser")]
        );
    }

    #[wasm_bindgen_test]
    fn autoplay_refusal_waits_for_a_tap_instead_of_falling_back() {
        assert_eq!(classify_play_error("NotAllowedError"), PlayFailure::Blocked);
        let mut q = Queue::new();
        q.push(clip(0));
        let s = q.start_next().unwrap();
        // Blocked: the sentence stays current until the tap plays it.
        assert_eq!(q.current(), Some(&s));
        assert!(q.is_active());
    }
}

/// The proxy writes events with serde; the widget reads them by hand (no serde in the bundle).
/// Every variant, serialised as the proxy does, must read back as the same event.
#[wasm_bindgen_test]
fn every_protocol_stream_event_reads_back_the_same_in_the_widget() {
    use protocol::{StreamEvent, Usage};
    use widget_wasm::api::chat::Done;
    let usage = Usage {
        input_tokens: 12,
        output_tokens: 34,
        total_tokens: 46,
        reasoning_tokens: 5,
        cost_usd: Some(0.00125),
    };
    let cases = [
        (
            StreamEvent::Delta {
                text: "Hé \"quoted\"\n".into(),
            },
            Event::Delta("Hé \"quoted\"\n".into()),
        ),
        (
            StreamEvent::Audio {
                index: 3,
                text: "One.".into(),
                audio_url: "data:audio/wav;base64,UklGRg==".into(),
                piece: 0,
                last: true,
            },
            Event::Audio {
                index: 3,
                text: "One.".into(),
                audio_url: "data:audio/wav;base64,UklGRg==".into(),
                last: true,
            },
        ),
        (
            StreamEvent::Audio {
                index: 3,
                text: "One.".into(),
                audio_url: "data:audio/wav;base64,UklGRg==".into(),
                piece: 2,
                last: false,
            },
            Event::Audio {
                index: 3,
                text: "One.".into(),
                audio_url: "data:audio/wav;base64,UklGRg==".into(),
                last: false,
            },
        ),
        (
            StreamEvent::AudioError {
                index: 1,
                text: "Two.".into(),
                code: "tts_failed".into(),
            },
            Event::AudioError {
                index: 1,
                text: "Two.".into(),
                code: "tts_failed".into(),
            },
        ),
        (
            StreamEvent::Done {
                response_id: "resp-1".into(),
                usage: usage.clone(),
            },
            Event::Done(Done {
                response_id: "resp-1".into(),
                usage: usage.clone(),
            }),
        ),
        (
            StreamEvent::Error {
                code: "upstream_error".into(),
                message: "try again".into(),
            },
            Event::Error {
                code: "upstream_error".into(),
                message: "try again".into(),
            },
        ),
    ];
    for (sent, read) in cases {
        let json = serde_json::to_string(&sent).unwrap();
        assert_eq!(parse_event(&json), Some(read), "{json}");
    }
}

/// The same for `GET /api/clients/{id}`.
#[wasm_bindgen_test]
fn the_protocol_client_info_reads_back_the_same_in_the_widget() {
    use widget_wasm::api::ClientInfo;
    let sent = protocol::ClientInfo {
        client_id: "shop".into(),
        title: "Ask us".into(),
        greeting: "Hello".into(),
        accent_color: "#0af".into(),
        voice_enabled: true,
        server_voice: false,
        voices: vec!["eve".into(), "leo".into()],
        default_voice: "eve".into(),
        stt_language: "fr-FR".into(),
        demo_mode: true,
        images: true,
        max_images: 3,
        max_image_bytes: 1_000_000,
        session_token: Some("v1.abc".into()),
        audio_pieces: true,
        language: "fr".into(),
        strings: vec!["Ouvrir le chat".into()],
    };
    let json = serde_json::to_string(&sent).unwrap();
    let read = ClientInfo::from_js(&js_sys::JSON::parse(&json).unwrap());
    assert_eq!(
        read,
        ClientInfo {
            title: Some("Ask us".into()),
            greeting: Some("Hello".into()),
            accent_color: Some("#0af".into()),
            voice_enabled: true,
            server_voice: false,
            voices: vec!["eve".into(), "leo".into()],
            stt_language: Some("fr-FR".into()),
            demo_mode: true,
            images: true,
            max_images: 3,
            max_image_bytes: 1_000_000,
            session_token: Some("v1.abc".into()),
            audio_pieces: true,
            language: Some("fr".into()),
            strings: vec!["Ouvrir le chat".into()],
        }
    );
}
