//! Is it really an image? The formats Gemini takes, told apart by their magic bytes, the way
//! the service refuses a text file sent as `image/png`.

/// The MIME type the bytes really have, if they are an image Gemini accepts: the upload
/// path's own sniffer, so a file the server accepts is never one the stand-in refuses.
pub(crate) fn image_mime(bytes: &[u8]) -> Option<&'static str> {
    crate::image_files::probe::sniff(bytes).map(crate::image_files::probe::ImageKind::mime_type)
}

/// The image types the service takes.
pub(crate) const SUPPORTED_IMAGE_TYPES: [&str; 5] = [
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/heic",
    "image/heif",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_decide() {
        assert_eq!(image_mime(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_mime(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(image_mime(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(
            image_mime(b"\0\0\0\x18ftypheic\0\0\0\0"),
            Some("image/heic")
        );
        // A major brand the service also takes (`miaf`), with HEIC among the compatible ones.
        assert_eq!(
            image_mime(b"\0\0\0\x14ftypmiaf\0\0\0\0heic"),
            Some("image/heic")
        );
        assert_eq!(image_mime(b"hello, I am text"), None);
        assert_eq!(image_mime(b""), None);
    }
}
