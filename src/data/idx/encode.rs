//! Writing IDX bytes (and gzip), for tests, fixtures and users who make their own data sets.

use super::{IdxArray, IdxData};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;

/// Encodes an array as a raw (uncompressed) IDX file.
///
/// # Panics
///
/// If the array cannot be represented: no dimensions or more than 255, a
/// dimension above `u32::MAX`, or a product of dimensions other than the
/// number of elements. These are programming errors, not data errors.
pub fn encode_idx(array: &IdxArray) -> Vec<u8> {
    let ndims = u8::try_from(array.dims.len()).expect("IDX allows at most 255 dimensions");
    assert!(ndims > 0, "IDX needs at least one dimension");
    let count = array
        .dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d));
    assert_eq!(
        count,
        Some(array.data.len()),
        "dims {:?} do not match {} elements",
        array.dims,
        array.data.len()
    );
    let elem = array.data.elem_type();
    let mut out = Vec::with_capacity(4 + 4 * array.dims.len() + array.data.len() * elem.size());
    out.extend_from_slice(&[0, 0, elem.code(), ndims]);
    for &d in &array.dims {
        let d = u32::try_from(d).expect("IDX dimensions are at most u32::MAX");
        out.extend_from_slice(&d.to_be_bytes());
    }
    match &array.data {
        IdxData::U8(v) => out.extend_from_slice(v),
        IdxData::I8(v) => out.extend(v.iter().map(|&x| x as u8)),
        IdxData::I16(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
        IdxData::I32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
        IdxData::F32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
        IdxData::F64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
    }
    out
}

/// Compresses bytes with gzip (default level), e.g. to build `.gz` test files.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    encoder
        .write_all(bytes)
        .expect("gzip into memory cannot fail");
    encoder.finish().expect("gzip into memory cannot fail")
}
