//! The query line: text with a cursor, edited by keys, filled by paste,
//! completed with Tab.

use std::path::Path;

/// An editable line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    text: String,
    /// Cursor position in chars.
    cursor: usize,
}

impl Input {
    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor position, in chars.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Replace the whole text; cursor at the end.
    pub fn set(&mut self, text: &str) {
        self.text = text.to_string();
        self.cursor = self.text.chars().count();
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(b, _)| b)
    }

    /// Insert text at the cursor.
    pub fn insert(&mut self, s: &str) {
        let at = self.byte_at(self.cursor);
        self.text.insert_str(at, s);
        self.cursor += s.chars().count();
    }

    /// Delete the char before the cursor.
    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            let at = self.byte_at(self.cursor - 1);
            self.text.remove(at);
            self.cursor -= 1;
        }
    }

    /// Delete the char at the cursor.
    pub fn delete(&mut self) {
        if self.cursor < self.text.chars().count() {
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    /// Move the cursor by `delta` chars.
    pub fn move_by(&mut self, delta: isize) {
        let len = self.text.chars().count() as isize;
        self.cursor = (self.cursor as isize + delta).clamp(0, len) as usize;
    }

    /// Cursor to the start / end.
    pub fn home_end(&mut self, end: bool) {
        self.cursor = if end { self.text.chars().count() } else { 0 };
    }

    /// Tab completion of the path being typed (the whole line): extend to
    /// the longest common prefix of the matching entries; a unique folder
    /// gets its `/`. Returns the candidates when several remain. A line
    /// typed with backslash escapes (`new\ so`) is completed escaped.
    pub fn complete(&mut self) -> Vec<String> {
        let typed = self.text.clone();
        let escaped = typed.contains('\\');
        let expanded = super::paste::expand_home(&super::paste::unescape(&typed));
        let (dir, prefix) = match expanded.rfind('/') {
            Some(i) => (expanded[..=i].to_string(), expanded[i + 1..].to_string()),
            None => (String::new(), expanded.clone()),
        };
        let read_from = if dir.is_empty() { "." } else { dir.as_str() };
        let Ok(entries) = std::fs::read_dir(read_from) else {
            return Vec::new();
        };
        let mut names: Vec<(String, bool)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                let is_dir = e.path().is_dir();
                (name.starts_with(&prefix) && (!name.starts_with('.') || prefix.starts_with('.')))
                    .then_some((name, is_dir))
            })
            .collect();
        names.sort();
        let Some(first) = names.first() else {
            return Vec::new();
        };
        let mut common = first.0.clone();
        for (n, _) in &names[1..] {
            while !n.starts_with(&common) {
                common.pop();
            }
        }
        // Keep what the user typed (e.g. "~/") and append the completion.
        let added = &common[prefix.len().min(common.len())..];
        let added = if escaped {
            super::paste::escape(added)
        } else {
            added.to_string()
        };
        let mut completed = format!("{typed}{added}");
        if names.len() == 1 && names[0].1 {
            completed.push('/');
        }
        self.set(&completed);
        if names.len() > 1 {
            names
                .into_iter()
                .map(|(n, d)| if d { format!("{n}/") } else { n })
                .collect()
        } else {
            Vec::new()
        }
    }
}

/// Whether `p` exists (for hints while typing).
pub fn exists(p: &str) -> bool {
    Path::new(&super::paste::expand_home(p)).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_with_a_unicode_cursor() {
        let mut i = Input::default();
        i.insert("héllo");
        i.move_by(-2);
        i.backspace();
        assert_eq!((i.text(), i.cursor()), ("hélo", 2));
        i.delete();
        assert_eq!(i.text(), "héo");
        i.home_end(false);
        i.insert("«");
        assert_eq!(i.text(), "«héo");
        i.move_by(-10);
        i.backspace();
        assert_eq!(i.cursor(), 0);
    }

    #[test]
    fn tab_completes_paths() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("songs")).unwrap();
        std::fs::write(d.path().join("songs/track one.wav"), b"x").unwrap();
        std::fs::write(d.path().join("songs/track two.wav"), b"x").unwrap();
        let base = d.path().to_str().unwrap();
        let mut i = Input::default();
        i.set(&format!("{base}/so"));
        assert!(i.complete().is_empty());
        assert_eq!(i.text(), format!("{base}/songs/"));
        let more = i.complete();
        assert_eq!(i.text(), format!("{base}/songs/track "));
        assert_eq!(more, vec!["track one.wav", "track two.wav"]);
        i.insert("o");
        i.complete();
        assert_eq!(i.text(), format!("{base}/songs/track one.wav"));
        // After a backslash-escaped space, completed escaped.
        i.set(&format!("{base}/songs/track\\ t"));
        assert!(i.complete().is_empty());
        assert_eq!(i.text(), format!("{base}/songs/track\\ two.wav"));
        assert_eq!(
            super::super::paste::targets(i.text()),
            vec![format!("{base}/songs/track two.wav")]
        );
        i.set(&format!("{base}/nothing-here"));
        assert!(i.complete().is_empty());
        assert_eq!(i.text(), format!("{base}/nothing-here"));
    }
}
