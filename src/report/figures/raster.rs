//! Pixel pictures inside an SVG: an RGB raster encoded as PNG (zlib from `flate2`, the CRC
//! from the same crate) and placed as an `<image>` with a `data:` URI, drawn with hard pixel
//! edges. plotters' own bitmap support needs the `image` crate; this is the few lines of it we
//! need.

use flate2::write::ZlibEncoder;
use flate2::{Compression, Crc};
use plotters::style::RGBColor;
use std::io::Write as _;

/// An RGB picture, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Raster {
    pub width: usize,
    pub height: usize,
    rgb: Vec<u8>,
}

impl Raster {
    /// A picture filled with `background`.
    pub fn new(width: usize, height: usize, background: RGBColor) -> Self {
        let rgb = (0..width * height)
            .flat_map(|_| [background.0, background.1, background.2])
            .collect();
        Self { width, height, rgb }
    }

    /// Sets pixel (x, y); outside the picture, nothing happens.
    pub fn set(&mut self, x: usize, y: usize, c: RGBColor) {
        if x < self.width && y < self.height {
            let i = 3 * (y * self.width + x);
            self.rgb[i..i + 3].copy_from_slice(&[c.0, c.1, c.2]);
        }
    }

    /// The picture as a PNG file (8-bit RGB, no filtering).
    pub fn png(&self) -> Vec<u8> {
        let mut raw = Vec::with_capacity(self.rgb.len() + self.height);
        for row in self.rgb.chunks(3 * self.width.max(1)) {
            raw.push(0); // filter type: none
            raw.extend_from_slice(row);
        }
        let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
        z.write_all(&raw).expect("writing into a Vec cannot fail");
        let idat = z.finish().expect("writing into a Vec cannot fail");
        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend_from_slice(&(self.width as u32).to_be_bytes());
        ihdr.extend_from_slice(&(self.height as u32).to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8 bits, RGB, deflate, no filter, no interlace
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [(b"IHDR", &ihdr), (b"IDAT", &idat), (b"IEND", &Vec::new())] {
            png.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let mut crc = Crc::new();
            crc.update(kind);
            crc.update(data);
            png.extend_from_slice(kind);
            png.extend_from_slice(data);
            png.extend_from_slice(&crc.sum().to_be_bytes());
        }
        png
    }

    /// An SVG `<image>` showing the picture in the box (x, y, w, h), pixels kept sharp.
    pub fn svg_image(&self, x: i32, y: i32, w: u32, h: u32) -> String {
        format!(
            "<image x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" preserveAspectRatio=\"none\" \
             style=\"image-rendering:pixelated\" href=\"data:image/png;base64,{}\"/>\n",
            base64(&self.png())
        )
    }
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Adds `elements` (SVG markup) at the end of the document `svg`, just before `</svg>`, so they
/// are drawn on top of what plotters drew.
pub fn append_to_svg(svg: &mut String, elements: &str) {
    match svg.rfind("</svg>") {
        Some(end) => svg.insert_str(end, elements),
        None => svg.push_str(elements),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::ZlibDecoder;
    use std::io::Read as _;

    #[test]
    fn base64_matches_the_rfc_examples() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn png_holds_the_pixels_with_valid_crcs() {
        let mut r = Raster::new(2, 1, RGBColor(255, 255, 255));
        r.set(1, 0, RGBColor(1, 2, 3));
        r.set(5, 5, RGBColor(9, 9, 9)); // outside: ignored
        let png = r.png();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // walk the chunks, checking each CRC and inflating IDAT
        let mut at = 8;
        let mut pixels = Vec::new();
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + len];
            let mut crc = Crc::new();
            crc.update(kind);
            crc.update(data);
            let stored = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
            assert_eq!(crc.sum(), stored);
            if kind == b"IDAT" {
                ZlibDecoder::new(data).read_to_end(&mut pixels).unwrap();
            }
            at += 12 + len;
        }
        assert_eq!(pixels, vec![0, 255, 255, 255, 1, 2, 3]);
    }
}
