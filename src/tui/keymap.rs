//! Key bindings: `keymap.toml` (defaults, embedded) overridden by the
//! user's file, action by action. Problems in the user's file are reported
//! with their line and the defaults stand for the rest.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::{Deserialize, Serialize};

/// The default keymap, as shipped.
pub const DEFAULTS: &str = include_str!("../../keymap.toml");

/// Everything a key can do in the explorer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave musim.
    Quit,
    /// Show or hide the help overlay.
    Help,
    /// Move up (map cursor, list row).
    Up,
    /// Move down.
    Down,
    /// Move left.
    Left,
    /// Move right.
    Right,
    /// Focus the next pane.
    NextPane,
    /// Focus the previous pane.
    PreviousPane,
    /// Focus the query input.
    FocusQuery,
    /// Select / open / run.
    Select,
    /// Go back or cancel.
    Back,
    /// Preview the selected track and its neighbours.
    Play,
    /// Pause or resume the preview.
    Pause,
    /// Skip to the next preview.
    NextPreview,
    /// Back to the previous preview.
    PreviousPreview,
    /// Stop the previews.
    Stop,
    /// Louder previews.
    VolumeUp,
    /// Quieter previews.
    VolumeDown,
    /// Mark or unmark the selected track.
    Mark,
    /// The path between the last two marked tracks.
    Path,
    /// Write the current list as an M3U file.
    WriteList,
    /// Rescan, re-index and rebuild the model in the background.
    Retrain,
    /// Switch to the built-in demo library (generated on first use).
    OpenDemo,
    /// Colour the map by cluster or by genre.
    ToggleColour,
    /// Show or hide the map's legend.
    ToggleLegend,
    /// Zoom the map in.
    ZoomIn,
    /// Zoom the map out.
    ZoomOut,
    /// Show the whole map.
    ResetView,
    /// Pan the map up.
    PanUp,
    /// Pan the map down.
    PanDown,
    /// Pan the map left.
    PanLeft,
    /// Pan the map right.
    PanRight,
}

impl Action {
    /// The name used in keymap.toml, e.g. "next_pane".
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// What the action does, for the help overlay.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "show / hide this help",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::Left => "move left",
            Action::Right => "move right",
            Action::NextPane => "next pane",
            Action::PreviousPane => "previous pane",
            Action::FocusQuery => "find a track by name, or type a path / URL to query",
            Action::Select => "select / open / run the query",
            Action::Back => "back / cancel",
            Action::Play => {
                "preview the current list: the selected track and its neighbours, the cluster, the path, the marked tracks or the query"
            }
            Action::Pause => "pause / resume the preview",
            Action::NextPreview => "next preview",
            Action::PreviousPreview => "previous preview",
            Action::Stop => "stop the previews",
            Action::VolumeUp => "preview volume up",
            Action::VolumeDown => "preview volume down",
            Action::Mark => "mark / unmark the selected track",
            Action::Path => "the path between the last two marked tracks",
            Action::WriteList => "write the current list as an M3U file (a new name)",
            Action::Retrain => "rescan, re-index and rebuild the model",
            Action::OpenDemo => "switch to the built-in demo library",
            Action::ToggleColour => "colour the map by cluster / genre",
            Action::ToggleLegend => "show / hide the map's legend",
            Action::ZoomIn => "zoom in",
            Action::ZoomOut => "zoom out",
            Action::ResetView => "show the whole map",
            Action::PanUp => "pan up",
            Action::PanDown => "pan down",
            Action::PanLeft => "pan left",
            Action::PanRight => "pan right",
        }
    }
}

/// A key with modifiers, normalised so crossterm's events and the config's
/// strings compare equal (a typed "K" is `Char('K')` without SHIFT; shift-tab
/// is BackTab).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    code: KeyCodeOrd,
    ctrl: bool,
    alt: bool,
    shift: bool,
}

/// `KeyCode` subset with an order (for stable listings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum KeyCodeOrd {
    Char(char),
    F(u8),
    Named(&'static str),
}

const NAMED: &[(&str, KeyCode)] = &[
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
];

impl Key {
    /// The key of a terminal event.
    pub fn from_event(e: &KeyEvent) -> Option<Key> {
        let mods = e.modifiers;
        let mut k = Key {
            code: KeyCodeOrd::Named(""),
            ctrl: mods.contains(KeyModifiers::CONTROL),
            alt: mods.contains(KeyModifiers::ALT),
            shift: mods.contains(KeyModifiers::SHIFT),
        };
        k.code = match e.code {
            KeyCode::Char(' ') => KeyCodeOrd::Named("space"),
            KeyCode::Char(c) => {
                k.shift = false;
                // Terminals report ctrl-r as Char('r') + CONTROL; keep case
                // of plain letters ("K" is shift-k already).
                KeyCodeOrd::Char(if k.ctrl { c.to_ascii_lowercase() } else { c })
            }
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::BackTab => {
                k.shift = true;
                KeyCodeOrd::Named("tab")
            }
            code => KeyCodeOrd::Named(NAMED.iter().find(|(_, c)| *c == code)?.0),
        };
        Some(k)
    }

