//! What the fake models "see" in an image: its real format, size and mean colour, decoded for
//! real (PNG, JPEG, WebP, GIF's first frame), so a test can tell that an image arrived intact.
//! Test code only: the proxy never decodes a pixel.

use std::fmt;
use std::io::Cursor;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use image::ImageFormat;

/// An image as the fake model saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `PNG`, `JPEG`, `WebP` or `GIF`.
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
    /// The mean of every pixel's red, green and blue.
    pub mean: [u8; 3],
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.mean;
        write!(
            f,
            "a {}x{} {} image whose mean colour is #{r:02x}{g:02x}{b:02x}",
            self.width, self.height, self.format
        )
    }
}

/// Reads `data:<type>;base64,<data>`; the declared type must be the file's real one, as the
/// real APIs insist.
pub fn from_data_url(url: &str) -> Result<Seen, String> {
    let rest = url
        .strip_prefix("data:")
        .ok_or("only data: URLs are fetched by this fake")?;
    let (head, data) = rest.split_once(',').ok_or("a data URL needs a comma")?;
    let media_type = head
        .strip_suffix(";base64")
        .ok_or("the data URL is not base64")?;
    from_base64(Some(media_type), data)
}

/// Decodes base64 `data`; when `media_type` is given it must match the bytes.
pub fn from_base64(media_type: Option<&str>, data: &str) -> Result<Seen, String> {
    let bytes = STANDARD
        .decode(data)
        .map_err(|e| format!("invalid base64: {e}"))?;
    see(media_type, &bytes)
}

/// Decodes `bytes` and measures them.
pub fn see(media_type: Option<&str>, bytes: &[u8]) -> Result<Seen, String> {
    let format = image::guess_format(bytes).map_err(|_| "unsupported image format".to_owned())?;
    let (name, mime) = match format {
        ImageFormat::Png => ("PNG", "image/png"),
        ImageFormat::Jpeg => ("JPEG", "image/jpeg"),
        ImageFormat::WebP => ("WebP", "image/webp"),
        ImageFormat::Gif => ("GIF", "image/gif"),
        _ => return Err("unsupported image format".into()),
    };
    if let Some(declared) = media_type
        && !declared.eq_ignore_ascii_case(mime)
    {
        return Err(format!(
            "the image is {mime}, but it was declared as {declared}"
        ));
    }
    let img = image::load(Cursor::new(bytes), format)
        .map_err(|e| format!("the image cannot be decoded: {e}"))?
        .to_rgb8();
    let (width, height) = img.dimensions();
    let mut sum = [0u64; 3];
    for p in img.pixels() {
        for (s, c) in sum.iter_mut().zip(p.0) {
            *s += u64::from(c);
        }
    }
    let n = u64::from(width) * u64::from(height);
    let mean = sum.map(|s| u8::try_from((s + n / 2) / n.max(1)).unwrap_or(u8::MAX));
    Ok(Seen {
        format: name,
        width,
        height,
        mean,
    })
}

/// A `w`×`h` PNG of one colour, for tests.
pub fn png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    encode(
        &image::RgbImage::from_pixel(w, h, image::Rgb(rgb)),
        ImageFormat::Png,
    )
}

/// A `w`×`h` PNG of deterministic noise (it does not compress), for tests of size caps.
pub fn noise_png(w: u32, h: u32) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let [a, b, c, _] = x.to_le_bytes();
        image::Rgb([a, b, c])
    });
    encode(&img, ImageFormat::Png)
}

/// A `w`×`h` JPEG of one colour, for tests.
pub fn jpeg(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    encode(
        &image::RgbImage::from_pixel(w, h, image::Rgb(rgb)),
        ImageFormat::Jpeg,
    )
}

/// `bytes` as a data URL declared as `mime`.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!("data:{mime};base64,{}", STANDARD.encode(bytes))
}

fn encode(img: &image::RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    // Encoding an in-memory RGB image into memory cannot fail for these formats.
    img.write_to(&mut out, format).expect("encode a test image");
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_is_seen_with_its_size_and_mean_colour() {
        let url = format!(
            "data:image/png;base64,{}",
            STANDARD.encode(png(4, 3, [255, 0, 16]))
        );
        let seen = from_data_url(&url).unwrap();
        assert_eq!(
            seen.to_string(),
            "a 4x3 PNG image whose mean colour is #ff0010"
        );
    }

    #[test]
    fn a_wrong_declared_type_or_garbage_is_refused() {
        let data = STANDARD.encode(png(1, 1, [0, 0, 0]));
        assert!(
            from_base64(Some("image/jpeg"), &data)
                .unwrap_err()
                .contains("declared")
        );
        assert!(see(None, b"not an image").is_err());
    }
}
