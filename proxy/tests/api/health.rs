use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_ok_without_calling_upstream() {
    let app = spawn_app().await;
    let resp = app.get("/healthz", &[]).await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["demo_mode"], false);
}

#[tokio::test]
async fn unknown_api_paths_get_the_json_error_shape() {
    let app = spawn_app().await;
    let resp = app.get("/api/nope", &[]).await;
    assert_eq!(resp.status(), 404);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"].is_string());
}
