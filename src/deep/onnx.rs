//! Just enough of the ONNX file format to take musicnn's weights out of it:
//! a protobuf reader for `ModelProto → GraphProto → {initializer, input,
//! output}`. The network itself is written out in [`super::net`], so the
//! graph's nodes are not interpreted; the weights are found by the names
//! `tools/musicnn/convert.py` gives them and their shapes are checked.
//!
//! Why not a protobuf or ONNX crate: three messages and five field kinds are
//! all that is read, and the crates that run ONNX graphs (tract) cost minutes
//! of build time for a graph this small.

use std::collections::HashMap;

/// A float tensor read from the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Its shape.
    pub dims: Vec<usize>,
    /// Its values, row-major.
    pub data: Vec<f32>,
}

/// What the file holds that musim uses.
#[derive(Debug, Default)]
pub struct OnnxFile {
    /// Float initializers (the weights), by name.
    pub weights: HashMap<String, Tensor>,
    /// Names of the graph's inputs that are not initializers.
    pub inputs: Vec<String>,
    /// Names of the graph's outputs.
    pub outputs: Vec<String>,
}

/// ONNX `TensorProto.DataType.FLOAT`.
const FLOAT: u64 = 1;

/// Parse an ONNX file's bytes; the error says what is wrong, for a message
/// that names the file.
pub fn parse(bytes: &[u8]) -> Result<OnnxFile, String> {
    let mut graph = None;
    for field in Fields::new(bytes) {
        let (number, value) = field.map_err(|e| format!("not an ONNX protobuf: {e}"))?;
        if let (7, Value::Bytes(g)) = (number, value) {
            graph = Some(g);
        }
    }
    let graph = graph.ok_or("no graph in the file")?;
    let mut file = OnnxFile::default();
    let mut declared_inputs = Vec::new();
    for field in Fields::new(graph) {
        let (number, value) = field.map_err(|e| format!("damaged graph: {e}"))?;
        match (number, value) {
            (5, Value::Bytes(t)) => {
                if let Some((name, tensor)) =
                    tensor(t).map_err(|e| format!("damaged weight tensor: {e}"))?
                {
                    file.weights.insert(name, tensor);
                }
            }
            (11, Value::Bytes(v)) => declared_inputs.push(value_info_name(v)?),
            (12, Value::Bytes(v)) => file.outputs.push(value_info_name(v)?),
            _ => {}
        }
    }
    file.inputs = declared_inputs
        .into_iter()
        .filter(|n| !file.weights.contains_key(n))
        .collect();
    Ok(file)
}

/// `ValueInfoProto.name` (field 1).
fn value_info_name(bytes: &[u8]) -> Result<String, String> {
    for field in Fields::new(bytes) {
        if let (1, Value::Bytes(name)) = field.map_err(|e| format!("damaged graph input: {e}"))? {
            return String::from_utf8(name.to_vec())
                .map_err(|_| "a graph input's name is not UTF-8".to_string());
        }
    }
    Ok(String::new())
}

/// A `TensorProto`: `Some` for a float tensor, `None` for other types.
fn tensor(bytes: &[u8]) -> Result<Option<(String, Tensor)>, String> {
    let mut dims = Vec::new();
    let mut data_type = 0;
    let mut name = String::new();
    let mut raw: Option<&[u8]> = None;
    let mut floats = Vec::new();
    for field in Fields::new(bytes) {
        match field? {
            (1, Value::Varint(d)) => dims.push(d),
            (1, Value::Bytes(packed)) => {
                for d in Fields::packed_varints(packed) {
                    dims.push(d?);
                }
            }
            (2, Value::Varint(t)) => data_type = t,
            (4, Value::Bytes(packed)) => {
                if packed.len() % 4 != 0 {
                    return Err("float data is not a whole number of floats".into());
                }
                floats.extend(
                    packed
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
            }
            (4, Value::Fixed32(v)) => floats.push(f32::from_bits(v)),
            (8, Value::Bytes(n)) => {
                name = String::from_utf8(n.to_vec()).map_err(|_| "a tensor name is not UTF-8")?
            }
            (9, Value::Bytes(r)) => raw = Some(r),
            _ => {}
        }
    }
    if data_type != FLOAT {
        return Ok(None);
    }
    let dims: Vec<usize> = dims
        .into_iter()
        .map(|d| {
            usize::try_from(d).map_err(|_| format!("tensor {name}: dimension {d} is too large"))
        })
        .collect::<Result<_, _>>()?;
    let want = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| format!("tensor {name}: shape {dims:?} is too large"))?;
    let data = match raw {
        Some(r) => {
            if r.len() != want * 4 {
                return Err(format!(
                    "tensor {name}: {} bytes of data for shape {dims:?}",
                    r.len()
                ));
            }
            r.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        }
        None => floats,
    };
    if data.len() != want {
        return Err(format!(
            "tensor {name}: {} values for shape {dims:?}",
            data.len()
        ));
    }
    Ok(Some((name, Tensor { dims, data })))
}

