//! What an uploaded file really is: its type from the magic bytes (never the client's claim),
//! its width and height from the header, and a structural walk that refuses files cut short.
//!
//! Nothing here decodes pixels. The pixel limit is checked as soon as the header names the
//! size, so a decompression bomb (a tiny file claiming 100000 × 100000 pixels) is refused before
//! anything downstream (Gemini, a browser) would try to decode it. Every read is bounds-checked:
//! hostile input yields an error, never a panic.

use super::heif;

/// The image types Gemini accepts, and so the only ones an upload may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    WebP,
    Heic,
    Heif,
}

impl ImageKind {
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::WebP => "image/webp",
            Self::Heic => "image/heic",
            Self::Heif => "image/heif",
        }
    }

    /// The type for a stored MIME type (the image route answers with it).
    pub fn from_mime_type(mime: &str) -> Option<Self> {
        [Self::Png, Self::Jpeg, Self::WebP, Self::Heic, Self::Heif]
            .into_iter()
            .find(|kind| kind.mime_type() == mime)
    }
}

/// The accepted types, as the error messages name them.
pub const ACCEPTED_TYPES: &str = "PNG, JPEG, WebP or HEIC/HEIF";

/// A file that passed: its type and its size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbedImage {
    pub kind: ImageKind,
    pub width: u32,
    pub height: u32,
}

/// Why a file was refused. Each is the uploader's problem (BAD_USER_INPUT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeError {
    /// Not one of the accepted types; `Some` names what it looks like instead.
    Unsupported(Option<&'static str>),
    /// The header is there but the data ends early.
    Truncated,
    /// The structure is broken in some other way.
    Malformed(&'static str),
    /// More pixels than the limit allows.
    TooManyPixels { width: u32, height: u32, limit: u64 },
}

impl ProbeError {
    /// A message for the uploader.
    pub fn message(&self) -> String {
        match self {
            Self::Unsupported(Some(found)) => format!(
                "The file is {found}, which is not accepted: upload a {ACCEPTED_TYPES} image."
            ),
            Self::Unsupported(None) => {
                format!(
                    "The file is not an image of an accepted type: upload a {ACCEPTED_TYPES} image."
                )
            }
            Self::Truncated => {
                "The image file ends early (it is incomplete); upload it again.".into()
            }
            Self::Malformed(what) => format!("The image file is damaged: {what}."),
            Self::TooManyPixels {
                width,
                height,
                limit,
            } => format!(
                "The image has {width} × {height} pixels, more than the limit of {limit} pixels."
            ),
        }
    }
}

/// Identifies and checks an image held in memory.
pub fn probe(bytes: &[u8], max_pixels: u64) -> Result<ProbedImage, ProbeError> {
    let check = |kind: ImageKind, width: u32, height: u32| -> Result<ProbedImage, ProbeError> {
        if width == 0 || height == 0 {
            return Err(ProbeError::Malformed("the header names a size of zero"));
        }
        if u64::from(width) * u64::from(height) > max_pixels {
            return Err(ProbeError::TooManyPixels {
                width,
                height,
                limit: max_pixels,
            });
        }
        Ok(ProbedImage {
            kind,
            width,
            height,
        })
    };
    match sniff(bytes) {
        Some(ImageKind::Png) => png(bytes, &check),
        Some(ImageKind::Jpeg) => jpeg(bytes, &check),
        Some(ImageKind::WebP) => webp(bytes, &check),
        Some(kind @ (ImageKind::Heic | ImageKind::Heif)) => {
            let (width, height) = heif::primary_size(bytes, |w, h| check(kind, w, h).map(|_| ()))?;
            check(kind, width, height)
        }
        None if is_isobmff(bytes) => Err(ProbeError::Unsupported(Some(
            match heif::brand_kind(bytes) {
                heif::Brand::Avif => "an AVIF image",
                _ => "a video or other media file",
            },
        ))),
        None => Err(ProbeError::Unsupported(recognise_other(bytes))),
    }
}

/// The accepted type the magic bytes name, without looking further (HEIF by its `ftyp` brands,
/// major and compatible). The one sniffer: the upload path probes what it names, and the
/// Gemini stand-in refuses what it does not name, so both agree on every file.
pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
    if bytes.starts_with(PNG_SIGNATURE) {
        Some(ImageKind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageKind::Jpeg)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageKind::WebP)
    } else if is_isobmff(bytes) {
        match heif::brand_kind(bytes) {
            heif::Brand::Heic => Some(ImageKind::Heic),
            heif::Brand::Heif => Some(ImageKind::Heif),
            heif::Brand::Avif | heif::Brand::Other => None,
        }
    } else {
        None
    }
}

