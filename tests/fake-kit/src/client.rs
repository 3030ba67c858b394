//! For the tests that call a fake or the proxy: send a request and read its body in one step,
//! panicking with the URL on failure (a test has nothing better to do with the error).

use std::future::Future;

use serde::de::DeserializeOwned;

/// `builder.fetch_json().await` for `builder.send().await.unwrap().json().await.unwrap()`.
pub trait Fetch {
    /// Sends the request and parses the answer's body as JSON, whatever its status.
    fn fetch_json<T: DeserializeOwned>(self) -> impl Future<Output = T> + Send;
    /// Sends the request and reads the answer's body as text, whatever its status.
    fn fetch_text(self) -> impl Future<Output = String> + Send;
}

impl Fetch for reqwest::RequestBuilder {
    async fn fetch_json<T: DeserializeOwned>(self) -> T {
        let response = self.send().await.expect("request sent");
        let url = response.url().clone();
        response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{url}: body is not the JSON expected: {e}"))
    }

    async fn fetch_text(self) -> String {
        let response = self.send().await.expect("request sent");
        let url = response.url().clone();
        response
            .text()
            .await
            .unwrap_or_else(|e| panic!("{url}: body unreadable: {e}"))
    }
}
