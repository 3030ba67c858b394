//! Text → speech: picks the client's backend (TTS endpoint, streaming TTS, realtime voice),
//! caps concurrent voice sessions, caches clips by voice and text, wraps PCM in WAV and hands
//! out `data:audio/wav;base64,…` URLs: the whole clip, or pieces as the audio arrives. Logs the
//! `[TTS]` lines QA reads.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Semaphore;
use tracing::{info, warn};

use super::audio::{pcm16_duration_ms, wav_data_url, wav_from_pcm16};
use super::pieces::{Cutter, Piecing};
use crate::config::{Config, RealtimeAuth, TtsBackend};
use crate::upstream::xai::utterance::{PcmSink, TextFeed, TtsError, Utterance};
use crate::upstream::xai::{realtime, tts};

/// A finished clip.
#[derive(Debug, Clone)]
pub struct Clip {
    pub data_url: Arc<str>,
    pub duration_ms: u64,
    pub cached: bool,
}

/// A piece of a sentence's speech, ready to send: a complete WAV of part of it.
#[derive(Debug, Clone)]
pub struct Piece {
    pub data_url: String,
    pub duration_ms: u64,
    /// The sentence's last piece: its audio is complete.
    pub last: bool,
}

/// What speaking one sentence came to, once all its pieces are out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spoken {
    pub duration_ms: u64,
    /// From the cache: nothing was paid for it.
    pub cached: bool,
}

