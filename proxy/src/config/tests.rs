//! Configuration tests: defaults, refusals and the documented example.

use super::*;

fn raw(extra_client: &str) -> RawConfig {
    toml::from_str(&format!(
        r#"
        [[clients]]
        id = "demo"
        allowed_origins = ["http://127.0.0.1:8080"]
        model = "grok-4-1-fast-non-reasoning"
        instructions = "Be brief."
        voice = "Eve"
        {extra_client}
        "#
    ))
    .unwrap()
}

fn env_with_key() -> EnvOverrides {
    EnvOverrides {
        api_key: Some("xai-test".into()),
        ..Default::default()
    }
}

#[test]
fn defaults_point_at_real_xai_and_derive_the_websocket_url() {
    let cfg = Config::from_raw(raw(""), &env_with_key(), Path::new(".")).unwrap();
    assert_eq!(cfg.base_url.as_str(), "https://api.x.ai/v1");
    assert_eq!(cfg.ws_base_url.as_str(), "wss://api.x.ai/v1");
    assert_eq!(cfg.clients[0].voice, "eve");
    assert!(!cfg.demo_mode);
}

#[test]
fn env_base_url_wins_and_http_becomes_ws() {
    let env = EnvOverrides {
        base_url: Some("http://127.0.0.1:9/v1/".into()),
        ..env_with_key()
    };
    let cfg = Config::from_raw(raw(""), &env, Path::new(".")).unwrap();
    assert_eq!(cfg.base_url.as_str(), "http://127.0.0.1:9/v1");
    assert_eq!(cfg.ws_base_url.as_str(), "ws://127.0.0.1:9/v1");
}

#[test]
fn missing_key_is_an_error_outside_demo_mode() {
    let err = Config::from_raw(raw(""), &EnvOverrides::default(), Path::new(".")).unwrap_err();
    assert!(err.to_string().contains("XAI_API_KEY is not set"), "{err}");
}

#[test]
fn demo_mode_runs_without_a_key() {
    let env = EnvOverrides {
        demo_mode: Some("true".into()),
        // Demo mode answers from the bundled fake, wherever it was started.
        base_url: Some("http://127.0.0.1:8090/v1".into()),
        ..Default::default()
    };
    let cfg = Config::from_raw(raw(""), &env, Path::new(".")).unwrap();
    assert!(cfg.demo_mode);
    assert_eq!(cfg.api_key.expose(), DEMO_API_KEY);
}

#[test]
fn unknown_keys_in_the_file_are_rejected() {
    let err = toml::from_str::<RawConfig>("bse_url = \"x\"").unwrap_err();
    assert!(err.to_string().contains("unknown field `bse_url`"), "{err}");
}

#[test]
fn a_model_outside_the_allowlist_is_rejected() {
    let mut r = raw("");
    r.clients[0].model = Some("gpt-4o".into());
    let err = Config::from_raw(r, &env_with_key(), Path::new(".")).unwrap_err();
    assert!(err.to_string().contains("not in allowed_models"), "{err}");
}

#[test]
fn origins_must_be_bare_and_are_normalized() {
    assert_eq!(
        normalize_origin("https://Example.com:443/").unwrap(),
        "https://example.com"
    );
    assert_eq!(
        normalize_origin("http://localhost:3000").unwrap(),
        "http://localhost:3000"
    );
    assert!(normalize_origin("https://example.com/path").is_err());
    assert!(normalize_origin("null").is_err());
    assert!(normalize_origin("ftp://example.com").is_err());
}

#[test]
fn an_unknown_voice_is_rejected() {
    let err = Config::from_raw(
        raw("voices = [\"eve\", \"bob\"]"),
        &env_with_key(),
        Path::new("."),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("\"bob\" is not an x.ai voice"),
        "{err}"
    );
}

#[test]
fn a_misspelt_string_override_stops_the_proxy_with_the_key_named() {
    let err = Config::from_raw(
        raw("[clients.strings.fr]\nopen_caht = \"x\""),
        &env_with_key(),
        Path::new("."),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("unknown key \"open_caht\""),
        "{err}"
    );
    let err =
        Config::from_raw(raw("language = \"ko\""), &env_with_key(), Path::new(".")).unwrap_err();
    assert!(err.to_string().contains("[clients.strings.ko]"), "{err}");
}

/// Found with the `config` fuzz target: megabyte sizes overflowed (a panic with overflow
/// checks, a silently tiny limit without).
#[test]
fn sizes_too_large_to_count_in_bytes_are_errors() {
    let mut big = raw("max_audio_mb = 40000000000000");
    let err = Config::from_raw(big, &env_with_key(), Path::new(".")).unwrap_err();
    assert!(err.to_string().contains("max_audio_mb"), "{err}");
    big = raw("");
    big.voice.cache_mb = 40_000_000_000_000;
    let err = Config::from_raw(big, &env_with_key(), Path::new(".")).unwrap_err();
    assert!(err.to_string().contains("cache_mb"), "{err}");
}

