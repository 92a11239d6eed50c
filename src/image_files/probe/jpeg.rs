//! JPEG: segments up to a frame header (the size), then the scans, up to the EOI marker; and
//! the EXIF orientation from an APP1 segment, so the size reported is the one shown.

use super::{Check, ProbeError, be_u16, exif};

pub(super) const SIGNATURE: &[u8] = &[0xFF, 0xD8, 0xFF];

/// APP1: where EXIF lives.
const APP1: u8 = 0xE1;
/// Start of scan: entropy-coded data follows.
const SOS: u8 = 0xDA;

/// The width and height as shown (turned as the EXIF orientation says), once every segment up
/// to EOI is known to be there. The pixel check runs on the coded size, what a decoder
/// allocates, as soon as the frame header names it.
pub(super) fn measure(bytes: &[u8], check: Check<'_>) -> Result<(u32, u32), ProbeError> {
    let mut size = None;
    // The first Exif APP1 before the first scan decides (later ones are not metadata a viewer
    // reads); `None` until one is seen.
    let mut orientation: Option<Option<u16>> = None;
    let mut scanned = false;
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
                let (width, height) =
                    size.ok_or(ProbeError::Malformed("the JPEG has no frame header"))?;
                return Ok(match orientation.flatten() {
                    Some(o) if exif::swaps_width_and_height(o) => (height, width),
                    _ => (width, height),
                });
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
        let payload = &bytes[at + 2..end];
        if marker == APP1 && !scanned && orientation.is_none() && payload.starts_with(b"Exif\0") {
            orientation = Some(exif::orientation(payload));
        }
        at = end;
        if marker == SOS {
            if size.is_none() {
                return Err(ProbeError::Malformed(
                    "the JPEG scan comes before its frame header",
                ));
            }
            scanned = true;
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

#[cfg(test)]
mod tests {
    use super::super::{ImageKind, ProbedImage, exif::tests::exif, probe};
    use super::*;

    const LIMIT: u64 = 100_000_000;

    /// A segment: marker, big-endian length (itself included), payload.
    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, marker];
        out.extend(((payload.len() + 2) as u16).to_be_bytes());
        out.extend(payload);
        out
    }

    /// A structurally whole JPEG of `width` × `height` (one component, a few bytes of scan
    /// data), with `before_frame` segments after SOI and `before_scan` ones after the frame.
    fn jpeg(width: u16, height: u16, before_frame: &[Vec<u8>], before_scan: &[Vec<u8>]) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        out.extend(before_frame.concat());
        let mut sof = vec![8];
        sof.extend(height.to_be_bytes());
        sof.extend(width.to_be_bytes());
        sof.extend([1, 1, 0x11, 0]);
        out.extend(segment(0xC0, &sof));
        out.extend(before_scan.concat());
        out.extend(segment(SOS, &[1, 1, 0, 0, 63, 0]));
        out.extend([0x12, 0x34, 0xFF, 0x00, 0x56]); // scan data with a stuffed FF
        out.extend([0xFF, 0xD9]);
        out
    }

    fn shown(bytes: &[u8]) -> Option<(u32, u32)> {
        probe(bytes, LIMIT).ok().map(|p| (p.width, p.height))
    }

    #[test]
    fn orientations_five_to_eight_swap_width_and_height_in_either_byte_order() {
        for big_endian in [true, false] {
            for value in 1..=8u16 {
                let app1 = segment(APP1, &exif(big_endian, &[(0x0112, 3, 1, value)]));
                let expected = if value >= 5 { (20, 30) } else { (30, 20) };
                assert_eq!(
                    shown(&jpeg(30, 20, &[app1], &[])),
                    Some(expected),
                    "orientation {value}, big-endian {big_endian}"
                );
            }
        }
    }

    #[test]
    fn no_or_broken_exif_keeps_the_coded_size_and_the_file() {
        let cases: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"Exif\0\0".to_vec(),
            b"Exif\0\0MM\0*\xFF\xFF\xFF\xFF".to_vec(),
            b"Exif\0\0II*\0\x08\0\0\0\xFF\xFF".to_vec(),
            exif(true, &[(0x0112, 3, 1, 9)]),
            exif(false, &[(0x0112, 4, 1, 6)]),
            b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>".to_vec(),
        ];
        for payload in cases {
            let file = jpeg(30, 20, &[segment(APP1, &payload)], &[]);
            assert_eq!(
                probe(&file, LIMIT),
                Ok(ProbedImage {
                    kind: ImageKind::Jpeg,
                    width: 30,
                    height: 20
                }),
                "{payload:?}"
            );
        }
    }

    #[test]
    fn the_first_exif_segment_decides_and_it_may_follow_the_frame_header() {
        let six = segment(APP1, &exif(true, &[(0x0112, 3, 1, 6)]));
        let one = segment(APP1, &exif(true, &[(0x0112, 3, 1, 1)]));
        assert_eq!(
            shown(&jpeg(30, 20, &[six.clone(), one.clone()], &[])),
            Some((20, 30))
        );
        assert_eq!(
            shown(&jpeg(30, 20, &[one], std::slice::from_ref(&six))),
            Some((30, 20))
        );
        assert_eq!(shown(&jpeg(30, 20, &[], &[six])), Some((20, 30)));
    }

    #[test]
    fn the_pixel_limit_is_on_the_coded_size_and_a_cut_file_is_still_refused() {
        let six = segment(APP1, &exif(false, &[(0x0112, 3, 1, 6)]));
        let file = jpeg(30, 20, &[six], &[]);
        assert_eq!(
            probe(&file, 599),
            Err(ProbeError::TooManyPixels {
                width: 30,
                height: 20,
                limit: 599
            })
        );
        for cut in 0..file.len() {
            assert!(probe(&file[..cut], LIMIT).is_err(), "cut at {cut} passed");
        }
    }
}
