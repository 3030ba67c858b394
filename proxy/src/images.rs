//! Images a visitor attaches: the `data:` URL decoded, the real type read from the file's magic
//! bytes (never the declared MIME type), and the dimensions read from its header. Pure: no
//! pixel is decoded, nothing is logged, and [`Image`]'s `Debug` shows no content.
//!
//! Supported: PNG (IHDR), JPEG (the first SOFn segment), WebP (`VP8 `, `VP8L`, `VP8X`) and GIF
//! (the logical screen). Anything else, or a header that ends early or says 0 pixels, is an
//! [`ImageError`]; `fuzz/fuzz_targets/images.rs` feeds this module malformed headers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// The four formats every provider the proxy talks to takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
    Gif,
}

impl ImageKind {
    pub fn mime(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Webp => "image/webp",
            ImageKind::Gif => "image/gif",
        }
    }
}

/// What a header says: the real type and the size in pixels (both at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub kind: ImageKind,
    pub width: u32,
    pub height: u32,
}

/// The caps one image must fit, from the client's configuration.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Bytes of the decoded file.
    pub max_bytes: usize,
    /// Pixels on the longest side.
    pub max_side: u32,
}

/// A checked image, ready to forward. Holds the file as canonical base64 only.
#[derive(Clone)]
pub struct Image {
    pub info: ImageInfo,
    /// Bytes of the decoded file.
    pub bytes: usize,
    base64: String,
}

impl std::fmt::Debug for Image {
    // Never the content: a turn's `Debug` must not put a visitor's photo in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Image({} {}x{}, {} bytes)",
            self.info.kind.mime(),
            self.info.width,
            self.info.height,
            self.bytes
        )
    }
}

impl Image {
    pub fn mime(&self) -> &'static str {
        self.info.kind.mime()
    }

    /// The file in standard base64 with padding (Anthropic's `source.data`).
    pub fn base64(&self) -> &str {
        &self.base64
    }

    /// `data:<real type>;base64,…` (the Responses API's `image_url`, chat completions' `url`).
    pub fn data_url(&self) -> String {
        format!("data:{};base64,{}", self.mime(), self.base64)
    }

    /// An upper bound on the input tokens the image costs, from its size alone, for the budget
    /// reserved before the call (the upstream's usage settles it): one token per 750 pixels
    /// (Anthropic's published rule, the dearest of the three) plus a fixed part per image.
    pub fn estimated_tokens(&self) -> u64 {
        let pixels = u64::from(self.info.width) * u64::from(self.info.height);
        pixels.div_ceil(750) + 85
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("an image must be sent as a data URL (data:image/...;base64,...)")]
    NotDataUrl,
    #[error("the image's data is not valid base64")]
    NotBase64,
    #[error("the image is not a PNG, JPEG, WebP or GIF file")]
    UnknownType,
    #[error("the image file is damaged (its header cannot be read)")]
    Malformed,
    #[error("the image is {bytes} bytes; the limit is {limit} bytes")]
    TooLarge { bytes: usize, limit: usize },
    #[error("the image is {width}x{height} pixels; the limit is {limit} pixels on each side")]
    TooBig { width: u32, height: u32, limit: u32 },
}

