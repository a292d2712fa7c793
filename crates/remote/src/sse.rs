//! Server-sent events, as OpenAI-compatible servers stream them, decoded
//! from arbitrary byte chunks. Strict where a real server never strays, so a
//! broken or foreign stream is reported instead of shown as a reply.

/// Longest line accepted: a token delta is bytes, not megabytes.
const MOST_LINE: usize = 1 << 20;

#[derive(Default)]
pub struct SseDecoder {
    buf: Vec<u8>,
    data: Vec<String>,
}

impl SseDecoder {
    /// Feed bytes; returns each complete event's data (its `data:` lines joined by `\n`).
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<String>, String> {
        self.buf.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=end).collect();
            let line = std::str::from_utf8(&line[..line.len() - 1]).map_err(|_| "a line that is not UTF-8".to_string())?;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                if !self.data.is_empty() {
                    events.push(std::mem::take(&mut self.data).join("\n"));
                }
                continue;
            }
            if line.starts_with(':') {
                continue; // a comment (keep-alive)
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "data" => self.data.push(value.to_string()),
                "event" | "id" | "retry" => {}
                _ => return Err(format!("a line that is not an event-stream field: {}", crate::http::snippet(line))),
            }
        }
        if self.buf.len() > MOST_LINE {
            return Err(format!("a line of more than {MOST_LINE} bytes"));
        }
        Ok(events)
    }

    /// What an ended stream leaves: the last event when it lacked its blank line.
    pub fn finish(&mut self) -> Option<String> {
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            let _ = self.push(&[rest.as_slice(), b"\n"].concat());
        }
        (!self.data.is_empty()).then(|| std::mem::take(&mut self.data).join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_anywhere_are_put_back_together() {
        let stream = "data: {\"a\":1}\n\n: keep-alive\n\nevent: x\r\ndata: one\r\ndata: two\r\n\r\ndata: [DONE]\n\n";
        for cut in 0..stream.len() {
            let mut d = SseDecoder::default();
            let mut got = d.push(&stream.as_bytes()[..cut]).unwrap();
            got.extend(d.push(&stream.as_bytes()[cut..]).unwrap());
            assert_eq!(got, ["{\"a\":1}", "one\ntwo", "[DONE]"], "cut at {cut}");
        }
    }

    #[test]
    fn a_multibyte_character_split_across_chunks_survives() {
        let bytes = "data: {\"t\":\"日本\"}\n\n".as_bytes();
        let mut d = SseDecoder::default();
        assert!(d.push(&bytes[..12]).unwrap().is_empty());
        assert_eq!(d.push(&bytes[12..]).unwrap(), ["{\"t\":\"日本\"}"]);
    }

    #[test]
    fn html_or_garbage_is_not_an_event_stream() {
        let mut d = SseDecoder::default();
        let err = d.push(b"<html><body>502 Bad Gateway</body></html>\n").unwrap_err();
        assert!(err.contains("not an event-stream field"), "{err}");
        assert!(SseDecoder::default().push(&[0xff, 0xfe, b'\n']).is_err());
    }

    #[test]
    fn a_last_event_without_its_blank_line_is_kept() {
        let mut d = SseDecoder::default();
        assert!(d.push(b"data: {\"x\":2}").unwrap().is_empty());
        assert_eq!(d.finish().as_deref(), Some("{\"x\":2}"));
    }
}
