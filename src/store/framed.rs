//! The container both musim files use (index and model): `magic` (8 bytes)
//! · format version (u32 LE) · payload length (u64 LE) · FNV-1a 64 checksum
//! of the payload (u64 LE) · payload. The version sits outside the payload
//! so an older file is recognised as such even when its payload layout
//! differs, and the checksum turns corruption into an explicit error instead
//! of a plausible-looking mis-decode.

use super::hash::fnv1a64;

const PREFIX_LEN: usize = 8 + 4 + 8 + 8;

/// Why bytes are not a usable framed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// Wrong magic: some other kind of file.
    Foreign,
    /// Written by an older musim (this format version).
    Older(u32),
    /// Written by a newer musim (this format version).
    Newer(u32),
    /// Damaged: truncated or checksum mismatch.
    Corrupt(String),
}

/// Frame `payload` with `magic` and `version`.
pub fn encode(magic: &[u8; 8], version: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(PREFIX_LEN + payload.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a64(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The checked payload of bytes made by [`encode`] with the same magic and version.
pub fn decode<'a>(bytes: &'a [u8], magic: &[u8; 8], version: u32) -> Result<&'a [u8], FrameError> {
    if bytes.get(..magic.len()) != Some(&magic[..]) {
        return Err(FrameError::Foreign);
    }
    let truncated = || FrameError::Corrupt("truncated header".into());
    let v = read_u32(bytes, 8).ok_or_else(truncated)?;
    if v < version {
        return Err(FrameError::Older(v));
    }
    if v > version {
        return Err(FrameError::Newer(v));
    }
    let (len, sum) = match (read_u64(bytes, 12), read_u64(bytes, 20)) {
        (Some(l), Some(s)) => (l, s),
        _ => return Err(truncated()),
    };
    let payload = bytes.get(PREFIX_LEN..).unwrap_or_default();
    if payload.len() as u64 != len {
        return Err(FrameError::Corrupt(format!(
            "truncated: {} of {len} payload bytes",
            payload.len()
        )));
    }
    if fnv1a64(payload) != sum {
        return Err(FrameError::Corrupt("checksum mismatch".into()));
    }
    Ok(payload)
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn read_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}
