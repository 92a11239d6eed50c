//! JPEG: segments up to a frame header (the size), then the scans, up to the EOI marker.

use super::{Check, ProbeError, be_u16};

pub(super) const SIGNATURE: &[u8] = &[0xFF, 0xD8, 0xFF];

/// The width and height, once every segment up to EOI is known to be there.
pub(super) fn measure(bytes: &[u8], check: Check<'_>) -> Result<(u32, u32), ProbeError> {
    let mut size = None;
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
                return size.ok_or(ProbeError::Malformed("the JPEG has no frame header"));
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
        if is_frame_header && size.is_none() {
            let height = be_u16(bytes, at + 3).ok_or(ProbeError::Truncated)?;
            let width = be_u16(bytes, at + 5).ok_or(ProbeError::Truncated)?;
            // Checked here, before the scans are walked: a bomb is refused on its header.
            check(width.into(), height.into())?;
            size = Some((width.into(), height.into()));
        }
        at = end;
        if marker == 0xDA {
            if size.is_none() {
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
