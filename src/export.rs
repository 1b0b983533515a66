//! Export of the index as CSV or JSON: one row per analysed track with
//! `path`, `label`, `duration_s`, the track's name and tags (`name`,
//! `title`, `artist`, `album`, `genre`, `year`), its predicted genre
//! (`predicted_genre`, `predicted_confidence`: see [`Predictions`]), then
//! every fingerprint dimension by name. Failed tracks are left out: they
//! have no values to export.
//!
//! Paths and labels are data here: CSV gets them exactly as they are
//! (invalid UTF-8 replaced by U+FFFD), JSON escaped by
//! [`crate::store::json`] (which also escapes the C1 controls).

use std::collections::HashMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::library::index::{Index, Outcome};
use crate::tags::TrackInfo;

/// Predicted genre and its confidence (0..1) by track path (raw OS bytes):
/// the vote of the track's neighbours in the model, which never include
/// the track itself (leave-one-out for labelled tracks).
pub type Predictions = HashMap<Vec<u8>, (String, f64)>;

/// The predictions of a model's tracks ([`crate::query::predicted_genres`]).
pub fn predictions(model: &crate::model::Model) -> Predictions {
    model
        .tracks
        .iter()
        .zip(crate::query::predicted_genres(model))
        .filter_map(|(t, g)| g.map(|g| (t.path.clone(), (g.genre, g.confidence))))
        .collect()
}

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
    #[serde(flatten)]
    info: TrackInfo,
    predicted_genre: Option<&'a str>,
    predicted_confidence: Option<f64>,
    values: &'a [f32],
}

/// One exported row.
struct Row<'a> {
    path: String,
    label: Option<&'a str>,
    duration_s: f64,
    info: TrackInfo,
    predicted: Option<&'a (String, f64)>,
    values: &'a [f32],
}

#[derive(Serialize)]
struct JsonExport<'a> {
    feature_names: &'a [String],
    tracks: Vec<JsonTrack<'a>>,
}

fn rows<'a>(index: &'a Index, predicted: &'a Predictions) -> impl Iterator<Item = Row<'a>> {
    index.entries.iter().filter_map(|e| match &e.outcome {
        Outcome::Analysed { duration_s, values } => Some(Row {
            path: crate::store::paths::lossy_bytes(&e.path),
            label: e.label.as_deref(),
            duration_s: *duration_s,
            info: e.tags.clone().unwrap_or_default().info(&e.path),
            predicted: predicted.get(&e.path),
            values: values.as_slice(),
        }),
        Outcome::Failed { .. } => None,
    })
}

/// Write `index` to `out` in `format`, without predicted genres.
pub fn write(index: &Index, format: Format, out: &mut dyn Write) -> io::Result<()> {
    write_with(index, &Predictions::new(), format, out)
}

/// Write `index` to `out` in `format` with the `predicted` genres
/// (tracks without one get empty cells / nulls). Feature names come from
/// the index header, so the columns always match the stored values.
pub fn write_with(
    index: &Index,
    predicted: &Predictions,
    format: Format,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Csv => write_csv(index, predicted, out),
        Format::Json => {
            let doc = JsonExport {
                feature_names: &index.header.feature_names,
                tracks: rows(index, predicted)
                    .map(|r| JsonTrack {
                        path: r.path,
                        label: r.label,
                        duration_s: r.duration_s,
                        info: r.info,
                        predicted_genre: r.predicted.map(|p| p.0.as_str()),
                        predicted_confidence: r.predicted.map(|p| p.1),
                        values: r.values,
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

/// The CSV columns before the fingerprint's.
pub const CSV_COLUMNS: [&str; 11] = [
    "path",
    "label",
    "duration_s",
    "name",
    "title",
    "artist",
    "album",
    "genre",
    "year",
    "predicted_genre",
    "predicted_confidence",
];

fn write_csv(index: &Index, predicted: &Predictions, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<String> = CSV_COLUMNS.iter().map(|c| c.to_string()).collect();
    header.extend(index.header.feature_names.iter().cloned());
    w.write_record(&header).map_err(io_err)?;
    for r in rows(index, predicted) {
        let mut rec = Vec::with_capacity(r.values.len() + CSV_COLUMNS.len());
        let text = |s: Option<String>| s.unwrap_or_default();
        rec.push(r.path);
        rec.push(r.label.unwrap_or_default().to_string());
        rec.push(r.duration_s.to_string());
        rec.push(r.info.name);
        rec.push(text(r.info.title));
        rec.push(text(r.info.artist));
        rec.push(text(r.info.album));
        rec.push(text(r.info.genre));
        rec.push(text(r.info.year.map(|y| y.to_string())));
        rec.push(text(r.predicted.map(|p| p.0.clone())));
        rec.push(text(r.predicted.map(|p| format!("{:.4}", p.1))));
        rec.extend(r.values.iter().map(|v| v.to_string()));
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
            "path,label,duration_s,name,title,artist,album,genre,year,predicted_genre,predicted_confidence,a,b[0]\n\"/m/rock/x, \"\"y\"\".wav\",rock,2.5,\"x, \"\"y\"\"\",,,,,,,,1,-0.5\n"
        );
    }

    #[test]
    fn tags_and_predictions_have_their_columns() {
        let mut idx = index();
        idx.entries[0].tags = Some(crate::tags::Tags {
            title: Some("T, \u{1b}".into()),
            artist: Some("A".into()),
            album: Some("L".into()),
            year: Some(2001),
            genres: vec!["hip hop;rap".into()],
            ..Default::default()
        });
        let mut p = Predictions::new();
        p.insert(idx.entries[0].path.clone(), ("jazz".into(), 0.625));
        let mut out = Vec::new();
        write_with(&idx, &p, Format::Csv, &mut out).unwrap();
        let mut rd = csv::Reader::from_reader(out.as_slice());
        let row = rd.records().next().unwrap().unwrap();
        let cells: Vec<&str> = row.iter().take(11).skip(3).collect();
        assert_eq!(
            cells,
            [
                "A — T, \u{1b}",
                "T, \u{1b}",
                "A",
                "L",
                "Hip-Hop",
                "2001",
                "jazz",
                "0.6250"
            ]
        );
        let mut out = Vec::new();
        write_with(&idx, &p, Format::Json, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let t = &v["tracks"][0];
        assert_eq!(
            (&t["artist"], &t["year"], &t["genre"]),
            (&"A".into(), &2001.into(), &"Hip-Hop".into())
        );
        assert_eq!(
            (&t["predicted_genre"], &t["predicted_confidence"]),
            (&"jazz".into(), &0.625.into())
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
