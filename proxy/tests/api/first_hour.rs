//! A site owner's first hour: each mistake gets a message that says what to change.

use std::path::Path;
use std::process::Command;

use fake_xai::{FakeConfig, FakeXai};
use proxy::config::{Config, EnvOverrides};

use crate::helpers::{CANARY_KEY, CLIENTS, ORIGIN, Options, captured_logs, free_port, spawn_app};

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn key_env() -> EnvOverrides {
    EnvOverrides {
        api_key: Some(CANARY_KEY.into()),
        ..Default::default()
    }
}

fn load_error(text: &str, env: &EnvOverrides) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "proxy.toml", text);
    Config::load(&path, env).unwrap_err().to_string()
}

/// The real binary, with a clean environment for the variables it reads.
fn proxy_cmd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_proxy"));
    for var in [
        "XAI_API_KEY",
        "XAI_BASE_URL",
        "PROXY_DEMO_MODE",
        "PROXY_LISTEN",
        "PROXY_CONFIG",
        "PROXY_REDIS_URL",
        "PROXY_SESSION_SECRET",
        "PROXY_WIDGET_DIR",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

// 7. A page on an origin the owner has not allowed can read why.
#[tokio::test]
async fn a_refused_origin_reads_the_refusal_and_the_owner_sees_it_in_the_log() {
    let app = spawn_app().await;
    let resp = app
        .get("/api/clients/demo", &[("Origin", "http://localhost:3001")])
        .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "http://localhost:3001",
        "without it the browser reports a network failure"
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "origin_not_allowed");
    let logs = captured_logs();
    assert!(
        logs.contains("http://localhost:3001") && logs.contains("allowed_origins"),
        "the refused origin is logged with what to do"
    );
    // An allowed page's successful answer is unchanged.
    let ok = app.get("/api/clients/demo", &[("Origin", ORIGIN)]).await;
    assert_eq!(ok.headers()["access-control-allow-origin"], ORIGIN);
}

// 8. Demo mode needs the fake: say so, and how.
#[test]
fn demo_mode_against_the_real_x_ai_says_what_it_needs() {
    let env = EnvOverrides {
        demo_mode: Some("true".into()),
        ..Default::default()
    };
    let err = load_error(CLIENTS, &env);
    assert!(err.contains("scripts/demo"), "{err}");
    assert!(err.contains("fake-xai --listen"), "{err}");
    assert!(
        err.contains("XAI_BASE_URL=http://127.0.0.1:8090/v1"),
        "{err}"
    );
}

// 9. Several replicas need one session secret.
#[test]
fn replicas_sharing_redis_without_a_session_secret_are_refused() {
    let text = format!(
        "redis_url = \"redis://127.0.0.1:6379\"\n{}",
        CLIENTS.replace("session_tokens = false\n", "")
    );
    let err = load_error(&text, &key_env());
    assert!(err.contains("PROXY_SESSION_SECRET"), "{err}");
    assert!(err.contains("next replica"), "{err}");
    let env = EnvOverrides {
        session_secret: Some("s".repeat(40)),
        ..key_env()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "proxy.toml", &text);
    assert!(
        Config::load(&path, &env).is_ok(),
        "with the secret it loads"
    );
}

// 10. `check` validates and connects to what `serve` will use. Multi-threaded: the fake answers
// while this thread waits for the binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_refuses_a_redis_url_without_a_scheme_or_a_dead_redis_and_says_ok_otherwise() {
    let fake = FakeXai::start(FakeConfig {
        api_key: CANARY_KEY.into(),
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = |top: &str| {
        let path = write(dir.path(), "proxy.toml", &format!("{top}\n{CLIENTS}"));
        let out = proxy_cmd()
            .args(["check", "--config"])
            .arg(&path)
            .env("XAI_API_KEY", CANARY_KEY)
            .env("XAI_BASE_URL", fake.base_url())
            .env("PROXY_SESSION_SECRET", "s".repeat(40))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, stderr) = run("redis_url = \"127.0.0.1:6379\"");
    assert_ne!(code, Some(0));
    assert!(stderr.contains("the scheme is required"), "{stderr}");
    let dead = free_port();
    let (code, _, stderr) = run(&format!("redis_url = \"redis://127.0.0.1:{dead}\""));
    assert_ne!(code, Some(0));
    assert!(
        stderr.contains("Redis") && stderr.contains("does not answer"),
        "{stderr}"
    );
    let (code, stdout, stderr) = run("");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("OK: configuration valid"), "{stdout}");
    assert!(
        stdout.contains("no widget is served"),
        "said loudly: {stdout}"
    );
}

// 11. The command line.
#[test]
fn help_lists_every_environment_variable() {
    let out = proxy_cmd().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "XAI_API_KEY",
        "XAI_BASE_URL",
        "PROXY_DEMO_MODE",
        "PROXY_REDIS_URL",
        "PROXY_SESSION_SECRET",
        "PROXY_LISTEN",
        "PROXY_CONFIG",
        "RUST_LOG",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
    ] {
        assert!(help.contains(var), "{var} missing from --help:\n{help}");
    }
}

