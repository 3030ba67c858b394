//! `POST /api/chat/stream`: sends one turn and feeds the reply to the caller as it streams.
//!
//! JSON goes through the browser's own `JSON.parse`/`JSON.stringify` (no serde_json in the
//! bundle); the SSE framing is [`super::sse`], which is pure and tested natively.

use js_sys::{JSON, Object, Reflect, Uint8Array};
use protocol::Usage;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortSignal, ReadableStreamDefaultReader, Request, RequestInit, Response, TextDecodeOptions,
    TextDecoder,
};

use super::sse;
use crate::browser::js;

/// One turn, as sent.
pub struct Turn<'a> {
    pub client_id: &'a str,
    pub message: &'a str,
    /// `data:image/…;base64,…` URLs, sent as `images` when there are any.
    pub images: &'a [String],
    pub previous_response_id: Option<&'a str>,
    /// One of the client's voices, chosen on the page; the client's default when `None`.
    pub voice: Option<&'a str>,
    /// Sent as `X-Widget-Session` when the site requires sessions.
    pub session_token: Option<&'a str>,
    /// Ask for speech in pieces (only proxies that offer it accept the field).
    pub audio_pieces: bool,
    /// The interface language, for the server's speech; only sent to proxies that chose it
    /// (`ClientInfo.language`), as older ones refuse the field.
    pub language: Option<&'a str>,
}

/// The reply completed.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    pub response_id: String,
    pub usage: Usage,
}

/// Why a turn did not complete.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The visitor pressed Stop (or started a new conversation).
    Aborted,
    /// No answer at all: offline, DNS, CORS, connection refused.
    Network,
    /// The proxy refused before streaming (`{"error":{...}}` with a non-2xx status).
    Refused {
        status: u16,
        code: String,
        message: Option<String>,
        retry_after_secs: Option<u64>,
    },
    /// The stream failed after it started (an `error` event, or the body ended early).
    Broken {
        code: String,
        message: Option<String>,
    },
}

/// The request body, as `protocol::ChatRequest` serialises it.
pub fn request_body(turn: &Turn<'_>) -> String {
    let obj = Object::new();
    let set = |k: &str, v: &str| {
        let _ = Reflect::set(&obj, &k.into(), &v.into());
    };
    set("client_id", turn.client_id);
    set("message", turn.message);
    if let Some(id) = turn.previous_response_id {
        set("previous_response_id", id);
    }
    if let Some(voice) = turn.voice {
        set("voice", voice);
    }
    if let Some(lang) = turn.language {
        set("language", lang);
    }
    if !turn.images.is_empty() {
        let list: js_sys::Array = turn
            .images
            .iter()
            .map(|u| JsValue::from(u.as_str()))
            .collect();
        let _ = Reflect::set(&obj, &"images".into(), &list);
    }
    if turn.audio_pieces {
        let _ = Reflect::set(&obj, &"audio_pieces".into(), &true.into());
    }
    JSON::stringify(&obj)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// A `protocol::StreamEvent`, read from its JSON with `JSON.parse`.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Delta(String),
    Done(Done),
    Error {
        code: String,
        message: String,
    },
    /// Speech for sentence `index`: a `data:audio/wav` URL, the whole clip or a piece of it.
    Audio {
        index: u32,
        text: String,
        audio_url: String,
        /// The sentence's audio is complete with this one (always, for a whole clip).
        last: bool,
    },
    /// Speech for sentence `index` failed: the browser voice says `text`.
    AudioError {
        index: u32,
        text: String,
        code: String,
    },
    /// Anything newer.
    Other,
}

