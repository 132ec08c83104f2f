//! The IDX reader against hand-made, truncated, lying and random inputs.

use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn kind(bytes: &[u8]) -> IdxErrorKind {
    parse_idx(bytes, "test").expect_err("should fail").kind
}

/// A header with the given type code and dimensions, no data.
fn header(code: u8, dims: &[u32]) -> Vec<u8> {
    let mut h = vec![0, 0, code, dims.len() as u8];
    for d in dims {
        h.extend_from_slice(&d.to_be_bytes());
    }
    h
}

fn sample_arrays() -> Vec<IdxArray> {
    vec![
        IdxArray {
            dims: vec![2, 3],
            data: IdxData::U8(vec![0, 1, 2, 253, 254, 255]),
        },
        IdxArray {
            dims: vec![4],
            data: IdxData::I8(vec![-128, -1, 0, 127]),
        },
        IdxArray {
            dims: vec![1, 2, 2],
            data: IdxData::I16(vec![i16::MIN, -2, 258, i16::MAX]),
        },
        IdxArray {
            dims: vec![3],
            data: IdxData::I32(vec![i32::MIN, 0x0102_0304, i32::MAX]),
        },
        IdxArray {
            dims: vec![2, 2],
            data: IdxData::F32(vec![0.0, -1.5, f32::MAX, f32::MIN_POSITIVE]),
        },
        IdxArray {
            dims: vec![2],
            data: IdxData::F64(vec![std::f64::consts::PI, -0.0]),
        },
    ]
}

#[test]
fn every_type_round_trips_raw_and_gzip() {
    for array in sample_arrays() {
        let raw = encode_idx(&array);
        assert_eq!(raw[2], array.data.type_code());
        assert_eq!(parse_idx(&raw, "raw").unwrap(), array);
        assert_eq!(parse_idx(&gzip(&raw), "gz").unwrap(), array);
    }
}

#[test]
fn big_endian_layout() {
    let array = IdxArray {
        dims: vec![2],
        data: IdxData::I16(vec![0x0102, -2]),
    };
    assert_eq!(
        encode_idx(&array),
        [0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]
    );
}

#[test]
fn concatenated_gzip_members_are_one_stream() {
    let raw = encode_idx(&sample_arrays()[0]);
    let (a, b) = raw.split_at(5);
    let mut two = gzip(a);
    two.extend(gzip(b));
    assert_eq!(parse_idx(&two, "t").unwrap(), sample_arrays()[0]);
}

#[test]
fn read_idx_reads_files_and_names_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let array = sample_arrays()[3].clone();
    // A gzip file without a .gz name is still recognised.
    let path = dir.path().join("plain-name");
    std::fs::write(&path, gzip(&encode_idx(&array))).unwrap();
    assert_eq!(read_idx(&path).unwrap(), array);

    let missing = dir.path().join("missing");
    let err = read_idx(&missing).unwrap_err();
    assert!(matches!(err.kind, IdxErrorKind::Io(_)));
    assert!(err.to_string().starts_with(&missing.display().to_string()));
}

#[test]
fn bad_magic() {
    assert_eq!(
        kind(&[1, 0, 8, 1, 0, 0, 0, 1, 7]),
        IdxErrorKind::BadMagic { found: [1, 0] }
    );
    assert_eq!(
        kind(&[0, 2, 8, 1, 0, 0, 0, 1, 7]),
        IdxErrorKind::BadMagic { found: [0, 2] }
    );
    // Inside gzip too.
    assert_eq!(
        kind(&gzip(&[0x1f, 0x8b, 8, 1])),
        IdxErrorKind::BadMagic {
            found: [0x1f, 0x8b]
        }
    );
    let err = parse_idx(&[9, 9, 9, 9], "some/file").unwrap_err();
    assert!(err.to_string().starts_with("some/file: not an IDX file"));
}

#[test]
fn unknown_type() {
    for code in [0x00, 0x07, 0x0A, 0x0F, 0xff] {
        let mut bytes = header(code, &[1]);
        bytes.push(0);
        assert_eq!(kind(&bytes), IdxErrorKind::UnknownType(code));
        assert_eq!(kind(&gzip(&bytes)), IdxErrorKind::UnknownType(code));
    }
}

#[test]
fn zero_dims_and_zero_dim() {
    assert_eq!(kind(&header(8, &[])), IdxErrorKind::ZeroDims);
    assert_eq!(kind(&gzip(&header(8, &[]))), IdxErrorKind::ZeroDims);
    assert_eq!(
        kind(&header(8, &[3, 0, 2])),
        IdxErrorKind::ZeroDim { axis: 1 }
    );
    assert_eq!(
        kind(&gzip(&header(8, &[0]))),
        IdxErrorKind::ZeroDim { axis: 0 }
    );
}

#[test]
fn truncated_header() {
    assert_eq!(
        kind(&[]),
        IdxErrorKind::TruncatedHeader {
            expected: 4,
            found: 0
        }
    );
    assert_eq!(
        kind(&[0, 0, 8]),
        IdxErrorKind::TruncatedHeader {
            expected: 4,
            found: 3
        }
    );
    // Three dimensions announced, one and a half present.
    let cut = &header(8, &[1, 1, 1])[..10];
    assert_eq!(
        kind(cut),
        IdxErrorKind::TruncatedHeader {
            expected: 16,
            found: 10
        }
    );
    assert_eq!(
        kind(&gzip(cut)),
        IdxErrorKind::TruncatedHeader {
            expected: 16,
            found: 10
        }
    );
    assert_eq!(
        kind(&gzip(&[0, 0])),
        IdxErrorKind::TruncatedHeader {
            expected: 4,
            found: 2
        }
    );
}

