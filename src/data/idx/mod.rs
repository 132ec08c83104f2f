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

mod encode;
mod parse;
#[cfg(test)]
mod tests;

pub use encode::{encode_idx, gzip};
pub use parse::{parse_idx, read_idx};

use std::fmt;

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

    pub(crate) fn elem_type(&self) -> ElemType {
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
pub(crate) enum ElemType {
    U8,
    I8,
    I16,
    I32,
    F32,
    F64,
}

impl ElemType {
    pub(crate) fn from_code(code: u8) -> Option<Self> {
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

    pub(crate) fn code(self) -> u8 {
        match self {
            ElemType::U8 => 0x08,
            ElemType::I8 => 0x09,
            ElemType::I16 => 0x0B,
            ElemType::I32 => 0x0C,
            ElemType::F32 => 0x0D,
            ElemType::F64 => 0x0E,
        }
    }

    pub(crate) fn size(self) -> usize {
        match self {
            ElemType::U8 | ElemType::I8 => 1,
            ElemType::I16 => 2,
            ElemType::I32 | ElemType::F32 => 4,
            ElemType::F64 => 8,
        }
    }

    pub(crate) fn name(self) -> &'static str {
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
impl fmt::Display for IdxArray {
    /// A short description: `u8 [60000, 28, 28]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.data.type_name(), self.dims)
    }
}
