//! Images in the conversation, for every provider: an image reaches the fake intact (it answers
//! with what it decoded: size, real format, mean colour); bad ones are refused before any
//! upstream call, with the status and words that fit; a model without image input refuses the
//! config; images weigh on the rate limit and the budget; no key and no image in any log.

use fake_kit::vision::{data_url, noise_png, png};
use fake_providers::{ANTHROPIC_MESSAGES, FakeConfig, FakeProviders, OPENAI_RESPONSES};
use proxy::config::{Config, EnvOverrides, RawConfig};
use serde_json::{Value, json};

use crate::helpers::{
    CANARY_KEY, Options, TestApp, assert_no_secret, captured_logs, client_block, delta_text,
    parse_sse, spawn_app_with, try_spawn_app,
};

const OPENAI_CANARY: &str = "sk-CANARY-I4m9g3e7f5a2b4c6d8e0f";
const ANTHROPIC_CANARY: &str = "sk-ant-CANARY-P1x2e3l4s5e6e7n8b9c";

/// One image client per provider and API, and one without images; small caps so the tests can
/// cross them with small files.
fn image_clients() -> String {
    const CAPS: [&str; 3] = [
        "images = true",
        "max_image_kb = 100",
        "max_image_side = 2000",
    ];
    let grok = [
        "model = \"grok-4-1-fast-non-reasoning\"",
        "voice_enabled = false",
    ];
    [
        client_block("grok", &[&grok[..], &CAPS].concat()),
        client_block(
            "grok-cc",
            &[&["api = \"chat_completions\""], &grok[..], &CAPS].concat(),
        ),
        client_block(
            "gpt",
            &[
                &["provider = \"openai\"", "model = \"gpt-4.1-mini\""],
                &CAPS[..],
            ]
            .concat(),
        ),
        client_block(
            "claude",
            &[
                &["provider = \"anthropic\"", "model = \"claude-haiku-4-5\""],
                &CAPS[..],
            ]
            .concat(),
        ),
        client_block("text", &grok),
    ]
    .concat()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Api {
    Responses,
    ChatCompletions,
    OpenAi,
    Anthropic,
}

#[derive(Clone, Copy, Debug)]
struct Case {
    api: Api,
    client: &'static str,
    path: &'static str,
}

const CASES: [Case; 4] = [
    Case {
        api: Api::Responses,
        client: "grok",
        path: "/v1/responses",
    },
    Case {
        api: Api::ChatCompletions,
        client: "grok-cc",
        path: "/v1/chat/completions",
    },
    Case {
        api: Api::OpenAi,
        client: "gpt",
        path: OPENAI_RESPONSES,
    },
    Case {
        api: Api::Anthropic,
        client: "claude",
        path: ANTHROPIC_MESSAGES,
    },
];

struct App {
    app: TestApp,
    others: FakeProviders,
}

impl App {
    /// The JSON bodies the case's fake received at its chat path.
    fn sent(&self, case: Case) -> Vec<Value> {
        let parse = |b: &str| serde_json::from_str(b).unwrap_or(Value::Null);
        match case.api {
            Api::Responses | Api::ChatCompletions => self
                .app
                .fake
                .requests()
                .into_iter()
                .filter(|r| r.path == case.path)
                .map(|r| parse(&r.body))
                .collect(),
            Api::OpenAi | Api::Anthropic => self
                .others
                .requests()
                .into_iter()
                .filter(|r| r.path == case.path)
                .map(|r| parse(&r.body))
                .collect(),
        }
    }

    fn calls(&self, case: Case) -> usize {
        match case.api {
            Api::Responses | Api::ChatCompletions => self.app.fake.count(case.path),
            Api::OpenAi | Api::Anthropic => self.others.count(case.path),
        }
    }

    async fn chat(&self, body: Value) -> (u16, Value) {
        let resp = self.app.chat(body).await;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert_no_keys("response body", &text);
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
        )
    }
}

