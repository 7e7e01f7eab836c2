//! Server-sent events decoded from bytes as the network delivers them.
//!
//! A network chunk may end anywhere: inside a multi-byte character, between the `\r` and the
//! `\n` of a line ending, inside a field name. So the decoder keeps bytes, not text, until a
//! line is complete, and only a whole line is decoded as UTF-8. Lines end with `\r\n`, `\n` or
//! `\r` (the SSE specification allows all three); a blank line dispatches the event.

/// One server-sent event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, if the event had one.
    pub event: Option<String>,
    /// The `data:` lines, joined by `\n`.
    pub data: String,
}

/// An event (or a line of one) grew past the decoder's limit.
#[derive(Debug, PartialEq, Eq)]
pub struct EventTooLarge {
    /// The limit in bytes.
    pub max_bytes: usize,
}

/// Turns a byte stream, fed in chunks of any size, into events.
pub struct SseDecoder {
    /// Bytes of the line being read (no line ending yet).
    line: Vec<u8>,
    /// The last chunk ended with `\r`: a `\n` starting the next one belongs to it.
    after_cr: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    max_event_bytes: usize,
}

impl SseDecoder {
    /// A decoder that refuses any event larger than `max_event_bytes`.
    pub fn new(max_event_bytes: usize) -> Self {
        Self {
            line: Vec::new(),
            after_cr: false,
            event: None,
            data: String::new(),
            has_data: false,
            max_event_bytes,
        }
    }

