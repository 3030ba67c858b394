//! What a red team did to the public proxy, written as the attack and what must hold instead.
//! Each test names the item of `docs/security.md` it covers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use fake_xai::FaultKind;
use futures_util::future::join_all;
use proxy::config::{Config, EnvOverrides, RawConfig};
use proxy::startup::Application;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{
    CANARY_KEY, ORIGIN, Options, TestApp, ask, assert_no_canary, captured_logs, client_table, cont,
    parse_sse, spawn_app_with,
};

async fn json_of(resp: reqwest::Response) -> Value {
    resp.json().await.expect("JSON body")
}

/// Limits loose enough that only the limit under test can refuse.
const OPEN_LIMITS: &str =
    "voice_enabled = false\nrate_per_ip = 1000\nrate_per_session = 1000\nrate_per_client = 1000";

/// 3,900 characters the fake's tokenizer reads as 3,900 tokens.
fn dense_message() -> String {
    "x!".repeat(1950)
}

/// Runs `turns` turns of one conversation; returns the last response id and the tokens used.
async fn converse(app: &TestApp, turns: usize) -> (String, u64) {
    let (mut id, mut used) = (None::<String>, 0);
    for _ in 0..turns {
        let body = match &id {
            None => ask(&dense_message()),
            Some(prev) => cont(&dense_message(), prev),
        };
        let resp = app.chat(body).await;
        assert_eq!(resp.status(), 200);
        let v = json_of(resp).await;
        used += v["usage"]["total_tokens"].as_u64().unwrap();
        id = Some(v["response_id"].as_str().unwrap().to_owned());
    }
    (id.unwrap(), used)
}