#[test]
fn zero_is_refused_everywhere_not_raised_to_one() {
    for line in [
        "rate_per_ip = 0",
        "rate_per_session = 0",
        "rate_per_client = 0",
        "max_turns = 0",
        "max_audio_secs = 0",
        "max_audio_mb = 0",
        "max_tts_chars = 0",
        "deferred_poll_secs = 0",
        "deferred_timeout_secs = 0",
        "max_output_tokens = 0",
        "max_message_chars = 0",
        "max_input_tokens = 0",
    ] {
        let err = Config::from_raw(raw(line), &env_with_key(), Path::new("."))
            .unwrap_err()
            .to_string();
        let name = line.split(' ').next().unwrap();
        assert!(
            err.contains(&format!("client \"demo\": {name} must be at least 1")),
            "{line}: {err}"
        );
    }
    let mut file = raw("");
    file.retry_max = 50;
    let err = Config::from_raw(file, &env_with_key(), Path::new("."))
        .unwrap_err()
        .to_string();
    assert!(err.contains("retry_max = 50"), "{err}");
}

#[test]
fn sizes_and_durations_too_large_to_hold_are_refused_not_wrapped() {
    for (line, name) in [
        (
            "max_conversation_kb = 9223372036854775807",
            "max_conversation_kb",
        ),
        (
            "max_conversation_store_mb = 9223372036854775807",
            "max_conversation_store_mb",
        ),
        (
            "conversation_ttl_hours = 9223372036854775807",
            "conversation_ttl_hours",
        ),
    ] {
        let file: RawConfig = toml::from_str(&format!(
            "{line}\n[[clients]]\nid = \"demo\"\nallowed_origins = []\ninstructions = \"x\"\n"
        ))
        .unwrap();
        let err = Config::from_raw(file, &env_with_key(), Path::new("."))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("{name} = ")) && err.contains("too large"),
            "{err}"
        );
    }
}

#[test]
fn a_table_left_out_has_the_same_defaults_as_an_empty_one() {
    let left_out: RawConfig = toml::from_str("").unwrap();
    let empty: RawConfig = toml::from_str("[voice]\n[openai]\n[anthropic]\n").unwrap();
    assert_eq!(
        format!("{:?}", left_out.voice),
        format!("{:?}", empty.voice)
    );
    assert_eq!(
        format!("{:?}", left_out.openai),
        format!("{:?}", empty.openai)
    );
    assert_eq!(
        format!("{:?}", left_out.anthropic),
        format!("{:?}", empty.anthropic)
    );
    assert_eq!(left_out.voice.sample_rate, 24_000);
    assert_eq!(left_out.anthropic.anthropic_version, "2023-06-01");
}

#[test]
fn short_hex_accent_colours_are_accepted_as_the_widget_accepts_them() {
    let config = Config::from_raw(
        raw("accent_color = \"#0af\""),
        &env_with_key(),
        Path::new("."),
    )
    .unwrap();
    assert_eq!(config.clients[0].accent_color, "#0af");
    assert!(
        Config::from_raw(
            raw("accent_color = \"#0afg\""),
            &env_with_key(),
            Path::new(".")
        )
        .is_err()
    );
}

#[test]
fn models_and_voices_have_documented_defaults_and_voices_are_x_ai_only() {
    let minimal = |provider: &str| -> RawConfig {
        toml::from_str(&format!(
            "[[clients]]\nid = \"c\"\nallowed_origins = [\"https://a.example\"]\n\
             instructions = \"Be brief.\"\n{provider}"
        ))
        .unwrap()
    };
    let env = EnvOverrides {
        api_key: Some("xai-test".into()),
        openai_api_key: Some("sk-test".into()),
        anthropic_api_key: Some("sk-ant-test".into()),
        ..Default::default()
    };
    for (provider, model, voice) in [
        ("", "grok-4-1-fast-non-reasoning", "eve"),
        ("provider = \"openai\"", "gpt-4.1-mini", ""),
        ("provider = \"anthropic\"", "claude-haiku-4-5", ""),
    ] {
        let c = Config::from_raw(minimal(provider), &env, Path::new(".")).unwrap();
        assert_eq!(c.clients[0].model, model, "{provider}");
        assert_eq!(c.clients[0].voice, voice, "{provider}");
        assert_eq!(c.clients[0].deferred_poll, Duration::from_secs(5));
    }
    let err = Config::from_raw(
        minimal("provider = \"openai\"\nvoice = \"eve\""),
        &env,
        Path::new("."),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("voice applies to provider = \"xai\" only"),
        "{err}"
    );
    assert!(err.contains("browser voice"), "{err}");
}

