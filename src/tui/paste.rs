//! Turning pasted or dragged-in text into paths: terminals deliver a
//! dropped file as a quoted path, a backslash-escaped path or a `file://`
//! URI (percent-encoded), several separated by spaces or newlines.

/// The paths or URLs in `text`, in order.
pub fn targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.trim().chars().peekable();
    let mut started = false;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    started = true;
                }
            }
            (None, c) if c.is_whitespace() => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            (None, c) => {
                cur.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(cur);
    }
    // A single unquoted path with spaces typed by hand ("~/my song.mp3")
    // splits into pieces that do not exist; the whole text does.
    if out.len() > 1
        && !text.contains(['\'', '"', '\\', '\n'])
        && std::path::Path::new(&expand_home(text.trim())).exists()
    {
        return vec![text.trim().to_string()];
    }
    out.into_iter()
        .map(|t| from_file_uri(&t).unwrap_or(t))
        .collect()
}

/// The path of a `file://` URI (percent-decoded), or `None` for anything else.
pub fn from_file_uri(s: &str) -> Option<String> {
    let rest = s.strip_prefix("file://")?;
    // file://host/path: only the local host makes sense.
    let path = match rest.find('/') {
        Some(0) => rest,
        Some(i) if &rest[..i] == "localhost" => &rest[i..],
        _ => return None,
    };
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(v) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Typed text with its backslash escapes undone (`new\ song` → `new
/// song`), as a shell would read one word.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// `s` with spaces, quotes and backslashes escaped by a backslash.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, ' ' | '\\' | '\'' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `~` or `~/x` → the home folder.
pub fn expand_home(s: &str) -> String {
    let home = || std::env::var("HOME").ok().filter(|h| !h.is_empty());
    if s == "~" {
        return home().unwrap_or_else(|| s.to_string());
    }
    match (s.strip_prefix("~/"), home()) {
        (Some(rest), Some(h)) => format!("{}/{rest}", h.trim_end_matches('/')),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_a_terminal_drops_files() {
        assert_eq!(targets("'/music/my song.mp3'"), vec!["/music/my song.mp3"]);
        assert_eq!(targets("\"/music/a b.flac\" "), vec!["/music/a b.flac"]);
        assert_eq!(
            targets("/music/my\\ song\\ \\(live\\).mp3"),
            vec!["/music/my song (live).mp3"]
        );
        assert_eq!(
            targets("file:///music/caf%C3%A9%20bar.ogg"),
            vec!["/music/café bar.ogg"]
        );
        assert_eq!(targets("file://localhost/x%2Fy"), vec!["/x/y"]);
        assert_eq!(
            targets("'/a/1.mp3' '/a/2.mp3'\n/a/3.mp3"),
            vec!["/a/1.mp3", "/a/2.mp3", "/a/3.mp3"]
        );
        assert_eq!(
            targets("https://youtu.be/x?t=1"),
            vec!["https://youtu.be/x?t=1"]
        );
        assert!(targets("   ").is_empty());
        assert_eq!(from_file_uri("file://otherhost/x"), None);
        assert_eq!(from_file_uri("/plain"), None);
    }

    #[test]
    fn typed_path_with_spaces_is_kept_whole_when_it_exists() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("my song.wav");
        std::fs::write(&p, b"x").unwrap();
        let s = p.to_str().unwrap();
        assert_eq!(targets(s), vec![s.to_string()]);
    }

    #[test]
    fn escapes_are_undone_and_redone() {
        // The `~/new song.wav` case runs in tests/tui_e2e.rs, with a HOME
        // of the test's own.
        assert_eq!(unescape("a\\ b\\\\c"), "a b\\c");
        assert_eq!(escape("a b\\c"), "a\\ b\\\\c");
        assert_eq!(unescape(&escape("x 'y' \"z\"")), "x 'y' \"z\"");
    }

    #[test]
    fn tilde_expands_to_home() {
        let home = std::env::var("HOME").expect("tests run with HOME set");
        assert_eq!(
            expand_home("~/x.mp3"),
            format!("{}/x.mp3", home.trim_end_matches('/'))
        );
        assert_eq!(expand_home("~"), home);
        assert_eq!(expand_home("/abs/~/x"), "/abs/~/x");
    }
}
