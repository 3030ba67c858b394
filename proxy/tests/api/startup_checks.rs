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
