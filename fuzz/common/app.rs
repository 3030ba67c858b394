//! The real router (`proxy::routes::router`) in process, its upstream the in-repo fake x.ai:
//! what the targets that send requests through the whole proxy share. Included with `#[path]`
//! (each target is its own binary).

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use fake_xai::{FakeConfig, FakeXai};
use proxy::config::{Config, EnvOverrides, RawConfig};
use proxy::routes::{AppState, router};
use tokio::runtime::Runtime;

pub struct Harness {
    pub rt: Runtime,
    pub app: Router,
    pub fake: FakeXai,
}

/// A proxy configured with `config` and the key `key`, in front of a fake x.ai that takes it.
pub fn start(config: &str, key: &str) -> Harness {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let (app, fake) = rt.block_on(async {
        let fake = FakeXai::start(FakeConfig {
            api_key: key.into(),
            ..FakeConfig::default()
        })
        .await
        .expect("the fake x.ai starts");
        let raw: RawConfig = toml::from_str(config).expect("the harness config parses");
        let env = EnvOverrides {
            api_key: Some(key.into()),
            base_url: Some(fake.base_url()),
            ..EnvOverrides::default()
        };
        let config = Config::from_raw(raw, &env, Path::new(".")).expect("a valid config");
        let state = AppState::new(Arc::new(config)).expect("the app state builds");
        (router(state), fake)
    });
    Harness { rt, app, fake }
}
