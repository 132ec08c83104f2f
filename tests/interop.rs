//! The model file contract that `docs/INTEROP.md` and `docs/interop_check.py` rely on, checked by
//! parsing the bytes here with serde_json alone (not with kd-mlp's reader nor the safetensors
//! crate), so that a change to the writer cannot drift from what Python expects unnoticed.
//!
//! The contract: an 8-byte little-endian header length N, N bytes of JSON header, then the data.
//! The header maps `dense.{l}.weight` to dtype `F32`, shape `[in, out]`, and `dense.{l}.bias` to
//! dtype `F32`, shape `[out]`, each with `data_offsets` `[begin, end)` into the data, and
//! `__metadata__` holds `format = kd-mlp`, `format_version = 1` and `sizes` (`"784,100,10"`).

use kd_mlp::persist::checkpoint;
use kd_mlp::Mlp;
use serde_json::Value;

/// Splits a safetensors file into its parsed header and its data section.
fn parse(bytes: &[u8]) -> (serde_json::Map<String, Value>, &[u8]) {
    assert!(bytes.len() >= 8, "shorter than the length prefix");
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert!(8 + n <= bytes.len(), "header length {n} runs past the file");
    let header: Value = serde_json::from_slice(&bytes[8..8 + n]).expect("the header is JSON");
    let Value::Object(map) = header else {
        panic!("the header is not a JSON object")
    };
    (map, &bytes[8 + n..])
}

fn model(sizes: &[usize]) -> Mlp<f32> {
    let mut mlp = Mlp::<f32>::glorot(sizes, 3).unwrap();
    // non-zero biases, so their bytes are checked too
    let count = mlp.params().len();
    for (i, v) in mlp.params_mut().iter_mut().enumerate() {
        if *v == 0.0 {
            *v = i as f32 / count as f32;
        }
    }
    mlp
}

#[test]
fn file_layout_is_the_documented_contract() {
    let sizes = [7, 5, 4, 3];
    let mlp = model(&sizes);
    let bytes = checkpoint::to_safetensors(&mlp, &[("seed", "3".into())]).unwrap();
    let (header, data) = parse(&bytes);

    // Metadata: all strings, the three contract keys plus what the caller added.
    let meta = header["__metadata__"].as_object().expect("__metadata__");
    assert_eq!(meta["format"], "kd-mlp");
    assert_eq!(meta["format_version"], "1");
    assert_eq!(meta["sizes"], "7,5,4,3");
    assert_eq!(meta["seed"], "3");

    // Exactly two tensors per layer, no others.
    let layers = sizes.len() - 1;
    assert_eq!(header.len(), 1 + 2 * layers, "keys: {:?}", header.keys());
    let mut covered = Vec::new();
    for l in 0..layers {
        let (w, b) = mlp.layer(l);
        for (name, shape, values) in [
            (
                format!("dense.{l}.weight"),
                vec![sizes[l], sizes[l + 1]],
                w.iter().copied().collect::<Vec<f32>>(),
            ),
            (
                format!("dense.{l}.bias"),
                vec![sizes[l + 1]],
                b.iter().copied().collect(),
            ),
        ] {
            let entry = header
                .get(&name)
                .unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(entry["dtype"], "F32", "{name}");
            let got_shape: Vec<usize> = entry["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(
                got_shape, shape,
                "{name}: shape (in, out) for W, (out) for b"
            );
            let offsets = entry["data_offsets"].as_array().unwrap();
            let (begin, end) = (
                offsets[0].as_u64().unwrap() as usize,
                offsets[1].as_u64().unwrap() as usize,
            );
            assert_eq!(end - begin, 4 * values.len(), "{name}: 4 bytes per f32");
            // Row-major (in, out): element [i][o] at i·out + o, little-endian f32.
            let stored: Vec<f32> = data[begin..end]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                .collect();
            assert_eq!(stored, values, "{name}: values");
            covered.push((begin, end));
        }
    }
    // The tensors tile the data section without gaps or overlap.
    covered.sort();
    let mut at = 0;
    for (begin, end) in covered {
        assert_eq!(begin, at, "gap or overlap in the data section");
        at = end;
    }
    assert_eq!(at, data.len(), "bytes after the last tensor");
}

#[test]
fn header_is_padded_to_eight_bytes_and_deterministic() {
    let mlp = model(&[4, 3, 2]);
    let a = checkpoint::to_safetensors(&mlp, &[]).unwrap();
    let b = checkpoint::to_safetensors(&mlp, &[]).unwrap();
    assert_eq!(a, b, "the same model gives the same bytes");
    let n = u64::from_le_bytes(a[..8].try_into().unwrap());
    assert_eq!(n % 8, 0, "header length {n} is not a multiple of 8");
}

#[test]
fn saved_file_holds_the_same_bytes_and_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let mlp = model(&[784, 16, 10]);
    checkpoint::save(&mlp, &path, &[]).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes, checkpoint::to_safetensors(&mlp, &[]).unwrap());
    let (header, _) = parse(&bytes);
    assert_eq!(header["__metadata__"]["sizes"], "784,16,10");
    assert_eq!(
        header["dense.0.weight"]["shape"],
        serde_json::json!([784, 16])
    );
    let (back, _) = checkpoint::load::<f32>(&path).unwrap();
    assert_eq!(back, mlp);
}