// 1. Token budget overshoot.
#[tokio::test]
async fn parallel_continuations_of_a_long_conversation_stay_within_the_token_budget() {
    // What a twelve-turn conversation and one more turn of it really cost.
    let probe = spawn_app_with(Options::with_client_lines(OPEN_LIMITS)).await;
    let (last, setup) = converse(&probe, 12).await;
    let one = json_of(probe.chat(cont(&dense_message(), &last)).await).await;
    let per_turn = one["usage"]["total_tokens"].as_u64().unwrap();
    // Room for the conversation and two and a half more turns of it.
    let budget = setup + per_turn * 5 / 2;
    let app = spawn_app_with(Options::with_client_lines(&format!(
        "{OPEN_LIMITS}\ndaily_token_budget = {budget}\nmax_message_chars = 4000"
    )))
    .await;
    let (last, used_setup) = converse(&app, 12).await;
    let attempts = (0..40).map(|_| app.chat(cont(&dense_message(), &last)));
    let mut used = used_setup;
    let mut accepted = 0;
    for resp in join_all(attempts).await {
        match resp.status().as_u16() {
            200 => {
                accepted += 1;
                used += json_of(resp).await["usage"]["total_tokens"]
                    .as_u64()
                    .unwrap();
            }
            503 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(
        used <= budget + per_turn,
        "{used} tokens used against a budget of {budget} ({accepted} continuations accepted, \
         {per_turn} tokens each)"
    );
}

// 1 and 9. An id the proxy never issued has no known size or owner.
#[tokio::test]
async fn an_unknown_previous_response_id_is_refused_not_taken_for_a_new_conversation() {
    let app = spawn_app_with(Options::with_client_lines(OPEN_LIMITS)).await;
    // Made at x.ai by another application of the same team: x.ai knows it, the proxy does not.
    let resp = app
        .chat(cont("hi", "769f3302-64f9-4c72-2b48-860c87fd9b2a"))
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(
        json_of(resp).await["error"]["code"],
        "conversation_not_found"
    );
    assert_eq!(app.fake.count("/v1/responses"), 0, "nothing reached x.ai");
}

// 9. A conversation belongs to the client that started it.
#[tokio::test]
async fn a_conversation_cannot_be_continued_through_another_client() {
    let other = r#"
[[clients]]
id = "other"
allowed_origins = ["http://localhost:3000"]
model = "grok-4-1-fast-non-reasoning"
instructions = "Another site's assistant."
voice = "eve"
session_tokens = false
"#;
    let app = spawn_app_with(Options {
        toml: format!("{}\n{other}", client_table(OPEN_LIMITS)),
        ..Options::default()
    })
    .await;
    let first = json_of(app.chat(ask("hi")).await).await;
    let id = first["response_id"].as_str().unwrap();
    let resp = app
        .chat(json!({ "client_id": "other", "message": "again", "previous_response_id": id }))
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(
        app.chat(cont("again", id)).await.status(),
        200,
        "its own client may"
    );
}

// 9. Sessions are on unless a site turns them off.
#[tokio::test]
async fn session_tokens_are_on_by_default_and_work_for_same_origin_pages() {
    let app = spawn_app_with(Options {
        toml: crate::helpers::CLIENTS.replace("session_tokens = false\n", ""),
        ..Options::default()
    })
    .await;
    assert_eq!(app.chat(ask("hi")).await.status(), 403, "no token, no chat");
    // A page served by the proxy itself: its same-origin GET carries no Origin header.
    let info = json_of(
        app.get("/api/clients/demo", &[("Host", "localhost:3000")])
            .await,
    )
    .await;
    let token = info["session_token"]
        .as_str()
        .expect("a token without Origin");
    let send = |host: &'static str| {
        app.http
            .post(app.url("/api/chat"))
            .header("Host", host)
            .header("Origin", ORIGIN)
            .header("X-Widget-Session", token)
            .json(&ask("hi"))
            .send()
    };
    assert_eq!(send("localhost:3000").await.unwrap().status(), 200);
    assert_eq!(
        send("chat.example").await.unwrap().status(),
        403,
        "the token is bound to the host it was issued on"
    );
}

// 2. Speech is priced, reserved and refused before it is paid for.
#[tokio::test]
async fn a_reply_too_long_to_speak_is_refused_before_synthesis() {
    let app = spawn_app_with(Options::with_client_lines(
        "rate_per_ip = 1000\nrate_per_session = 1000",
    ))
    .await;
    let long = "This sentence is here to make the reply long. ".repeat(62);
    let v = json_of(app.chat(ask(&format!("[[reply: {long}]]"))).await).await;
    assert_eq!(v["tts_error"], "tts_too_long");
    assert_eq!(
        app.fake.count("/v1/tts"),
        0,
        "nothing was sent to be synthesised"
    );
}

#[tokio::test]
async fn speech_spend_counts_against_the_dollar_budget() {
    let app = spawn_app_with(Options::with_client_lines(
        "rate_per_ip = 1000\nrate_per_session = 1000\ndaily_usd_budget = 0.01\ntts_backend = \"tts\"",
    ))
    .await;
    // About $0.0075 of speech a turn at $15 per million characters.
    let reply = "A sentence of speech that the voice service bills per character. ".repeat(8);
    let mut statuses = Vec::new();
    let mut text_usd = 0.0;
    for turn in 0..26 {
        // A new text every turn: a cached clip costs nothing.
        let resp = app
            .chat(ask(&format!("[[reply: Turn {turn}. {reply}]]")))
            .await;
        statuses.push(resp.status().as_u16());
        if resp.status() == 200 {
            text_usd += json_of(resp).await["usage"]["cost_usd"]
                .as_f64()
                .unwrap_or(0.0);
        }
    }
    let chars: usize = app
        .upstream_bodies("/v1/tts")
        .iter()
        .map(|b| b["text"].as_str().unwrap_or("").chars().count())
        .sum();
    let speech_usd = chars as f64 * 15.0 / 1e6;
    let turn_usd = reply.len() as f64 * 15.0 / 1e6 + 0.001;
    assert!(
        text_usd + speech_usd <= 0.01 + turn_usd,
        "spent ${:.4} (text ${text_usd:.4}, speech ${speech_usd:.4}) of $0.01: {statuses:?}",
        text_usd + speech_usd
    );
    assert!(statuses.contains(&503), "{statuses:?}");
}

// 3. Connections that hold resources without using them.
async fn closed_within(mut conn: TcpStream, secs: u64) -> bool {
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(secs), conn.read_to_end(&mut buf))
        .await
        .is_ok()
}