pub fn parse_event(data: &str) -> Option<Event> {
    let v = JSON::parse(data).ok()?;
    Some(match js::string(&v, "type")?.as_str() {
        "delta" => Event::Delta(js::string(&v, "text")?),
        "done" => {
            let u = js::value(&v, "usage");
            let cost = js::value(&u, "cost_usd").as_f64();
            Event::Done(Done {
                response_id: js::string(&v, "response_id")?,
                usage: Usage {
                    input_tokens: js::count(&u, "input_tokens"),
                    output_tokens: js::count(&u, "output_tokens"),
                    total_tokens: js::count(&u, "total_tokens"),
                    reasoning_tokens: js::count(&u, "reasoning_tokens"),
                    cost_usd: cost,
                },
            })
        }
        "audio" => Event::Audio {
            index: js::count(&v, "index") as u32,
            text: js::string(&v, "text").unwrap_or_default(),
            audio_url: js::string(&v, "audio_url")?,
            // Proxies from before pieces send whole clips without the field.
            last: js::boolean(&v, "last").unwrap_or(true),
        },
        "audio_error" => Event::AudioError {
            index: js::count(&v, "index") as u32,
            text: js::string(&v, "text").unwrap_or_default(),
            code: js::string(&v, "code").unwrap_or_default(),
        },
        "error" => Event::Error {
            code: js::string(&v, "code").unwrap_or_default(),
            message: js::string(&v, "message").unwrap_or_default(),
        },
        _ => Event::Other,
    })
}

fn aborted(signal: &AbortSignal) -> Failure {
    if signal.aborted() {
        Failure::Aborted
    } else {
        Failure::Network
    }
}

/// Streams one turn; `on_event` gets each `Delta`, `Audio` and `AudioError` as it arrives.
pub async fn stream(
    proxy_url: &str,
    turn: &Turn<'_>,
    signal: &AbortSignal,
    mut on_event: impl FnMut(Event),
) -> Result<Done, Failure> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&request_body(turn).into());
    let headers = Object::new();
    let _ = Reflect::set(&headers, &"content-type".into(), &"application/json".into());
    let _ = Reflect::set(&headers, &"accept".into(), &"text/event-stream".into());
    if let Some(token) = turn.session_token {
        let _ = Reflect::set(&headers, &"x-widget-session".into(), &token.into());
    }
    init.set_headers(&headers);
    init.set_signal(Some(signal));
    let url = format!("{proxy_url}/api/chat/stream");
    let request = Request::new_with_str_and_init(&url, &init).map_err(|_| Failure::Network)?;
    let window = web_sys::window().ok_or(Failure::Network)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| aborted(signal))?
        .unchecked_into();

    if !response.ok() {
        let status = response.status();
        let header_retry = response
            .headers()
            .get("retry-after")
            .ok()
            .flatten()
            .and_then(|s| s.trim().parse().ok());
        let body = match response.json() {
            Ok(p) => JsFuture::from(p).await.unwrap_or(JsValue::UNDEFINED),
            Err(_) => JsValue::UNDEFINED,
        };
        let err = js::value(&body, "error");
        let retry = js::value(&err, "retry_after_secs")
            .as_f64()
            .map(|n| n as u64);
        return Err(Failure::Refused {
            status,
            code: js::string(&err, "code").unwrap_or_default(),
            message: js::string(&err, "message"),
            retry_after_secs: retry.or(header_retry),
        });
    }

    let broken = |code: &str| Failure::Broken {
        code: code.into(),
        message: None,
    };
    let body = response.body().ok_or_else(|| broken("empty_body"))?;
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let decoder = TextDecoder::new().map_err(|_| broken("no_text_decoder"))?;
    let opts = TextDecodeOptions::new();
    opts.set_stream(true);
    let mut parser = sse::Parser::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|_| aborted(signal))?;
        if js::value(&chunk, "done").is_truthy() {
            // The body ended without `done` or `error`: the connection was cut.
            return Err(broken("interrupted"));
        }
        let bytes: Uint8Array = js::value(&chunk, "value").unchecked_into();
        let text = decoder
            .decode_with_js_u8_array_and_options(&bytes, &opts)
            .unwrap_or_default();
        for frame in parser.push(&text) {
            match parse_event(&frame.data) {
                Some(ev @ (Event::Delta(_) | Event::Audio { .. } | Event::AudioError { .. })) => {
                    on_event(ev);
                }
                Some(Event::Done(done)) => {
                    let _ = reader.cancel();
                    return Ok(done);
                }
                Some(Event::Error { code, message }) => {
                    let _ = reader.cancel();
                    return Err(Failure::Broken {
                        code,
                        message: Some(message).filter(|m| !m.is_empty()),
                    });
                }
                Some(Event::Other) | None => {}
            }
        }
    }
}
