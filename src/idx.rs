//! Reading and writing the IDX format, the container MNIST is distributed in.
//!
//! An IDX file is a 4-byte magic number `0 0 type ndims`, then `ndims` big-endian
//! `u32` dimensions, then the elements in row-major order, each big-endian.
//! Files usually travel gzip-compressed; [`parse_idx`] recognises gzip by its
//! magic bytes `1f 8b`, not by the file name, so a renamed file still loads.
//!
//! Every input is treated as untrusted: the parser validates the header and
//! checks the size it claims against the input before allocating anything for
//! the data, and it returns an [`IdxError`] rather than panicking, whatever the
//! bytes.

use std::fmt;
use std::io::{self, Read, Write};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

/// Deflate cannot expand its input by more than about 1032 to 1, so a gzip
/// stream of `n` bytes decompresses to at most `n * 1032` bytes. A header that
/// claims more than that is lying, and is rejected before inflating anything.
const MAX_DEFLATE_RATIO: usize = 1032;

/// Room on top of the deflate bound, so that tiny but valid streams (whose
/// fixed overhead is a large share of their length) are never rejected.
const GZIP_SLACK: usize = 1024;

/// The largest buffer reserved ahead of decompression. Beyond it the buffer
/// grows with the data actually inflated, so a header that lies (but stays
/// within the deflate bound) cannot make us reserve memory up front.
const MAX_RESERVE: usize = 64 << 20;

/// The elements of an IDX array, one variant per element type of the format.
#[derive(Debug, Clone, PartialEq)]
pub enum IdxData {
    /// Type code `0x08`: unsigned bytes (MNIST images and labels).
    U8(Vec<u8>),
    /// Type code `0x09`: signed bytes.
    I8(Vec<i8>),
    /// Type code `0x0B`: big-endian 16-bit integers.
    I16(Vec<i16>),
    /// Type code `0x0C`: big-endian 32-bit integers.
    I32(Vec<i32>),
    /// Type code `0x0D`: big-endian IEEE 754 single precision.
    F32(Vec<f32>),
    /// Type code `0x0E`: big-endian IEEE 754 double precision.
    F64(Vec<f64>),
}

impl IdxData {
    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            IdxData::U8(v) => v.len(),
            IdxData::I8(v) => v.len(),
            IdxData::I16(v) => v.len(),
            IdxData::I32(v) => v.len(),
            IdxData::F32(v) => v.len(),
            IdxData::F64(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type code of the format (third byte of the magic number).
    pub fn type_code(&self) -> u8 {
        self.elem_type().code()
    }

    /// A short name of the element type, for messages: `"u8"`, `"f32"`...
    pub fn type_name(&self) -> &'static str {
        self.elem_type().name()
    }

    fn elem_type(&self) -> ElemType {
        match self {
            IdxData::U8(_) => ElemType::U8,
            IdxData::I8(_) => ElemType::I8,
            IdxData::I16(_) => ElemType::I16,
            IdxData::I32(_) => ElemType::I32,
            IdxData::F32(_) => ElemType::F32,
            IdxData::F64(_) => ElemType::F64,
        }
    }
}

/// An n-dimensional array read from (or to be written to) an IDX file.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    /// The dimensions, outermost first (MNIST images: `[count, rows, cols]`).
    pub dims: Vec<usize>,
    /// The elements in row-major order; their number is the product of `dims`.
    pub data: IdxData,
}

/// A failure to read an IDX input, naming the input (usually a file path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {kind}")]
pub struct IdxError {
    /// What was being read, usually a file path.
    pub name: String,
    /// What was wrong with it.
    pub kind: IdxErrorKind,
}

