//! Error messages as the user sees them: one line, each cause once, and
//! hints that name a command ("run `musim-tui index` first") repeating the
//! library and index the user chose, so they can be pasted as they are.
//! Messages are made deep in the library, which does not know how musim
//! was invoked; the edge completes them here.

use std::path::Path;

/// The chain of `err` and its causes on one line, joined by ": ", each
/// cause once: many messages already quote their source (an OS error),
/// which printing the chain would repeat ("Permission denied (os error
/// 13): Permission denied (os error 13)").
pub fn one_line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = String::new();
    let mut cause = Some(err);
    while let Some(e) = cause {
        let text = e.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        cause = e.source();
    }
    out.replace('\n', " ")
}

/// `msg` with every "`musim-tui …`" command in it completed by the user's
/// `--library` and `--index` (a `--library DIR` placeholder is replaced).
pub fn complete(msg: &str, library: Option<&Path>, index: Option<&Path>) -> String {
    if library.is_none() && index.is_none() {
        return msg.to_string();
    }
    let mut out = String::with_capacity(msg.len() + 64);
    let mut rest = msg;
    while let Some(start) = rest.find("`musim-tui ") {
        let body = &rest[start + 1..];
        let Some(len) = body.find('`') else {
            break;
        };
        out.push_str(&rest[..=start]);
        out.push_str(&complete_command(&body[..len], library, index));
        out.push('`');
        rest = &body[len + 1..];
    }
    out.push_str(rest);
    out
}

fn complete_command(cmd: &str, library: Option<&Path>, index: Option<&Path>) -> String {
    let mut cmd = cmd.to_string();
    if let Some(lib) = library {
        let given = format!("--library {}", quote(lib));
        if cmd.contains("--library DIR") {
            cmd = cmd.replace("--library DIR", &given);
        } else if !cmd.contains("--library") {
            cmd = format!("{cmd} {given}");
        }
    }
    if let Some(idx) = index {
        if !cmd.contains("--index") {
            cmd = format!("{cmd} --index {}", quote(idx));
        }
    }
    cmd
}

/// `path` as a POSIX shell word: as it is when that is safe, else in
/// single quotes. Control characters are left for the caller's
/// [`crate::store::text::safe`] to show.
pub fn quote(path: &Path) -> String {
    let s = path.to_string_lossy();
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || "/._-+,:@=%".contains(c));
    if plain {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot write {0}: {1}")]
    struct Quoting(&'static str, #[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("saving failed")]
    struct Outer(#[source] Quoting);

    #[test]
    fn each_cause_is_said_once() {
        let os = std::io::Error::from_raw_os_error(13);
        let os_text = os.to_string();
        let e = Outer(Quoting("x.idx", os));
        let line = one_line(&e);
        assert_eq!(
            line,
            format!("saving failed: cannot write x.idx: {os_text}")
        );
        assert_eq!(line.matches(&os_text).count(), 1, "{line}");
    }

    #[test]
    fn hints_repeat_the_users_library_and_index() {
        let lib = Path::new("/media/My Music");
        let idx = Path::new("/tmp/it's.idx");
        let msg = "no index at X; run `musim-tui index` first, then `musim-tui train`";
        assert_eq!(
            complete(msg, Some(lib), Some(idx)),
            "no index at X; run `musim-tui index --library '/media/My Music' --index '/tmp/it'\\''s.idx'` first, \
             then `musim-tui train --library '/media/My Music' --index '/tmp/it'\\''s.idx'`"
        );
        let placeholder = "index a library first (`musim-tui index --library DIR`)";
        assert_eq!(
            complete(placeholder, Some(Path::new("/music")), None),
            "index a library first (`musim-tui index --library /music`)"
        );
        // Nothing given: the message is unchanged; an unclosed quote too.
        assert_eq!(complete(msg, None, None), msg);
        let open = "see `musim-tui index";
        assert_eq!(complete(open, Some(lib), None), open);
    }
}
