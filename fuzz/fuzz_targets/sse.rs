//! The proxy's upstream SSE framing (`proxy::upstream::sse`).
//!
//! Input: byte 0 picks where the stream is cut in two, byte 1 a chunk size; the rest is the
//! stream. Properties: a push fails exactly when the unterminated line it leaves buffered is
//! over the cap (so a peer cannot make the proxy buffer without limit); how the bytes are cut
//! into chunks never changes the frames; nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy::upstream::sse::{Frame, SseParser};

/// Small, so the fuzzer reaches the cap easily.
const MAX_LINE: usize = 64;

/// The bytes the parser holds after reading `prefix`: everything after its last `\n`.
fn unterminated(prefix: &[u8]) -> usize {
    prefix.len()
        - prefix
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
}

/// Feeds `stream` cut at `ends` (increasing, the last one `stream.len()`). `None` when the cap
/// stopped it, which must happen at exactly the first push that leaves too long a line.
fn feed(stream: &[u8], ends: impl IntoIterator<Item = usize>) -> Option<Vec<Frame>> {
    let mut parser = SseParser::new(MAX_LINE);
    let mut frames = Vec::new();
    let mut start = 0;
    for end in ends {
        let pushed = parser.push(&stream[start..end]);
        let over = unterminated(&stream[..end]) > MAX_LINE;
        assert_eq!(pushed.is_err(), over, "push of bytes {start}..{end}");
        match pushed {
            Ok(more) => frames.extend(more),
            Err(_) => {
                // After refusing, the parser must still be usable and must not panic.
                let _ = parser.push(&stream[end..]);
                let _ = parser.finish();
                return None;
            }
        }
        start = end;
    }
    frames.extend(parser.finish());
    Some(frames)
}

fuzz_target!(|data: &[u8]| {
    let [cut, chunk, stream @ ..] = data else {
        return;
    };
    let len = stream.len();
    let cut = usize::from(*cut) % (len + 1);
    let chunk = usize::from(*chunk % 32) + 1;

    let whole = feed(stream, [len]);
    let halves = feed(stream, [cut, len]);
    let chunked = feed(
        stream,
        (1..=len.div_ceil(chunk)).map(|i| (i * chunk).min(len)),
    );

    if let Some(whole) = &whole {
        for frame in whole {
            // An event name is one line.
            assert!(
                frame.event.as_deref().is_none_or(|e| !e.contains('\n')),
                "{frame:?}"
            );
        }
        // No frame without a `data` line of its own.
        let data_lines = stream
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"data"))
            .count();
        assert!(
            whole.len() <= data_lines,
            "{} frames from {data_lines} data lines",
            whole.len()
        );
        // Chunking never changes the frames (when the cap let both through).
        if let Some(halves) = &halves {
            assert_eq!(halves, whole, "cut at {cut}");
        }
        if let Some(chunked) = &chunked {
            assert_eq!(chunked, whole, "chunks of {chunk}");
        }
    }
});
