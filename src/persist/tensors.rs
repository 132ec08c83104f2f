//! The safetensors layout, written by hand so that the same tensors and metadata give the same
//! bytes in every process (`safetensors::serialize` takes the metadata as a `HashMap`, whose order
//! changes from run to run): an 8-byte little-endian header length, the JSON header (keys
//! sorted, padded with spaces to a multiple of 8), then the tensors' bytes back to back in the
//! order given. Models ([`super::checkpoint`]) and gradient dumps (`kd-mlp gradcheck --dump`)
//! both use it; the safetensors crate reads either back.

use crate::Float;
use safetensors::Dtype;
use std::collections::BTreeMap;

/// One named tensor: dtype, shape and little-endian bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
}

impl Tensor {
    /// A float tensor of `values` (row-major) with `shape`.
    pub fn of<F: Float>(name: impl Into<String>, shape: Vec<usize>, values: &[F]) -> Self {
        let mut data = Vec::with_capacity(values.len() * F::BYTES);
        values.iter().for_each(|v| v.push_le_bytes(&mut data));
        Self {
            name: name.into(),
            dtype: F::DTYPE,
            shape,
            data,
        }
    }

    /// A signed 64-bit integer tensor (PyTorch's class-index type) of `values`, shape `(len)`.
    pub fn i64s(name: impl Into<String>, values: &[i64]) -> Self {
        Self {
            name: name.into(),
            dtype: Dtype::I64,
            shape: vec![values.len()],
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }
}

/// The safetensors file of `tensors` with `metadata` (strings) in its `__metadata__`.
pub fn safetensors_bytes(tensors: &[Tensor], metadata: &BTreeMap<String, String>) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    header.insert(
        "__metadata__".into(),
        serde_json::to_value(metadata).expect("strings serialise"),
    );
    let mut data = Vec::with_capacity(tensors.iter().map(|t| t.data.len()).sum());
    for t in tensors {
        let start = data.len();
        data.extend_from_slice(&t.data);
        let entry = serde_json::json!({
            "dtype": format!("{:?}", t.dtype),
            "shape": t.shape,
            "data_offsets": [start, data.len()],
        });
        header.insert(t.name.clone(), entry);
    }
    // serde_json's Map is ordered by key, so the header text is the same in every run.
    let mut header_text = serde_json::to_vec(&header).expect("the header serialises");
    header_text.resize(header_text.len().div_ceil(8) * 8, b' ');
    let mut out = Vec::with_capacity(8 + header_text.len() + data.len());
    out.extend_from_slice(&(header_text.len() as u64).to_le_bytes());
    out.extend_from_slice(&header_text);
    out.extend_from_slice(&data);
    out
}