    /// Parse "ctrl-r", "shift-tab", "?", "space", "f5", "-".
    pub fn parse(s: &str) -> Result<Key, KeyError> {
        let mut k = Key {
            code: KeyCodeOrd::Named(""),
            ctrl: false,
            alt: false,
            shift: false,
        };
        let mut rest = s;
        // A lone "-" (or "ctrl--") is the minus key, not a separator.
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                k.ctrl = true;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                k.alt = true;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("shift-").filter(|r| !r.is_empty()) {
                k.shift = true;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        k.code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if k.shift && c.is_ascii_alphabetic() {
                    k.shift = false;
                    KeyCodeOrd::Char(c.to_ascii_uppercase())
                } else if k.ctrl {
                    KeyCodeOrd::Char(c.to_ascii_lowercase())
                } else {
                    KeyCodeOrd::Char(c)
                }
            }
            (None, _) => return Err(KeyError::Empty(s.to_string())),
            _ => {
                let name = rest.to_ascii_lowercase();
                if name == "space" {
                    KeyCodeOrd::Named("space")
                } else if let Some(n) = name
                    .strip_prefix('f')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=12).contains(n))
                {
                    KeyCodeOrd::F(n)
                } else if let Some((n, _)) = NAMED.iter().find(|(n, _)| *n == name) {
                    KeyCodeOrd::Named(n)
                } else {
                    return Err(KeyError::Unknown(s.to_string()));
                }
            }
        };
        Ok(k)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            write!(f, "ctrl-")?;
        }
        if self.alt {
            write!(f, "alt-")?;
        }
        if self.shift {
            write!(f, "shift-")?;
        }
        match self.code {
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "f{n}"),
            KeyCodeOrd::Named(n) => write!(f, "{n}"),
        }
    }
}

/// Why a key name cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Nothing after the modifiers.
    #[error("empty key {0:?}")]
    Empty(String),
    /// A name that is no key.
    #[error("unknown key {0:?}")]
    Unknown(String),
}

/// The active bindings.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: BTreeMap<Key, Action>,
}

/// A problem in a keymap file (the rest of the file still applies).
#[derive(Debug, Clone, PartialEq)]
pub struct KeymapProblem {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for KeymapProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(
                f,
                "{}, line {l}: {}",
                crate::store::paths::show(&self.file),
                self.message
            ),
            None => write!(
                f,
                "{}: {}",
                crate::store::paths::show(&self.file),
                self.message
            ),
        }
    }
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    keys: toml::Table,
}

/// The line on which `action = …` sits in `text`.
fn line_of(text: &str, action: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            t.strip_prefix(action)
                .or_else(|| t.strip_prefix(&format!("\"{action}\"")))
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

/// One `action = [keys]` line of a file, with its line number.
type Entry = (Action, Vec<Key>, Option<usize>);

/// (action, keys) pairs of one file, with problems.
fn parse_file(text: &str, file: &Path) -> (Vec<Entry>, Vec<KeymapProblem>) {
    let problem = |line: Option<usize>, message: String| KeymapProblem {
        file: file.to_path_buf(),
        line,
        message,
    };
    let parsed: File = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            let msg = e.message().to_string();
            return (Vec::new(), vec![problem(line, msg)]);
        }
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (name, value) in parsed.keys {
        let line = line_of(text, &name);
        let action: Action = match toml::Value::String(name.clone()).try_into() {
            Ok(a) => a,
            Err(_) => {
                problems.push(problem(line, format!("unknown action {name:?}")));
                continue;
            }
        };
        let list: Vec<&toml::Value> = match &value {
            toml::Value::Array(a) => a.iter().collect(),
            v @ toml::Value::String(_) => vec![v],
            _ => {
                problems.push(problem(
                    line,
                    format!("{name}: expected a list of keys like [\"q\", \"ctrl-c\"]"),
                ));
                continue;
            }
        };
        let mut keys = Vec::new();
        for v in list {
            match v.as_str().map(Key::parse) {
                Some(Ok(k)) => keys.push(k),
                Some(Err(e)) => problems.push(problem(line, format!("{name}: {e}"))),
                None => problems.push(problem(
                    line,
                    format!("{name}: keys must be strings, not a {}", v.type_str()),
                )),
            }
        }
        out.push((action, keys, line));
    }
    (out, problems)
}