#[tokio::test]
async fn connections_that_send_nothing_or_half_an_http2_preface_are_closed() {
    let app = spawn_app_with(Options::top("header_read_timeout_secs = 1", "")).await;
    let silent = TcpStream::connect(app.addr).await.unwrap();
    let mut h2 = TcpStream::connect(app.addr).await.unwrap();
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .unwrap();
    let mut partial = TcpStream::connect(app.addr).await.unwrap();
    partial.write_all(b"PRI * HTT").await.unwrap();
    assert!(
        closed_within(silent, 5).await,
        "a silent connection stayed open"
    );
    assert!(
        closed_within(h2, 5).await,
        "an idle HTTP/2 preface stayed open"
    );
    assert!(
        closed_within(partial, 5).await,
        "half a preface stayed open"
    );
}

#[tokio::test]
async fn a_body_trickled_a_byte_at_a_time_is_cut_off_at_the_total_deadline() {
    let app = spawn_app_with(Options::top("body_read_timeout_secs = 2", "")).await;
    let mut conn = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/chat HTTP/1.1\r\nHost: x\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while started.elapsed() < Duration::from_secs(8) && answer.is_empty() {
        // One byte every 400 ms: a timeout that restarts per chunk never fires.
        let _ = conn.write_all(b" ").await;
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(400), conn.read(&mut buf)).await
        {
            answer.extend_from_slice(&buf[..n]);
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 408"),
        "after {:?}: {text:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connections_past_the_per_address_cap_get_a_clear_503() {
    let app = spawn_app_with(Options::top(
        "header_read_timeout_secs = 30\nmax_connections_per_ip = 5",
        "",
    ))
    .await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(app.addr).await.unwrap());
    }
    // Let the proxy accept them before the next one arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(app.addr).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), extra.read_to_end(&mut answer))
        .await
        .expect("answered at once")
        .unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(
        text.contains("too many open connections from your address"),
        "{text}"
    );
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ok = app.get("/healthz", &[]).await;
    assert_eq!(ok.status(), 200, "closed connections give their slots back");
}

#[tokio::test]
async fn many_idle_connections_do_not_take_the_proxy_down() {
    let app = spawn_app_with(Options::top(
        "header_read_timeout_secs = 1\nmax_connections = 100\nmax_connections_per_ip = 1000",
        "",
    ))
    .await;
    let mut idle = Vec::new();
    let mut refused = 0;
    for _ in 0..150 {
        idle.push(TcpStream::connect(app.addr).await.unwrap());
    }
    for conn in &mut idle {
        let mut buf = [0u8; 12];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(20), conn.read(&mut buf)).await
            && buf[..n].starts_with(b"HTTP/1.1 503")
        {
            refused += 1;
        }
    }
    assert!(
        refused >= 40,
        "only {refused} of the 50 over the cap were told 503"
    );
    // The idle ones are closed by the header timeout; the proxy serves again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ok = app.get("/healthz", &[]).await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn the_admin_listener_closes_idle_connections_too() {
    let port = crate::helpers::free_port();
    let app = spawn_app_with(Options::top(
        &format!("header_read_timeout_secs = 1\nadmin_listen = \"127.0.0.1:{port}\""),
        "",
    ))
    .await;
    crate::helpers::wait_for_port(port).await;
    let silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    assert!(
        closed_within(silent, 5).await,
        "an idle admin connection stayed open"
    );
    drop(app);
}

