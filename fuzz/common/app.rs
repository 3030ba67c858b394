//! The real router (`proxy::routes::router`) in process, its upstream the in-repo fake x.ai:
//! what the targets that send requests through the whole proxy share. Included with `#[path]`
//! (each target is its own binary).

use std::path::Path;
use std::sync::{Arc, OnceLock};

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

/// One harness per target binary, started on first use with a single client `id` for
/// `http://localhost:3000`: no server speech, no session tokens, limits no fuzzer reaches, and
/// `extra` settings (TOML lines) for what the target is about.
pub fn shared(
    cell: &'static OnceLock<Harness>,
    key: &str,
    id: &str,
    extra: &str,
) -> &'static Harness {
    cell.get_or_init(|| {
        let config = format!(
            "[[clients]]\nid = \"{id}\"\nallowed_origins = [\"http://localhost:3000\"]\n\
             model = \"grok-4-1-fast-non-reasoning\"\ninstructions = \"Be brief.\"\n\
             voice_enabled = false\nsession_tokens = false\n\
             rate_per_ip = 1000000\nrate_per_client = 1000000\n{extra}"
        );
        start(&config, key)
    })
}
