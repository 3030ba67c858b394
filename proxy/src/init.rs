//! `proxy init`: a commented starter configuration for one site, checked before it is written,
//! never over an existing file.

use std::path::Path;

use crate::config::{Config, EnvOverrides, RawConfig, normalize_origin};

/// The starter file for `client_id` on `origins` (already normalised).
pub fn template(client_id: &str, origins: &[String]) -> String {
    let origins = origins
        .iter()
        .map(|o| format!("\"{o}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"# Chat widget proxy: configuration for one site, written by `proxy init`.
# Every setting and its default: docs/configuration.md. Keys never go in this file: the proxy
# reads XAI_API_KEY from the environment.
#
#   check:  XAI_API_KEY=xai-... proxy check --config THIS_FILE
#   serve:  XAI_API_KEY=xai-... proxy serve --config THIS_FILE --listen 0.0.0.0:8080
#
# The widget is embedded in release builds; set widget_dir only to serve another build of it.
# widget_dir = "/opt/widget-proxy/widget-dist"

# Behind a reverse proxy (nginx, a load balancer), trust its address so visitors are told apart
# by their own:
# trusted_proxies = ["127.0.0.1/32"]

[[clients]]
id = "{client_id}"                                  # data-client-id in the script tag
allowed_origins = [{origins}]    # pages that may embed it: scheme://host[:port], exact
model = "grok-4-1-fast-non-reasoning"
instructions = "You are the friendly assistant of this website. Answer in two or three short sentences."
title = "Chat with us"
greeting = "Hi! How can I help you today?"
voice = "eve"                                       # eve, ara, leo, rex, sal, ...
# What a day (UTC) may cost at most; the assistant says it is unavailable past it. 0 = no cap.
daily_usd_budget = 5.0
# Messages per minute per visitor address, per session, and for the whole site:
# rate_per_ip = 20
# rate_per_session = 20
# rate_per_client = 600
"#
    )
}

/// Writes the starter config to `path`; returns what to do next.
pub fn write(path: &Path, origins: &[String], client_id: &str) -> anyhow::Result<String> {
    if path.exists() {
        anyhow::bail!(
            "{} already exists; not overwriting it. Choose another file with --config, or remove \
             it first",
            path.display()
        );
    }
    let origins = origins
        .iter()
        .map(|o| normalize_origin(o).map_err(|e| anyhow::anyhow!("--origin {o}: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let text = template(client_id, &origins);
    // The same checks `serve` makes, with a placeholder key, so the file is valid as written.
    let raw: RawConfig = toml::from_str(&text)?;
    let env = EnvOverrides {
        api_key: Some("xai-placeholder".into()),
        ..Default::default()
    };
    Config::from_raw(raw, &env, Path::new("."))?;
    std::fs::write(path, &text)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(format!(
        "wrote {path}\n\nNext:\n  1. export XAI_API_KEY=xai-...          (your key, from console.x.ai)\n  \
         2. proxy check --config {path}\n  3. proxy serve --config {path} --listen 0.0.0.0:8080\n  \
         4. on your pages: <script src=\"https://YOUR-PROXY-HOST/widget.js\" data-client-id=\"{client_id}\" async></script>",
        path = path.display()
    ))
}