    /// Feeds one chunk; returns the events it completed, in order.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, EventTooLarge> {
        let mut events = Vec::new();
        let mut rest = chunk;
        if self.after_cr {
            self.after_cr = false;
            if let Some(stripped) = rest.strip_prefix(b"\n") {
                rest = stripped;
            }
        }
        while let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.line.extend_from_slice(&rest[..end]);
            self.check_size()?;
            let line = std::mem::take(&mut self.line);
            if let Some(event) = self.take_line(&line) {
                events.push(event);
            }
            let ending = if rest[end] == b'\r' {
                match rest.get(end + 1) {
                    Some(b'\n') => 2,
                    Some(_) => 1,
                    None => {
                        self.after_cr = true;
                        1
                    }
                }
            } else {
                1
            };
            rest = &rest[end + ending..];
        }
        self.line.extend_from_slice(rest);
        self.check_size()?;
        Ok(events)
    }

    /// The stream ended: a last line without its ending still counts, and an event whose
    /// blank line never came is dispatched.
    pub fn finish(mut self) -> Option<SseEvent> {
        let line = std::mem::take(&mut self.line);
        if !line.is_empty() {
            self.take_line(&line);
        }
        self.dispatch()
    }

    fn check_size(&self) -> Result<(), EventTooLarge> {
        if self.line.len() + self.data.len() > self.max_event_bytes {
            return Err(EventTooLarge {
                max_bytes: self.max_event_bytes,
            });
        }
        Ok(())
    }

    /// Applies one complete line; a blank one dispatches the event read so far.
    fn take_line(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        // A whole line is decoded at once, so a character is never split; bytes that are not
        // UTF-8 at all become U+FFFD.
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = Some(value.trim().to_string()),
            // Comments (an empty field name), `id`, `retry` and unknown fields carry nothing
            // a model client reads.
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        let data = std::mem::take(&mut self.data);
        std::mem::replace(&mut self.has_data, false).then_some(SseEvent { event, data })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn decode_in(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut decoder = SseDecoder::new(1 << 20);
        let mut events = Vec::new();
        for chunk in chunks {
            events.extend(decoder.push(chunk).unwrap());
        }
        events.extend(decoder.finish());
        events
    }

    fn event(name: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: name.map(str::to_string),
            data: data.to_string(),
        }
    }

    #[test]
    fn fields_comments_and_line_endings() {
        let stream = b"event: x\r\ndata: {\"a\":1}\r\n\r\n: comment\n\ndata: a\ndata:b\rdata\r\r\nid: 7\nretry: 5\ndata: \xc3\xa9t\xc3\xa9\n\n";
        assert_eq!(
            decode_in(&[stream]),
            [
                event(Some("x"), "{\"a\":1}"),
                event(None, "a\nb\n"),
                event(None, "été")
            ]
        );
        // A last event without its blank line, and a last line without its ending, count.
        assert_eq!(
            decode_in(&[b"data: 1\n\ndata: [DONE]"]),
            [event(None, "1"), event(None, "[DONE]")]
        );
    }

    #[test]
    fn an_event_past_the_limit_is_refused_even_without_a_line_ending() {
        let mut decoder = SseDecoder::new(16);
        assert_eq!(decoder.push(b"data: 0123456789\n\n").unwrap().len(), 1);
        assert_eq!(
            decoder.push(b"data: 0123456789abcdef"),
            Err(EventTooLarge { max_bytes: 16 })
        );
        let mut decoder = SseDecoder::new(16);
        decoder.push(b"data: 0123456789\n").unwrap();
        assert!(
            decoder.push(b"data: 0123456789\n").is_err(),
            "the data adds up"
        );
    }

    /// One line of a generated stream: what it is, and its text.
    #[derive(Clone, Debug)]
    enum Line {
        Data(String),
        Event(String),
        Other(String),
    }

    /// A stream of events with the awkward parts (multi-byte characters, all three line
    /// endings, comments, several data lines) and the events it must decode to, worked out
    /// from how it was built rather than by a second decoder.
    fn stream() -> impl Strategy<Value = (Vec<u8>, Vec<SseEvent>)> {
        let text = "[a-zé€😀 {}\":,\\[\\]]{0,12}";
        let line = prop_oneof![
            text.prop_map(Line::Data),
            "[a-z_]{1,8}".prop_map(Line::Event),
            text.prop_map(|t| Line::Other(format!(": {t}"))),
            Just(Line::Other("id: 1".to_string())),
        ];
        let ending = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
        let event = (
            proptest::collection::vec((line, ending.clone(), any::<bool>()), 1..5),
            ending,
        );
        proptest::collection::vec(event, 0..6).prop_map(|events| {
            let mut bytes = String::new();
            let mut expected = Vec::new();
            for (lines, blank) in events {
                let mut name = None;
                let mut data: Option<String> = None;
                let mut last_end = "";
                for (line, end, spaced) in lines {
                    match line {
                        Line::Data(t) => {
                            // Without the optional space, a value starting with a space
                            // would lose it; such a line is written with the space.
                            let spaced = spaced || t.starts_with(' ');
                            bytes.push_str(if spaced { "data: " } else { "data:" });
                            bytes.push_str(&t);
                            data = Some(match data {
                                Some(d) => format!("{d}\n{t}"),
                                None => t,
                            });
                        }
                        Line::Event(t) => {
                            bytes.push_str(&format!("event: {t}"));
                            name = Some(t);
                        }
                        Line::Other(t) => bytes.push_str(&t),
                    }
                    bytes.push_str(end);
                    last_end = end;
                }
                // `\r` then `\n` is one line ending, not a line and a blank line.
                let blank = if last_end == "\r" && blank == "\n" {
                    "\r\n"
                } else {
                    blank
                };
                bytes.push_str(blank);
                if let Some(data) = data {
                    expected.push(SseEvent { event: name, data });
                }
            }
            (bytes.into_bytes(), expected)
        })
    }

    proptest! {
        #[test]
        fn a_stream_split_at_any_byte_decodes_to_the_same_events((bytes, expected) in stream()) {
            let whole = decode_in(&[&bytes]);
            prop_assert_eq!(&whole, &expected);
            for split in 0..=bytes.len() {
                prop_assert_eq!(&decode_in(&[&bytes[..split], &bytes[split..]]), &whole, "split at {}", split);
            }
            let one_by_one: Vec<&[u8]> = bytes.chunks(1).collect();
            prop_assert_eq!(&decode_in(&one_by_one), &whole);
        }

        #[test]
        fn any_chunking_decodes_to_the_same_events(
            (bytes, expected) in stream(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        ) {
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut start = 0;
            for cut in cuts {
                chunks.push(&bytes[start..cut]);
                start = cut;
            }
            chunks.push(&bytes[start..]);
            prop_assert_eq!(decode_in(&chunks), expected);
        }
    }
}