/// One protobuf field value.
#[derive(Debug, Clone, Copy)]
enum Value<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// The fields of one protobuf message, in order.
struct Fields<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            rest: bytes,
            failed: false,
        }
    }

    /// The varints of a packed repeated field.
    fn packed_varints(mut bytes: &'a [u8]) -> impl Iterator<Item = Result<u64, String>> + 'a {
        std::iter::from_fn(move || {
            if bytes.is_empty() {
                return None;
            }
            Some(varint(&mut bytes))
        })
    }

    fn next_field(&mut self) -> Result<(u64, Value<'a>), String> {
        let key = varint(&mut self.rest)?;
        let number = key >> 3;
        if number == 0 {
            return Err("field number 0".into());
        }
        let value = match key & 7 {
            0 => Value::Varint(varint(&mut self.rest)?),
            1 => {
                take(&mut self.rest, 8)?;
                Value::Fixed64
            }
            2 => {
                let len = varint(&mut self.rest)?;
                let len = usize::try_from(len).map_err(|_| "length too large".to_string())?;
                Value::Bytes(take(&mut self.rest, len)?)
            }
            5 => Value::Fixed32(u32::from_le_bytes(
                take(&mut self.rest, 4)?
                    .try_into()
                    .map_err(|_| "short 32-bit field".to_string())?,
            )),
            w => return Err(format!("unknown wire type {w}")),
        };
        Ok((number, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u64, Value<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let field = self.next_field();
        self.failed = field.is_err();
        Some(field)
    }
}

/// Take `n` bytes off the front of `bytes`.
fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
    if bytes.len() < n {
        return Err(format!(
            "a field runs {} bytes past the end",
            n - bytes.len()
        ));
    }
    let (head, tail) = bytes.split_at(n);
    *bytes = tail;
    Ok(head)
}

/// A base-128 varint off the front of `bytes`.
fn varint(bytes: &mut &[u8]) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first().ok_or("truncated varint")?;
        *bytes = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint longer than 10 bytes".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key for field `n` with wire type `w`.
    fn key(n: u8, w: u8) -> u8 {
        (n << 3) | w
    }

    #[test]
    fn reads_a_float_initializer_and_the_interface() {
        // TensorProto: dims 2, 3 (unpacked), FLOAT, name "w", raw data.
        let mut t = vec![key(1, 0), 2, key(1, 0), 3, key(2, 0), 1, key(8, 2), 1, b'w'];
        t.extend([key(9, 2), 24]);
        for v in 0..6 {
            t.extend((v as f32).to_le_bytes());
        }
        // An INT64 tensor: ignored.
        let s = vec![key(1, 0), 1, key(2, 0), 7, key(8, 2), 1, b's'];
        let vi = |name: &[u8]| {
            let mut v = vec![key(1, 2), name.len() as u8];
            v.extend(name);
            v
        };
        let mut g = vec![key(5, 2), t.len() as u8];
        g.extend(&t);
        g.extend([key(5, 2), s.len() as u8]);
        g.extend(&s);
        for (field, name) in [(11, &b"x"[..]), (11, b"w"), (12, b"y")] {
            let v = vi(name);
            g.extend([key(field, 2), v.len() as u8]);
            g.extend(v);
        }
        let mut m = vec![key(1, 0), 8, key(7, 2), g.len() as u8];
        m.extend(&g);
        let f = parse(&m).unwrap();
        assert_eq!(f.weights.len(), 1);
        assert_eq!(f.weights["w"].dims, vec![2, 3]);
        assert_eq!(f.weights["w"].data, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(f.inputs, vec!["x".to_string()]);
        assert_eq!(f.outputs, vec!["y".to_string()]);
    }

    #[test]
    fn damaged_bytes_are_errors_not_panics() {
        assert!(parse(b"").unwrap_err().contains("no graph"));
        assert!(parse(&[0xff; 12]).is_err());
        // A length running past the end.
        assert!(parse(&[key(7, 2), 100, 1, 2])
            .unwrap_err()
            .contains("past the end"));
        // Wrong amount of raw data for the shape.
        let t = [key(1, 0), 4, key(2, 0), 1, key(9, 2), 4, 0, 0, 0, 0];
        let mut g = vec![key(5, 2), t.len() as u8];
        g.extend(t);
        let mut m = vec![key(7, 2), g.len() as u8];
        m.extend(g);
        assert!(parse(&m).unwrap_err().contains("bytes of data"));
    }
}
