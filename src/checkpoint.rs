//! Saving and loading a model as safetensors, so numpy (`safetensors.numpy.load_file`) and
//! PyTorch read it without kd-mlp.
//!
//! Layout: for each layer `l`, a tensor `dense.{l}.weight` of shape `(in, out)` (so that
//! `y = x @ W + b`, as in the code; PyTorch's `nn.Linear` stores the transpose) and
//! `dense.{l}.bias` of shape `(out)`, in the model's float type. The metadata holds
//! `format = kd-mlp`, `format_version = 1` and `sizes` (e.g. `784,100,10`), plus anything the
//! caller adds (seed, training record).

use crate::error::Error;
use crate::mlp::{layer_view_mut, Mlp};
use crate::Float;
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::path::Path;

const FORMAT: &str = "kd-mlp";
const FORMAT_VERSION: &str = "1";

fn weight_name(l: usize) -> String {
    format!("dense.{l}.weight")
}
fn bias_name(l: usize) -> String {
    format!("dense.{l}.bias")
}

/// Little-endian bytes of a slice of floats.
fn to_bytes<F: Float>(values: impl Iterator<Item = F>) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        v.push_le_bytes(&mut out);
    }
    out
}

/// The model as safetensors bytes, with `extra` metadata added.
pub fn to_safetensors<F: Float>(mlp: &Mlp<F>, extra: &[(&str, String)]) -> Result<Vec<u8>, Error> {
    if let Some(bad) = mlp.params().iter().find(|v| !v.is_finite()) {
        return Err(Error::Config(format!(
            "refusing to save a model holding a non-finite parameter ({bad})"
        )));
    }
    let sizes = mlp.sizes();
    let mut tensors = Vec::new();
    for l in 0..mlp.layers() {
        let (w, b) = mlp.layer(l);
        tensors.push((
            weight_name(l),
            vec![sizes[l], sizes[l + 1]],
            to_bytes(w.iter().copied()),
        ));
        tensors.push((
            bias_name(l),
            vec![sizes[l + 1]],
            to_bytes(b.iter().copied()),
        ));
    }
    let mut metadata: HashMap<String, String> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    metadata.insert("format".into(), FORMAT.into());
    metadata.insert("format_version".into(), FORMAT_VERSION.into());
    metadata.insert(
        "sizes".into(),
        sizes
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(","),
    );
    let views = tensors
        .iter()
        .map(|(name, shape, bytes)| {
            safetensors::tensor::TensorView::new(F::DTYPE, shape.clone(), bytes)
                .map(|view| (name.clone(), view))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("cannot lay out the model as safetensors: {e}")))?;
    safetensors::serialize(views, Some(metadata))
        .map_err(|e| Error::Config(format!("cannot serialise the model as safetensors: {e}")))
}

