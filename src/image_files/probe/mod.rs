//! What an uploaded file really is: its type from the magic bytes (never the client's claim),
//! its width and height from the header, and a structural walk that refuses files cut short.
//!
//! This file holds what every format shares: the one type sniffer ([`sniff`]), the result and
//! error types, the pixel limit, and the dispatch to one module per format (`png`, `jpeg`,
//! `webp`, `heif`), each of which knows its own header and structure (`exif` reads a JPEG's
//! orientation).
//!
//! The size reported is the one the picture is shown at, as a browser draws it: a JPEG's EXIF
//! orientation and a HEIF's `irot`/`clap` are applied, so a 640 × 428 picture stored turned by
//! 90° is 428 × 640. PNG and WebP are reported as coded: their EXIF orientation is not read
//! (not every browser applies it).
//!
//! Nothing here decodes pixels. The pixel limit is checked as soon as the header names the
//! size, so a decompression bomb (a tiny file claiming 100000 × 100000 pixels) is refused before
//! anything downstream (Gemini, a browser) would try to decode it. Every read is bounds-checked:
//! hostile input yields an error, never a panic.

mod exif;
mod heif;
mod jpeg;
mod png;
mod webp;

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

/// A file that passed: its type and its size in pixels as shown (the pixel limit was checked on
/// the coded size, which is what a decoder allocates).
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
    /// Why, in one stable word for apps (`extensions.reason`), which show their own text.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Unsupported(_) => "UNSUPPORTED_TYPE",
            Self::Truncated => "INCOMPLETE",
            Self::Malformed(_) => "DAMAGED",
            Self::TooManyPixels { .. } => "TOO_MANY_PIXELS",
        }
    }

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
    // Each format calls this as soon as its header names the size, before walking on.
    let check = |width: u32, height: u32| -> Result<(), ProbeError> {
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
        Ok(())
    };
    let Some(kind) = sniff(bytes) else {
        return Err(ProbeError::Unsupported(if is_isobmff(bytes) {
            Some(match heif::brand_kind(bytes) {
                heif::Brand::Avif => "an AVIF image",
                _ => "a video or other media file",
            })
        } else {
            recognise_other(bytes)
        }));
    };
    let (width, height) = match kind {
        ImageKind::Png => png::measure(bytes, &check)?,
        ImageKind::Jpeg => jpeg::measure(bytes, &check)?,
        ImageKind::WebP => webp::measure(bytes, &check)?,
        ImageKind::Heic | ImageKind::Heif => heif::measure(bytes, &check)?,
    };
    Ok(ProbedImage {
        kind,
        width,
        height,
    })
}

/// The accepted type the magic bytes name, without looking further (HEIF by its `ftyp` brands,
/// major and compatible). The one sniffer: the upload path probes what it names, and the
/// Gemini stand-in refuses what it does not name, so both agree on every file.
pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
    if bytes.starts_with(png::SIGNATURE) {
        Some(ImageKind::Png)
    } else if bytes.starts_with(jpeg::SIGNATURE) {
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

/// The pixel check a format runs on the size its header names (zero, pixel limit).
type Check<'a> = &'a dyn Fn(u32, u32) -> Result<(), ProbeError>;

// Bounds-checked readers for the format modules: `None` past the end, never a panic.

fn be_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        bytes.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn le_u24(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(3)?)?;
    Some(u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
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
                png::SIGNATURE,
                jpeg::SIGNATURE,
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
    fn readers_past_the_end_are_none() {
        assert_eq!(be_u16(&[1], 0), None);
        assert_eq!(be_u32(&[1, 2, 3, 4], 1), None);
        assert_eq!(le_u32(&[1, 2, 3, 4], usize::MAX), None);
        assert_eq!(le_u24(&[1, 2, 3], 0), Some(0x03_02_01));
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
        // Stored turned (see make_oriented.py there): the size is the one shown.
        for (name, kind, width, height) in [
            ("landscape-exif6.jpg", ImageKind::Jpeg, 428, 640),
            ("landscape-exif3.jpg", ImageKind::Jpeg, 640, 428),
            ("landscape-irot90.heic", ImageKind::Heic, 428, 640),
        ] {
            let bytes = fixture(name);
            assert_eq!(
                probe(&bytes, limit),
                Ok(ProbedImage {
                    kind,
                    width,
                    height
                }),
                "{name}"
            );
            // The Gemini stand-in's sniffer (this one) names them too.
            assert_eq!(sniff(&bytes), Some(kind), "{name}");
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

    /// Good files of every format, turned ones included.
    const ACCEPTED_FIXTURES: [&str; 6] = [
        "landscape.png",
        "landscape.jpg",
        "landscape.webp",
        "landscape.heic",
        "landscape-exif6.jpg",
        "landscape-irot90.heic",
    ];

    #[test]
    fn every_cut_of_a_good_file_is_refused() {
        for name in ACCEPTED_FIXTURES {
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
        for name in ACCEPTED_FIXTURES {
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
