//! WebP: a RIFF container whose chunks must all be there; the size from the first chunk (VP8X,
//! or a lone VP8 / VP8L frame).

use super::{Check, ProbeError, be_u16, le_u24, le_u32};

/// The width and height, once every chunk is known to be whole.
pub(super) fn measure(bytes: &[u8], check: Check<'_>) -> Result<(u32, u32), ProbeError> {
    let total = le_u32(bytes, 4).ok_or(ProbeError::Truncated)? as usize + 8;
    if total > bytes.len() {
        return Err(ProbeError::Truncated);
    }
    let bytes = &bytes[..total];
    let mut at = 12usize;
    let mut size = None;
    let mut seen_frame = false;
    while at < total {
        let fourcc = bytes.get(at..at + 4).ok_or(ProbeError::Truncated)?;
        let length = le_u32(bytes, at + 4).ok_or(ProbeError::Truncated)? as usize;
        let data = bytes
            .get(at + 8..at + 8 + length)
            .ok_or(ProbeError::Truncated)?;
        let size_of = |w: Option<u32>, h: Option<u32>| match (w, h) {
            (Some(w), Some(h)) => Ok((w, h)),
            _ => Err(ProbeError::Malformed("a WebP header is too short")),
        };
        let first = at == 12;
        // The first chunk names the size, and it is checked before reading on.
        let mut found = |w: u32, h: u32| -> Result<(), ProbeError> {
            check(w, h)?;
            size = Some((w, h));
            Ok(())
        };
        match fourcc {
            b"VP8X" if first => {
                let (w, h) = size_of(le_u24(data, 4), le_u24(data, 7))?;
                found(w + 1, h + 1)?;
            }
            b"VP8 " => {
                if data.get(3..6) != Some(&[0x9D, 0x01, 0x2A]) {
                    return Err(ProbeError::Malformed("the WebP frame has no start code"));
                }
                let w = be_u16(data, 6).map(|v| u32::from(v.swap_bytes() & 0x3FFF));
                let h = be_u16(data, 8).map(|v| u32::from(v.swap_bytes() & 0x3FFF));
                let (w, h) = size_of(w, h)?;
                if first {
                    found(w, h)?;
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
                    found((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)?;
                }
                seen_frame = true;
            }
            b"ANMF" => seen_frame = true,
            _ if first => return Err(ProbeError::Malformed("the WebP has no image header")),
            _ => {}
        }
        at += 8 + length + (length & 1); // chunks are padded to an even length
    }
    match size {
        Some(size) if seen_frame => Ok(size),
        _ => Err(ProbeError::Truncated),
    }
}
