//! Images a visitor picks, pastes or drops, made ready to send: decoded by the browser
//! (`createImageBitmap`; a GIF gives its first frame), drawn on a canvas at most `max_side`
//! pixels on its longest side and encoded with `toDataURL` (PNG kept as PNG when it fits, else
//! JPEG at about 0.85, lower and smaller until under the proxy's cap). A small JPEG thumbnail
//! comes with it for the transcript and storage. No image crate in the bundle.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, File, HtmlCanvasElement, ImageBitmap};

/// The types a visitor may attach (what every provider behind the proxy takes).
pub const ACCEPTED: &str = "image/png,image/jpeg,image/webp,image/gif";

/// The longest side of an uploaded image: large enough to read a label or a screenshot,
/// small enough that a 12 MP photo becomes a few hundred KB.
pub const MAX_SIDE: u32 = 1536;

/// The longest side of the thumbnail kept in the transcript (and in storage).
pub const THUMB_SIDE: u32 = 128;

/// An image ready to send, and its thumbnail.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// `data:image/png|jpeg;base64,…`, at most the cap it was prepared for.
    pub data_url: String,
    pub thumb: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrepareError {
    /// Not one of [`ACCEPTED`].
    NotAnImage,
    /// The browser could not decode it.
    Unreadable,
    /// Still over the cap at the smallest size tried.
    TooLarge,
}

/// The files of a file input, a paste or a drop.
pub fn files_of(list: Option<web_sys::FileList>) -> Vec<File> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// Whether `file` is of a type the chat takes (browsers set it from the name or the content).
pub fn accepted(file: &File) -> bool {
    ACCEPTED.split(',').any(|t| t == file.type_())
}

/// Bytes of the file inside a base64 data URL.
pub fn data_url_bytes(url: &str) -> usize {
    url.split_once(',').map_or(0, |(_, b64)| b64.len() / 4 * 3)
}

/// Decodes `file`, scales it to fit `max_side` and encodes it under `max_bytes`.
pub async fn prepare(file: &File, max_bytes: usize) -> Result<Prepared, PrepareError> {
    if !accepted(file) {
        return Err(PrepareError::NotAnImage);
    }
    let window = web_sys::window().ok_or(PrepareError::Unreadable)?;
    let promise = window
        .create_image_bitmap_with_blob(file)
        .map_err(|_| PrepareError::Unreadable)?;
    let bitmap: ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|_| PrepareError::Unreadable)?
        .unchecked_into();
    let png = file.type_() == "image/png";
    let result = encode(&bitmap, png, max_bytes);
    bitmap.close();
    result
}

fn encode(bitmap: &ImageBitmap, png: bool, max_bytes: usize) -> Result<Prepared, PrepareError> {
    let (w, h) = (bitmap.width(), bitmap.height());
    if w == 0 || h == 0 {
        return Err(PrepareError::Unreadable);
    }
    let thumb = draw(bitmap, THUMB_SIDE, false)
        .and_then(|c| c.to_data_url_with_type_and_encoder_options("image/jpeg", &0.6.into()))
        .map_err(|_| PrepareError::Unreadable)?;
    let mut side = MAX_SIDE.min(w.max(h));
    // Each round a quarter smaller: a photo too detailed for the cap still goes, smaller.
    for _ in 0..6 {
        if png {
            let canvas = draw(bitmap, side, true).map_err(|_| PrepareError::Unreadable)?;
            if let Ok(url) = canvas.to_data_url_with_type("image/png")
                && data_url_bytes(&url) <= max_bytes
            {
                return Ok(Prepared {
                    data_url: url,
                    thumb,
                });
            }
        }
        let canvas = draw(bitmap, side, false).map_err(|_| PrepareError::Unreadable)?;
        for quality in [0.85, 0.7, 0.55] {
            let url = canvas
                .to_data_url_with_type_and_encoder_options("image/jpeg", &quality.into())
                .map_err(|_| PrepareError::Unreadable)?;
            if data_url_bytes(&url) <= max_bytes {
                return Ok(Prepared {
                    data_url: url,
                    thumb,
                });
            }
        }
        side = side * 3 / 4;
    }
    Err(PrepareError::TooLarge)
}

/// `bitmap` on a canvas whose longest side is at most `side`; on white unless `transparent`
/// (JPEG has no transparency: a transparent PNG would turn black).
fn draw(bitmap: &ImageBitmap, side: u32, transparent: bool) -> Result<HtmlCanvasElement, JsValue> {
    let (w, h) = (f64::from(bitmap.width()), f64::from(bitmap.height()));
    let scale = (f64::from(side) / w.max(h)).min(1.0);
    let (dw, dh) = ((w * scale).round().max(1.0), (h * scale).round().max(1.0));
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let canvas: HtmlCanvasElement = document.create_element("canvas")?.unchecked_into();
    canvas.set_width(dw as u32);
    canvas.set_height(dh as u32);
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .unchecked_into();
    if !transparent {
        ctx.set_fill_style_str("#fff");
        ctx.fill_rect(0.0, 0.0, dw, dh);
    }
    ctx.set_image_smoothing_enabled(true);
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(bitmap, 0.0, 0.0, dw, dh)?;
    Ok(canvas)
}