#[test]
fn dims_overflow() {
    // 2^96 elements.
    let bytes = header(8, &[u32::MAX, u32::MAX, u32::MAX]);
    assert_eq!(kind(&bytes), IdxErrorKind::DimsOverflow);
    assert_eq!(kind(&gzip(&bytes)), IdxErrorKind::DimsOverflow);
    // The element size alone tips it over: 2^61 f64 = 2^64 bytes.
    let bytes = header(0x0E, &[1 << 31, 1 << 30]);
    assert_eq!(kind(&bytes), IdxErrorKind::DimsOverflow);
}

#[test]
fn huge_claims_in_tiny_inputs() {
    // 2^32 bytes claimed in a 16-byte raw file: rejected without allocating.
    let mut bytes = header(8, &[65536, 65536]);
    bytes.extend_from_slice(&[1, 2, 3, 4]);
    assert_eq!(
        kind(&bytes),
        IdxErrorKind::Truncated {
            expected: (1 << 32) + 12,
            found: 16
        }
    );
    // The same in gzip: beyond what the compressed bytes could inflate to.
    let gz = gzip(&bytes);
    match kind(&gz) {
        IdxErrorKind::TooLargeForInput {
            claimed_bytes,
            compressed_bytes,
            max_possible,
        } => {
            assert_eq!(claimed_bytes, (1 << 32) + 12);
            assert_eq!(compressed_bytes, gz.len());
            assert!(max_possible < claimed_bytes);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn truncated_data() {
    let raw = encode_idx(&sample_arrays()[3]); // 8 + 12 bytes
    let cut = &raw[..raw.len() - 3];
    assert_eq!(
        kind(cut),
        IdxErrorKind::Truncated {
            expected: 20,
            found: 17
        }
    );
    assert_eq!(
        kind(&gzip(cut)),
        IdxErrorKind::Truncated {
            expected: 20,
            found: 17
        }
    );
    // Header only.
    assert_eq!(
        kind(&raw[..8]),
        IdxErrorKind::Truncated {
            expected: 20,
            found: 8
        }
    );
}

#[test]
fn trailing_bytes() {
    let mut raw = encode_idx(&sample_arrays()[0]); // 12 + 6 bytes
    raw.push(0);
    assert_eq!(
        kind(&raw),
        IdxErrorKind::TrailingBytes {
            expected: 18,
            found: Some(19)
        }
    );
    assert_eq!(
        kind(&gzip(&raw)),
        IdxErrorKind::TrailingBytes {
            expected: 18,
            found: None
        }
    );
}

#[test]
fn gzip_bomb_stops_at_one_byte_past_the_claim() {
    // A valid header for 4 bytes followed by 16 MiB of zeros, which
    // compresses to a few kilobytes: the claim is plausible for the
    // compressed size, the content is not, and decoding stops early.
    let mut raw = header(8, &[4]);
    raw.resize(raw.len() + (16 << 20), 0);
    let gz = gzip(&raw);
    assert!(gz.len() < 100_000);
    assert_eq!(
        kind(&gz),
        IdxErrorKind::TrailingBytes {
            expected: 12,
            found: None
        }
    );
    // And a header whose claim no compressed length of this size allows.
    let mut liar = header(8, &[1 << 20, 1 << 10]);
    liar.extend_from_slice(&[0; 100]);
    assert!(matches!(
        kind(&gzip(&liar)),
        IdxErrorKind::TooLargeForInput { .. }
    ));
}

#[test]
fn corrupt_gzip_is_typed() {
    let raw = encode_idx(&sample_arrays()[4]);
    let gz = gzip(&raw);
    // Cut in the middle of the deflate data.
    assert!(matches!(
        kind(&gz[..gz.len() / 2]),
        IdxErrorKind::BadGzip(_)
    ));
    // Broken checksum (the CRC-32 is the 8th to 5th last bytes).
    let mut bad_crc = gz.clone();
    let at = bad_crc.len() - 8;
    bad_crc[at] ^= 0xff;
    assert!(matches!(kind(&bad_crc), IdxErrorKind::BadGzip(_)));
    // Garbage after the stream.
    let mut garbage = gz.clone();
    garbage.extend_from_slice(b"garbage");
    assert!(matches!(kind(&garbage), IdxErrorKind::BadGzip(_)));
    // A bare gzip magic number.
    assert!(matches!(kind(&[0x1f, 0x8b]), IdxErrorKind::BadGzip(_)));
}

#[test]
fn random_inputs_never_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x1d8);
    for i in 0..500 {
        let len = rng.gen_range(0..80);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        // Make a good share of them get past the first checks.
        if i % 2 == 0 && len >= 4 {
            bytes[0] = 0;
            bytes[1] = 0;
            bytes[2] = [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E][rng.gen_range(0..6)];
            bytes[3] = rng.gen_range(0..5);
        }
        let _ = parse_idx(&bytes, "random");
        let _ = parse_idx(&gzip(&bytes), "random.gz");
    }
}

#[test]
fn mutated_files_never_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for array in sample_arrays() {
        let raw = encode_idx(&array);
        let gz = gzip(&raw);
        for _ in 0..60 {
            for original in [&raw, &gz] {
                let mut bytes = original.clone();
                let at = rng.gen_range(0..bytes.len());
                bytes[at] = rng.gen();
                let _ = parse_idx(&bytes, "mutated");
                // Cut at a random place as well.
                let _ = parse_idx(&bytes[..at], "mutated");
            }
        }
    }
}
