//! The harness: `spawn_fake()` starts a fake per test on port 0; HTTP, SSE and WebSocket helpers.

use std::time::{Duration, Instant};

use fake_xai::{FakeConfig, FakeXai};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const KEY: &str = "xai-fake-key";

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct TestFake {
    pub fake: FakeXai,
    pub http: reqwest::Client,
}

pub async fn spawn_fake() -> TestFake {
    spawn_fake_with(FakeConfig::default()).await
}

pub async fn spawn_fake_with(config: FakeConfig) -> TestFake {
    let fake = FakeXai::start(config).await.expect("fake starts");
    TestFake {
        fake,
        http: reqwest::Client::new(),
    }
}

/// One SSE frame: its `event:` line (if any) and its `data:` payload.
#[derive(Debug, Clone)]
pub struct Frame {
    pub event: Option<String>,
    pub data: String,
}

impl Frame {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{e}: {}", self.data))
    }
}

pub fn parse_sse(text: &str) -> Vec<Frame> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut event = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(name) = line.strip_prefix("event: ") {
                    event = Some(name.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            Frame { event, data }
        })
        .collect()
}

impl TestFake {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.fake.addr())
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(KEY)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Queues `kind` for the next `times` requests to `path`.
    pub fn inject(&self, path: &str, times: u32, kind: fake_xai::FaultKind) {
        self.fake.inject(fake_xai::Fault {
            path: path.into(),
            times,
            kind,
        });
    }

    /// A minimal non-streaming turn on `/v1/responses` with `model`: its status code.
    pub async fn turn_status(&self, model: &str) -> u16 {
        let body = serde_json::json!({"model": model, "input": "x"});
        self.post("/v1/responses", &body).await.status().as_u16()
    }

    /// A raw POST with the key, an optional content type and a body as given.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> reqwest::Response {
        let mut request = self.http.post(self.url(path)).bearer_auth(KEY);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request
            .body(body.to_owned())
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_ok(&self, path: &str, body: &Value) -> Value {
        let response = self.post(path, body).await;
        assert_eq!(response.status(), 200, "POST {path}");
        response.json().await.expect("json body")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("request sent")
    }

    /// Posts a streaming request and collects every frame.
    pub async fn stream(&self, path: &str, body: &Value) -> Vec<Frame> {
        let response = self.post(path, body).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        parse_sse(&response.text().await.expect("stream body"))
    }

    /// Posts a streaming request; returns each body chunk with its arrival time, and whether the
    /// body ended with an error.
    pub async fn stream_chunks(&self, path: &str, body: &Value) -> (Vec<(Instant, String)>, bool) {
        let response = self.post(path, body).await;
        let mut chunks = Vec::new();
        let mut stream = response.bytes_stream();
        let mut errored = false;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => {
                    chunks.push((Instant::now(), String::from_utf8_lossy(&bytes).into_owned()))
                }
                Err(_) => {
                    errored = true;
                    break;
                }
            }
        }
        (chunks, errored)
    }

    pub fn ws_url(&self, path_and_query: &str) -> String {
        format!("ws://{}{path_and_query}", self.fake.addr())
    }

    /// Opens a WebSocket with the API key as bearer.
    pub async fn ws(&self, path_and_query: &str) -> Ws {
        let mut request = self.ws_url(path_and_query).into_client_request().unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {KEY}").parse().unwrap());
        let (ws, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket opens");
        assert_eq!(response.status(), 101);
        ws
    }

    /// Opens `/v1/realtime` and consumes `session.created` and `conversation.created`.
    pub async fn realtime(&self) -> Ws {
        let mut ws = self.ws("/v1/realtime?model=grok-voice-latest").await;
        assert_eq!(next_json(&mut ws).await["type"], "session.created");
        assert_eq!(next_json(&mut ws).await["type"], "conversation.created");
        ws
    }
}

pub async fn send_json(ws: &mut Ws, value: &Value) {
    ws.send(Message::text(value.to_string()))
        .await
        .expect("ws send");
}

/// The next text message as JSON (5 s timeout); panics on close.
pub async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a message within 5 s")
            .expect("socket open")
            .expect("no ws error");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).expect("json event");
        }
    }
}

/// Events until (and including) one of type `last`.
pub async fn until(ws: &mut Ws, last: &str) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let event = next_json(ws).await;
        let done = event["type"] == last;
        events.push(event);
        if done {
            return events;
        }
    }
}

/// Reads until the socket ends; returns the events seen and whether it ended with a close frame.
pub async fn drain(ws: &mut Ws) -> (Vec<Value>, bool) {
    let mut events = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("socket ends within 5 s")
        {
            Some(Ok(Message::Text(text))) => {
                events.push(serde_json::from_str(text.as_str()).expect("json"));
            }
            Some(Ok(Message::Close(_))) => return (events, true),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (events, false),
        }
    }
}

pub fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("").to_owned())
        .collect()
}

pub fn decode_samples(events: &[Value], delta_type: &str) -> usize {
    use base64::Engine;
    events
        .iter()
        .filter(|e| e["type"] == delta_type)
        .map(|e| {
            base64::engine::general_purpose::STANDARD
                .decode(e["delta"].as_str().unwrap())
                .unwrap()
                .len()
                / 2
        })
        .sum()
}
