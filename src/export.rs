//! Export of the index as CSV or JSON: one row per analysed track with
//! `path`, `label`, `duration_s`, then every fingerprint dimension by name.
//! Failed tracks are left out: they have no values to export.
//!
//! Paths and labels are data here: CSV gets them exactly as they are
//! (invalid UTF-8 replaced by U+FFFD), JSON escaped by
//! [`crate::store::json`] (which also escapes the C1 controls).

use std::io::{self, Write};

use serde::Serialize;

use crate::library::index::{Index, Outcome};

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// `{"feature_names": [...], "tracks": [...]}`.
    Json,
}

#[derive(Serialize)]
struct JsonTrack<'a> {
    path: String,
    label: Option<&'a str>,
    duration_s: f64,
    values: &'a [f32],
}

#[derive(Serialize)]
struct JsonExport<'a> {
    feature_names: &'a [String],
    tracks: Vec<JsonTrack<'a>>,
}

fn rows(index: &Index) -> impl Iterator<Item = (String, Option<&str>, f64, &[f32])> {
    index.entries.iter().filter_map(|e| match &e.outcome {
        Outcome::Analysed { duration_s, values } => Some((
            crate::store::paths::lossy_bytes(&e.path),
            e.label.as_deref(),
            *duration_s,
            values.as_slice(),
        )),
        Outcome::Failed { .. } => None,
    })
}

/// Write `index` to `out` in `format`. Feature names come from the index
/// header, so the columns always match the stored values.
pub fn write(index: &Index, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Csv => write_csv(index, out),
        Format::Json => {
            let doc = JsonExport {
                feature_names: &index.header.feature_names,
                tracks: rows(index)
                    .map(|(path, label, duration_s, values)| JsonTrack {
                        path,
                        label,
                        duration_s,
                        values,
                    })
                    .collect(),
            };
            crate::store::json::to_writer(&mut *out, &doc).map_err(|e| {
                match e.io_error_kind() {
                    Some(kind) => io::Error::new(kind, e),
                    None => io::Error::other(e),
                }
            })?;
            out.write_all(b"\n")
        }
    }
}

/// csv wraps IO errors; unwrap them so callers can see e.g. a broken pipe.
fn io_err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

fn write_csv(index: &Index, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["path".to_string(), "label".into(), "duration_s".into()];
    header.extend(index.header.feature_names.iter().cloned());
    w.write_record(&header).map_err(io_err)?;
    for (path, label, duration, values) in rows(index) {
        let mut rec = Vec::with_capacity(values.len() + 3);
        rec.push(path);
        rec.push(label.unwrap_or_default().to_string());
        rec.push(duration.to_string());
        rec.extend(values.iter().map(|v| v.to_string()));
        w.write_record(&rec).map_err(io_err)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::index::Entry;
    use std::path::Path;

    fn index() -> Index {
        let mut idx = Index::empty(Path::new("/m"));
        idx.header.feature_names = vec!["a".into(), "b[0]".into()];
        idx.entries.push(Entry {
            path: b"/m/rock/x, \"y\".wav".to_vec(),
            size: 1,
            mtime_ns: 1,
            label: Some("rock".into()),
            tags: None,
            outcome: Outcome::Analysed {
                duration_s: 2.5,
                values: vec![1.0, -0.5],
            },
        });
        idx.entries.push(Entry {
            path: b"/m/rock/bad.wav".to_vec(),
            size: 1,
            mtime_ns: 1,
            label: Some("rock".into()),
            tags: None,
            outcome: Outcome::Failed {
                kind: "k".into(),
                reason: "r".into(),
            },
        });
        idx
    }

    #[test]
    fn csv_quotes_paths_and_names_every_column() {
        let mut out = Vec::new();
        write(&index(), Format::Csv, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "path,label,duration_s,a,b[0]\n\"/m/rock/x, \"\"y\"\".wav\",rock,2.5,1,-0.5\n"
        );
    }

    /// Export is data: CSV keeps a name's control characters as they are,
    /// JSON escapes them all (C1 too) and decodes to the same name.
    #[test]
    fn control_characters_stay_data() {
        let name = "/m/rock/a\u{1b}[2J\u{7}\r\u{9b}.wav";
        let mut idx = index();
        idx.entries[0].path = name.as_bytes().to_vec();
        idx.entries[0].label = Some("ro\u{9b}ck".into());
        let mut csv = Vec::new();
        write(&idx, Format::Csv, &mut csv).unwrap();
        let text = String::from_utf8(csv).unwrap();
        assert!(
            text.contains(name) && text.contains("ro\u{9b}ck"),
            "{text:?}"
        );
        let mut json = Vec::new();
        write(&idx, Format::Json, &mut json).unwrap();
        let text = String::from_utf8(json).unwrap();
        assert!(!text.trim_end().chars().any(char::is_control), "{text:?}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["tracks"][0]["path"], name);
        assert_eq!(v["tracks"][0]["label"], "ro\u{9b}ck");
    }

    #[test]
    fn json_has_feature_names_and_tracks() {
        let mut out = Vec::new();
        write(&index(), Format::Json, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["feature_names"][1], "b[0]");
        assert_eq!(v["tracks"].as_array().unwrap().len(), 1);
        assert_eq!(v["tracks"][0]["label"], "rock");
        assert_eq!(v["tracks"][0]["values"][1], -0.5);
    }
}