impl Keymap {
    /// The built-in defaults.
    pub fn defaults() -> Keymap {
        Keymap::load_from(None).0
    }

    /// Defaults overridden by `user` (path, contents): each action the user
    /// file names gets exactly the user's keys. Returns the problems found.
    pub fn load_from(user: Option<(&Path, &str)>) -> (Keymap, Vec<KeymapProblem>) {
        let (defaults, mut problems) = parse_file(DEFAULTS, Path::new("keymap.toml (built in)"));
        let mut by_action: BTreeMap<Action, Vec<Key>> =
            defaults.into_iter().map(|(a, k, _)| (a, k)).collect();
        let mut user_lines: BTreeMap<Action, Option<usize>> = BTreeMap::new();
        let mut file = PathBuf::new();
        if let Some((path, text)) = user {
            file = path.to_path_buf();
            let (entries, p) = parse_file(text, path);
            problems.extend(p);
            for (action, keys, line) in entries {
                by_action.insert(action, keys);
                user_lines.insert(action, line);
            }
        }
        let mut bindings: BTreeMap<Key, Action> = BTreeMap::new();
        // User actions first, so a default that now clashes gives way.
        let mut order: Vec<Action> = user_lines.keys().copied().collect();
        order.extend(by_action.keys().filter(|a| !user_lines.contains_key(a)));
        for action in order {
            for key in by_action.get(&action).cloned().unwrap_or_default() {
                match bindings.get(&key) {
                    Some(&other) if other != action => {
                        if let Some(&line) = user_lines.get(&action) {
                            problems.push(KeymapProblem {
                                file: file.clone(),
                                line,
                                message: format!("key {key} is bound to both {other:?} and {action:?}; keeping {other:?}"),
                            });
                        }
                    }
                    _ => {
                        bindings.insert(key, action);
                    }
                }
            }
        }
        (Keymap { bindings }, problems)
    }

    /// The keymap for this user: defaults plus `<config dir>/musim/keymap.toml`.
    pub fn load_user() -> (Keymap, Vec<KeymapProblem>) {
        let path = user_file();
        match path.as_ref().map(|p| (p, std::fs::read_to_string(p))) {
            Some((p, Ok(text))) => Keymap::load_from(Some((p, &text))),
            Some((p, Err(e))) if e.kind() != std::io::ErrorKind::NotFound => {
                let (k, mut problems) = Keymap::load_from(None);
                problems.push(KeymapProblem {
                    file: p.clone(),
                    line: None,
                    message: format!("cannot read: {e}"),
                });
                (k, problems)
            }
            _ => Keymap::load_from(None),
        }
    }

    /// The action bound to a key event.
    pub fn action(&self, e: &KeyEvent) -> Option<Action> {
        self.bindings.get(&Key::from_event(e)?).copied()
    }

    /// Every action with its keys, in action order.
    pub fn listing(&self) -> Vec<(Action, Vec<Key>)> {
        let mut m: BTreeMap<Action, Vec<Key>> = BTreeMap::new();
        for (k, a) in &self.bindings {
            m.entry(*a).or_default().push(*k);
        }
        m.into_iter().collect()
    }