const OPENAI_CLIENT: &str = r#"
        [[clients]]
        id = "gpt"
        provider = "openai"
        allowed_origins = ["http://127.0.0.1:8080"]
        model = "gpt-4.1-mini"
        instructions = "Be brief."
        "#;

#[test]
fn a_provider_without_its_key_is_a_start_up_error_outside_demo_mode() {
    let raw: RawConfig = toml::from_str(OPENAI_CLIENT).unwrap();
    let err = Config::from_raw(raw, &env_with_key(), Path::new(".")).unwrap_err();
    assert!(
        err.to_string().contains("OPENAI_API_KEY is not set"),
        "{err}"
    );

    let raw: RawConfig = toml::from_str(OPENAI_CLIENT).unwrap();
    let env = EnvOverrides {
        demo_mode: Some("true".into()),
        base_url: Some("http://127.0.0.1:8090/v1".into()),
        ..Default::default()
    };
    let cfg = Config::from_raw(raw, &env, Path::new(".")).unwrap();
    let key = cfg.openai.api_key.as_ref().expect("demo placeholder");
    assert_eq!(key.expose(), DEMO_OPENAI_API_KEY);
    assert_eq!(cfg.openai.base_url.as_str(), DEFAULT_OPENAI_BASE_URL);
}

#[test]
fn only_x_ai_clients_need_the_x_ai_key() {
    let raw: RawConfig = toml::from_str(OPENAI_CLIENT).unwrap();
    let env = EnvOverrides {
        openai_api_key: Some("sk-test".into()),
        openai_base_url: Some("http://127.0.0.1:9/openai/v1/".into()),
        ..Default::default()
    };
    let cfg = Config::from_raw(raw, &env, Path::new(".")).unwrap();
    assert_eq!(cfg.clients[0].provider, ProviderKind::Openai);
    assert_eq!(cfg.openai.base_url.as_str(), "http://127.0.0.1:9/openai/v1");
    assert!(cfg.anthropic.api_key.is_none());
    assert_eq!(cfg.anthropic.version, DEFAULT_ANTHROPIC_VERSION);
}

#[test]
fn models_are_checked_against_the_clients_provider() {
    let mut r = raw("provider = \"anthropic\"");
    let env = EnvOverrides {
        anthropic_api_key: Some("sk-ant-test".into()),
        ..env_with_key()
    };
    let err = Config::from_raw(r, &env, Path::new(".")).unwrap_err();
    assert!(
        err.to_string().contains("[anthropic] allowed_models"),
        "{err}"
    );
    r = raw("provider = \"anthropic\"");
    r.clients[0].model = Some("claude-haiku-4-5".into());
    // x.ai voices are refused for other providers.
    r.clients[0].voice = None;
    assert!(Config::from_raw(r, &env, Path::new(".")).is_ok());
    let mut r = raw("");
    r.clients[0].model = Some("claude-haiku-4-5".into());
    assert!(Config::from_raw(r, &env, Path::new(".")).is_err());
}

#[test]
fn x_ai_only_settings_are_refused_for_other_providers() {
    let env = EnvOverrides {
        openai_api_key: Some("sk-test".into()),
        ..env_with_key()
    };
    for line in [
        "daily_usd_budget = 5.0",
        "tts_backend = \"realtime\"",
        "api = \"chat_completions\"",
    ] {
        let mut r = raw(&format!("provider = \"openai\"\n{line}"));
        r.clients[0].model = Some("gpt-4.1-mini".into());
        let err = Config::from_raw(r, &env, Path::new(".")).unwrap_err();
        assert!(
            err.to_string()
                .contains("applies to provider = \"xai\" only"),
            "{err}"
        );
    }
}

#[test]
fn debug_output_never_shows_the_key() {
    let cfg = Config::from_raw(raw(""), &env_with_key(), Path::new(".")).unwrap();
    let shown = format!("{cfg:?}");
    assert!(!shown.contains("xai-test"), "{shown}");
}

mod documented_example {
    use super::super::*;

    /// The full example in docs/configuration.md must stay a valid configuration.
    #[test]
    fn the_documented_configuration_is_valid() {
        let doc = include_str!("../../../docs/configuration.md");
        let start = doc.find("```toml\n").expect("a toml block") + 8;
        let end = start + doc[start..].find("```").expect("closed");
        let raw: RawConfig = toml::from_str(&doc[start..end]).expect("the documented TOML parses");
        let mut raw = raw;
        raw.widget_dir = None;
        raw.site_dir = None;
        let env = EnvOverrides {
            api_key: Some("xai-doc".into()),
            ..Default::default()
        };
        let cfg =
            Config::from_raw(raw, &env, Path::new(".")).expect("the documented TOML is valid");
        assert_eq!(cfg.clients[0].voices, ["eve", "ara", "leo"]);
        assert_eq!(cfg.voice.sample_rate, 24_000);
    }
}
