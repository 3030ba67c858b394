//! `GET /api/clients/{client_id}`: the public part of a site's configuration, and a session
//! token when the site uses them.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use protocol::ClientInfo;

use super::{AppState, refuse_origin};

/// `?lang=` (the tag's `data-lang`) and `?prefer=` (the page's `<html lang>`, then the
/// browser's languages, comma-separated): what [`crate::config::strings`] chooses from.
#[derive(Debug, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LanguageQuery {
    /// The interface language the site asked for on the tag (`data-lang`).
    pub lang: Option<String>,
    /// The page's and the browser's languages, best first, comma-separated.
    pub prefer: Option<String>,
}

impl LanguageQuery {
    /// Read leniently (a malformed query is no language, never an error): the page still gets
    /// its widget, in English.
    fn parse(query: Option<&str>) -> Self {
        let mut out = Self::default();
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*k {
                "lang" => out.lang = Some(v.into_owned()),
                "prefer" => out.prefer = Some(v.into_owned()),
                _ => {}
            }
        }
        out
    }
}
use crate::error::{AppError, Json, Path};
use crate::session;

#[utoipa::path(
    get, path = "/api/clients/{client_id}", tag = "site",
    summary = "A site's public settings, and a session token when the site uses them",
    params(
        LanguageQuery,
        ("client_id" = String, Path, description = "The site's id: `data-client-id` of the script tag"),
        ("Origin" = Option<String>, Header, nullable = false, description = "The page's origin; when present it \
            must be one of the client's `allowed_origins` (browsers leave it off same-origin \
            GETs). The session token is bound to it."),
        ("X-Widget-Session" = Option<String>, Header, nullable = false, description = "A still-valid token from an \
            earlier visit: its session (and so its conversations) is kept"),
    ),
    responses(
        (status = 200, description = "The site's settings", body = ClientInfo,
            links(("chat_in_session" = (
                operation_id = "chat",
                description = "A first turn on this site, in the session just issued (send the \
                    same Origin)",
                parameters(("header.X-Widget-Session" = "$response.body#/session_token")),
                request_body = json!({"client_id": "$request.path.client_id", "message": "Hello"}),
            )))),
        super::contract::ClientErrors,
    ),
)]
pub async fn get_client(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<ClientInfo>, AppError> {
    let client = state.client(&client_id)?;
    // Browsers leave `Origin` off same-origin GETs; when present it must be one of the site's.
    let origin = headers
        .get(header::ORIGIN)
        .map(|o| o.to_str().unwrap_or("null"));
    if let Some(o) = origin
        && !client.allows_origin(o)
    {
        return Err(refuse_origin(&client, o));
    }
    let binding = match origin {
        Some(o) => Some(o.to_owned()),
        None => session::host_binding(&headers),
    };
    let session_token = match (client.session_tokens, binding) {
        (true, Some(b)) => {
            let (secret, now) = (&state.config.session_secret, session::now());
            // A page that presents its still-valid token (after a reload) keeps its session,
            // and with it the conversations bound to it.
            let kept = headers
                .get("x-widget-session")
                .and_then(|v| v.to_str().ok())
                .and_then(|t| session::verify(secret, t, &client.id, &b, now));
            Some(match kept {
                Some(sid) => session::renew(secret, &client.id, &b, now, &sid),
                None => session::issue(secret, &client.id, &b, now),
            })
        }
        _ => None,
    };
    let lang = LanguageQuery::parse(query.as_deref());
    let chosen = client.strings.choose(
        lang.lang.as_deref().filter(|l| !l.is_empty()),
        lang.prefer.as_deref().unwrap_or(""),
    );
    Ok(Json(ClientInfo {
        client_id: client.id.clone(),
        title: chosen.catalogue.title.clone(),
        greeting: chosen.catalogue.greeting.clone(),
        accent_color: client.accent_color.clone(),
        voice_enabled: client.voice_enabled,
        server_voice: client.voice_enabled && client.provider.has_server_voice(),
        voices: client.voices.clone(),
        default_voice: client.voice.clone(),
        stt_language: client.stt_language.clone().unwrap_or(chosen.speech),
        demo_mode: state.config.demo_mode,
        images: client.images,
        max_images: if client.images {
            client.max_images as u32
        } else {
            0
        },
        max_image_bytes: if client.images {
            client.max_image_bytes as u64
        } else {
            0
        },
        session_token,
        audio_pieces: true,
        language: chosen.language.to_owned(),
        strings: chosen.catalogue.strings.to_vec(),
    }))
}
