//! The chat and streaming API against every provider, table-driven: x.ai (fake-xai), OpenAI
//! and Anthropic (fake-providers). What the widget sees must not depend on the provider,
//! except that only x.ai replies come with server audio and a price.

use std::time::Duration;

use fake_providers::FaultKind as OtherFault;
use fake_providers::{ANTHROPIC_MESSAGES, FakeConfig, FakeProviders, Fault, OPENAI_RESPONSES};
use fake_xai::FaultKind as XaiFault;
use proxy::config::EnvOverrides;
use serde_json::{Value, json};

use crate::helpers::{
    CANARY_KEY, CLIENTS, Options, TestApp, assert_no_secret, captured_logs, client_block,
    delta_text, parse_sse, spawn_app_with,
};

/// Distinct canaries per provider, so a leak names the provider whose key leaked.
const OPENAI_CANARY: &str = "sk-CANARY-Q3c9d1e7f5a2b4c6d8e0f";
const ANTHROPIC_CANARY: &str = "sk-ant-CANARY-Z9b8a7c6d5e4f3a2b1c";

fn provider_clients() -> String {
    let gpt = ["provider = \"openai\"", "model = \"gpt-4.1-mini\""];
    let claude = ["provider = \"anthropic\"", "model = \"claude-haiku-4-5\""];
    client_block("gpt", &gpt) + &client_block("claude", &claude)
}

fn provider_env(others: &FakeProviders) -> EnvOverrides {
    crate::helpers::provider_env(others, OPENAI_CANARY, ANTHROPIC_CANARY)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Xai,
    OpenAi,
    Anthropic,
}

#[derive(Clone, Copy, Debug)]
struct Case {
    kind: Kind,
    client: &'static str,
    /// The upstream path on its fake.
    path: &'static str,
}

const CASES: [Case; 3] = [
    Case {
        kind: Kind::Xai,
        client: "demo",
        path: "/v1/responses",
    },
    Case {
        kind: Kind::OpenAi,
        client: "gpt",
        path: OPENAI_RESPONSES,
    },
    Case {
        kind: Kind::Anthropic,
        client: "claude",
        path: ANTHROPIC_MESSAGES,
    },
];

/// A fault, in the terms both fakes understand.
enum Inject {
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    Drop {
        after_events: u32,
    },
    MidStreamError {
        after_events: u32,
    },
}

struct App {
    app: TestApp,
    others: FakeProviders,
}

/// [`Inject`] as either fake's fault kind (the two enums have the same HTTP variants).
macro_rules! fault_kind {
    ($kind:ident, $what:expr) => {
        match $what {
            Inject::Status {
                status,
                retry_after,
            } => $kind::Status {
                status,
                retry_after,
                body: None,
            },
            Inject::Drop { after_events } => $kind::DropMidStream { after_events },
            Inject::MidStreamError { after_events } => $kind::MidStreamError { after_events },
        }
    };
}

impl App {
    fn inject(&self, case: Case, what: Inject, times: u32) {
        match case.kind {
            Kind::Xai => self
                .app
                .inject(case.path, times, fault_kind!(XaiFault, what)),
            Kind::OpenAi | Kind::Anthropic => self.others.inject(Fault {
                path: case.path.into(),
                times,
                kind: fault_kind!(OtherFault, what),
            }),
        }
    }

    fn count(&self, case: Case) -> usize {
        match case.kind {
            Kind::Xai => self.app.fake.count(case.path),
            _ => self.others.count(case.path),
        }
    }

    /// Requests the case's fake received at its path: (headers, JSON body).
    fn sent(&self, case: Case) -> Vec<(Vec<(String, String)>, Value)> {
        let parse = |b: &str| serde_json::from_str(b).unwrap_or(Value::Null);
        match case.kind {
            Kind::Xai => self
                .app
                .fake
                .requests()
                .into_iter()
                .filter(|r| r.path == case.path)
                .map(|r| (r.headers, parse(&r.body)))
                .collect(),
            _ => self
                .others
                .requests()
                .into_iter()
                .filter(|r| r.path == case.path)
                .map(|r| (r.headers, parse(&r.body)))
                .collect(),
        }
    }

    async fn chat(&self, case: Case, message: &str, previous: Option<&str>) -> reqwest::Response {
        self.app.chat(ask(case, message, previous)).await
    }