/// What to say it with.
#[derive(Debug, Clone, Copy)]
pub struct Speak<'a> {
    pub backend: TtsBackend,
    pub voice: &'a str,
    pub language: &'a str,
    /// PCM bytes beyond which the sentence is refused.
    pub max_bytes: usize,
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

    /// Speaks `text` with `voice` as one clip; a cached clip costs nothing.
    pub async fn synthesize(
        &self,
        backend: TtsBackend,
        voice: &str,
        language: &str,
        text: &str,
        max_bytes: usize,
    ) -> Result<Clip, TtsError> {
        let mut clip = None;
        let req = Speak {
            backend,
            voice,
            language,
            max_bytes,
        };
        let spoken = self
            .speak(&req, TextFeed::whole(text), Piecing::Whole, &mut |p| {
                clip = Some(p.data_url);
            })
            .await?;
        Ok(Clip {
            data_url: Arc::from(clip.ok_or(TtsError::Malformed)?),
            duration_ms: spoken.duration_ms,
            cached: spoken.cached,
        })
    }

    /// Speaks `text`, handing its audio to `on_piece` as `piecing` says: pieces while it is
    /// synthesised, the last one marked. When speech fails after some pieces, what had arrived
    /// was handed out (not marked last) before the error returns. A cached clip is one piece.
    pub async fn speak(
        &self,
        req: &Speak<'_>,
        mut text: TextFeed,
        piecing: Piecing,
        on_piece: &mut (dyn FnMut(Piece) + Send),
    ) -> Result<Spoken, TtsError> {
        let Speak { backend, voice, .. } = *req;
        let key = |text: &str| CacheKey {
            backend,
            voice: voice.to_owned(),
            rate: self.sample_rate,
            text: text.to_owned(),
        };
        if let Some(whole) = text.peek_whole()
            && let Some(clip) = self.cache.get(&key(whole))
        {
            metrics::counter!("tts_cache_hits_total").increment(1);
            info!(
                backend = backend.as_str(),
                voice,
                chars = whole.chars().count(),
                duration_ms = clip.duration_ms,
                "[TTS] Cache hit"
            );
            on_piece(Piece {
                data_url: clip.data_url.to_string(),
                duration_ms: clip.duration_ms,
                last: true,
            });
            return Ok(Spoken {
                duration_ms: clip.duration_ms,
                cached: true,
            });
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
            voice,
            language: req.language,
            sample_rate: self.sample_rate,
            max_bytes: req.max_bytes,
            first_audio_timeout: self.first_audio_timeout,
            timeout: self.timeout,
        };
        let rate = self.sample_rate;
        let piece = |pcm: &[u8], last: bool| Piece {
            data_url: wav_data_url(&wav_from_pcm16(pcm, rate)),
            duration_ms: pcm16_duration_ms(pcm.len() & !1, rate),
            last,
        };
        let mut whole = Vec::new();
        let mut cutter = Cutter::new(piecing);
        let mut first_piece_ms = None;
        let result = {
            let mut on_pcm = |pcm: &[u8]| {
                whole.extend_from_slice(pcm);
                for p in cutter.push(pcm) {
                    first_piece_ms.get_or_insert_with(|| started.elapsed().as_millis() as u64);
                    on_piece(piece(&p, false));
                }
            };
            let mut sink = PcmSink::new(req.max_bytes, &mut on_pcm);
            tokio::time::timeout(self.timeout, self.run(backend, &utt, &mut text, &mut sink))
                .await
                .unwrap_or(Err(TtsError::Timeout))
        };
        let latency_ms = started.elapsed().as_millis() as u64;
        let chars = text.said().chars().count();
        match result {
            Ok(()) => {
                let duration_ms = pcm16_duration_ms(whole.len(), rate);
                let clip_url: Arc<str> = Arc::from(wav_data_url(&wav_from_pcm16(&whole, rate)));
                let last = match cutter.finish() {
                    Some(rest) => piece(&rest, true),
                    None => Piece {
                        data_url: clip_url.to_string(),
                        duration_ms,
                        last: true,
                    },
                };
                let pieces = cutter.count() + 1;
                info!(
                    backend = backend.as_str(),
                    voice,
                    chars,
                    duration_ms,
                    latency_ms,
                    first_piece_ms = first_piece_ms.unwrap_or(latency_ms),
                    pieces,
                    bytes = clip_url.len(),
                    "[TTS] Successfully generated audio"
                );
                on_piece(last);
                metrics::counter!("tts_requests_total", "backend" => backend.as_str(), "result" => "ok").increment(1);
                metrics::histogram!("tts_clip_duration_seconds")
                    .record(duration_ms as f64 / 1000.0);
                self.cache.put(
                    key(text.said()),
                    Clip {
                        data_url: clip_url,
                        duration_ms,
                        cached: false,
                    },
                );
                Ok(Spoken {
                    duration_ms,
                    cached: false,
                })
            }
            // A socket opened early for a reply with nothing to say: not a failure.
            Err(TtsError::NoText) => Err(TtsError::NoText),
            Err(e) => {
                if let Some(rest) = cutter.flush() {
                    on_piece(piece(&rest, false));
                }
                metrics::counter!("tts_requests_total", "backend" => backend.as_str(), "result" => e.code()).increment(1);
                warn!(
                    backend = backend.as_str(), voice, chars, latency_ms, pieces = cutter.count(),
                    error = %e, code = e.code(), "[TTS] Failed to generate audio"
                );
                Err(e)
            }
        }
    }

    async fn run(
        &self,
        backend: TtsBackend,
        utt: &Utterance<'_>,
        text: &mut TextFeed,
        sink: &mut PcmSink<'_>,
    ) -> Result<(), TtsError> {
        let key = self.key.expose();
        match backend {
            TtsBackend::Tts => tts::rest(&self.http, &self.base_url, key, utt, text, sink).await,
            TtsBackend::TtsStream => tts::stream(&self.ws_base_url, key, utt, text, sink).await,
            TtsBackend::Realtime => {
                let token = match self.realtime_auth {
                    RealtimeAuth::Key => key.to_owned(),
                    RealtimeAuth::Ephemeral => self.client_secret().await?,
                };
                let mut ws = realtime::connect(
                    &self.ws_base_url,
                    &self.realtime_model,
                    &token,
                    self.connect_timeout,
                )
                .await?;
                realtime::speak(&mut ws, utt, text, sink).await
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
