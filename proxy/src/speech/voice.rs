//! Text → speech clip: picks the client's backend (TTS endpoint, streaming TTS, realtime voice),
//! caps concurrent voice sessions, caches clips by voice and text, wraps PCM in WAV and returns
//! a `data:audio/wav;base64,…` URL. Logs the `[TTS]` lines QA reads.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Semaphore;
use tracing::{info, warn};

use super::audio::{pcm16_duration_ms, wav_data_url, wav_from_pcm16};
use crate::config::{Config, RealtimeAuth, TtsBackend};
use crate::upstream::xai::utterance::{TtsError, Utterance};
use crate::upstream::xai::{realtime, tts};

/// A finished clip.
#[derive(Debug, Clone)]
pub struct Clip {
    pub data_url: Arc<str>,
    pub duration_ms: u64,
    pub cached: bool,
}

#[derive(Clone)]
pub struct VoiceService {
    http: reqwest::Client,
    base_url: String,
    ws_base_url: String,
    key: crate::config::ApiKey,
    sessions: Arc<Semaphore>,
    cache: Arc<ClipCache>,
    pub sample_rate: u32,
    pub first_audio_timeout: Duration,
    pub timeout: Duration,
    connect_timeout: Duration,
    realtime_model: String,
    realtime_auth: RealtimeAuth,
}

impl VoiceService {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let v = &config.voice;
        Ok(Self {
            http: reqwest::Client::builder()
                .connect_timeout(v.connect_timeout)
                .user_agent(concat!("grok-widget-proxy/", env!("CARGO_PKG_VERSION")))
                .build()?,
            base_url: config.base_url.as_str().trim_end_matches('/').to_owned(),
            ws_base_url: config.ws_base_url.as_str().trim_end_matches('/').to_owned(),
            key: config.api_key.clone(),
            sessions: Arc::new(Semaphore::new(v.max_sessions)),
            cache: Arc::new(ClipCache::new(v.cache_entries, v.cache_bytes)),
            sample_rate: v.sample_rate,
            first_audio_timeout: v.first_audio_timeout,
            timeout: v.timeout,
            connect_timeout: v.connect_timeout,
            realtime_model: v.realtime_model.clone(),
            realtime_auth: v.realtime_auth,
        })
    }

    /// Speaks `text` with `voice`; a cached clip costs nothing.
    pub async fn synthesize(
        &self,
        backend: TtsBackend,
        voice: &str,
        language: &str,
        text: &str,
        max_bytes: usize,
    ) -> Result<Clip, TtsError> {
        let key = CacheKey {
            backend,
            voice: voice.to_owned(),
            rate: self.sample_rate,
            text: text.to_owned(),
        };
        if let Some(clip) = self.cache.get(&key) {
            metrics::counter!("tts_cache_hits_total").increment(1);
            info!(
                backend = backend.as_str(),
                voice,
                chars = text.chars().count(),
                duration_ms = clip.duration_ms,
                "[TTS] Cache hit"
            );
            return Ok(clip);
        }
        // x.ai limits concurrent voice sessions per team: refuse at once rather than queue.
        let Ok(_permit) = self.sessions.try_acquire() else {
            warn!(
                backend = backend.as_str(),
                voice, "[TTS] Failed to generate audio: all voice sessions are busy"
            );
            return Err(TtsError::Busy);
        };
        let started = Instant::now();
        let utt = Utterance {
            text,
            voice,
            language,
            sample_rate: self.sample_rate,
            max_bytes,
            first_audio_timeout: self.first_audio_timeout,
            timeout: self.timeout,
        };
        let result = tokio::time::timeout(self.timeout, self.run(backend, &utt))
            .await
            .unwrap_or(Err(TtsError::Timeout));
        let latency_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(pcm) => {
                let duration_ms = pcm16_duration_ms(pcm.len(), self.sample_rate);
                let clip = Clip {
                    data_url: Arc::from(wav_data_url(&wav_from_pcm16(&pcm, self.sample_rate))),
                    duration_ms,
                    cached: false,
                };
                info!(
                    backend = backend.as_str(),
                    voice,
                    chars = text.chars().count(),
                    duration_ms,
                    latency_ms,
                    bytes = clip.data_url.len(),
                    "[TTS] Successfully generated audio"
                );
                metrics::counter!("tts_requests_total", "backend" => backend.as_str(), "result" => "ok").increment(1);
                metrics::histogram!("tts_clip_duration_seconds")
                    .record(duration_ms as f64 / 1000.0);
                self.cache.put(key, clip.clone());
                Ok(clip)
            }
            Err(e) => {
                metrics::counter!("tts_requests_total", "backend" => backend.as_str(), "result" => e.code()).increment(1);
                warn!(
                    backend = backend.as_str(), voice, chars = text.chars().count(), latency_ms,
                    error = %e, code = e.code(), "[TTS] Failed to generate audio"
                );
                Err(e)
            }
        }
    }

    async fn run(&self, backend: TtsBackend, utt: &Utterance<'_>) -> Result<Vec<u8>, TtsError> {
        match backend {
            TtsBackend::Tts => tts::rest(&self.http, &self.base_url, self.key.expose(), utt).await,
            TtsBackend::TtsStream => tts::stream(&self.ws_base_url, self.key.expose(), utt).await,
            TtsBackend::Realtime => {
                let token = match self.realtime_auth {
                    RealtimeAuth::Key => self.key.expose().to_owned(),
                    RealtimeAuth::Ephemeral => self.client_secret().await?,
                };
                let mut ws = realtime::connect(
                    &self.ws_base_url,
                    &self.realtime_model,
                    &token,
                    self.connect_timeout,
                )
                .await?;
                realtime::speak(&mut ws, utt).await
            }
        }
    }

    /// `POST /v1/realtime/client_secrets`: a short-lived secret, so the long-lived key never
    /// travels on the voice socket.
    async fn client_secret(&self) -> Result<String, TtsError> {
        #[derive(Deserialize)]
        struct Secret {
            value: String,
        }
        let resp = self
            .http
            .post(format!("{}/realtime/client_secrets", self.base_url))
            .bearer_auth(self.key.expose())
            .timeout(self.first_audio_timeout)
            .json(&serde_json::json!({ "expires_after": { "seconds": 60 } }))
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    TtsError::FirstAudioTimeout
                } else {
                    TtsError::Connect
                }
            })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(TtsError::Status {
                status: status.as_u16(),
                retry_after: crate::upstream::http::parse_retry_after(resp.headers()),
            });
        }
        resp.json::<Secret>()
            .await
            .map(|s| s.value)
            .map_err(|_| TtsError::Malformed)
    }

    pub fn cache_len(&self) -> usize {
        self.cache.len()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    backend: TtsBackend,
    voice: String,
    rate: u32,
    text: String,
}