// 4. Static files: no dotfiles, no links out, no config in a served directory.
#[tokio::test]
async fn the_site_never_serves_dotfiles_or_follows_links_out_of_its_root() {
    let site = tempfile::tempdir().unwrap();
    let root = site.path();
    std::fs::write(root.join("index.html"), "<h1>home</h1>").unwrap();
    std::fs::write(root.join(".env"), format!("XAI_API_KEY={CANARY_KEY}")).unwrap();
    std::fs::create_dir(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/config"), "[remote]").unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), CANARY_KEY).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("link.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("linkdir")).unwrap();
    std::os::unix::fs::symlink(root.join("index.html"), root.join("inside.html")).unwrap();
    let app = spawn_app_with(Options::top(
        &format!("site_dir = \"{}\"", root.display()),
        "",
    ))
    .await;
    for path in [
        "/.env",
        "/.git/config",
        "/%2eenv",
        "/%2Egit/config",
        "/link.txt",
        "/linkdir/secret.txt",
        "/linkdir/",
    ] {
        let resp = app.get(path, &[]).await;
        let status = resp.status();
        let body = resp.text().await.unwrap();
        assert_eq!(status, 404, "{path} answered {status}");
        assert_no_canary(path, &body);
    }
    for path in ["/", "/index.html", "/inside.html"] {
        let resp = app.get(path, &[]).await;
        assert_eq!(resp.status(), 200, "{path}");
    }
}

#[test]
fn a_site_dir_holding_the_config_or_a_dotenv_is_refused_at_start() {
    let env = EnvOverrides {
        api_key: Some(CANARY_KEY.into()),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("proxy.toml");
    std::fs::write(
        &config,
        format!("site_dir = \".\"\n{}", crate::helpers::CLIENTS),
    )
    .unwrap();
    let err = Config::load(&config, &env).unwrap_err().to_string();
    assert!(err.contains("contains this config file"), "{err}");

    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join(".env"), "XAI_API_KEY=x").unwrap();
    std::fs::write(
        &config,
        format!(
            "site_dir = \"{}\"\n{}",
            site.path().display(),
            crate::helpers::CLIENTS
        ),
    )
    .unwrap();
    let err = Config::load(&config, &env).unwrap_err().to_string();
    assert!(err.contains(".env"), "{err}");
}

#[test]
fn the_demo_config_does_not_serve_itself() {
    // The widget need not be built for this.
    let widget = tempfile::tempdir().unwrap();
    let env = EnvOverrides {
        demo_mode: Some("true".into()),
        base_url: Some("http://127.0.0.1:8090/v1".into()),
        widget_dir: Some(widget.path().display().to_string()),
        ..Default::default()
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/demo.toml");
    let config = Config::load(&path, &env).expect("the demo config loads");
    let site = config.site_dir.unwrap().canonicalize().unwrap();
    assert!(!path.canonicalize().unwrap().starts_with(site));
}

// 5. Every way out of a turn settles its reservation.
#[tokio::test]
async fn failed_and_abandoned_turns_give_their_reservation_back() {
    let app = spawn_app_with(Options::with_client_lines(&format!(
        "{OPEN_LIMITS}\ndaily_token_budget = 20000"
    )))
    .await;
    app.inject(
        "/v1/responses",
        13,
        FaultKind::MidStreamError { after_events: 2 },
    );
    for _ in 0..13 {
        let body = app.chat_stream(ask("hi")).await.text().await.unwrap();
        assert!(body.contains("event: error"), "{body}");
    }
    app.inject("/v1/responses", 14, FaultKind::SlowFirstByte { ms: 1500 });
    let hangups = (0..14).map(|_| async {
        let req = app.chat(ask("hi"));
        let _ = tokio::time::timeout(Duration::from_millis(300), req).await;
    });
    join_all(hangups).await;
    // Settling a dropped reservation happens on the runtime, just after the hang-up.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    let resp = app.chat(ask("hi")).await;
    assert_eq!(
        resp.status(),
        200,
        "27 turns that used next to nothing exhausted a 20,000-token budget"
    );
}

// 6. `/metrics` through a reverse proxy on the same host.
#[tokio::test]
async fn metrics_refuse_requests_forwarded_by_a_local_reverse_proxy() {
    let app = spawn_app_with(Options::top("trusted_proxies = [\"127.0.0.1/32\"]", "")).await;
    let direct = app.get("/metrics", &[]).await;
    assert_eq!(direct.status(), 200);
    for (header, value) in [
        ("X-Forwarded-For", "203.0.113.9"),
        ("Forwarded", "for=203.0.113.9"),
        ("X-Real-IP", "203.0.113.9"),
    ] {
        let resp = app.get("/metrics", &[(header, value)]).await;
        assert_eq!(resp.status(), 404, "{header}");
    }
}

// 8. Pricing never holds up a turn.
#[tokio::test]
async fn a_hanging_pricing_endpoint_never_delays_a_turn() {
    let app = spawn_app_with(Options::top(
        "key_check = \"off\"\nupstream_timeout_secs = 20",
        OPEN_LIMITS,
    ))
    .await;
    app.inject(
        "/v1/language-models",
        10,
        FaultKind::SlowFirstByte { ms: 6000 },
    );
    for _ in 0..3 {
        let started = Instant::now();
        assert_eq!(app.chat(ask("hi")).await.status(), 200);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "a turn waited {:?} for prices",
            started.elapsed()
        );
    }
}

