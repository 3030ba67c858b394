//! The start-up check of the key (`GET /v1/api-key`): refuse, warn, or start.

use fake_xai::ApiKeyState;

use crate::helpers::{Options, assert_no_canary, try_spawn_app};

/// The message with which start-up refuses a key in `state`.
async fn start_up_refusal(state: ApiKeyState) -> String {
    let err = try_spawn_app(Options {
        key_state: Some(state),
        ..Options::default()
    })
    .await
    .err()
    .expect("start-up refused");
    format!("{err:#}")
}

#[tokio::test]
async fn the_start_up_check_refuses_a_disabled_key() {
    let msg = start_up_refusal(ApiKeyState {
        api_key_disabled: true,
        ..ApiKeyState::default()
    })
    .await;
    assert!(msg.contains("disabled or blocked"), "{msg}");
    assert_no_canary("start-up error", &msg);
}

#[tokio::test]
async fn the_start_up_check_refuses_a_key_without_chat_access() {
    let msg = start_up_refusal(ApiKeyState {
        acls: vec!["api-key:model:*".into(), "api-key:endpoint:models".into()],
        ..ApiKeyState::default()
    })
    .await;
    assert!(msg.contains("api-key:endpoint:chat"), "{msg}");
}

#[tokio::test]
async fn the_start_up_check_refuses_a_key_without_the_model() {
    let msg = start_up_refusal(ApiKeyState {
        acls: vec!["api-key:endpoint:*".into(), "api-key:model:grok-4.3".into()],
        ..ApiKeyState::default()
    })
    .await;
    assert!(msg.contains("grok-4-1-fast-non-reasoning"), "{msg}");
}

#[tokio::test]
async fn key_check_warn_starts_anyway() {
    let app = try_spawn_app(Options {
        toml: format!("key_check = \"warn\"\n{}", crate::helpers::CLIENTS),
        key_state: Some(ApiKeyState {
            api_key_blocked: true,
            ..ApiKeyState::default()
        }),
        ..Options::default()
    })
    .await;
    assert!(app.is_ok());
}

#[tokio::test]
async fn a_wrong_key_is_refused_at_start_though_x_ai_answers_400() {
    let err = try_spawn_app(Options {
        env: proxy::config::EnvOverrides {
            api_key: Some("xai-not-the-key-the-fake-accepts".into()),
            ..Default::default()
        },
        ..Options::default()
    })
    .await
    .err()
    .expect("start-up refused");
    let err = format!("{err:#}");
    assert!(err.contains("rejected the API key (HTTP 400)"), "{err}");
    assert!(err.contains("XAI_API_KEY"), "{err}");
}

#[tokio::test]
async fn the_start_up_check_refuses_a_blocked_team() {
    let err = start_up_refusal(ApiKeyState {
        team_blocked: true,
        ..ApiKeyState::default()
    })
    .await;
    assert!(err.contains("disabled or blocked"), "{err}");
}

/// `proxy check`, as a site owner runs it: every model with its prices, the ACL verdict, one
/// OK line; and the models' prices come from `GET /v1/language-models`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_lists_each_model_with_its_prices_and_the_key_verdict() {
    let fake = fake_xai::FakeXai::start(fake_xai::FakeConfig {
        api_key: crate::helpers::CANARY_KEY.into(),
        ..fake_xai::FakeConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("proxy.toml");
    std::fs::write(&path, crate::helpers::CLIENTS).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proxy"))
        .args(["check", "--config"])
        .arg(&path)
        .env("XAI_API_KEY", crate::helpers::CANARY_KEY)
        .env("XAI_BASE_URL", fake.base_url())
        .env_remove("PROXY_DEMO_MODE")
        .env_remove("PROXY_REDIS_URL")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("API key is active and may use the configured models"),
        "{stderr}"
    );
    let line = stderr
        .lines()
        .find(|l| l.contains("model available") && l.contains("grok-4-1-fast-non-reasoning"))
        .unwrap_or_else(|| panic!("no price line: {stderr}"));
    assert!(line.contains("prompt_usd_per_m=0.2"), "{line}");
    assert!(line.contains("completion_usd_per_m=0.5"), "{line}");
    assert!(
        stdout.contains("OK: configuration valid, 1 client(s)"),
        "{stdout}"
    );
    assert!(fake.count("/v1/language-models") >= 1);
    crate::helpers::assert_no_canary("check output", &format!("{stdout}{stderr}"));
}