/// Clips by voice and text, bounded in entries and bytes, oldest out first.
struct ClipCache {
    inner: Mutex<CacheInner>,
    max_entries: usize,
    max_bytes: usize,
}

#[derive(Default)]
struct CacheInner {
    map: HashMap<CacheKey, Clip>,
    order: VecDeque<CacheKey>,
    bytes: usize,
}

impl ClipCache {
    fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(CacheInner::default()),
            max_entries,
            max_bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, key: &CacheKey) -> Option<Clip> {
        self.lock().map.get(key).map(|c| Clip {
            cached: true,
            ..c.clone()
        })
    }

    fn put(&self, key: CacheKey, clip: Clip) {
        let size = clip.data_url.len();
        if self.max_entries == 0 || size > self.max_bytes {
            return;
        }
        let mut inner = self.lock();
        if inner.map.contains_key(&key) {
            return;
        }
        inner.bytes += size;
        inner.order.push_back(key.clone());
        inner.map.insert(key, clip);
        while inner.map.len() > self.max_entries || inner.bytes > self.max_bytes {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            if let Some(c) = inner.map.remove(&old) {
                inner.bytes -= c.data_url.len();
            }
        }
    }

    fn len(&self) -> usize {
        self.lock().map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(n: usize) -> Clip {
        Clip {
            data_url: Arc::from("x".repeat(n)),
            duration_ms: 1,
            cached: false,
        }
    }

    fn key(text: &str) -> CacheKey {
        CacheKey {
            backend: TtsBackend::Tts,
            voice: "eve".into(),
            rate: 24_000,
            text: text.into(),
        }
    }

    #[test]
    fn the_cache_is_bounded_in_entries_and_bytes() {
        let c = ClipCache::new(2, 100);
        c.put(key("a"), clip(10));
        c.put(key("b"), clip(10));
        c.put(key("c"), clip(10));
        assert_eq!(c.len(), 2);
        assert!(c.get(&key("a")).is_none());
        c.put(key("d"), clip(95));
        assert!(c.get(&key("d")).unwrap().cached);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn error_codes_tell_the_widget_what_happened() {
        assert_eq!(TtsError::Busy.code(), "tts_unavailable");
        assert_eq!(
            TtsError::Status {
                status: 429,
                retry_after: None
            }
            .code(),
            "tts_unavailable"
        );
        assert_eq!(TtsError::FirstAudioTimeout.code(), "tts_timeout");
        assert_eq!(TtsError::Dropped.code(), "tts_failed");
        assert_eq!(TtsError::TooLong.code(), "tts_too_long");
    }
}
