//! Print one MNIST test image as ASCII art, with its label, straight from the IDX files.
//!
//! ```sh
//! ./scripts/fetch-mnist.sh && cargo run --release --example show_digit -- 7
//! ```
//! The argument is the image's index in the test set (default 0).
use kd_mlp::data::idx::{read_idx, IdxArray, IdxData};
use std::path::PathBuf;
use std::process::ExitCode;

/// Reads `data/mnist/NAME`, raw or gzip (read_idx decompresses a `.gz` file itself).
fn read(name: &str) -> Result<IdxArray, String> {
    let raw = PathBuf::from("data/mnist").join(name);
    let gz = raw.with_file_name(format!("{name}.gz"));
    let path = if raw.is_file() { raw } else { gz };
    if !path.is_file() {
        return Err(format!(
            "{} not found. Fetch the data first: ./scripts/fetch-mnist.sh",
            path.display()
        ));
    }
    read_idx(&path).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let index: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let (images, labels) = match (
        read("t10k-images-idx3-ubyte"),
        read("t10k-labels-idx1-ubyte"),
    ) {
        (Ok(images), Ok(labels)) => (images, labels),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    // MNIST images: dims [count, 28, 28] of u8; labels: dims [count] of u8.
    let (IdxData::U8(pixels), IdxData::U8(label_bytes)) = (&images.data, &labels.data) else {
        eprintln!("expected unsigned-byte IDX files");
        return ExitCode::FAILURE;
    };
    let (count, rows, cols) = (images.dims[0], images.dims[1], images.dims[2]);
    if index >= count {
        eprintln!("index {index} is out of range: the test set has {count} images");
        return ExitCode::FAILURE;
    }
    // Darker pixels (0 = white paper, 255 = ink) get denser characters, two per pixel so the
    // digit is not squashed sideways.
    let shades = [' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];
    let image = &pixels[index * rows * cols..(index + 1) * rows * cols];
    for row in image.chunks(cols) {
        let line: String = row
            .iter()
            .map(|&p| shades[usize::from(p) * (shades.len() - 1) / 255])
            .flat_map(|c| [c, c])
            .collect();
        println!("{}", line.trim_end());
    }
    println!(
        "test image {index} of {count}: label {}",
        label_bytes[index]
    );
    ExitCode::SUCCESS
}
