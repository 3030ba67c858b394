//! The widget bundle and the demo site.
//!
//! `/widget.js` is the loader site owners embed. Its name never changes, so it is cached for
//! minutes; it names the content-hashed glue and `.wasm` under `/widget/`, which are cached for a
//! year. The hashed names are found once at start by scanning the bundle directory and written
//! into the loader, so the loader needs no extra manifest request. Bundle files are public and
//! carry `Access-Control-Allow-Origin: *`: browsers refuse a cross-origin module or `.wasm`
//! without it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use super::AppState;

const LOADER_TEMPLATE: &str = include_str!("../../../widget-wasm/loader.js");
/// Prefix of the files Trunk writes for the `widget-wasm` crate.
const BUNDLE_STEM: &str = "widget-wasm-";

/// Where the widget bundle comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bundle {
    /// `widget_dir`: files on disk (development, or an owner's own build).
    Dir(PathBuf),
    /// Compiled into this binary (release builds with the `embed-widget` feature).
    Embedded,
}

/// The built widget: where it is and the loader that points at it.
#[derive(Debug, Clone)]
pub struct WidgetAssets {
    pub source: Bundle,
    pub glue: String,
    pub wasm: String,
    pub loader: String,
}

impl WidgetAssets {
    /// Finds `widget-wasm-<hash>.js` and `widget-wasm-<hash>_bg.wasm` in `dir`.
    pub fn discover(dir: &Path) -> anyhow::Result<Self> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| anyhow::anyhow!("cannot read widget_dir {}: {e}", dir.display()))?;
        let names = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned());
        Self::from_names(names, Bundle::Dir(dir.to_owned())).ok_or_else(|| {
            anyhow::anyhow!(
                "widget_dir {} holds no built widget ({BUNDLE_STEM}*.js and {BUNDLE_STEM}*_bg.wasm); \
                 build it with scripts/build-widget",
                dir.display()
            )
        })
    }

    /// The bundle compiled into this binary, if it has one.
    pub fn embedded() -> Option<Self> {
        Self::from_names(super::embedded::names(), Bundle::Embedded)
    }

    fn from_names(names: impl Iterator<Item = String>, source: Bundle) -> Option<Self> {
        let (mut glue, mut wasm) = (None, None);
        for name in names.filter(|n| n.starts_with(BUNDLE_STEM)) {
            if name.ends_with("_bg.wasm") {
                wasm = Some(name);
            } else if name.ends_with(".js") {
                glue = Some(name);
            }
        }
        let (glue, wasm) = (glue?, wasm?);
        let loader = LOADER_TEMPLATE
            .replace("__GLUE__", &format!("widget/{glue}"))
            .replace("__WASM__", &format!("widget/{wasm}"));
        Some(Self {
            source,
            glue,
            wasm,
            loader,
        })
    }
}

pub fn router(state: &AppState) -> Router<AppState> {
    let mut router = Router::new().route("/widget.js", get(loader).layer(CompressionLayer::new()));
    if let Some(WidgetAssets {
        source: Bundle::Embedded,
        ..
    }) = state.assets.as_ref()
    {
        router = router.route("/widget/{file}", get(super::embedded::file));
    }
    if let Some(WidgetAssets {
        source: Bundle::Dir(dir),
        ..
    }) = state.assets.as_ref()
    {
        let bundle = Router::new()
            // scripts/build-widget writes .br and .gz next to each file at maximum compression;
            // on-the-fly compression (below) only covers what has no such file.
            .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
            .layer(SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ))
            .layer(CompressionLayer::new());
        let bundle = bundle.layer(middleware::from_fn_with_state(
            StaticRoot::new(dir),
            refuse_hidden_and_escaping,
        ));
        router = router.nest("/widget", bundle);
    }
    if let Some(site) = &state.config.site_dir {
        let site = Router::new()
            .fallback_service(ServeDir::new(site).append_index_html_on_directories(true))
            .layer(SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache"),
            ))
            .layer(CompressionLayer::new())
            .layer(middleware::from_fn_with_state(
                StaticRoot::new(site),
                refuse_hidden_and_escaping,
            ));
        router = router.merge(site);
    }
    router
}

/// A directory served as static files, with its symlinks resolved once at start.
#[derive(Clone)]
struct StaticRoot {
    dir: Arc<PathBuf>,
    canonical: Arc<PathBuf>,
}

impl StaticRoot {
    fn new(dir: &Path) -> Self {
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
        Self {
            dir: Arc::new(dir.to_owned()),
            canonical: Arc::new(canonical),
        }
    }

    /// Whether `path` (the request path, still percent-encoded) may be served from this root:
    /// no segment may be hidden (`.env`, `.git/config`), and what it names, once every symlink
    /// is resolved, must still lie inside the root.
    fn allows(&self, path: &str) -> bool {
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        let relative = decoded.trim_start_matches('/');
        let hidden = relative
            .split(['/', '\\'])
            .any(|segment| segment.starts_with('.'));
        if hidden {
            return false;
        }
        let target = self.dir.join(relative);
        // Directories are served through their index.html, which may itself be a link.
        [target.clone(), target.join("index.html")]
            .iter()
            .filter_map(|p| p.canonicalize().ok())
            .all(|real| real.starts_with(self.canonical.as_path()))
    }
}

/// Static files never include dotfiles or anything a symlink points at outside the root: a
/// `site_dir` that happens to hold `.env`, `.git/` or a link to `/etc` must not publish them.
async fn refuse_hidden_and_escaping(
    State(root): State<StaticRoot>,
    req: Request,
    next: Next,
) -> Response {
    if root.allows(req.uri().path()) {
        next.run(req).await
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

async fn loader(State(state): State<AppState>) -> Response {
    match state.assets.as_ref() {
        Some(assets) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                // Short: the loader is the one file whose name never changes.
                (header::CACHE_CONTROL, "public, max-age=300"),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            assets.loader.clone(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            "console.error(\"[widget] this proxy serves no widget bundle (widget_dir is not set)\");",
        )
            .into_response(),
    }
}