/// What was wrong with an IDX input. Byte counts are of the decompressed
/// content, header included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdxErrorKind {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// The first two bytes are neither `00 00` (IDX) nor `1f 8b` (gzip).
    #[error("not an IDX file: it starts with {:02x} {:02x}, where IDX has 00 00 and gzip 1f 8b", .found[0], .found[1])]
    BadMagic {
        /// The first two bytes.
        found: [u8; 2],
    },
    /// The element type code is not one of the six the format defines.
    #[error("unknown IDX element type code 0x{0:02x} (known: 08 09 0b 0c 0d 0e)")]
    UnknownType(u8),
    /// The magic number says the array has no dimensions.
    #[error("the header declares 0 dimensions")]
    ZeroDims,
    /// A dimension is zero, which the format's use never needs and which
    /// would make an empty array indistinguishable from a broken one.
    #[error("dimension {axis} is zero")]
    ZeroDim {
        /// The axis, counting from 0.
        axis: usize,
    },
    /// The header ends before its dimensions do.
    #[error("the header is cut short: {expected} bytes needed, {found} present")]
    TruncatedHeader {
        /// Header length the magic number implies.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The product of the dimensions, in bytes, does not fit in memory addresses.
    #[error("the dimensions multiply to more bytes than this machine can address")]
    DimsOverflow,
    /// A gzip input claims more content than its compressed length could
    /// possibly hold (deflate expands at most 1032 to 1).
    #[error("the header claims {claimed_bytes} bytes, but {compressed_bytes} compressed bytes inflate to at most {max_possible}")]
    TooLargeForInput {
        /// File length (header and data) the header implies.
        claimed_bytes: usize,
        /// Length of the compressed input.
        compressed_bytes: usize,
        /// The most those compressed bytes can decompress to.
        max_possible: usize,
    },
    /// The data ends before the header's dimensions are filled.
    #[error("truncated: the header implies {expected} bytes, only {found} present")]
    Truncated {
        /// File length (header and data) the header implies.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// Bytes follow the data the header accounts for.
    #[error("trailing bytes: the header implies {expected} bytes, but {}", describe_found(.found))]
    TrailingBytes {
        /// File length (header and data) the header implies.
        expected: usize,
        /// Bytes present, when known. For gzip input decompression stops at
        /// the first byte too many (so a gzip bomb is never inflated), and the
        /// total is then unknown: `None`.
        found: Option<usize>,
    },
    /// The gzip stream is corrupt (bad header, bad deflate data, bad checksum,
    /// cut short).
    #[error("corrupt gzip stream: {0}")]
    BadGzip(String),
}

fn describe_found(found: &Option<usize>) -> String {
    match found {
        Some(n) => format!("{n} are present"),
        None => "the input continues past them".to_string(),
    }
}

/// The element types of the format, with their codes and sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ElemType {
    U8,
    I8,
    I16,
    I32,
    F32,
    F64,
}

impl ElemType {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0x08 => ElemType::U8,
            0x09 => ElemType::I8,
            0x0B => ElemType::I16,
            0x0C => ElemType::I32,
            0x0D => ElemType::F32,
            0x0E => ElemType::F64,
            _ => return None,
        })
    }

    fn code(self) -> u8 {
        match self {
            ElemType::U8 => 0x08,
            ElemType::I8 => 0x09,
            ElemType::I16 => 0x0B,
            ElemType::I32 => 0x0C,
            ElemType::F32 => 0x0D,
            ElemType::F64 => 0x0E,
        }
    }

    fn size(self) -> usize {
        match self {
            ElemType::U8 | ElemType::I8 => 1,
            ElemType::I16 => 2,
            ElemType::I32 | ElemType::F32 => 4,
            ElemType::F64 => 8,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ElemType::U8 => "u8",
            ElemType::I8 => "i8",
            ElemType::I16 => "i16",
            ElemType::I32 => "i32",
            ElemType::F32 => "f32",
            ElemType::F64 => "f64",
        }
    }
}

/// A validated header: what the rest of the input must hold.
struct Header {
    elem: ElemType,
    dims: Vec<usize>,
    /// Length of the header itself, `4 + 4 * ndims`.
    header_len: usize,
    /// Length of the data that follows the header.
    payload_len: usize,
}