fn assert_no_keys(what: &str, text: &str) {
    assert_no_secret(what, text, CANARY_KEY, 4);
    assert_no_secret(what, text, OPENAI_CANARY, 3);
    assert_no_secret(what, text, ANTHROPIC_CANARY, 7);
}

fn env(others: &FakeProviders) -> EnvOverrides {
    crate::helpers::provider_env(others, OPENAI_CANARY, ANTHROPIC_CANARY)
}

async fn others() -> FakeProviders {
    FakeProviders::start(FakeConfig {
        openai_api_key: OPENAI_CANARY.into(),
        anthropic_api_key: ANTHROPIC_CANARY.into(),
        ..FakeConfig::default()
    })
    .await
    .expect("fake providers start")
}

/// The image clients, with `extra` lines appended to the last (text-only) client's table
/// replaced: `extra` goes at the top level.
async fn spawn(top: &str, clients: &str) -> App {
    let others = others().await;
    let app = spawn_app_with(Options {
        toml: format!("retry_budget_secs = 5\n{top}\n{clients}"),
        env: env(&others),
        ..Options::default()
    })
    .await;
    App { app, others }
}

fn turn(client: &str, message: &str, images: Vec<String>) -> Value {
    json!({ "client_id": client, "message": message, "images": images })
}

