//! `fetch` returning parsed JSON, without serde in the bundle (the browser's own `JSON.parse`).

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// Why a request failed, in words a visitor can read.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchError {
    /// No answer at all (offline, DNS, CORS).
    Network,
    /// An HTTP error with the proxy's message when it sent one.
    Status {
        status: u16,
        message: Option<String>,
    },
    /// The answer was not the JSON expected.
    Malformed,
}

/// GETs `url` with `headers` and parses the body as JSON.
pub async fn get_json(url: &str, headers: &[(&str, &str)]) -> Result<JsValue, FetchError> {
    let init = RequestInit::new();
    init.set_method("GET");
    if !headers.is_empty() {
        let h = js_sys::Object::new();
        for (k, v) in headers {
            super::js::set(&h, k, &(*v).into());
        }
        init.set_headers(&h);
    }
    let request = Request::new_with_str_and_init(url, &init).map_err(|_| FetchError::Network)?;
    let window = web_sys::window().ok_or(FetchError::Network)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| FetchError::Network)?
        .dyn_into()
        .map_err(|_| FetchError::Malformed)?;
    let body = JsFuture::from(response.json().map_err(|_| FetchError::Malformed)?).await;
    if !response.ok() {
        let message = body.ok().and_then(|b| {
            let err = js_sys::Reflect::get(&b, &"error".into()).ok()?;
            js_sys::Reflect::get(&err, &"message".into())
                .ok()?
                .as_string()
        });
        return Err(FetchError::Status {
            status: response.status(),
            message,
        });
    }
    body.map_err(|_| FetchError::Malformed)
}