/// Base64 with or without the trailing `=`: browsers and libraries differ.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes and checks one `data:image/…;base64,…` URL against `limits`. The size is checked on
/// the encoded length before anything is decoded, so an oversized image costs no memory.
pub fn from_data_url(url: &str, limits: ImageLimits) -> Result<Image, ImageError> {
    let (head, payload) = url.split_once(',').ok_or(ImageError::NotDataUrl)?;
    let head = head.to_ascii_lowercase();
    let meta = head.strip_prefix("data:").ok_or(ImageError::NotDataUrl)?;
    let mut parts = meta.split(';');
    let declared = parts.next().unwrap_or_default();
    if !declared.starts_with("image/") {
        return Err(ImageError::UnknownType);
    }
    if !parts.any(|p| p == "base64") {
        return Err(ImageError::NotDataUrl);
    }
    // Three bytes per four characters, at most: refuse what cannot fit before decoding it.
    let at_least = payload.len() / 4 * 3;
    if at_least > limits.max_bytes {
        return Err(ImageError::TooLarge {
            bytes: at_least,
            limit: limits.max_bytes,
        });
    }
    let bytes = LENIENT
        .decode(payload.as_bytes())
        .map_err(|_| ImageError::NotBase64)?;
    if bytes.len() > limits.max_bytes {
        return Err(ImageError::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let info = sniff(&bytes)?;
    if info.width > limits.max_side || info.height > limits.max_side {
        return Err(ImageError::TooBig {
            width: info.width,
            height: info.height,
            limit: limits.max_side,
        });
    }
    Ok(Image {
        info,
        bytes: bytes.len(),
        base64: STANDARD.encode(&bytes),
    })
}

/// The real type and dimensions of `bytes`, from the magic bytes and the header only.
pub fn sniff(bytes: &[u8]) -> Result<ImageInfo, ImageError> {
    let (kind, width, height) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(bytes)?
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg(bytes)?
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        gif(bytes)?
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        webp(bytes)?
    } else {
        return Err(ImageError::UnknownType);
    };
    if width == 0 || height == 0 {
        return Err(ImageError::Malformed);
    }
    Ok(ImageInfo {
        kind,
        width,
        height,
    })
}

fn be16(b: &[u8], at: usize) -> Result<u32, ImageError> {
    let s = b.get(at..at + 2).ok_or(ImageError::Malformed)?;
    Ok(u32::from(u16::from_be_bytes([s[0], s[1]])))
}

fn le16(b: &[u8], at: usize) -> Result<u32, ImageError> {
    let s = b.get(at..at + 2).ok_or(ImageError::Malformed)?;
    Ok(u32::from(u16::from_le_bytes([s[0], s[1]])))
}

fn le24(b: &[u8], at: usize) -> Result<u32, ImageError> {
    let s = b.get(at..at + 3).ok_or(ImageError::Malformed)?;
    Ok(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

fn be32(b: &[u8], at: usize) -> Result<u32, ImageError> {
    let s = b.get(at..at + 4).ok_or(ImageError::Malformed)?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// The first chunk must be IHDR (the PNG specification says so).
fn png(b: &[u8]) -> Result<(ImageKind, u32, u32), ImageError> {
    if b.get(12..16) != Some(b"IHDR") {
        return Err(ImageError::Malformed);
    }
    Ok((ImageKind::Png, be32(b, 16)?, be32(b, 20)?))
}

fn gif(b: &[u8]) -> Result<(ImageKind, u32, u32), ImageError> {
    Ok((ImageKind::Gif, le16(b, 6)?, le16(b, 8)?))
}

/// Walks the segments up to the first start-of-frame; the image data (SOS) or the end (EOI)
/// before one means there are no dimensions to read.
fn jpeg(b: &[u8]) -> Result<(ImageKind, u32, u32), ImageError> {
    let mut at = 2;
    loop {
        if *b.get(at).ok_or(ImageError::Malformed)? != 0xFF {
            return Err(ImageError::Malformed);
        }
        // Any number of 0xFF fill bytes may precede a marker.
        while b.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *b.get(at).ok_or(ImageError::Malformed)?;
        at += 1;
        match marker {
            // Markers without a length: TEM, RSTn, a stray SOI.
            0x01 | 0xD0..=0xD8 => continue,
            0xD9 | 0xDA => return Err(ImageError::Malformed),
            // SOF0-15, less DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                // Length (2), precision (1), height (2), width (2).
                let height = be16(b, at + 3)?;
                let width = be16(b, at + 5)?;
                return Ok((ImageKind::Jpeg, width, height));
            }
            _ => {
                let len = be16(b, at)? as usize;
                if len < 2 {
                    return Err(ImageError::Malformed);
                }
                at += len;
            }
        }
    }
}

/// The first chunk names the encoding: lossy (`VP8 `), lossless (`VP8L`) or extended (`VP8X`,
/// which carries the canvas size).
fn webp(b: &[u8]) -> Result<(ImageKind, u32, u32), ImageError> {
    let chunk = b.get(12..16).ok_or(ImageError::Malformed)?;
    let (w, h) = match chunk {
        b"VP8 " => {
            // Frame tag (3 bytes), then the start code 9D 01 2A and two 14-bit sizes.
            if b.get(23..26) != Some(&[0x9D, 0x01, 0x2A]) {
                return Err(ImageError::Malformed);
            }
            (le16(b, 26)? & 0x3FFF, le16(b, 28)? & 0x3FFF)
        }
        b"VP8L" => {
            if b.get(20) != Some(&0x2F) {
                return Err(ImageError::Malformed);
            }
            let s = b.get(21..25).ok_or(ImageError::Malformed)?;
            let bits = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
            ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        }
        b"VP8X" => (le24(b, 24)? + 1, le24(b, 27)? + 1),
        _ => return Err(ImageError::Malformed),
    };
    Ok((ImageKind::Webp, w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ImageLimits = ImageLimits {
        max_bytes: 1 << 20,
        max_side: 4096,
    };

    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 2, 0, 0, 0]);
        b
    }

    fn url(mime: &str, bytes: &[u8]) -> String {
        format!("data:{mime};base64,{}", STANDARD.encode(bytes))
    }

    #[test]
    fn each_format_gives_its_dimensions() {
        assert_eq!(
            sniff(&png_header(640, 480)).unwrap(),
            ImageInfo {
                kind: ImageKind::Png,
                width: 640,
                height: 480
            }
        );
        // JPEG: SOI, an APP0 segment, then SOF0 (precision 8, height 300, width 200).
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xFF, 0xC0, 0x00, 0x11, 0x08,
            0x01, 0x2C, 0x00, 0xC8, 0x03,
        ];
        let info = sniff(&jpeg).unwrap();
        assert_eq!(
            (info.kind, info.width, info.height),
            (ImageKind::Jpeg, 200, 300)
        );
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&[0x10, 0x00, 0x20, 0x00, 0, 0, 0]);
        let info = sniff(&gif).unwrap();
        assert_eq!((info.width, info.height), (16, 32));
        // WebP lossless: 0x2F, then width-1 and height-1 in 14 bits each.
        let bits: u32 = 99 | (49 << 14);
        let mut webp = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2F".to_vec();
        webp.extend_from_slice(&bits.to_le_bytes());
        let info = sniff(&webp).unwrap();
        assert_eq!(
            (info.kind, info.width, info.height),
            (ImageKind::Webp, 100, 50)
        );
        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\0\0\0\0\0\0\0\0".to_vec();
        vp8x.extend_from_slice(&[0xFF, 0x05, 0x00, 0x7F, 0x02, 0x00]);
        let info = sniff(&vp8x).unwrap();
        assert_eq!((info.width, info.height), (0x600, 0x280));
        let mut vp8 = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\x9d\x01\x2a".to_vec();
        vp8.extend_from_slice(&[0x40, 0x01, 0xF0, 0x00]);
        let info = sniff(&vp8).unwrap();
        assert_eq!((info.width, info.height), (320, 240));
    }

    #[test]
    fn the_real_type_wins_over_the_declared_one() {
        let img = from_data_url(&url("image/jpeg", &png_header(10, 20)), LIMITS).unwrap();
        assert_eq!(img.mime(), "image/png");
        assert!(
            img.data_url()
                .starts_with("data:image/png;base64,iVBORw0KGgo")
        );
        let zip = b"PK\x03\x04 not an image at all";
        assert_eq!(
            from_data_url(&url("image/png", zip), LIMITS).unwrap_err(),
            ImageError::UnknownType
        );
        assert_eq!(
            from_data_url(&url("text/html", &png_header(1, 1)), LIMITS).unwrap_err(),
            ImageError::UnknownType
        );
    }

    #[test]
    fn damaged_headers_and_bad_urls_are_refused() {
        let mut cut = png_header(10, 10);
        cut.truncate(20);
        assert_eq!(sniff(&cut), Err(ImageError::Malformed));
        assert_eq!(sniff(&png_header(0, 10)), Err(ImageError::Malformed));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xDA]), Err(ImageError::Malformed));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00]),
            Err(ImageError::Malformed)
        );
        assert_eq!(
            from_data_url("https://example.com/a.png", LIMITS).unwrap_err(),
            ImageError::NotDataUrl
        );
        assert_eq!(
            from_data_url("data:image/png,rawbytes", LIMITS).unwrap_err(),
            ImageError::NotDataUrl
        );
        assert_eq!(
            from_data_url("data:image/png;base64,!!!!", LIMITS).unwrap_err(),
            ImageError::NotBase64
        );
    }

    #[test]
    fn caps_on_bytes_and_sides_hold() {
        let small = ImageLimits {
            max_bytes: 30,
            max_side: 100,
        };
        let mut big = png_header(10, 10);
        big.resize(4000, 0);
        assert!(matches!(
            from_data_url(&url("image/png", &big), small),
            Err(ImageError::TooLarge { limit: 30, .. })
        ));
        assert_eq!(
            from_data_url(&url("image/png", &png_header(101, 5)), small).unwrap_err(),
            ImageError::TooBig {
                width: 101,
                height: 5,
                limit: 100
            }
        );
        let ok = from_data_url(&url("image/png", &png_header(100, 100)), small).unwrap();
        assert_eq!(ok.estimated_tokens(), 14 + 85);
        assert!(
            !format!("{ok:?}").contains("iVBOR"),
            "Debug shows no content"
        );
    }
}
