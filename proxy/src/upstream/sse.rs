//! Server-sent events framing, as upstreams send it: `event:` lines optional, `data:` lines,
//! blank-line separated, `\n` or `\r\n`, comments (`:`) ignored. [`SseParser`] is pure (bytes
//! in, frames out), so every framing variant is tested without a network; [`frames`] runs it
//! over an upstream body with the limits every provider's stream shares.

use std::time::Duration;

use bytes::{Buf, BytesMut};
use futures_util::{Stream, StreamExt};
use tokio::time::Instant;

use super::UpstreamError;
use crate::config::Config;

/// Longest single SSE line accepted from an upstream.
const MAX_SSE_LINE: usize = 4 << 20;

/// Bounds on one upstream reply stream. An upstream is trusted with the key, not with the
/// proxy's memory or time: one that ignores `max_output_tokens` or trickles forever is cut off.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// Longest silence between two chunks.
    pub idle: Duration,
    /// The whole stream, from its response head to its last byte.
    pub total: Duration,
    /// Bytes of the whole body, which bounds the reply text too.
    pub max_bytes: usize,
}

impl StreamLimits {
    pub fn from_config(config: &Config) -> Self {
        Self {
            idle: config.stream_idle_timeout,
            total: config.upstream_stream_timeout,
            max_bytes: config.max_reply_bytes,
        }
    }
}

/// The SSE frames of an upstream body, within `limits`: `Stalled` after `idle` of silence,
/// `Timeout` past `total`, `TooLarge` past `max_bytes`. A last frame without its blank line
/// still counts.
pub fn frames<S, B, E>(
    bytes: S,
    limits: StreamLimits,
) -> impl Stream<Item = Result<Frame, UpstreamError>> + Send + 'static
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: AsRef<[u8]> + Send,
    E: Into<UpstreamError> + Send,
{
    async_stream::try_stream! {
        let mut bytes = Box::pin(bytes);
        let mut parser = SseParser::new(MAX_SSE_LINE.min(limits.max_bytes));
        let deadline = Instant::now() + limits.total;
        let mut seen = 0usize;
        loop {
            let wait = limits.idle.min(deadline.saturating_duration_since(Instant::now()));
            let chunk = match tokio::time::timeout(wait, bytes.next()).await {
                Err(_) if Instant::now() >= deadline => Err(UpstreamError::Timeout)?,
                Err(_) => Err(UpstreamError::Stalled)?,
                Ok(None) => break,
                Ok(Some(Err(e))) => Err(e.into())?,
                Ok(Some(Ok(chunk))) => chunk,
            };
            let chunk = chunk.as_ref();
            seen += chunk.len();
            if seen > limits.max_bytes {
                Err(UpstreamError::TooLarge)?;
            }
            for frame in parser.push(chunk).map_err(|_| UpstreamError::Malformed)? {
                yield frame;
            }
        }
        if let Some(frame) = parser.finish() {
            yield frame;
        }
    }
}

/// One SSE frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The `event:` name when the server sent one.
    pub event: Option<String>,
    /// All `data:` lines of the frame joined with `\n`.
    pub data: String,
}

impl Frame {
    /// `data: [DONE]`, the chat-completions terminator (and maybe x.ai's Responses one).
    pub fn is_done_marker(&self) -> bool {
        self.data.trim() == "[DONE]"
    }
}

/// Incremental parser: feed it chunks as they arrive, take the frames that are complete.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: BytesMut,
    event: Option<String>,
    data: Vec<String>,
    /// Upper bound on one unterminated line, so a peer cannot make us buffer without limit.
    max_line: usize,
}

/// A line longer than the parser's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an SSE line exceeded the size limit")]
pub struct LineTooLong;

impl SseParser {
    pub fn new(max_line: usize) -> Self {
        Self {
            max_line,
            ..Self::default()
        }
    }

    /// Adds `chunk` and returns the frames it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Frame>, LineTooLong> {
        self.buf.extend_from_slice(chunk);
        let mut frames = Vec::new();
        while let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
            let mut line = self.buf.split_to(pos + 1);
            line.truncate(pos);
            if line.last() == Some(&b'\r') {
                line.truncate(pos - 1);
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            if let Some(frame) = self.line(&line) {
                frames.push(frame);
            }
        }
        if self.buf.len() > self.max_line {
            self.buf.advance(self.buf.len());
            return Err(LineTooLong);
        }
        Ok(frames)
    }

    /// The stream ended: a last frame without its blank line still counts.
    pub fn finish(&mut self) -> Option<Frame> {
        if !self.buf.is_empty() {
            let rest = String::from_utf8_lossy(&self.buf).into_owned();
            self.buf.clear();
            if let Some(frame) = self.line(rest.trim_end_matches('\r')) {
                return Some(frame);
            }
        }
        self.dispatch()
    }

    fn line(&mut self, line: &str) -> Option<Frame> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => self.data.push(value.to_owned()),
            _ => {} // id, retry and unknown fields do not matter to us
        }
        None
    }

    fn dispatch(&mut self) -> Option<Frame> {
        let event = self.event.take();
        if self.data.is_empty() {
            return None;
        }
        let data = std::mem::take(&mut self.data).join("\n");
        Some(Frame { event, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &str, chunk: usize) -> Vec<Frame> {
        let mut p = SseParser::new(1 << 20);
        let mut out = Vec::new();
        for c in input.as_bytes().chunks(chunk.max(1)) {
            out.extend(p.push(c).unwrap());
        }
        out.extend(p.finish());
        out
    }

    #[test]
    fn frames_with_and_without_event_lines_parse_alike() {
        let with = "event: response.output_text.delta\ndata: {\"a\":1}\n\n";
        let without = "data: {\"a\":1}\n\n";
        assert_eq!(parse_all(with, 1000)[0].data, "{\"a\":1}");
        assert_eq!(
            parse_all(with, 1000)[0].event.as_deref(),
            Some("response.output_text.delta")
        );
        assert_eq!(parse_all(without, 1000)[0].data, "{\"a\":1}");
        assert_eq!(parse_all(without, 1000)[0].event, None);
    }

    #[test]
    fn any_chunking_gives_the_same_frames() {
        let input =
            "event: a\r\ndata: one\r\n\r\n: comment\n\ndata: two\ndata: lines\n\ndata: [DONE]\n\n";
        let whole = parse_all(input, input.len());
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[1].data, "two\nlines");
        assert!(whole[2].is_done_marker());
        for size in 1..input.len() {
            assert_eq!(parse_all(input, size), whole, "chunk size {size}");
        }
    }

    #[test]
    fn a_last_frame_without_blank_line_is_kept() {
        let frames = parse_all("data: x\n\ndata: tail", 3);
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].data, "tail");
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut p = SseParser::new(16);
        assert_eq!(p.push(&[b'a'; 17]), Err(LineTooLong));
    }
}
