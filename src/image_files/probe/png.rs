//! PNG: the size from the IHDR chunk, then every chunk whole, up to IEND.

use super::{Check, ProbeError, be_u32};

pub(super) const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The width and height, once the file is known to be whole.
pub(super) fn measure(bytes: &[u8], check: Check<'_>) -> Result<(u32, u32), ProbeError> {
    let ihdr = bytes.get(8..8 + 8 + 13).ok_or(ProbeError::Truncated)?;
    if be_u32(ihdr, 0) != Some(13) || &ihdr[4..8] != b"IHDR" {
        return Err(ProbeError::Malformed(
            "the PNG does not start with its header chunk",
        ));
    }
    let (width, height) = (be_u32(ihdr, 8).unwrap_or(0), be_u32(ihdr, 12).unwrap_or(0));
    // The size is checked before reading on: a bomb is refused on its header alone.
    check(width, height)?;
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
            b"IEND" if seen_data => return Ok((width, height)),
            b"IEND" => return Err(ProbeError::Malformed("the PNG has no image data")),
            _ => {}
        }
        at = end;
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ImageKind, ProbedImage, probe};
    use super::*;

    const LIMIT: u64 = 100_000_000;

    #[test]
    fn a_minimal_png_is_measured_and_its_end_is_required() {
        let mut png = SIGNATURE.to_vec();
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
