//! Parsing IDX bytes, raw or gzip, validating the header against the input before allocating.

use super::{ElemType, IdxArray, IdxData, IdxError, IdxErrorKind};
use flate2::read::MultiGzDecoder;
use std::io::{self, Read};
use std::path::Path;

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
