//! Checks with messages that say what to change: shape mistakes in the file, missing
//! directories, Redis URLs, secrets in a served directory, address lists.

use std::path::Path;

use super::{ConfigError, raw};

/// TOML's own message, plus what to change for the two shape mistakes people make.
pub(super) fn with_shape_hint(message: &str) -> String {
    let mut out = message.trim_end().to_owned();
    if message.contains("clients") && message.contains("expected a sequence") {
        out.push_str(
            "\nhint: each site is its own table: write [[clients]] (two brackets) once per site",
        );
    }
    if let Some(field) = message
        .split("unknown field `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        && raw::TOP_LEVEL_KEYS.contains(&field)
        && message.contains("`allowed_origins`")
    {
        out.push_str(&format!(
            "\nhint: `{field}` is a top-level setting, but it is written inside a [[clients]] \
             table; move it above the first [[clients]] line"
        ));
    }
    out
}

/// What to say when a configured directory does not exist: relative paths are the usual
/// surprise, so say what they were relative to.
pub(super) fn missing_dir(name: &str, relative: bool, dir: &Path) -> String {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
    let relative = if relative {
        " (a relative path in the config file is taken from the config file's directory)"
    } else {
        ""
    };
    let hint = if name == "widget_dir" {
        ". Point it at the built widget (scripts/build-widget writes target/widget-dist)"
    } else {
        ""
    };
    format!(
        "{name} {} is not a directory{relative}{hint}",
        absolute.display()
    )
}

/// `redis://`, `rediss://` or `unix://` with a host or path, refused here so `check` and
/// `serve` agree.
pub(super) fn check_redis_url(url: &str) -> Result<(), ConfigError> {
    let ok = ["redis://", "rediss://", "unix://", "redis+unix://"]
        .iter()
        .any(|scheme| url.starts_with(scheme) && url.len() > scheme.len())
        && redis::Client::open(url).is_ok();
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid(
            "redis_url (PROXY_REDIS_URL) must look like redis://host:6379 (or rediss:// for \
             TLS, unix:///path/to/socket); the scheme is required"
                .into(),
        ))
    }
}

/// A `site_dir` is published as it is: refuse one that holds this config file (system prompts,
/// limits) or a `.env` (keys), even though dotfiles are never served.
pub(super) fn refuse_secrets_in_site(site: &Path, config_path: &Path) -> Result<(), ConfigError> {
    let site_real = site.canonicalize().unwrap_or_else(|_| site.to_owned());
    let config_real = config_path
        .canonicalize()
        .unwrap_or_else(|_| config_path.to_owned());
    if config_real.starts_with(&site_real) {
        return Err(ConfigError::Invalid(format!(
            "site_dir {} contains this config file ({}), which would publish its system prompts \
             and limits; keep the config outside the directory the site is served from",
            site_real.display(),
            config_real.display()
        )));
    }
    if site_real.join(".env").exists() {
        return Err(ConfigError::Invalid(format!(
            "site_dir {} contains a .env file; keys do not belong in a served directory. Move it \
             out of site_dir",
            site_real.display()
        )));
    }
    Ok(())
}

pub(super) fn parse_cidrs(list: Vec<String>) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    list.iter()
        .map(|c| {
            c.parse::<ipnet::IpNet>()
                .or_else(|_| c.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    ConfigError::Invalid(format!(
                        "trusted_proxies entry \"{c}\" is not an IP or CIDR"
                    ))
                })
        })
        .collect()
}
