//! Write a saved model's predicted class for every image of an IDX file, as JSON, for
//! `docs/interop_check.py` (see `docs/INTEROP.md`) to compare with its own numpy forward pass.
//!
//! ```sh
//! cargo run --release --example predict -- MODEL.safetensors data/mnist/t10k-images-idx3-ubyte.gz predictions.json
//! ```
use kd_mlp::data::idx::{read_idx, IdxData};
use kd_mlp::data::Dataset;
use kd_mlp::engine::kernels::threads::build_pool;
use kd_mlp::persist::checkpoint;
use kd_mlp::train::evaluate::predict;
use std::process::ExitCode;

fn run(model: &str, images: &str, out: &str) -> Result<(), String> {
    let (mlp, _) = checkpoint::load::<f32>(model.as_ref()).map_err(|e| e.to_string())?;
    let idx = read_idx(images.as_ref()).map_err(|e| e.to_string())?;
    let (&[count, rows, cols], IdxData::U8(pixels)) = (idx.dims.as_slice(), idx.data) else {
        return Err(format!(
            "{images}: expected u8 images of shape (count, rows, cols)"
        ));
    };
    // The data set type wants labels; predictions do not read them, so any valid label will do.
    let data = Dataset::new(pixels, vec![0; count], rows, cols, mlp.classes())
        .map_err(|e| e.to_string())?;
    if data.pixels() != mlp.inputs() {
        return Err(format!(
            "{model} takes {} inputs, the images have {} pixels",
            mlp.inputs(),
            data.pixels()
        ));
    }
    // The same code path as `kd-mlp eval`: pixel / 255 in f32, forward in 500-row chunks, argmax.
    let pool = build_pool(0).map_err(|e| e.to_string())?;
    let predictions = pool.install(|| predict(&mlp, &data, 0..count));
    let json = serde_json::json!({ "model": model, "images": images, "predictions": predictions });
    std::fs::write(out, json.to_string()).map_err(|e| format!("{out}: {e}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, images, out] = args.as_slice() else {
        eprintln!("usage: predict MODEL.safetensors IMAGES.idx[.gz] OUT.json");
        return ExitCode::FAILURE;
    };
    match run(model, images, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