    async fn stream(
        &self,
        case: Case,
        message: &str,
        previous: Option<&str>,
    ) -> Vec<(String, Value)> {
        let resp = self.app.chat_stream(ask(case, message, previous)).await;
        assert_eq!(resp.status(), 200, "{case:?}");
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        let text = resp.text().await.unwrap();
        assert_no_keys("SSE body", &text);
        parse_sse(&text)
    }
}

fn ask(case: Case, message: &str, previous: Option<&str>) -> Value {
    let mut body = json!({ "client_id": case.client, "message": message });
    if let Some(p) = previous {
        body["previous_response_id"] = json!(p);
    }
    body
}

fn assert_no_keys(what: &str, text: &str) {
    assert_no_secret(what, text, CANARY_KEY, 4);
    assert_no_secret(what, text, OPENAI_CANARY, 3);
    assert_no_secret(what, text, ANTHROPIC_CANARY, 7);
}

async fn body_json(resp: reqwest::Response) -> Value {
    let text = resp.text().await.unwrap();
    assert_no_keys("response body", &text);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

async fn spawn(top: &str) -> App {
    let others = FakeProviders::start(FakeConfig {
        openai_api_key: OPENAI_CANARY.into(),
        anthropic_api_key: ANTHROPIC_CANARY.into(),
        ..FakeConfig::default()
    })
    .await
    .expect("fake providers start");
    let app = spawn_app_with(Options {
        toml: format!(
            "retry_budget_secs = 5\n{top}\n{CLIENTS}{}",
            provider_clients()
        ),
        env: provider_env(&others),
        ..Options::default()
    })
    .await;
    App { app, others }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn a_single_turn_works_the_same_for_every_provider() {
    let app = spawn("").await;
    for case in CASES {
        let resp = app
            .chat(case, "[[reply: Hello from the model.]]", None)
            .await;
        assert_eq!(resp.status(), 200, "{case:?}");
        let body = body_json(resp).await;
        assert_eq!(body["response"], "Hello from the model.", "{case:?}");
        let id = body["response_id"].as_str().unwrap();
        assert!(!id.is_empty());
        assert!(
            body["usage"]["input_tokens"].as_u64().unwrap() > 0,
            "{case:?} {body}"
        );
        assert!(
            body["usage"]["output_tokens"].as_u64().unwrap() > 0,
            "{case:?} {body}"
        );
        assert!(body.get("tts_error").is_none(), "{case:?} {body}");
        if case.kind == Kind::Xai {
            assert!(body["audio_url"].is_string());
            assert!(body["usage"]["cost_usd"].as_f64().unwrap() > 0.0);
        } else {
            // No server speech: the widget speaks with the browser voice. No price either.
            assert!(body["audio_url"].is_null(), "{case:?} {body}");
            assert!(body["usage"]["cost_usd"].is_null(), "{case:?} {body}");
        }

        let sent = app.sent(case);
        assert_eq!(sent.len(), 1, "{case:?}");
        let (headers, req) = &sent[0];
        match case.kind {
            Kind::Xai => assert_eq!(req["instructions"], "Be brief."),
            Kind::OpenAi => {
                assert!(id.starts_with("resp_"), "{id}");
                assert_eq!(req["model"], "gpt-4.1-mini");
                assert_eq!(req["instructions"], "Be brief.");
                assert_eq!(req["input"], "[[reply: Hello from the model.]]");
                assert_eq!(req["stream"], false);
                assert_eq!(
                    header(headers, "authorization"),
                    Some(format!("Bearer {OPENAI_CANARY}").as_str())
                );
            }
            Kind::Anthropic => {
                assert!(
                    uuid::Uuid::parse_str(id).is_ok(),
                    "an opaque proxy id: {id}"
                );
                assert_eq!(req["model"], "claude-haiku-4-5");
                assert_eq!(req["system"], "Be brief.");
                assert_eq!(req["max_tokens"], 1024);
                assert_eq!(req["messages"][0]["role"], "user");
                assert_eq!(header(headers, "x-api-key"), Some(ANTHROPIC_CANARY));
                assert_eq!(header(headers, "anthropic-version"), Some("2023-06-01"));
                assert_eq!(header(headers, "authorization"), None);
            }
        }
    }
}

#[tokio::test]
async fn streaming_relays_deltas_then_done_for_every_provider() {
    let app = spawn("").await;
    let reply = "One two three four five six seven eight.";
    for case in CASES {
        let events = app.stream(case, &format!("[[reply: {reply}]]"), None).await;
        let deltas = events.iter().filter(|(e, _)| e == "delta").count();
        assert!(deltas >= 4, "{case:?}: {events:?}");
        assert_eq!(delta_text(&events), reply, "{case:?}");
        let (name, done) = events.last().unwrap();
        assert_eq!(name, "done", "{case:?}: {events:?}");
        assert!(!done["response_id"].as_str().unwrap().is_empty());
        assert!(
            done["usage"]["total_tokens"].as_u64().unwrap() > 0,
            "{case:?} {done}"
        );
        let audio = events
            .iter()
            .any(|(e, _)| e == "audio" || e == "audio_error");
        assert_eq!(
            audio,
            case.kind == Kind::Xai,
            "{case:?}: server audio only for x.ai"
        );
        assert_eq!(app.sent(case)[0].1["stream"], true, "{case:?}");
    }
}

#[tokio::test]
async fn every_provider_remembers_the_conversation() {
    let app = spawn("").await;
    for case in CASES {
        let first = body_json(app.chat(case, "My name is Alice", None).await).await;
        let id = first["response_id"].as_str().unwrap().to_owned();
        let second = body_json(app.chat(case, "What's my name?", Some(&id)).await).await;
        assert!(
            second["response"].as_str().unwrap().contains("Alice"),
            "{case:?}: {second}"
        );
        // And streamed, continuing from the second reply.
        let id2 = second["response_id"].as_str().unwrap().to_owned();
        let events = app.stream(case, "What's my name?", Some(&id2)).await;
        assert!(
            delta_text(&events).contains("Alice"),
            "{case:?}: {events:?}"
        );

        let sent = app.sent(case);
        assert_eq!(sent.len(), 3, "{case:?}");
        match case.kind {
            Kind::Xai => assert_eq!(sent[1].1["previous_response_id"], id.as_str()),
            Kind::OpenAi => {
                assert_eq!(sent[1].1["previous_response_id"], id.as_str());
                // OpenAI does not carry instructions over previous_response_id.
                assert_eq!(sent[1].1["instructions"], "Be brief.");
            }
            Kind::Anthropic => {
                let roles: Vec<&str> = sent[2].1["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["role"].as_str().unwrap())
                    .collect();
                assert_eq!(roles, ["user", "assistant", "user", "assistant", "user"]);
            }
        }
    }
    // Anthropic ids are the proxy's own: an unknown one is refused before any upstream call.
    let claude = CASES[2];
    let before = app.count(claude);
    let resp = app
        .chat(claude, "hi", Some("9f1c2d3e-0000-4000-8000-000000000000"))
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(
        body_json(resp).await["error"]["code"],
        "conversation_not_found"
    );
    assert_eq!(app.count(claude), before);
}

#[tokio::test]
async fn upstream_errors_map_to_the_same_widget_errors_for_every_provider() {
    let app = spawn("retry_max = 0").await;
    let table: &[(u16, u16, &str)] = &[
        (429, 429, "rate_limited"),
        (500, 502, "upstream_error"),
        (401, 503, "upstream_unavailable"),
    ];
    for case in CASES {
        for &(upstream, status, code) in table {
            app.inject(
                case,
                Inject::Status {
                    status: upstream,
                    retry_after: Some(7),
                },
                1,
            );
            let resp = app.chat(case, "hi", None).await;
            assert_eq!(resp.status(), status, "{case:?} upstream {upstream}");
            let retry_after = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let body = body_json(resp).await;
            assert_eq!(
                body["error"]["code"], code,
                "{case:?} upstream {upstream}: {body}"
            );
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                !message.contains("Rate limit reached") && !message.contains("x-api-key"),
                "upstream text leaked: {message}"
            );
            if upstream == 429 {
                assert_eq!(retry_after.as_deref(), Some("7"), "{case:?}");
            }
        }
    }
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_for_every_provider() {
    let app = spawn("").await;
    for case in CASES {
        let before = app.count(case);
        app.inject(
            case,
            Inject::Status {
                status: 429,
                retry_after: Some(1),
            },
            1,
        );
        let started = std::time::Instant::now();
        let body = body_json(app.chat(case, "[[reply: Second time lucky.]]", None).await).await;
        assert_eq!(body["response"], "Second time lucky.", "{case:?}");
        assert!(started.elapsed() >= Duration::from_millis(950), "{case:?}");
        assert_eq!(app.count(case) - before, 2, "{case:?}");
    }
}

#[tokio::test]
async fn a_dropped_or_failed_stream_ends_with_an_error_event_for_every_provider() {
    let app = spawn("").await;
    for case in CASES {
        for fault in [
            Inject::Drop { after_events: 6 },
            Inject::MidStreamError { after_events: 6 },
        ] {
            let before = app.count(case);
            app.inject(case, fault, 1);
            let events = app
                .stream(case, "[[reply: This reply will be cut off midway.]]", None)
                .await;
            let (name, err) = events.last().unwrap();
            assert_eq!(name, "error", "{case:?}: {events:?}");
            assert_eq!(err["code"], "upstream_error", "{case:?}");
            assert!(
                events.iter().any(|(e, _)| e == "delta"),
                "{case:?}: text that arrived was relayed"
            );
            assert_eq!(
                app.count(case) - before,
                1,
                "{case:?}: not retried once started"
            );
        }
    }
}

#[tokio::test]
async fn the_token_cap_counts_bytes_for_providers_without_a_tokenizer() {
    let others = FakeProviders::start(FakeConfig {
        openai_api_key: OPENAI_CANARY.into(),
        anthropic_api_key: ANTHROPIC_CANARY.into(),
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let capped = provider_clients().replace(
        "session_tokens = false",
        "session_tokens = false\nmax_input_tokens = 10",
    );
    let app = spawn_app_with(Options {
        toml: format!("retry_budget_secs = 5\n{CLIENTS}{capped}"),
        env: provider_env(&others),
        ..Options::default()
    })
    .await;
    for case in &CASES[1..] {
        let ok = app.chat(ask(*case, "hi there", None)).await;
        assert_eq!(ok.status(), 200, "{case:?}");
        let long = app.chat(ask(*case, &"word ".repeat(30), None)).await;
        assert_eq!(long.status(), 413, "{case:?}");
        assert_eq!(
            others.count(case.path),
            1,
            "{case:?}: the long message never left"
        );
    }
    assert_eq!(
        app.fake.count("/v1/tokenize-text"),
        0,
        "x.ai's tokenizer is for x.ai models"
    );
}

#[tokio::test]
async fn no_providers_key_reaches_a_response_an_event_or_a_log_line() {
    let app = spawn("").await;
    for case in CASES {
        body_json(app.chat(case, "hello", None).await).await;
        for status in [400, 401, 403, 429, 500] {
            app.inject(
                case,
                Inject::Status {
                    status,
                    retry_after: None,
                },
                5,
            );
            body_json(app.chat(case, "hi", None).await).await;
        }
        // Faults left over from above may answer these too: any outcome will do here.
        app.inject(case, Inject::MidStreamError { after_events: 3 }, 1);
        let text = app
            .app
            .chat_stream(ask(case, "hi", None))
            .await
            .text()
            .await
            .unwrap();
        assert_no_keys("SSE body", &text);
        app.inject(case, Inject::Drop { after_events: 3 }, 1);
        let text = app
            .app
            .chat_stream(ask(case, "hi", None))
            .await
            .text()
            .await
            .unwrap();
        assert_no_keys("SSE body", &text);
    }
    let logs = captured_logs();
    assert!(
        logs.contains("chat turn failed"),
        "the failures were logged"
    );
    assert_no_keys("logs", &logs);
    // Each fake did receive its own key: the canary check is not vacuous.
    for (case, key) in [
        (CASES[0], CANARY_KEY),
        (CASES[1], OPENAI_CANARY),
        (CASES[2], ANTHROPIC_CANARY),
    ] {
        assert!(
            app.sent(case)
                .iter()
                .any(|(h, _)| h.iter().any(|(_, v)| v.contains(key))),
            "{case:?}"
        );
    }
}