impl Header {
    /// Total length of a well-formed file with this header. Cannot overflow:
    /// [`parse_dims`] checked it.
    fn total_len(&self) -> usize {
        self.header_len + self.payload_len
    }
}

/// Checks the 4-byte magic number; returns the element type and the number of
/// dimensions.
fn parse_magic(magic: [u8; 4]) -> Result<(ElemType, usize), IdxErrorKind> {
    if magic[0] != 0 || magic[1] != 0 {
        return Err(IdxErrorKind::BadMagic {
            found: [magic[0], magic[1]],
        });
    }
    let elem = ElemType::from_code(magic[2]).ok_or(IdxErrorKind::UnknownType(magic[2]))?;
    let ndims = usize::from(magic[3]);
    if ndims == 0 {
        return Err(IdxErrorKind::ZeroDims);
    }
    Ok((elem, ndims))
}

/// Reads the dimensions (`dim_bytes` holds exactly `4 * ndims` bytes) and
/// computes the data length, checking every multiplication.
fn parse_dims(elem: ElemType, dim_bytes: &[u8]) -> Result<Header, IdxErrorKind> {
    let mut dims = Vec::with_capacity(dim_bytes.len() / 4);
    let mut payload_len = elem.size();
    for (axis, chunk) in dim_bytes.chunks_exact(4).enumerate() {
        let raw = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        if raw == 0 {
            return Err(IdxErrorKind::ZeroDim { axis });
        }
        let dim = usize::try_from(raw).map_err(|_| IdxErrorKind::DimsOverflow)?;
        payload_len = payload_len
            .checked_mul(dim)
            .ok_or(IdxErrorKind::DimsOverflow)?;
        dims.push(dim);
    }
    let header_len = 4 + dim_bytes.len();
    // The total length must be representable too, so later sums are safe.
    header_len
        .checked_add(payload_len)
        .ok_or(IdxErrorKind::DimsOverflow)?;
    Ok(Header {
        elem,
        dims,
        header_len,
        payload_len,
    })
}

/// Decodes big-endian elements; `payload` has exactly the header's length.
fn decode_payload(elem: ElemType, payload: Vec<u8>) -> IdxData {
    // Decodes fixed-size chunks with the given `from_be_bytes`.
    fn be<T, const N: usize>(payload: &[u8], from: fn([u8; N]) -> T) -> Vec<T> {
        payload
            .chunks_exact(N)
            .map(|c| {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                from(a)
            })
            .collect()
    }
    match elem {
        // Bytes need no decoding: keep the buffer instead of copying it.
        ElemType::U8 => IdxData::U8(payload),
        ElemType::I8 => IdxData::I8(payload.iter().map(|&b| b as i8).collect()),
        ElemType::I16 => IdxData::I16(be(&payload, i16::from_be_bytes)),
        ElemType::I32 => IdxData::I32(be(&payload, i32::from_be_bytes)),
        ElemType::F32 => IdxData::F32(be(&payload, f32::from_be_bytes)),
        ElemType::F64 => IdxData::F64(be(&payload, f64::from_be_bytes)),
    }
}

/// Parses an IDX file held in memory, raw or gzip-compressed (recognised by
/// its first two bytes `1f 8b`). `name` identifies the input in errors.
///
/// Never panics, and allocates for the data only after checking the size the
/// header claims against the input.
pub fn parse_idx(bytes: &[u8], name: &str) -> Result<IdxArray, IdxError> {
    let result = if bytes.starts_with(&[0x1f, 0x8b]) {
        parse_gzip(bytes)
    } else {
        parse_raw(bytes)
    };
    result.map_err(|kind| IdxError {
        name: name.to_string(),
        kind,
    })
}

