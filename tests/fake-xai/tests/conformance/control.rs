//! Recording and the `/_control` HTTP channel.

use fake_kit::client::Fetch;
use fake_xai::{Fault, FaultKind, RecordedRequest};
use serde_json::{Value, json};

use crate::helpers::{KEY, spawn_fake};

#[tokio::test]
async fn every_request_is_recorded_including_rejected_ones() {
    let app = spawn_fake().await;
    app.post(
        "/v1/responses",
        &json!({"model": "grok-3-mini", "input": "hi"}),
    )
    .await;
    app.http
        .get(app.url("/v1/models?x=1"))
        .send()
        .await
        .unwrap(); // 401
    let requests = app.fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/v1/responses");
    assert_eq!(
        serde_json::from_str::<Value>(&requests[0].body).unwrap()["input"],
        "hi"
    );
    assert!(
        requests[0]
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == &format!("Bearer {KEY}"))
    );
    assert_eq!(requests[1].path, "/v1/models");
    assert_eq!(requests[1].query.as_deref(), Some("x=1"));
    assert_eq!(app.fake.count("/v1/responses"), 1);
    assert_eq!(app.fake.count("/v1/models"), 1);

    app.fake.reset();
    assert!(app.fake.requests().is_empty());
}

#[tokio::test]
async fn the_control_channel_drives_the_fake_over_http_and_is_not_recorded() {
    let app = spawn_fake().await;
    let fault = Fault {
        path: "/v1/models".into(),
        times: 1,
        kind: FaultKind::Status {
            status: 500,
            retry_after: None,
            body: None,
        },
    };
    let raw = serde_json::to_value(&fault).unwrap();
    assert_eq!(
        raw["kind"],
        json!({"kind": "status", "status": 500, "retry_after": null, "body": null})
    );
    let added = app
        .http
        .post(app.url("/_control/faults"))
        .json(&raw)
        .send()
        .await
        .unwrap();
    assert!(added.status().is_success());
    let response = app.get("/v1/models").await;
    assert_eq!(response.status(), 500);
    assert_eq!(response.json::<Value>().await.unwrap()["code"], "internal");

    // Short forms deserialize too: `times` defaults to 1, optional fields may be left out.
    let short = json!({"path": "/v1/models", "kind": {"kind": "status", "status": 429}});
    app.http
        .post(app.url("/_control/faults"))
        .json(&short)
        .send()
        .await
        .unwrap();
    assert_eq!(app.get("/v1/models").await.status(), 429);

    let put = |path: &'static str, body: Value| {
        let http = app.http.clone();
        let url = app.url(path);
        async move { http.put(url).json(&body).send().await.unwrap().status() }
    };
    assert!(
        put(
            "/_control/sse",
            json!({"event_lines": false, "done": false})
        )
        .await
        .is_success()
    );
    assert!(
        put("/_control/delays", json!({"per_delta_ms": 1}))
            .await
            .is_success()
    );
    assert!(
        put("/_control/deferred", json!({"polls_pending": 0}))
            .await
            .is_success()
    );
    assert!(
        put("/_control/api-key", json!({"api_key_disabled": true}))
            .await
            .is_success()
    );
    assert_eq!(app.get("/v1/models").await.status(), 403);

    let recorded: Vec<RecordedRequest> = app
        .http
        .get(app.url("/_control/requests"))
        .fetch_json()
        .await;
    assert_eq!(recorded.len(), 3);
    assert!(recorded.iter().all(|r| r.path == "/v1/models"));
    let ws: Value = app.http.get(app.url("/_control/ws")).fetch_json().await;
    assert_eq!(ws, json!([]));

    assert!(
        app.http
            .post(app.url("/_control/reset"))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    assert_eq!(app.get("/v1/models").await.status(), 200);
    assert_eq!(app.fake.requests().len(), 1);
}

#[tokio::test]
async fn reset_restores_the_start_config_and_forgets_stored_responses() {
    let app = spawn_fake().await;
    let r = app
        .post_ok(
            "/v1/responses",
            &json!({"model": "grok-3-mini", "input": "hi"}),
        )
        .await;
    app.fake.set_sse_framing(false, false);
    app.inject(
        "*",
        5,
        FaultKind::Status {
            status: 500,
            retry_after: None,
            body: None,
        },
    );
    app.fake.reset();
    let path = format!("/v1/responses/{}", r["id"].as_str().unwrap());
    assert_eq!(app.get(&path).await.status(), 404);
    let frames = app
        .stream(
            "/v1/responses",
            &json!({"model": "grok-3-mini", "input": "hi", "stream": true}),
        )
        .await;
    assert!(frames[0].event.is_some());
    assert_eq!(frames.last().unwrap().data, "[DONE]");
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let app = spawn_fake().await;
    let url = app.url("/v1/models");
    app.fake.shutdown().await;
    assert!(app.http.get(url).bearer_auth(KEY).send().await.is_err());
}