/// Writes the model to `path` atomically (a temporary file beside it, then a rename), so a crash
/// never leaves a half-written model that a later run would trust.
pub fn save<F: Float>(mlp: &Mlp<F>, path: &Path, extra: &[(&str, String)]) -> Result<(), Error> {
    let bytes = to_safetensors(mlp, extra)?;
    write_atomically(path, &bytes)
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::Config(format!("{} is not a file path", path.display())))?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// A model read back from safetensors bytes; `path` names the file in errors. Every tensor's
/// dtype and shape is checked against the sizes in the metadata; f32 and f64 files both load
/// (converted to `F`).
pub fn from_safetensors<F: Float>(
    bytes: &[u8],
    path: &Path,
) -> Result<(Mlp<F>, HashMap<String, String>), Error> {
    let bad = |what: String| Error::Model {
        path: path.to_path_buf(),
        what,
    };
    let (_, meta) = SafeTensors::read_metadata(bytes)
        .map_err(|e| bad(format!("not a safetensors file ({e})")))?;
    let metadata = meta.metadata().clone().unwrap_or_default();
    if metadata.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(bad(
            "not a kd-mlp model (its metadata has no format = kd-mlp)".into(),
        ));
    }
    let sizes_text = metadata
        .get("sizes")
        .ok_or_else(|| bad("the metadata has no 'sizes'".into()))?;
    let sizes: Vec<usize> = sizes_text
        .split(',')
        .map(|s| s.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad(format!("bad sizes '{sizes_text}' in the metadata")))?;
    let mut mlp = Mlp::<F>::zeros(&sizes).map_err(|e| bad(e.to_string()))?;
    let file = SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("not a safetensors file ({e})")))?;
    if file.len() != 2 * mlp.layers() {
        return Err(bad(format!(
            "expected {} tensors for sizes {sizes_text}, found {}",
            2 * mlp.layers(),
            file.len()
        )));
    }
    let layer_sizes = mlp.sizes().to_vec();
    for l in 0..mlp.layers() {
        let (mut w, mut b) = layer_view_mut(&layer_sizes, mlp.params_mut(), l);
        for (name, shape, dest) in [
            (
                weight_name(l),
                vec![sizes[l], sizes[l + 1]],
                w.as_slice_mut(),
            ),
            (bias_name(l), vec![sizes[l + 1]], b.as_slice_mut()),
        ] {
            let dest = dest.expect("layer views into the flat buffer are contiguous");
            let view = file
                .tensor(&name)
                .map_err(|_| bad(format!("tensor {name} is missing")))?;
            if view.shape() != shape.as_slice() {
                return Err(bad(format!(
                    "tensor {name} has shape {:?}, the sizes say {shape:?}",
                    view.shape()
                )));
            }
            read_values(view.dtype(), view.data(), dest)
                .map_err(|what| bad(format!("tensor {name}: {what}")))?;
        }
    }
    if let Some(bad_value) = mlp.params().iter().find(|v| !v.is_finite()) {
        return Err(bad(format!("holds a non-finite parameter ({bad_value})")));
    }
    Ok((mlp, metadata))
}

fn read_values<F: Float>(dtype: Dtype, data: &[u8], dest: &mut [F]) -> Result<(), String> {
    let width = match dtype {
        Dtype::F32 => 4,
        Dtype::F64 => 8,
        other => return Err(format!("dtype {other:?}, expected F32 or F64")),
    };
    if data.len() != dest.len() * width {
        return Err(format!("{} bytes for {} values", data.len(), dest.len()));
    }
    for (d, chunk) in dest.iter_mut().zip(data.chunks_exact(width)) {
        *d = if width == 4 {
            F::of(f64::from(f32::from_le_slice(chunk)))
        } else {
            F::of(f64::from_le_slice(chunk))
        };
    }
    Ok(())
}

/// Reads a model file.
pub fn load<F: Float>(path: &Path) -> Result<(Mlp<F>, HashMap<String, String>), Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    from_safetensors(&bytes, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_every_bit_and_the_metadata() {
        let mlp = Mlp::<f32>::glorot(&[6, 4, 3], 5).unwrap();
        let bytes = to_safetensors(&mlp, &[("seed", "5".into())]).unwrap();
        let (back, meta) = from_safetensors::<f32>(&bytes, Path::new("m")).unwrap();
        assert_eq!(back, mlp);
        assert_eq!(meta["seed"], "5");
        assert_eq!(meta["sizes"], "6,4,3");
        // the f64 reading of an f32 file holds the same values
        let (wide, _) = from_safetensors::<f64>(&bytes, Path::new("m")).unwrap();
        assert!(wide
            .params()
            .iter()
            .zip(mlp.params())
            .all(|(&a, &b)| a == f64::from(b)));
    }

    #[test]
    fn bad_files_are_named_errors() {
        let mlp = Mlp::<f32>::glorot(&[6, 4, 3], 5).unwrap();
        let bytes = to_safetensors(&mlp, &[]).unwrap();
        let err = |b: &[u8]| {
            from_safetensors::<f32>(b, Path::new("x.safetensors"))
                .unwrap_err()
                .to_string()
        };
        assert!(err(&bytes[..bytes.len() - 4]).contains("x.safetensors"));
        assert!(err(b"hello").contains("not a safetensors file"));
        // a safetensors file without our metadata
        let foreign = safetensors::serialize(
            [(
                "t",
                safetensors::tensor::TensorView::new(Dtype::F32, vec![1], &[0u8; 4]).unwrap(),
            )],
            None,
        )
        .unwrap();
        assert!(err(&foreign).contains("not a kd-mlp model"));
        let mut nan = mlp.clone();
        nan.params_mut()[0] = f32::NAN;
        assert!(to_safetensors(&nan, &[]).is_err());
    }
}
