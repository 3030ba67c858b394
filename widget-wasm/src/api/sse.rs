//! Server-sent-event framing, pure: text chunks in (split anywhere), frames out.
//!
//! Follows the WHATWG rules the proxy relies on: frames end at a blank line, `:` starts a
//! comment (`: keep-alive`), several `data:` lines join with `\n`, one space after the colon
//! is dropped, and `\r\n`, `\r` and `\n` all end a line.

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame {
    /// The `event:` name; `message` when the frame had none.
    pub event: String,
    pub data: String,
}

/// Accumulates chunks and yields complete frames.
#[derive(Debug, Default)]
pub struct Parser {
    /// The unfinished last line.
    line: String,
    /// A `\r` ended the previous chunk: a `\n` starting this one belongs to it.
    after_cr: bool,
    event: String,
    data: Vec<String>,
    has_data: bool,
}

impl Parser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one decoded chunk; returns the frames it completed.
    pub fn push(&mut self, chunk: &str) -> Vec<Frame> {
        let mut frames = Vec::new();
        let mut rest = chunk;
        if self.after_cr {
            rest = rest.strip_prefix('\n').unwrap_or(rest);
            self.after_cr = false;
        }
        while let Some(pos) = rest.find(['\r', '\n']) {
            self.line.push_str(&rest[..pos]);
            let line = std::mem::take(&mut self.line);
            if let Some(frame) = self.line_done(&line) {
                frames.push(frame);
            }
            let crlf = rest[pos..].starts_with("\r\n");
            if rest.as_bytes()[pos] == b'\r' && pos + 1 == rest.len() {
                self.after_cr = true;
            }
            rest = &rest[pos + if crlf { 2 } else { 1 }..];
        }
        self.line.push_str(rest);
        frames
    }

    fn line_done(&mut self, line: &str) -> Option<Frame> {
        if line.is_empty() {
            let frame = self.has_data.then(|| Frame {
                event: if self.event.is_empty() {
                    "message".into()
                } else {
                    std::mem::take(&mut self.event)
                },
                data: self.data.join("\n"),
            });
            self.event.clear();
            self.data.clear();
            self.has_data = false;
            return frame;
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.find(':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line, ""),
        };
        match field {
            "event" => self.event = value.to_owned(),
            "data" => {
                self.data.push(value.to_owned());
                self.has_data = true;
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(event: &str, data: &str) -> Frame {
        Frame {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn one_frame() {
        let mut p = Parser::new();
        assert_eq!(
            p.push("event: delta\ndata: {\"type\":\"delta\",\"text\":\"Hi\"}\n\n"),
            vec![frame("delta", r#"{"type":"delta","text":"Hi"}"#)]
        );
    }

    #[test]
    fn frames_split_across_chunks_anywhere() {
        let src = "event: delta\ndata: a\n\n: keep-alive\n\nevent: done\ndata: b\n\n";
        for cut in 0..src.len() {
            let mut p = Parser::new();
            let mut got = p.push(&src[..cut]);
            got.extend(p.push(&src[cut..]));
            assert_eq!(
                got,
                vec![frame("delta", "a"), frame("done", "b")],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn crlf_and_cr_line_endings() {
        let src = "event: x\r\ndata: 1\r\n\r\nevent: y\rdata: 2\r\r";
        for cut in 0..src.len() {
            let mut p = Parser::new();
            let mut got = p.push(&src[..cut]);
            got.extend(p.push(&src[cut..]));
            assert_eq!(got, vec![frame("x", "1"), frame("y", "2")], "cut at {cut}");
        }
    }

    #[test]
    fn comments_alone_dispatch_nothing() {
        let mut p = Parser::new();
        assert_eq!(p.push(": keep-alive\n\n: again\n\n"), vec![]);
    }

    #[test]
    fn data_lines_join_and_the_default_event_is_message() {
        let mut p = Parser::new();
        assert_eq!(
            p.push("data: a\ndata:b\ndata\n\n"),
            vec![frame("message", "a\nb\n")]
        );
    }

    #[test]
    fn an_unterminated_frame_is_not_dispatched() {
        let mut p = Parser::new();
        assert_eq!(p.push("event: delta\ndata: partial"), vec![]);
    }
}
