//! Just enough of the ONNX file format to take musicnn's weights out of it:
//! a protobuf reader for `ModelProto → GraphProto → {initializer, input,
//! output}` and the model's `metadata_props` (where `convert.py` writes a
//! network's tag names). The network itself is written out in [`super::net`], so the
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
    /// The model's `metadata_props`, key and value, in file order.
    pub metadata: Vec<(String, String)>,
}

/// ONNX `TensorProto.DataType.FLOAT`.
const FLOAT: u64 = 1;

/// Why an ONNX file cannot be read (the caller names the file).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OnnxError {
    /// The file is not a protobuf message.
    #[error("not an ONNX protobuf: {0}")]
    NotProtobuf(#[source] WireError),
    /// The model holds no graph.
    #[error("no graph in the file")]
    NoGraph,
    /// The graph message is damaged.
    #[error("damaged graph: {0}")]
    Graph(#[source] WireError),
    /// A weight tensor is damaged.
    #[error("damaged weight tensor: {0}")]
    Tensor(#[source] TensorError),
    /// A graph input or output description is damaged.
    #[error("damaged graph input: {0}")]
    GraphInput(#[source] WireError),
    /// A graph input's or output's name is not UTF-8.
    #[error("a graph input's name is not UTF-8")]
    GraphInputName,
    /// A `metadata_props` entry is damaged or not UTF-8.
    #[error("damaged metadata entry")]
    Metadata,
}

/// What is wrong with one weight tensor.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TensorError {
    /// Its protobuf encoding is damaged.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// Packed float data whose length is not a multiple of 4 bytes.
    #[error("float data is not a whole number of floats")]
    PartialFloat,
    /// Its name is not UTF-8.
    #[error("a tensor name is not UTF-8")]
    Name,
    /// A dimension does not fit in `usize`.
    #[error("tensor {name}: dimension {dim} is too large")]
    Dimension {
        /// The tensor's name.
        name: String,
        /// The dimension as stored.
        dim: u64,
    },
    /// The product of the dimensions does not fit in `usize`.
    #[error("tensor {name}: shape {dims:?} is too large")]
    Shape {
        /// The tensor's name.
        name: String,
        /// Its shape.
        dims: Vec<usize>,
    },
    /// Raw data of the wrong length for the shape.
    #[error("tensor {name}: {bytes} bytes of data for shape {dims:?}")]
    RawLength {
        /// The tensor's name.
        name: String,
        /// Bytes of raw data found.
        bytes: usize,
        /// Its shape.
        dims: Vec<usize>,
    },
    /// The wrong number of values for the shape.
    #[error("tensor {name}: {values} values for shape {dims:?}")]
    Values {
        /// The tensor's name.
        name: String,
        /// Values found.
        values: usize,
        /// Its shape.
        dims: Vec<usize>,
    },
}

/// A protobuf encoding error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// A field key with field number 0.
    #[error("field number 0")]
    FieldZero,
    /// A length-delimited field longer than memory can address.
    #[error("length too large")]
    Length,
    /// A 32-bit field with fewer than 4 bytes.
    #[error("short 32-bit field")]
    Short32,
    /// A wire type protobuf does not define (or a deprecated group).
    #[error("unknown wire type {0}")]
    WireType(u64),
    /// A field claiming this many bytes more than there are.
    #[error("a field runs {0} bytes past the end")]
    PastEnd(usize),
    /// The bytes end inside a varint.
    #[error("truncated varint")]
    TruncatedVarint,
    /// A varint of more than 10 bytes.
    #[error("varint longer than 10 bytes")]
    LongVarint,
}

/// Parse an ONNX file's bytes; the error says what is wrong, for a message
/// that names the file.
pub fn parse(bytes: &[u8]) -> Result<OnnxFile, OnnxError> {
    let mut graph = None;
    let mut metadata = Vec::new();
    for field in Fields::new(bytes) {
        let (number, value) = field.map_err(OnnxError::NotProtobuf)?;
        match (number, value) {
            (7, Value::Bytes(g)) => graph = Some(g),
            (14, Value::Bytes(entry)) => metadata.push(key_value(entry)?),
            _ => {}
        }
    }
    let graph = graph.ok_or(OnnxError::NoGraph)?;
    let mut file = OnnxFile {
        metadata,
        ..OnnxFile::default()
    };
    let mut declared_inputs = Vec::new();
    for field in Fields::new(graph) {
        let (number, value) = field.map_err(OnnxError::Graph)?;
        match (number, value) {
            (5, Value::Bytes(t)) => {
                if let Some((name, tensor)) = tensor(t).map_err(OnnxError::Tensor)? {
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

/// `StringStringEntryProto`: key (field 1) and value (field 2).
fn key_value(bytes: &[u8]) -> Result<(String, String), OnnxError> {
    let (mut key, mut value) = (String::new(), String::new());
    for field in Fields::new(bytes) {
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| OnnxError::Metadata);
        match field.map_err(|_| OnnxError::Metadata)? {
            (1, Value::Bytes(k)) => key = text(k)?,
            (2, Value::Bytes(v)) => value = text(v)?,
            _ => {}
        }
    }
    Ok((key, value))
}

/// `ValueInfoProto.name` (field 1).
fn value_info_name(bytes: &[u8]) -> Result<String, OnnxError> {
    for field in Fields::new(bytes) {
        if let (1, Value::Bytes(name)) = field.map_err(OnnxError::GraphInput)? {
            return String::from_utf8(name.to_vec()).map_err(|_| OnnxError::GraphInputName);
        }
    }
    Ok(String::new())
}

/// A `TensorProto`: `Some` for a float tensor, `None` for other types.
fn tensor(bytes: &[u8]) -> Result<Option<(String, Tensor)>, TensorError> {
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
                    return Err(TensorError::PartialFloat);
                }
                floats.extend(
                    packed
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
            }
            (4, Value::Fixed32(v)) => floats.push(f32::from_bits(v)),
            (8, Value::Bytes(n)) => {
                name = String::from_utf8(n.to_vec()).map_err(|_| TensorError::Name)?
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
            usize::try_from(d).map_err(|_| TensorError::Dimension {
                name: name.clone(),
                dim: d,
            })
        })
        .collect::<Result<_, _>>()?;
    let Some(want) = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) else {
        return Err(TensorError::Shape { name, dims });
    };
    let data = match raw {
        Some(r) => {
            if r.len() != want * 4 {
                return Err(TensorError::RawLength {
                    name,
                    bytes: r.len(),
                    dims,
                });
            }
            r.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        }
        None => floats,
    };
    if data.len() != want {
        return Err(TensorError::Values {
            name,
            values: data.len(),
            dims,
        });
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
    fn packed_varints(mut bytes: &'a [u8]) -> impl Iterator<Item = Result<u64, WireError>> + 'a {
        std::iter::from_fn(move || {
            if bytes.is_empty() {
                return None;
            }
            Some(varint(&mut bytes))
        })
    }

    fn next_field(&mut self) -> Result<(u64, Value<'a>), WireError> {
        let key = varint(&mut self.rest)?;
        let number = key >> 3;
        if number == 0 {
            return Err(WireError::FieldZero);
        }
        let value = match key & 7 {
            0 => Value::Varint(varint(&mut self.rest)?),
            1 => {
                take(&mut self.rest, 8)?;
                Value::Fixed64
            }
            2 => {
                let len = varint(&mut self.rest)?;
                let len = usize::try_from(len).map_err(|_| WireError::Length)?;
                Value::Bytes(take(&mut self.rest, len)?)
            }
            5 => Value::Fixed32(u32::from_le_bytes(
                take(&mut self.rest, 4)?
                    .try_into()
                    .map_err(|_| WireError::Short32)?,
            )),
            w => return Err(WireError::WireType(w)),
        };
        Ok((number, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u64, Value<'a>), WireError>;

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
fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], WireError> {
    if bytes.len() < n {
        return Err(WireError::PastEnd(n - bytes.len()));
    }
    let (head, tail) = bytes.split_at(n);
    *bytes = tail;
    Ok(head)
}

/// A base-128 varint off the front of `bytes`.
fn varint(bytes: &mut &[u8]) -> Result<u64, WireError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first().ok_or(WireError::TruncatedVarint)?;
        *bytes = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(WireError::LongVarint)
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
        // metadata_props {key "k", value "a\nb"}, after the graph.
        let kv = [key(1, 2), 1, b'k', key(2, 2), 3, b'a', b'\n', b'b'];
        m.extend([key(14, 2), kv.len() as u8]);
        m.extend(kv);
        let f = parse(&m).unwrap();
        assert_eq!(f.metadata, vec![("k".to_string(), "a\nb".to_string())]);
        assert_eq!(f.weights.len(), 1);
        assert_eq!(f.weights["w"].dims, vec![2, 3]);
        assert_eq!(f.weights["w"].data, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(f.inputs, vec!["x".to_string()]);
        assert_eq!(f.outputs, vec!["y".to_string()]);
    }

    #[test]
    fn damaged_bytes_are_errors_not_panics() {
        assert_eq!(parse(b"").unwrap_err().to_string(), "no graph in the file");
        assert!(parse(&[0xff; 12]).is_err());
        // A length running past the end.
        assert_eq!(
            parse(&[key(7, 2), 100, 1, 2]).unwrap_err().to_string(),
            "not an ONNX protobuf: a field runs 98 bytes past the end"
        );
        // Wrong amount of raw data for the shape.
        let t = [key(1, 0), 4, key(2, 0), 1, key(9, 2), 4, 0, 0, 0, 0];
        let mut g = vec![key(5, 2), t.len() as u8];
        g.extend(t);
        let mut m = vec![key(7, 2), g.len() as u8];
        m.extend(g);
        assert_eq!(
            parse(&m).unwrap_err().to_string(),
            "damaged weight tensor: tensor : 4 bytes of data for shape [4]"
        );
    }
}
