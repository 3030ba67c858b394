//! Bounded fuzzing of everything that parses visitor or upstream input: arbitrary bytes never
//! panic a parser, and arbitrary bodies never get a 5xx or reach x.ai.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proxy::upstream::sse::SseParser;

use crate::helpers::{ORIGIN, spawn_app};

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_chat_request_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = serde_json::from_slice::<protocol::ChatRequest>(&bytes);
    }

    #[test]
    fn json_shaped_noise_never_panics_the_parser(s in r#"\{("[a-z_]{1,20}":("[^"]{0,20}"|[0-9]{1,5}|null|\[\]|\{\}),?){0,6}\}"#) {
        let _ = serde_json::from_str::<protocol::ChatRequest>(&s);
    }

    #[test]
    fn the_sse_parser_never_panics(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..32)) {
        let mut p = SseParser::new(1024);
        for c in &chunks {
            let _ = p.push(c);
        }
        let _ = p.finish();
    }
}

#[tokio::test]
async fn arbitrary_bodies_get_4xx_and_never_reach_upstream() {
    let app = spawn_app().await;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 150,
        ..ProptestConfig::default()
    });
    let strategy = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        r#"\{"client_id":"(demo|x)","message":"[^"]{0,10}"(,"[a-z]{1,8}":[0-9a-z"]{1,6}){1,3}\}"#
            .prop_map(String::into_bytes),
    ];
    for _ in 0..150 {
        let body = strategy.new_tree(&mut runner).unwrap().current();
        let resp = app
            .http
            .post(app.url("/api/chat"))
            .header("Origin", ORIGIN)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "{status} for {:?}",
            String::from_utf8_lossy(&body)
        );
        let json: serde_json::Value = resp.json().await.expect("errors are JSON");
        assert!(json["error"]["code"].is_string());
    }
    assert_eq!(app.fake.count("/v1/responses"), 0);
}
