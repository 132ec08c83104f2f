//! Saving and loading a model as safetensors, so numpy (`safetensors.numpy.load_file`) and
//! PyTorch read it without kd-mlp.
//!
//! Layout: for each layer `l`, a tensor `dense.{l}.weight` of shape `(in, out)` (so that
//! `y = x @ W + b`, as in the code; PyTorch's `nn.Linear` stores the transpose) and
//! `dense.{l}.bias` of shape `(out)`, in the model's float type. The metadata holds
//! `format = kd-mlp`, `format_version = 1`, `sizes` (e.g. `784,100,10`) and `classes` (the
//! class count, the last size: what a reader of the file wants first), plus anything the caller
//! adds (seed, training record). Files written before `classes` existed load as well; their
//! count is the last layer's size.

use super::tensors::{safetensors_bytes, Tensor};
use super::write_atomically;
use crate::engine::mlp::{layer_view_mut, Mlp};
use crate::error::Error;
use crate::Float;
use safetensors::{Dtype, SafeTensors};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const FORMAT: &str = "kd-mlp";
const FORMAT_VERSION: &str = "1";

fn weight_name(l: usize) -> String {
    format!("dense.{l}.weight")
}
fn bias_name(l: usize) -> String {
    format!("dense.{l}.bias")
}

/// The model as safetensors bytes, with `extra` metadata added.
///
/// The file is laid out by [`safetensors_bytes`] rather than by `safetensors::serialize`, because
/// that function takes the metadata as a `HashMap` and writes it in a different order in every
/// process: the same model would not give the same bytes. There every key is sorted, so it does.
/// The reader below (the safetensors crate) validates it, and the tests read it back.
pub fn to_safetensors<F: Float>(mlp: &Mlp<F>, extra: &[(&str, String)]) -> Result<Vec<u8>, Error> {
    if let Some(bad) = mlp.params().iter().find(|v| !v.is_finite()) {
        return Err(Error::Config(format!(
            "refusing to save a model holding a non-finite parameter ({bad})"
        )));
    }
    let sizes = mlp.sizes();
    let mut metadata: BTreeMap<String, String> = extra
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
    metadata.insert("classes".into(), mlp.classes().to_string());

    let mut tensors = Vec::with_capacity(2 * mlp.layers());
    for l in 0..mlp.layers() {
        let (w, b) = mlp.layer(l);
        for (name, shape, values) in [
            (weight_name(l), vec![sizes[l], sizes[l + 1]], w.to_slice()),
            (bias_name(l), vec![sizes[l + 1]], b.to_slice()),
        ] {
            let values = values.expect("layer views into the flat buffer are contiguous");
            tensors.push(Tensor::of(name, shape, values));
        }
    }
    Ok(safetensors_bytes(&tensors, &metadata))
}