/// An ISO base media file (HEIF, AVIF, MP4, …): an `ftyp` box first.
fn is_isobmff(bytes: &[u8]) -> bool {
    bytes.get(4..8) == Some(b"ftyp")
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Checks a size the header named (zero, pixel limit) and makes the result.
type Check<'a> = &'a dyn Fn(ImageKind, u32, u32) -> Result<ProbedImage, ProbeError>;

pub(super) fn be_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

pub(super) fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le_u24(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 3)?;
    Some(u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
}

/// PNG: the IHDR chunk first (size), then every chunk whole, up to IEND.
fn png(bytes: &[u8], check: Check<'_>) -> Result<ProbedImage, ProbeError> {
    let ihdr = bytes.get(8..8 + 8 + 13).ok_or(ProbeError::Truncated)?;
    if be_u32(ihdr, 0) != Some(13) || &ihdr[4..8] != b"IHDR" {
        return Err(ProbeError::Malformed(
            "the PNG does not start with its header chunk",
        ));
    }
    let (width, height) = (be_u32(ihdr, 8).unwrap_or(0), be_u32(ihdr, 12).unwrap_or(0));
    // The size is checked before reading on: a bomb is refused on its header alone.
    let image = check(ImageKind::Png, width, height)?;
    let mut at = 8usize;
    let mut seen_data = false;
    loop {
        let length = be_u32(bytes, at).ok_or(ProbeError::Truncated)? as usize;
        let kind = bytes.get(at + 4..at + 8).ok_or(ProbeError::Truncated)?;
        if length > 0x7FFF_FFFF {
            return Err(ProbeError::Malformed("a PNG chunk is too long"));
        }
        let end = at + 12 + length; // length, type, data, CRC
        if end > bytes.len() {
            return Err(ProbeError::Truncated);
        }
        match kind {
            b"IDAT" => seen_data = true,
            b"IEND" if seen_data => return Ok(image),
            b"IEND" => return Err(ProbeError::Malformed("the PNG has no image data")),
            _ => {}
        }
        at = end;
    }
}

/// JPEG: segments up to a frame header (size), then the scans, up to the EOI marker.
fn jpeg(bytes: &[u8], check: Check<'_>) -> Result<ProbedImage, ProbeError> {
    let mut image = None;
    let mut at = 2usize;
    loop {
        // A marker: 0xFF (possibly repeated as fill), then its code.
        if *bytes.get(at).ok_or(ProbeError::Truncated)? != 0xFF {
            return Err(ProbeError::Malformed(
                "a JPEG segment does not start with a marker",
            ));
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes.get(at).ok_or(ProbeError::Truncated)?;
        at += 1;
        match marker {
            0xD9 => {
                return image.ok_or(ProbeError::Malformed("the JPEG has no frame header"));
            }
            0x01 | 0xD0..=0xD7 => continue, // standalone markers carry no length
            _ => {}
        }
        let length = be_u16(bytes, at).ok_or(ProbeError::Truncated)? as usize;
        if length < 2 {
            return Err(ProbeError::Malformed("a JPEG segment has a bad length"));
        }
        let end = at + length;
        if end > bytes.len() {
            return Err(ProbeError::Truncated);
        }
        let is_frame_header =
            matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame_header && image.is_none() {
            let height = be_u16(bytes, at + 3).ok_or(ProbeError::Truncated)?;
            let width = be_u16(bytes, at + 5).ok_or(ProbeError::Truncated)?;
            image = Some(check(ImageKind::Jpeg, width.into(), height.into())?);
        }
        at = end;
        if marker == 0xDA {
            if image.is_none() {
                return Err(ProbeError::Malformed(
                    "the JPEG scan comes before its frame header",
                ));
            }
            // Entropy-coded data: runs until a marker other than stuffing (FF 00) or a restart.
            loop {
                let next = memchr_ff(bytes, at).ok_or(ProbeError::Truncated)?;
                match bytes.get(next + 1) {
                    None => return Err(ProbeError::Truncated),
                    Some(0x00 | 0xD0..=0xD7 | 0xFF) => at = next + 1,
                    Some(_) => {
                        at = next;
                        break;
                    }
                }
            }
        }
    }
}

fn memchr_ff(bytes: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&b| b == 0xFF)
        .map(|i| from + i)
}

/// WebP: a RIFF container whose chunks must all be there; size from VP8, VP8L or VP8X.
fn webp(bytes: &[u8], check: Check<'_>) -> Result<ProbedImage, ProbeError> {
    let total = le_u32(bytes, 4).ok_or(ProbeError::Truncated)? as usize + 8;
    if total > bytes.len() {
        return Err(ProbeError::Truncated);
    }
    let bytes = &bytes[..total];
    let mut at = 12usize;
    let mut image = None;
    let mut seen_frame = false;
    while at < total {
        let fourcc = bytes.get(at..at + 4).ok_or(ProbeError::Truncated)?;
        let size = le_u32(bytes, at + 4).ok_or(ProbeError::Truncated)? as usize;
        let data = bytes
            .get(at + 8..at + 8 + size)
            .ok_or(ProbeError::Truncated)?;
        let size_of = |w: Option<u32>, h: Option<u32>| match (w, h) {
            (Some(w), Some(h)) => Ok((w, h)),
            _ => Err(ProbeError::Malformed("a WebP header is too short")),
        };
        let first = at == 12;
        match fourcc {
            b"VP8X" if first => {
                let (w, h) = size_of(le_u24(data, 4), le_u24(data, 7))?;
                image = Some(check(ImageKind::WebP, w + 1, h + 1)?);
            }
            b"VP8 " => {
                if data.get(3..6) != Some(&[0x9D, 0x01, 0x2A]) {
                    return Err(ProbeError::Malformed("the WebP frame has no start code"));
                }
                let w = be_u16(data, 6).map(|v| u32::from(v.swap_bytes() & 0x3FFF));
                let h = be_u16(data, 8).map(|v| u32::from(v.swap_bytes() & 0x3FFF));
                let (w, h) = size_of(w, h)?;
                if first {
                    image = Some(check(ImageKind::WebP, w, h)?);
                }
                seen_frame = true;
            }
            b"VP8L" => {
                if data.first() != Some(&0x2F) {
                    return Err(ProbeError::Malformed("the lossless WebP has no signature"));
                }
                let bits =
                    le_u32(data, 1).ok_or(ProbeError::Malformed("a WebP header is too short"))?;
                if first {
                    image = Some(check(
                        ImageKind::WebP,
                        (bits & 0x3FFF) + 1,
                        ((bits >> 14) & 0x3FFF) + 1,
                    )?);
                }
                seen_frame = true;
            }
            b"ANMF" => seen_frame = true,
            _ if first => return Err(ProbeError::Malformed("the WebP has no image header")),
            _ => {}
        }
        at += 8 + size + (size & 1); // chunks are padded to an even length
    }
    match image {
        Some(image) if seen_frame => Ok(image),
        _ => Err(ProbeError::Truncated),
    }
}

/// Names a few common types we refuse, for a clearer message.
fn recognise_other(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(512)];
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some("a GIF image");
    }
    if head.starts_with(b"BM") {
        return Some("a BMP image");
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Some("a TIFF image");
    }
    if head.starts_with(b"%PDF") {
        return Some("a PDF document");
    }
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    if text.contains("<svg") {
        return Some("an SVG image");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: u64 = 100_000_000;

    #[test]
    fn garbage_and_short_inputs_never_panic() {
        for len in 0..64 {
            for prefix in [
                PNG_SIGNATURE,
                &[0xFF, 0xD8, 0xFF],
                b"RIFF\x10\0\0\0WEBP",
                b"\0\0\0\x18ftypheic",
            ] {
                let mut bytes = prefix.to_vec();
                bytes.extend(std::iter::repeat_n(0xFFu8, len));
                let _ = probe(&bytes, LIMIT);
                bytes.truncate(len.min(bytes.len()));
                let _ = probe(&bytes, LIMIT);
            }
        }
    }

    #[test]
    fn a_minimal_png_is_measured_and_its_end_is_required() {
        let mut png = PNG_SIGNATURE.to_vec();
        let chunk = |png: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
            png.extend((data.len() as u32).to_be_bytes());
            png.extend(kind);
            png.extend(data);
            png.extend([0, 0, 0, 0]);
        };
        let mut ihdr = Vec::new();
        ihdr.extend(3u32.to_be_bytes());
        ihdr.extend(2u32.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]);
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(&mut png, b"IDAT", &[1, 2, 3]);
        let without_end = png.clone();
        chunk(&mut png, b"IEND", &[]);
        assert_eq!(
            probe(&png, LIMIT),
            Ok(ProbedImage {
                kind: ImageKind::Png,
                width: 3,
                height: 2
            })
        );
        assert_eq!(probe(&without_end, LIMIT), Err(ProbeError::Truncated));
        assert!(matches!(
            probe(&png, 5),
            Err(ProbeError::TooManyPixels { .. })
        ));
    }
}