// 12. Request ids from visitors.
#[tokio::test]
async fn a_forged_request_id_is_replaced_and_a_safe_one_kept() {
    let app = spawn_app_with(Options::default()).await;
    let forged = "x request_id=forged client=admin";
    let resp = app.get("/healthz", &[("X-Request-Id", forged)]).await;
    let echoed = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(echoed, forged);
    assert_eq!(echoed.len(), 36, "a fresh UUID: {echoed}");
    let long = "a".repeat(65);
    let resp = app.get("/healthz", &[("X-Request-Id", &long)]).await;
    assert_ne!(resp.headers()["x-request-id"], long.as_str());
    let resp = app.get("/healthz", &[("X-Request-Id", "req-42.a_b")]).await;
    assert_eq!(resp.headers()["x-request-id"], "req-42.a_b");
    assert!(!captured_logs().contains("request_id=forged"));
}

// 13. Limits that span clients and IPv6 prefixes.
#[tokio::test]
async fn one_address_cannot_multiply_its_allowance_across_clients() {
    let mut toml = client_table("voice_enabled = false\nrate_per_ip = 3");
    for id in ["second", "third"] {
        toml.push_str(&format!(
            "\n[[clients]]\nid = \"{id}\"\nallowed_origins = [\"{ORIGIN}\"]\n\
             model = \"grok-4-1-fast-non-reasoning\"\ninstructions = \"x\"\nvoice = \"eve\"\n\
             voice_enabled = false\nsession_tokens = false\nrate_per_ip = 3\n"
        ));
    }
    let app = spawn_app_with(Options {
        toml,
        ..Options::default()
    })
    .await;
    let mut ok = 0;
    for id in ["demo", "second", "third"] {
        for _ in 0..3 {
            let resp = app.chat(json!({ "client_id": id, "message": "hi" })).await;
            ok += usize::from(resp.status() == 200);
        }
    }
    assert_eq!(
        ok, 3,
        "one address got {ok} turns from three clients with 3 each"
    );
}

#[tokio::test]
async fn an_ipv6_48_shares_one_bucket_across_its_64s() {
    let app = spawn_app_with(Options::top(
        "trusted_proxies = [\"127.0.0.1/32\"]\nrate_per_ipv6_48 = 4",
        "voice_enabled = false\nrate_per_ip = 2",
    ))
    .await;
    let mut ok = 0;
    for i in 0..10 {
        let resp = app
            .http
            .post(app.url("/api/chat"))
            .header("Origin", ORIGIN)
            .header("X-Forwarded-For", format!("2001:db8:1:{i:x}::1"))
            .json(&ask("hi"))
            .send()
            .await
            .unwrap();
        ok += usize::from(resp.status() == 200);
    }
    assert_eq!(ok, 4, "ten /64s of one /48 got {ok} turns");
}

