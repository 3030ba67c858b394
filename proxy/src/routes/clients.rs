//! `GET /api/clients/{client_id}`: the public part of a site's configuration.

use axum::extract::{Path, State};
use protocol::ClientInfo;

use super::AppState;
use crate::error::{AppError, Json};

pub async fn get_client(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
) -> Result<Json<ClientInfo>, AppError> {
    let client = state.client(&client_id)?;
    Ok(Json(ClientInfo {
        client_id: client.id.clone(),
        title: client.title.clone(),
        greeting: client.greeting.clone(),
        accent_color: client.accent_color.clone(),
        voice_enabled: client.voice_enabled,
        voices: client.voices.clone(),
        default_voice: client.voice.clone(),
        stt_language: client.stt_language.clone(),
        demo_mode: state.config.demo_mode,
    }))
}