/// Writes the model to `path` atomically (a temporary file beside it, then a rename), so a crash
/// never leaves a half-written model that a later run would trust.
pub fn save<F: Float>(mlp: &Mlp<F>, path: &Path, extra: &[(&str, String)]) -> Result<(), Error> {
    let bytes = to_safetensors(mlp, extra)?;
    write_atomically(path, &bytes)
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
    if sizes.len() < 2 || sizes.contains(&0) {
        return Err(bad(format!(
            "bad sizes '{sizes_text}' in the metadata (an input size, hidden widths and a class count, all positive)"
        )));
    }
    let classes = sizes[sizes.len() - 1];
    if let Some(text) = metadata.get("classes") {
        if text.trim().parse::<usize>().ok() != Some(classes) {
            return Err(bad(format!(
                "the metadata says classes = '{text}' but the sizes '{sizes_text}' end in {classes}"
            )));
        }
    }
    let file = SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("not a safetensors file ({e})")))?;
    let layers = sizes.len() - 1;
    if file.len() != 2 * layers {
        return Err(bad(format!(
            "expected {} tensors for sizes {sizes_text}, found {}",
            2 * layers,
            file.len()
        )));
    }
    // Every tensor's name, shape and dtype before allocating anything: the sizes are only
    // trusted once the file is seen to hold that many values (the safetensors reader checked
    // that each tensor's bytes lie inside the file), so a forged 'sizes' cannot make us
    // allocate more than the file's length justifies.
    let mut views = Vec::with_capacity(2 * layers);
    for l in 0..layers {
        for (name, shape) in [
            (weight_name(l), vec![sizes[l], sizes[l + 1]]),
            (bias_name(l), vec![sizes[l + 1]]),
        ] {
            let view = file
                .tensor(&name)
                .map_err(|_| bad(format!("tensor {name} is missing")))?;
            if view.shape() != shape.as_slice() {
                return Err(bad(format!(
                    "tensor {name} has shape {:?}, the sizes say {shape:?}",
                    view.shape()
                )));
            }
            if !matches!(view.dtype(), Dtype::F32 | Dtype::F64) {
                return Err(bad(format!(
                    "tensor {name}: dtype {:?}, expected F32 or F64",
                    view.dtype()
                )));
            }
            views.push((name, view));
        }
    }
    // Every tensor is checked: only now allocate, and fill layer by layer in the same order.
    let mut mlp = Mlp::<F>::zeros(&sizes).map_err(|e| bad(e.to_string()))?;
    let layer_sizes = mlp.sizes().to_vec();
    let mut views = views.into_iter();
    for l in 0..mlp.layers() {
        let (mut w, mut b) = layer_view_mut(&layer_sizes, mlp.params_mut(), l);
        for dest in [w.as_slice_mut(), b.as_slice_mut()] {
            let dest = dest.expect("layer views into the flat buffer are contiguous");
            let (name, view) = views.next().expect("one checked view per tensor");
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
        assert_eq!(meta["classes"], "3");
        // the f64 reading of an f32 file holds the same values
        let (wide, _) = from_safetensors::<f64>(&bytes, Path::new("m")).unwrap();
        assert!(wide
            .params()
            .iter()
            .zip(mlp.params())
            .all(|(&a, &b)| a == f64::from(b)));
    }

    #[test]
    fn same_model_same_bytes() {
        let mlp = Mlp::<f32>::glorot(&[6, 4, 3], 5).unwrap();
        let extra = [
            ("a", "1".to_string()),
            ("z", "2".to_string()),
            ("m", "3".to_string()),
        ];
        let first = to_safetensors(&mlp, &extra).unwrap();
        // header length is a multiple of 8 and the data follows it: 6·4+4+4·3+3 = 43 floats
        let n = u64::from_le_bytes(first[..8].try_into().unwrap()) as usize;
        assert_eq!(n % 8, 0);
        assert_eq!(first.len(), 8 + n + 43 * 4);
        for _ in 0..5 {
            assert_eq!(to_safetensors(&mlp, &extra).unwrap(), first);
        }
    }

    /// A file without `classes` (as written before the key existed) loads, its count from the
    /// last size; a `classes` that contradicts the sizes is an error.
    #[test]
    fn class_count_metadata_old_and_contradicting() {
        let mlp = Mlp::<f32>::glorot(&[6, 4, 3], 5).unwrap();
        let bytes = to_safetensors(&mlp, &[]).unwrap();
        let with = |text: &str| {
            let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
            let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
            let edited = header.replace("\"classes\":\"3\"", text);
            let mut padded = edited.into_bytes();
            padded.resize(padded.len().div_ceil(8) * 8, b' ');
            let mut out = (padded.len() as u64).to_le_bytes().to_vec();
            out.extend_from_slice(&padded);
            out.extend_from_slice(&bytes[8 + n..]);
            out
        };
        let old = with("\"comment\":\"none\"");
        let (back, meta) = from_safetensors::<f32>(&old, Path::new("old")).unwrap();
        assert_eq!(back, mlp);
        assert_eq!((back.classes(), meta.get("classes")), (3, None));
        let err = from_safetensors::<f32>(&with("\"classes\":\"26\""), Path::new("x"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("classes = '26'"), "{err}");
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