// 14. Bodies that are not objects.
#[tokio::test]
async fn a_json_array_is_not_a_chat_request() {
    let app = spawn_app_with(Options::default()).await;
    let resp = app
        .http
        .post(app.url("/api/chat"))
        .header("Origin", ORIGIN)
        .header("Content-Type", "application/json")
        .body(r#"["demo","hi"]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let v = json_of(resp).await;
    assert_eq!(v["error"]["code"], "invalid_request");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("JSON object")
    );
    assert_eq!(app.fake.count("/v1/responses"), 0);
}

// 11 and 15. An upstream that misbehaves: a hand-written one, since the fake follows the docs.
async fn hostile_upstream(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/v1")
}

/// A proxy in front of `base_url` with the canary key and the default client.
async fn proxy_in_front_of(base_url: String, top: &str) -> SocketAddr {
    crate::helpers::capture_logs();
    let toml = format!(
        "key_check = \"off\"\nretry_max = 0\n{top}\n{}",
        client_table(OPEN_LIMITS)
    );
    let raw: RawConfig = toml::from_str(&toml).unwrap();
    let env = EnvOverrides {
        api_key: Some(CANARY_KEY.into()),
        base_url: Some(base_url),
        ..Default::default()
    };
    let config = Config::from_raw(raw, &env, Path::new(".")).unwrap();
    let app = Application::build(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = app.addr();
    tokio::spawn(app.run_until(std::future::pending()));
    addr
}

fn sse(lines: Vec<String>) -> axum::response::Response {
    let body = lines.concat();
    ([("content-type", "text/event-stream")], body).into_response()
}

async fn post_chat(addr: SocketAddr, path: &str, message: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("http://{addr}{path}"))
        .header("Origin", ORIGIN)
        .json(&ask(message))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_key_never_reaches_a_log_when_the_upstream_echoes_it() {
    let key = CANARY_KEY;
    let router = Router::new().route(
        "/v1/responses",
        post(move |body: String| async move {
            let v: Value = serde_json::from_str(&body).unwrap();
            match v["input"].as_str().unwrap_or("") {
                "code" => sse(vec![format!(
                    "data: {{\"type\":\"error\",\"code\":\"{key}\"}}\n\n"
                )]),
                "stream-json" => sse(vec![format!(
                    "data: {{\"type\":\"response.completed\",\"response\":\"{key}\"}}\n\n"
                )]),
                _ => (
                    [("content-type", "application/json")],
                    format!("{{\"id\":1,\"output\":\"{key}\"}}"),
                )
                    .into_response(),
            }
        }),
    );
    let addr = proxy_in_front_of(hostile_upstream(router).await, "").await;
    for message in ["code", "stream-json"] {
        let body = post_chat(addr, "/api/chat/stream", message)
            .await
            .text()
            .await
            .unwrap();
        assert!(body.contains("event: error"), "{body}");
        assert_no_canary("stream", &body);
    }
    let resp = post_chat(addr, "/api/chat", "json").await;
    assert_eq!(resp.status(), 502);
    assert_no_canary("logs", &captured_logs());
}

#[tokio::test]
async fn an_upstream_that_ignores_max_output_tokens_is_cut_off() {
    let router = Router::new().route(
        "/v1/responses",
        post(|| async {
            let delta = format!(
                "data: {{\"type\":\"response.output_text.delta\",\"delta\":\"{}\"}}\n\n",
                "blah ".repeat(2000)
            );
            let endless = futures_util::stream::repeat_with(move || {
                Ok::<_, Infallible>(bytes::Bytes::from(delta.clone()))
            });
            (
                [("content-type", "text/event-stream")],
                axum::body::Body::from_stream(endless),
            )
        }),
    );
    let addr = proxy_in_front_of(hostile_upstream(router).await, "max_reply_bytes = 1000000").await;
    let started = Instant::now();
    let body = tokio::time::timeout(
        Duration::from_secs(20),
        post_chat(addr, "/api/chat/stream", "hi").await.text(),
    )
    .await
    .expect("the stream ended")
    .unwrap();
    let events = parse_sse(&body);
    assert_eq!(
        events.last().map(|e| e.0.as_str()),
        Some("error"),
        "{:?}",
        started.elapsed()
    );
    let relayed: usize = events
        .iter()
        .filter(|(name, _)| name == "delta")
        .map(|(_, v)| v["text"].as_str().unwrap().len())
        .sum();
    assert!(
        relayed <= 1_000_000,
        "{relayed} bytes relayed past a 1 MB cap"
    );
    let resp = tokio::time::timeout(Duration::from_secs(20), post_chat(addr, "/api/chat", "hi"))
        .await
        .expect("answered");
    assert_eq!(resp.status(), 502);
}

#[tokio::test]
async fn a_trickling_upstream_meets_the_total_deadline() {
    let router = Router::new().route(
        "/v1/responses",
        post(|| async {
            let trickle = futures_util::stream::unfold((), |()| async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let frame = "data: {\"type\":\"response.output_text.delta\",\"delta\":\"a \"}\n\n";
                Some((
                    Ok::<_, Infallible>(bytes::Bytes::from_static(frame.as_bytes())),
                    (),
                ))
            });
            (
                [("content-type", "text/event-stream")],
                axum::body::Body::from_stream(trickle),
            )
        }),
    );
    let addr = proxy_in_front_of(
        hostile_upstream(router).await,
        "upstream_stream_timeout_secs = 2\nstream_idle_timeout_secs = 30",
    )
    .await;
    let started = Instant::now();
    let body = tokio::time::timeout(
        Duration::from_secs(15),
        post_chat(addr, "/api/chat/stream", "hi").await.text(),
    )
    .await
    .expect("the stream ended")
    .unwrap();
    assert!(body.contains("event: error"), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_upstream_retry_after_of_years_is_clamped() {
    let router = Router::new()
        .route(
            "/v1/responses",
            post(|| async {
                (
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "999999999")],
                    "{}",
                )
            }),
        )
        .route("/v1/language-models", get(|| async { "{\"models\":[]}" }));
    let addr = proxy_in_front_of(hostile_upstream(router).await, "").await;
    let resp = post_chat(addr, "/api/chat", "hi").await;
    assert_eq!(resp.status(), 429);
    let wait = crate::helpers::retry_after(&resp);
    assert!((1..=120).contains(&wait), "{wait}");
}