    /// The keys of `action`, joined for display ("q, ctrl-c").
    pub fn keys_of(&self, action: Action) -> String {
        self.bindings
            .iter()
            .filter(|(_, a)| **a == action)
            .map(|(k, _)| k.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Where the user's keymap lives.
pub fn user_file() -> Option<PathBuf> {
    crate::store::location::config_file().map(|c| c.with_file_name("keymap.toml"))
}

/// The keymap as text (`musim-tui keys`).
pub fn render(map: &Keymap) -> String {
    let mut o = String::new();
    for (action, keys) in map.listing() {
        let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
        // Valid keymap.toml, so it can be copied as a starting point.
        o.push_str(&format!(
            "{:<16} = {:<28} # {}\n",
            action.name(),
            format!("{:?}", keys),
            action.describe()
        ));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEventKind;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: ratatui::crossterm::event::KeyEventState::NONE,
        }
    }

    #[test]
    fn defaults_cover_every_required_binding() {
        let (k, problems) = Keymap::load_from(None);
        assert!(problems.is_empty(), "{problems:?}");
        let none = KeyModifiers::NONE;
        for (code, mods, want) in [
            (KeyCode::Char('q'), none, Action::Quit),
            (KeyCode::Char('c'), KeyModifiers::CONTROL, Action::Quit),
            (KeyCode::Up, none, Action::Up),
            (KeyCode::Char('k'), none, Action::Up),
            (KeyCode::Char('K'), KeyModifiers::SHIFT, Action::PanUp),
            (KeyCode::Tab, none, Action::NextPane),
            (KeyCode::BackTab, KeyModifiers::SHIFT, Action::PreviousPane),
            (KeyCode::Char('/'), none, Action::FocusQuery),
            (KeyCode::Enter, none, Action::Select),
            (KeyCode::Esc, none, Action::Back),
            (KeyCode::Char('?'), KeyModifiers::SHIFT, Action::Help),
            (KeyCode::Char('p'), none, Action::Play),
            (KeyCode::Char(' '), none, Action::Pause),
            (KeyCode::Char('n'), none, Action::NextPreview),
            (
                KeyCode::Char('N'),
                KeyModifiers::SHIFT,
                Action::PreviousPreview,
            ),
            (KeyCode::Char('s'), none, Action::Stop),
            (KeyCode::Char(']'), none, Action::VolumeUp),
            (KeyCode::Char('['), none, Action::VolumeDown),
            (KeyCode::Char('m'), none, Action::Mark),
            (KeyCode::Char('>'), KeyModifiers::SHIFT, Action::Path),
            (KeyCode::Char('w'), none, Action::WriteList),
            (KeyCode::Char('t'), none, Action::Retrain),
            (KeyCode::Char('c'), none, Action::ToggleColour),
            (KeyCode::Char('+'), KeyModifiers::SHIFT, Action::ZoomIn),
            (KeyCode::Char('-'), none, Action::ZoomOut),
            (KeyCode::Char('0'), none, Action::ResetView),
            (KeyCode::Left, KeyModifiers::SHIFT, Action::PanLeft),
        ] {
            assert_eq!(k.action(&ev(code, mods)), Some(want), "{code:?} {mods:?}");
        }
    }

    #[test]
    fn keys_parse_and_print() {
        for s in [
            "ctrl-r",
            "shift-tab",
            "?",
            "-",
            "ctrl--",
            "space",
            "f5",
            "K",
            "alt-x",
            "pageup",
        ] {
            assert_eq!(Key::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Key::parse("shift-k").unwrap(), Key::parse("K").unwrap());
        assert_eq!(Key::parse("Ctrl-R").unwrap(), Key::parse("ctrl-r").unwrap());
        assert_eq!(
            Key::parse("hyper-x").unwrap_err().to_string(),
            "unknown key \"hyper-x\""
        );
        assert!(Key::parse("f13").is_err());
        assert_eq!(Key::parse("").unwrap_err().to_string(), "empty key \"\"");
    }

    #[test]
    fn user_file_overrides_a_subset_and_problems_name_their_line() {
        let text = "# mine\n[keys]\nquit = [\"x\"]\nfly = [\"f\"]\nhelp = [\"hyper-z\", \"f1\"]\nplay = [\"t\"]\n";
        let (k, problems) = Keymap::load_from(Some((Path::new("/cfg/keymap.toml"), text)));
        let msgs: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            msgs.contains(&"/cfg/keymap.toml, line 4: unknown action \"fly\"".to_string()),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("/cfg/keymap.toml, line 5: help: unknown key \"hyper-z\"")),
            "{msgs:?}"
        );
        // play = t takes t from retrain (user choices win over defaults).
        assert!(
            msgs.is_empty() || !msgs.iter().any(|m| m.contains("line 6")),
            "{msgs:?}"
        );
        let none = KeyModifiers::NONE;
        assert_eq!(k.action(&ev(KeyCode::Char('x'), none)), Some(Action::Quit));
        assert_eq!(
            k.action(&ev(KeyCode::Char('q'), none)),
            None,
            "quit now only on x"
        );
        assert_eq!(k.action(&ev(KeyCode::F(1), none)), Some(Action::Help));
        assert_eq!(k.action(&ev(KeyCode::Char('t'), none)), Some(Action::Play));
        assert_eq!(
            k.action(&ev(KeyCode::Char('j'), none)),
            Some(Action::Down),
            "defaults stand"
        );

        let dup = "[keys]\nquit = [\"z\"]\nhelp = [\"z\"]\n";
        let (_, problems) = Keymap::load_from(Some((Path::new("k.toml"), dup)));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].to_string().contains("key z is bound to both"),
            "{}",
            problems[0]
        );

        let broken = "[keys]\nquit = [\"q\"\nhelp = 3\n";
        let (k, problems) = Keymap::load_from(Some((Path::new("k.toml"), broken)));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].line.is_some(), "{}", problems[0]);
        assert_eq!(k, Keymap::defaults(), "a broken file leaves the defaults");
    }
}