fn parse_raw(bytes: &[u8]) -> Result<IdxArray, IdxErrorKind> {
    let Some(&magic) = bytes.first_chunk::<4>() else {
        return Err(IdxErrorKind::TruncatedHeader {
            expected: 4,
            found: bytes.len(),
        });
    };
    let (elem, ndims) = parse_magic(magic)?;
    let header_len = 4 + 4 * ndims;
    let Some(dim_bytes) = bytes.get(4..header_len) else {
        return Err(IdxErrorKind::TruncatedHeader {
            expected: header_len,
            found: bytes.len(),
        });
    };
    let header = parse_dims(elem, dim_bytes)?;
    // The input is all there is, so the exact comparison settles both cases
    // before the copy below.
    let expected = header.total_len();
    if bytes.len() < expected {
        return Err(IdxErrorKind::Truncated {
            expected,
            found: bytes.len(),
        });
    }
    if bytes.len() > expected {
        return Err(IdxErrorKind::TrailingBytes {
            expected,
            found: Some(bytes.len()),
        });
    }
    let payload = bytes[header.header_len..].to_vec();
    Ok(IdxArray {
        data: decode_payload(header.elem, payload),
        dims: header.dims,
    })
}

fn gzip_error(e: io::Error) -> IdxErrorKind {
    IdxErrorKind::BadGzip(e.to_string())
}

/// Reads until `buf` is full or the stream ends; returns how many bytes came.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn parse_gzip(compressed: &[u8]) -> Result<IdxArray, IdxErrorKind> {
    // Multi-member, because `gzip -c a b > c` output is valid gzip; garbage
    // after the last member is then reported as a corrupt stream.
    let mut decoder = MultiGzDecoder::new(compressed);

    // The header first, through the decoder: at most 4 + 4 * 255 bytes.
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut decoder, &mut magic).map_err(gzip_error)?;
    if got < 4 {
        return Err(IdxErrorKind::TruncatedHeader {
            expected: 4,
            found: got,
        });
    }
    let (elem, ndims) = parse_magic(magic)?;
    let mut dim_bytes = vec![0u8; 4 * ndims];
    let got = read_up_to(&mut decoder, &mut dim_bytes).map_err(gzip_error)?;
    if got < dim_bytes.len() {
        return Err(IdxErrorKind::TruncatedHeader {
            expected: 4 + dim_bytes.len(),
            found: 4 + got,
        });
    }
    let header = parse_dims(elem, &dim_bytes)?;

    // Reject a claim the compressed input could never satisfy.
    let expected = header.total_len();
    let max_possible = compressed
        .len()
        .saturating_mul(MAX_DEFLATE_RATIO)
        .saturating_add(GZIP_SLACK);
    if expected > max_possible {
        return Err(IdxErrorKind::TooLargeForInput {
            claimed_bytes: expected,
            compressed_bytes: compressed.len(),
            max_possible,
        });
    }

    // Inflate at most one byte more than the header justifies: that byte, if
    // it comes, proves trailing data, and a bomb stops there. When the data
    // is exactly as long as claimed, the spare byte of the limit makes the
    // decoder reach the end of the stream, which checks the CRC and length.
    let limit = header.payload_len + 1;
    let mut payload = Vec::with_capacity(limit.min(MAX_RESERVE));
    decoder
        .take(limit as u64)
        .read_to_end(&mut payload)
        .map_err(gzip_error)?;
    let found = header.header_len + payload.len();
    if payload.len() < header.payload_len {
        return Err(IdxErrorKind::Truncated { expected, found });
    }
    if payload.len() > header.payload_len {
        return Err(IdxErrorKind::TrailingBytes {
            expected,
            found: None,
        });
    }
    Ok(IdxArray {
        data: decode_payload(header.elem, payload),
        dims: header.dims,
    })
}

/// Reads and parses an IDX file, raw or gzip-compressed. Errors name the path.
pub fn read_idx(path: &Path) -> Result<IdxArray, IdxError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| IdxError {
        name: name.clone(),
        kind: IdxErrorKind::Io(e.to_string()),
    })?;
    parse_idx(&bytes, &name)
}

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

impl fmt::Display for IdxArray {
    /// A short description: `u8 [60000, 28, 28]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.data.type_name(), self.dims)
    }
}

#[cfg(test)]
mod tests {
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
}