// 9. Sessions bind conversations, and a reload keeps its session.
#[tokio::test]
async fn a_reload_that_presents_its_token_keeps_its_session_and_conversation() {
    let app = spawn_app_with(Options {
        toml: crate::helpers::CLIENTS.replace("session_tokens = false\n", ""),
        ..Options::default()
    })
    .await;
    let token = |kept: Option<String>| {
        let mut req = app
            .http
            .get(app.url("/api/clients/demo"))
            .header("Origin", ORIGIN);
        if let Some(t) = kept {
            req = req.header("X-Widget-Session", t);
        }
        async move {
            let info = json_of(req.send().await.unwrap()).await;
            info["session_token"].as_str().unwrap().to_owned()
        }
    };
    let send = |body: Value, token: String| {
        app.http
            .post(app.url("/api/chat"))
            .header("Origin", ORIGIN)
            .header("X-Widget-Session", token)
            .json(&body)
            .send()
    };
    let first = token(None).await;
    let reply = json_of(send(ask("My name is Alice"), first.clone()).await.unwrap()).await;
    let id = reply["response_id"].as_str().unwrap().to_owned();
    let after_reload = token(Some(first)).await;
    let again = send(cont("What's my name?", &id), after_reload)
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        200,
        "the reloaded page continues its conversation"
    );
    assert_eq!(json_of(again).await["response"], "Your name is Alice.");
    let stranger = token(Some("v1.forged.1.00".into())).await;
    let refused = send(cont("What's my name?", &id), stranger).await.unwrap();
    assert_eq!(refused.status(), 404, "another session cannot continue it");
}