#[cfg(test)]
mod fixture_tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/fixtures/images/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(path).unwrap()
    }

    #[test]
    fn every_fixture_is_judged_as_its_readme_says() {
        let limit = 100_000_000;
        for (name, kind) in [
            ("landscape.png", ImageKind::Png),
            ("landscape.jpg", ImageKind::Jpeg),
            ("landscape.webp", ImageKind::WebP),
            ("landscape.heic", ImageKind::Heic),
        ] {
            assert_eq!(
                probe(&fixture(name), limit),
                Ok(ProbedImage {
                    kind,
                    width: 640,
                    height: 428
                }),
                "{name}"
            );
        }
        assert_eq!(
            probe(&fixture("tiny.png"), limit),
            Ok(ProbedImage {
                kind: ImageKind::Png,
                width: 1,
                height: 1
            })
        );
        assert_eq!(
            probe(&fixture("truncated.png"), limit),
            Err(ProbeError::Truncated)
        );
        assert!(matches!(
            probe(&fixture("huge-dimensions.png"), limit),
            Err(ProbeError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                ..
            })
        ));
        assert_eq!(
            probe(&fixture("not-an-image.png"), limit),
            Err(ProbeError::Unsupported(None))
        );
        assert_eq!(
            probe(&fixture("animated.gif"), limit),
            Err(ProbeError::Unsupported(Some("a GIF image")))
        );
        assert_eq!(
            probe(&fixture("vector.svg"), limit),
            Err(ProbeError::Unsupported(Some("an SVG image")))
        );
    }

    #[test]
    fn every_cut_of_a_good_file_is_refused() {
        for name in [
            "landscape.png",
            "landscape.jpg",
            "landscape.webp",
            "landscape.heic",
        ] {
            let bytes = fixture(name);
            for cut in (0..bytes.len()).step_by(7) {
                assert!(
                    probe(&bytes[..cut], 100_000_000).is_err(),
                    "{name} cut at {cut} passed"
                );
            }
        }
    }

    #[test]
    fn corrupted_fixtures_never_panic() {
        // A small deterministic generator: the same corruptions on every run.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for name in [
            "landscape.png",
            "landscape.jpg",
            "landscape.webp",
            "landscape.heic",
        ] {
            let original = fixture(name);
            for _ in 0..2000 {
                let mut bytes = original.clone();
                for _ in 0..1 + next() % 4 {
                    let at = (next() % bytes.len() as u64) as usize;
                    bytes[at] = next() as u8;
                }
                let _ = probe(&bytes, 100_000_000);
            }
        }
    }
}