/// The image parts of the last user message each API was sent, as (type, base64 payload).
fn sent_images(api: Api, body: &Value) -> Vec<(String, String)> {
    let content = match api {
        Api::Responses | Api::OpenAi => &body["input"][0]["content"],
        Api::ChatCompletions | Api::Anthropic => {
            let messages = body["messages"].as_array().expect("messages");
            &messages.last().expect("a message")["content"]
        }
    };
    let parts = content.as_array().expect("content parts");
    parts
        .iter()
        .filter_map(|p| {
            let url = match (api, p["type"].as_str()?) {
                (Api::Responses | Api::OpenAi, "input_image") => p["image_url"].as_str()?,
                (Api::ChatCompletions, "image_url") => p["image_url"]["url"].as_str()?,
                (Api::Anthropic, "image") => {
                    assert_eq!(p["source"]["type"], "base64");
                    let mime = p["source"]["media_type"].as_str()?.to_owned();
                    let data = p["source"]["data"].as_str()?.to_owned();
                    return Some((mime, data));
                }
                _ => return None,
            };
            let (head, data) = url.split_once(',')?;
            let mime = head.strip_prefix("data:")?.strip_suffix(";base64")?;
            Some((mime.to_owned(), data.to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn an_image_reaches_every_provider_intact_and_the_reply_describes_it() {
    let app = spawn("", &image_clients()).await;
    let file = png(40, 30, [200, 30, 60]);
    // Declared as a JPEG: the proxy forwards the real type, which Anthropic's fake checks.
    let url = data_url("image/jpeg", &file);
    let payload = url.split_once(',').unwrap().1.to_owned();
    let seen = "I see a 40x30 PNG image whose mean colour is #c81e3c.";
    for case in CASES {
        let (status, body) = app
            .chat(turn(
                case.client,
                "What is this? [[reply: A red card.]]",
                vec![url.clone()],
            ))
            .await;
        assert_eq!(status, 200, "{case:?} {body}");
        assert_eq!(body["response"], format!("{seen} A red card."), "{case:?}");
        let sent = app.sent(case);
        assert_eq!(
            sent_images(case.api, sent.last().unwrap()),
            [("image/png".to_owned(), payload.clone())],
            "{case:?}: the file arrives byte for byte, with its real type"
        );

        // Streamed, and without any text: the image alone is a message.
        let resp = app
            .app
            .chat_stream(turn(case.client, "", vec![url.clone()]))
            .await;
        assert_eq!(resp.status(), 200, "{case:?}");
        let text = resp.text().await.unwrap();
        assert_no_keys("SSE body", &text);
        let events = parse_sse(&text);
        assert_eq!(delta_text(&events), seen, "{case:?} {events:?}");
        assert_eq!(events.last().unwrap().0, "done", "{case:?}");
    }
    let logs = captured_logs();
    assert!(
        !logs.contains(&payload[20..80]),
        "no part of an image reaches the logs"
    );
    assert_no_keys("logs", &logs);
}

#[tokio::test]
async fn the_next_turn_of_a_kept_history_says_an_image_was_shown_but_holds_none() {
    let app = spawn("", &image_clients()).await;
    let url = data_url("image/png", &png(8, 8, [0, 0, 255]));
    for case in [CASES[1], CASES[3]] {
        let (status, first) = app.chat(turn(case.client, "Look", vec![url.clone()])).await;
        assert_eq!(status, 200, "{case:?} {first}");
        let (status, next) = app
            .chat(json!({
                "client_id": case.client,
                "message": "[[reply: Noted.]]",
                "previous_response_id": first["response_id"],
            }))
            .await;
        assert_eq!(status, 200, "{case:?} {next}");
        let sent = app.sent(case).pop().unwrap().to_string();
        assert!(
            sent.contains("[1 image shown here, not kept]"),
            "{case:?} {sent}"
        );
        assert!(
            !sent.contains("base64"),
            "{case:?}: the proxy kept no image: {sent}"
        );
    }
}

#[tokio::test]
async fn bad_images_are_refused_before_any_upstream_call() {
    let app = spawn("", &image_clients()).await;
    let small = data_url("image/png", &png(2, 2, [1, 2, 3]));
    let mut damaged = png(2, 2, [1, 2, 3]);
    damaged.truncate(18);
    // (images, status, code, words of the message)
    let refusals: Vec<(Vec<String>, u16, &str, &str)> = vec![
        (
            vec![data_url(
                "image/png",
                b"PK\x03\x04 a zip file, not an image",
            )],
            415,
            "unsupported_media_type",
            "is not a PNG, JPEG, WebP or GIF file",
        ),
        (
            vec![data_url(
                "image/png",
                b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            )],
            415,
            "unsupported_media_type",
            "is not a PNG, JPEG, WebP or GIF file",
        ),
        (
            vec![small.clone(); 5],
            422,
            "invalid_request",
            "at most 4 images; this one has 5",
        ),
        (
            vec![data_url("image/png", &noise_png(200, 200))],
            413,
            "payload_too_large",
            "the limit is 102400 bytes",
        ),
        (
            vec![data_url("image/png", &png(2001, 4, [0, 0, 0]))],
            413,
            "payload_too_large",
            "2001x4 pixels; the limit is 2000",
        ),
        (
            vec![small.clone(), data_url("image/png", &damaged)],
            422,
            "invalid_request",
            "image 2 of 2: the image file is damaged",
        ),
        (
            vec!["https://example.com/cat.png".into()],
            422,
            "invalid_request",
            "data URL",
        ),
    ];
    for case in CASES {
        for (images, status, code, words) in &refusals {
            let (got, body) = app.chat(turn(case.client, "hi", images.clone())).await;
            assert_eq!(got, *status, "{case:?} {body}");
            assert_eq!(body["error"]["code"], *code, "{case:?} {body}");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(words), "{case:?}: {message}");
            let resp = app
                .app
                .chat_stream(turn(case.client, "hi", images.clone()))
                .await;
            assert_eq!(resp.status().as_u16(), *status, "{case:?} (stream)");
        }
        assert_eq!(app.calls(case), 0, "{case:?}: nothing was sent upstream");
    }
    // A client without `images = true` refuses any image, even a good one.
    let (got, body) = app.chat(turn("text", "hi", vec![small])).await;
    assert_eq!(got, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_request");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("this chat does not accept images"),
        "{body}"
    );
    assert_eq!(app.app.fake.count("/v1/responses"), 0);
}

#[tokio::test]
async fn images_weigh_on_the_rate_limit_and_the_budget() {
    let limited = image_clients().replacen(
        "max_image_side = 2000\n",
        "max_image_side = 2000\nrate_per_ip = 3\n",
        1,
    );
    let app = spawn("", &limited).await;
    let tiny = data_url("image/png", &png(2, 2, [9, 9, 9]));
    // Three images weigh four messages: over a limit of three a minute.
    let (status, body) = app.chat(turn("grok", "hi", vec![tiny; 3])).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(app.app.fake.count("/v1/responses"), 0);

    // While a turn runs, the day's budget holds its estimate. A plain turn's (about 1,500
    // tokens) leaves room in 3,000 for another; with a 1,200 x 1,200 photo (about 2,000 more,
    // estimated from its size) it does not, and the next turn is refused before any call.
    let budget = image_clients().replacen(
        "max_image_side = 2000\n",
        "max_image_side = 2000\ndaily_token_budget = 3000\n",
        1,
    );
    let app = spawn("", &budget).await;
    let big = data_url("image/png", &png(1200, 1200, [9, 9, 9]));
    for (images, next_status) in [(vec![], 200), (vec![big], 503)] {
        app.app.inject(
            "/v1/responses",
            1,
            fake_xai::FaultKind::StallMidStream {
                after_events: 3,
                ms: 1500,
            },
        );
        let slow = app.app.chat_stream(turn("grok", "hi", images)).await;
        assert_eq!(slow.status(), 200);
        let (status, body) = app.chat(turn("grok", "[[reply: meanwhile]]", vec![])).await;
        assert_eq!(status, next_status, "{body}");
        if next_status == 503 {
            assert_eq!(body["error"]["code"], "budget_exhausted");
        }
        slow.text().await.unwrap();
    }
    // The refused turn never reached x.ai: two streams and one plain turn did.
    assert_eq!(app.app.fake.count("/v1/responses"), 3);
}

#[tokio::test]
async fn a_model_without_image_input_refuses_the_config_not_the_visitor() {
    // x.ai: the start-up check asks GET /v1/language-models/{id}; grok-3-mini takes text only.
    let others = others().await;
    let text_only = image_clients().replacen(
        "model = \"grok-4-1-fast-non-reasoning\"",
        "model = \"grok-3-mini\"",
        1,
    );
    let err = try_spawn_app(Options {
        toml: format!("retry_budget_secs = 5\n{text_only}"),
        env: env(&others),
        ..Options::default()
    })
    .await
    .err()
    .expect("the proxy refuses to start");
    let err = format!("{err:#}");
    assert!(
        err.contains(
            "client \"grok\" has images = true, but x.ai says model grok-3-mini takes only text"
        ),
        "{err}"
    );
    assert!(err.contains("refusing to start"), "{err}");
    // The same model without images starts.
    let without = text_only.replacen("images = true\n", "", 1);
    try_spawn_app(Options {
        toml: format!("retry_budget_secs = 5\n{without}"),
        env: env(&others),
        ..Options::default()
    })
    .await
    .expect("a text-only model is fine without images");

    // OpenAI and Anthropic: the model must be in the provider's image_models.
    for (from, to, top) in [
        (
            "model = \"gpt-4.1-mini\"",
            "model = \"gpt-3.5-turbo\"",
            "[openai]\nallowed_models = [\"gpt-4.1-mini\", \"gpt-3.5-turbo\"]\n",
        ),
        (
            "model = \"claude-haiku-4-5\"",
            "model = \"claude-3-5-haiku-latest\"",
            "",
        ),
    ] {
        let toml = format!("{top}{}", image_clients().replacen(from, to, 1));
        let raw: RawConfig = toml::from_str(&toml).unwrap();
        let Err(err) = Config::from_raw(raw, &env(&others), std::path::Path::new(".")) else {
            panic!("config with {to} and images = true was accepted");
        };
        let err = err.to_string();
        assert!(err.contains("does not take image input"), "{err}");
        assert!(err.contains(&to[9..to.len() - 1]), "{err}");
    }
}
