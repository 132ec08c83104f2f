//! Fuzz target: `kd_mlp::data::idx::parse_idx` on arbitrary bytes, raw and gzip.
//!
//! Every input is parsed as it is (which covers gzip too when it starts with 1f 8b, and the seed
//! corpus holds gzip files), and once more after gzip-compressing it, so that mutations of the
//! IDX content also reach the decompressing path behind a valid gzip frame. The reader must
//! return `Ok` or an `IdxError`; a panic, an abort or an allocation failure is a crash. An `Ok`
//! must also agree with the input: the element count is the product of the dimensions.

#![no_main]

use kd_mlp::data::idx::{gzip, parse_idx};
use libfuzzer_sys::fuzz_target;

fn check(bytes: &[u8]) {
    if let Ok(array) = parse_idx(bytes, "fuzz") {
        let count: usize = array.dims.iter().product();
        assert_eq!(count, array.data.len(), "dims and data disagree");
        assert!(!array.dims.is_empty() && array.dims.iter().all(|&d| d > 0));
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    // Compressing costs more than parsing: keep it to inputs of a plausible header's size.
    if data.len() <= 4096 {
        check(&gzip(data));
    }
});
