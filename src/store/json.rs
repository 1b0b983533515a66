//! JSON output that is safe to print: every JSON musim writes
//! (`query --json`, `path --json`, `export --format json`, the report's
//! metrics.json) goes through here.
//!
//! serde_json escapes the C0 controls (U+0000–U+001F) inside strings but
//! writes DEL (U+007F) and the C1 controls (U+0080–U+009F) raw; U+009B is
//! a one-character CSI on terminals that honour C1. [`Escaping`] writes
//! those as `\u007f`, `\u0080`…`\u009f` instead. Outside strings JSON is
//! ASCII without DEL, so the result is still valid JSON and decodes to
//! exactly the same values.

use std::io::{self, Write};

use serde::Serialize;

/// A writer that passes serde_json's output on with DEL and the C1
/// controls escaped as `\u00XX`. A two-byte UTF-8 sequence split across
/// two writes is handled; [`Escaping::finish`] writes out a last lone byte.
#[derive(Debug)]
pub struct Escaping<W: Write> {
    inner: W,
    /// A 0xC2 lead byte held back until the next byte says whether it
    /// starts a C1 control.
    held: bool,
}

impl<W: Write> Escaping<W> {
    /// Wrap `inner`.
    pub fn new(inner: W) -> Self {
        Escaping { inner, held: false }
    }

    /// Write out anything held back and return the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.held {
            self.held = false;
            self.inner.write_all(&[0xC2])?;
        }
        Ok(self.inner)
    }

    fn escape(&mut self, code: u8) -> io::Result<()> {
        write!(self.inner, "\\u{:04x}", code)
    }
}

/// The second byte of U+0080–U+009F in UTF-8 (the first is 0xC2).
fn is_c1_tail(b: u8) -> bool {
    (0x80..=0x9F).contains(&b)
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        if self.held {
            let Some((&first, rest)) = buf.split_first() else {
                return Ok(());
            };
            self.held = false;
            if is_c1_tail(first) {
                self.escape(first)?;
                buf = rest;
            } else {
                self.inner.write_all(&[0xC2])?;
            }
        }
        let mut start = 0;
        let mut i = 0;
        while i < buf.len() {
            match (buf[i], buf.get(i + 1)) {
                (0x7F, _) => {
                    self.inner.write_all(&buf[start..i])?;
                    self.escape(0x7F)?;
                    i += 1;
                    start = i;
                }
                (0xC2, None) => {
                    self.inner.write_all(&buf[start..i])?;
                    self.held = true;
                    i += 1;
                    start = i;
                }
                (0xC2, Some(&tail)) if is_c1_tail(tail) => {
                    self.inner.write_all(&buf[start..i])?;
                    self.escape(tail)?;
                    i += 2;
                    start = i;
                }
                _ => i += 1,
            }
        }
        self.inner.write_all(&buf[start..])
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// `value` as compact JSON on `out`, controls escaped (see the module).
pub fn to_writer<W: Write, T: Serialize + ?Sized>(out: W, value: &T) -> serde_json::Result<()> {
    let mut w = Escaping::new(out);
    serde_json::to_writer(&mut w, value)?;
    w.finish().map_err(serde_json::Error::io)?;
    Ok(())
}

/// `value` as pretty-printed JSON bytes, controls escaped.
pub fn to_vec_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut w = Escaping::new(Vec::new());
    serde_json::to_writer_pretty(&mut w, value)?;
    w.finish().map_err(serde_json::Error::io)
}

/// `value` as pretty-printed JSON text, controls escaped.
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let v = to_vec_pretty(value)?;
    // serde_json writes UTF-8 and only whole characters are replaced.
    String::from_utf8(v).map_err(|e| {
        serde_json::Error::io(io::Error::new(io::ErrorKind::InvalidData, e.utf8_error()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "a\u{1b}[2J\u{7}\r\u{9b}31m\u{80}\u{9f}\u{7f}\u{a0}é.wav";

    #[test]
    fn c1_and_del_are_escaped_and_decode_to_the_same_text() {
        let s = to_string_pretty(&serde_json::json!({ "path": NAME, "ok": true })).unwrap();
        assert!(s.contains(r"\u009b31m\u0080\u009f\u007f"), "{s}");
        assert!(s.contains("\u{a0}é.wav"), "{s}");
        assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["path"], NAME);

        let mut compact = Vec::new();
        to_writer(&mut compact, &[NAME]).unwrap();
        let text = String::from_utf8(compact).unwrap();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        let back: Vec<String> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, [NAME]);
    }

    #[test]
    fn plain_json_is_unchanged() {
        let v =
            serde_json::json!({ "p": "/music/rock/x \"y\".wav", "n": [1.5, -2], "u": "日本 ♪" });
        assert_eq!(
            to_string_pretty(&v).unwrap(),
            serde_json::to_string_pretty(&v).unwrap()
        );
        let mut a = Vec::new();
        to_writer(&mut a, &v).unwrap();
        assert_eq!(a, serde_json::to_vec(&v).unwrap());
    }

    #[test]
    fn a_character_split_across_writes_is_still_escaped() {
        let bytes = "x\u{9b}y\u{a9}z\u{c2}".as_bytes();
        for cut in 0..=bytes.len() {
            let mut w = Escaping::new(Vec::new());
            w.write_all(&bytes[..cut]).unwrap();
            w.write_all(&bytes[cut..]).unwrap();
            let out = String::from_utf8(w.finish().unwrap()).unwrap();
            assert_eq!(out, "x\\u009by\u{a9}z\u{c2}", "cut at {cut}");
        }
        // A lone lead byte at the very end is written out by finish.
        let mut w = Escaping::new(Vec::new());
        w.write_all(&[b'a', 0xC2]).unwrap();
        assert_eq!(w.finish().unwrap(), [b'a', 0xC2]);
    }
}
