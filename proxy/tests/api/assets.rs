use crate::helpers::{Options, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_loader_names_the_hashed_bundle_and_is_cached_briefly() {
    let app = spawn_app_with(Options {
        widget: true,
        ..Default::default()
    })
    .await;
    let resp = app.get("/widget.js", &[]).await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(h["cache-control"], "public, max-age=300");
    assert_eq!(h["access-control-allow-origin"], "*");
    let js = resp.text().await.unwrap();
    assert!(js.contains("widget/widget-wasm-0123abcd.js"), "{js}");
    assert!(js.contains("widget/widget-wasm-0123abcd_bg.wasm"), "{js}");
    assert!(!js.contains("__GLUE__") && !js.contains("__WASM__"));
}

#[tokio::test]
async fn hashed_bundle_files_are_immutable_and_cross_origin_readable() {
    let app = spawn_app_with(Options {
        widget: true,
        ..Default::default()
    })
    .await;
    for (path, ty) in [
        ("/widget/widget-wasm-0123abcd_bg.wasm", "application/wasm"),
        ("/widget/widget-wasm-0123abcd.js", "text/javascript"),
    ] {
        let resp = app.get(path, &[]).await;
        assert_eq!(resp.status(), 200, "{path}");
        let h = resp.headers();
        assert_eq!(
            h["cache-control"], "public, max-age=31536000, immutable",
            "{path}"
        );
        assert_eq!(h["access-control-allow-origin"], "*", "{path}");
        assert_eq!(h["content-type"], ty, "{path}");
    }
}

#[tokio::test]
async fn without_a_bundle_the_loader_says_so() {
    let app = spawn_app().await;
    let resp = app.get("/widget.js", &[]).await;
    assert_eq!(resp.status(), 404);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("serves no widget bundle")
    );
}

#[tokio::test]
async fn precompressed_bundle_files_are_served_as_they_are() {
    let app = spawn_app_with(Options {
        widget: true,
        ..Default::default()
    })
    .await;
    let dir = app.widget_dir().expect("a bundle dir");
    std::fs::write(dir.join("widget-wasm-0123abcd_bg.wasm.br"), b"brotli-bytes").unwrap();
    let resp = app
        .get(
            "/widget/widget-wasm-0123abcd_bg.wasm",
            &[("accept-encoding", "br, gzip")],
        )
        .await;
    assert_eq!(resp.headers()["content-encoding"], "br");
    assert_eq!(resp.headers()["content-type"], "application/wasm");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"brotli-bytes");
}
