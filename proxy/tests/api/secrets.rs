//! The key and the visitors' words stay out of logs, bodies and events.

use fake_xai::FaultKind;

use crate::helpers::{CANARY_KEY, ask, assert_no_canary, captured_logs, spawn_app};

#[tokio::test]
async fn the_key_never_reaches_a_log_line_through_any_path() {
    let app = spawn_app().await;
    // Drive successes and every kind of failure, then read everything logged so far.
    app.chat(ask("hello")).await.text().await.unwrap();
    for status in [400, 401, 403, 429, 500] {
        app.inject(
            "/v1/responses",
            5,
            FaultKind::Status {
                status,
                retry_after: None,
                body: None,
            },
        );
        app.chat(ask("hi")).await.text().await.unwrap();
    }
    app.inject(
        "/v1/responses",
        1,
        FaultKind::MidStreamError { after_events: 3 },
    );
    app.chat_stream(ask("hi")).await.text().await.unwrap();
    app.inject(
        "/v1/responses",
        1,
        FaultKind::DropMidStream { after_events: 3 },
    );
    app.chat_stream(ask("hi")).await.text().await.unwrap();
    let logs = captured_logs();
    assert!(
        logs.contains("chat turn failed"),
        "the failures were logged"
    );
    assert_no_canary("logs", &logs);
    // The fake did receive the key: the canary check is not vacuous.
    assert!(
        app.fake
            .requests()
            .iter()
            .any(|r| r.headers.iter().any(|(_, v)| v.contains(CANARY_KEY)))
    );
}

#[tokio::test]
async fn message_text_is_not_logged_unless_the_owner_turns_it_on() {
    let app = spawn_app().await;
    let secret = "my-secret-phrase-4242";
    app.chat(ask(secret)).await.text().await.unwrap();
    assert!(!captured_logs().contains(secret));
}