#[test]
fn listen_works_without_naming_serve_and_errors_are_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "proxy.toml", &format!("bse_url = 1\n{CLIENTS}"));
    let out = proxy_cmd()
        .args(["--listen", "127.0.0.1:0", "--config"])
        .arg(&path)
        .env("XAI_API_KEY", "xai-test")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("unexpected argument"), "{stderr}");
    assert_eq!(
        stderr.matches("unknown field `bse_url`").count(),
        1,
        "{stderr}"
    );
}

// 12. Config shape mistakes get a hint.
#[test]
fn a_single_bracket_clients_table_gets_a_hint() {
    let text = CLIENTS.replace("[[clients]]", "[clients]");
    let err = load_error(&text, &key_env());
    assert!(err.contains("write [[clients]] (two brackets)"), "{err}");
}

#[test]
fn a_top_level_key_written_inside_a_client_table_gets_a_hint() {
    let err = load_error(&format!("{CLIENTS}redis_url = \"redis://x\"\n"), &key_env());
    assert!(err.contains("`redis_url` is a top-level setting"), "{err}");
    assert!(err.contains("above the first [[clients]]"), "{err}");
}

#[test]
fn every_top_level_key_is_known_to_the_hint() {
    // serde lists every field it expects when it meets an unknown one.
    let err = toml::from_str::<proxy::config::RawConfig>("not_a_key = 1")
        .unwrap_err()
        .to_string();
    let listed = err.split("expected one of").nth(1).unwrap();
    for field in listed.split(',').map(|f| f.trim().trim_matches('`')) {
        assert!(
            proxy::config::TOP_LEVEL_KEYS.contains(&field) || field == "clients",
            "{field} is not in TOP_LEVEL_KEYS"
        );
    }
}

#[tokio::test]
async fn a_base_url_without_v1_is_named_with_the_fix() {
    let fake = FakeXai::start(FakeConfig {
        api_key: CANARY_KEY.into(),
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let root = fake.base_url().trim_end_matches("/v1").to_owned();
    let opts = Options {
        env: EnvOverrides {
            api_key: Some(CANARY_KEY.into()),
            ..Default::default()
        },
        ..Options::default()
    };
    let mut raw: proxy::config::RawConfig = toml::from_str(&opts.toml).unwrap();
    raw.key_check = proxy::config::KeyCheck::Refuse;
    let env = EnvOverrides {
        base_url: Some(root.clone()),
        ..opts.env
    };
    let config = Config::from_raw(raw, &env, Path::new(".")).unwrap();
    let err = proxy::startup::Application::build(config, "127.0.0.1:0".parse().unwrap())
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains(&format!("{root}/api-key")), "{err}");
    assert!(err.contains("must end in /v1"), "{err}");
}

// 1 and 2. Directories.
#[test]
fn a_missing_relative_widget_dir_names_the_absolute_path_and_what_it_was_relative_to() {
    let err = load_error(
        &format!("widget_dir = \"no/such/dist\"\n{CLIENTS}"),
        &key_env(),
    );
    assert!(
        err.contains("relative to") || err.contains("config file's directory"),
        "{err}"
    );
    assert!(err.contains("/no/such/dist"), "{err}");
    assert!(err.starts_with("widget_dir /"), "an absolute path: {err}");
}

// 13. The demo follows DEMO_PORT.
#[test]
fn the_demo_config_follows_the_port_it_is_asked_for() {
    let out = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(root.join("scripts/demo-config"))
        .arg("8085")
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let widget = tempfile::tempdir().unwrap();
    let env = EnvOverrides {
        demo_mode: Some("true".into()),
        base_url: Some("http://127.0.0.1:8090/v1".into()),
        widget_dir: Some(widget.path().display().to_string()),
        ..Default::default()
    };
    let config = Config::load(&out.path().join("proxy.toml"), &env).unwrap();
    for c in &config.clients {
        assert!(c.allows_origin("http://127.0.0.1:8085"), "{}", c.id);
        assert!(!c.allows_origin("http://127.0.0.1:8080"), "{}", c.id);
    }
    let embed = std::fs::read_to_string(out.path().join("site/embed.html")).unwrap();
    assert!(
        embed.contains("127.0.0.1:8085/widget.js") && !embed.contains(":8080"),
        "{embed}"
    );
}

// `proxy init`: a starter config that is valid as written, never over an existing file.
#[test]
fn init_writes_a_valid_starter_config_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("proxy.toml");
    let run = || {
        proxy_cmd()
            .args([
                "init",
                "--client-id",
                "shop",
                "--origin",
                "https://Shop.example:443/",
            ])
            .arg("--config")
            .arg(&path)
            .output()
            .unwrap()
    };
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let next = String::from_utf8_lossy(&out.stdout);
    assert!(next.contains("data-client-id=\"shop\""), "{next}");
    let config = Config::load(&path, &key_env()).unwrap();
    assert_eq!(config.clients[0].id, "shop");
    assert!(config.clients[0].allows_origin("https://shop.example"));
    let written = std::fs::read_to_string(&path).unwrap();
    let again = run();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        written,
        "untouched"
    );
}
