//! The one thing read from EXIF: the Orientation tag of IFD0, which says how a viewer turns the
//! coded picture to show it. JPEG carries it in an APP1 segment ("Exif\0\0", then a TIFF
//! structure); browsers apply it (CSS `image-orientation: from-image` is the default).
//!
//! Metadata is never a reason to refuse a file: a missing, cut or nonsensical EXIF block just
//! means "shown as coded". Only IFD0 is read (no offsets followed beyond it), so the work is
//! bounded by the segment's own 64 KiB.

use super::{be_u16, be_u32};

/// The Orientation tag (TIFF tag 274).
const ORIENTATION: u16 = 0x0112;
/// The TIFF type SHORT, the only one the Orientation tag may have.
const SHORT: u16 = 3;

/// The Orientation value (1–8) in a JPEG APP1 segment's payload, if it is an Exif segment that
/// names one.
pub(super) fn orientation(app1: &[u8]) -> Option<u16> {
    let tiff = app1.strip_prefix(b"Exif\0\0")?;
    let big_endian = match tiff.get(0..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| be_u16(tiff, at).map(|v| if big_endian { v } else { v.swap_bytes() });
    let u32_at = |at: usize| be_u32(tiff, at).map(|v| if big_endian { v } else { v.swap_bytes() });
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd0 = usize::try_from(u32_at(4)?).ok()?;
    let count = u16_at(ifd0)?;
    // At most 65535 entries of 12 bytes, each read bounds-checked: a count the segment cannot
    // hold ends the search at the segment's end.
    for entry in (0..usize::from(count)).map(|i| ifd0 + 2 + 12 * i) {
        let tag = u16_at(entry)?;
        if tag != ORIENTATION {
            continue;
        }
        // A SHORT with count 1 sits left-justified in the 4-byte value field.
        let value = (u16_at(entry + 2)? == SHORT && u32_at(entry + 4)? == 1)
            .then(|| u16_at(entry + 8))??;
        return (1..=8).contains(&value).then_some(value);
    }
    None
}

/// Whether showing a picture of this orientation turns it a quarter (5: transposed, 6: turned
/// 90° clockwise, 7: transversed, 8: turned 90° anticlockwise): then the shown width is the
/// coded height. 2–4 mirror or turn it half, which keeps the size.
pub(super) fn swaps_width_and_height(orientation: u16) -> bool {
    matches!(orientation, 5..=8)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An APP1 payload: "Exif\0\0" and a TIFF header whose IFD0 holds `entries` (tag, type,
    /// count, a SHORT value).
    pub(in super::super) fn exif(big_endian: bool, entries: &[(u16, u16, u32, u16)]) -> Vec<u8> {
        let u16b = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u32b = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut out = b"Exif\0\0".to_vec();
        out.extend(if big_endian { b"MM" } else { b"II" });
        out.extend(u16b(42));
        out.extend(u32b(8));
        out.extend(u16b(entries.len() as u16));
        for &(tag, kind, count, value) in entries {
            out.extend(u16b(tag));
            out.extend(u16b(kind));
            out.extend(u32b(count));
            out.extend(u16b(value));
            out.extend([0, 0]);
        }
        out.extend(u32b(0)); // no next IFD
        out
    }

    #[test]
    fn both_byte_orders_are_read() {
        for big_endian in [true, false] {
            for value in 1..=8 {
                let app1 = exif(
                    big_endian,
                    &[(0x0100, 4, 1, 640), (ORIENTATION, SHORT, 1, value)],
                );
                assert_eq!(orientation(&app1), Some(value), "big-endian: {big_endian}");
            }
        }
    }

    #[test]
    fn only_five_to_eight_swap() {
        let swapping: Vec<u16> = (0..=9).filter(|&v| swaps_width_and_height(v)).collect();
        assert_eq!(swapping, [5, 6, 7, 8]);
    }

    #[test]
    fn missing_or_nonsensical_exif_names_no_orientation() {
        let good = exif(true, &[(ORIENTATION, SHORT, 1, 6)]);
        assert_eq!(orientation(&good), Some(6));
        // Not Exif at all (an XMP APP1, say), or no orientation tag.
        assert_eq!(
            orientation(b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>"),
            None
        );
        assert_eq!(orientation(&exif(true, &[(0x0100, SHORT, 1, 6)])), None);
        // Values out of range, the wrong type, the wrong count.
        assert_eq!(
            orientation(&exif(true, &[(ORIENTATION, SHORT, 1, 0)])),
            None
        );
        assert_eq!(
            orientation(&exif(true, &[(ORIENTATION, SHORT, 1, 9)])),
            None
        );
        assert_eq!(orientation(&exif(true, &[(ORIENTATION, 4, 1, 6)])), None);
        assert_eq!(
            orientation(&exif(true, &[(ORIENTATION, SHORT, 2, 6)])),
            None
        );
        // A wrong byte-order mark or TIFF magic.
        let mut bad_order = good.clone();
        bad_order[6..8].copy_from_slice(b"MI");
        assert_eq!(orientation(&bad_order), None);
        let mut bad_magic = good.clone();
        bad_magic[9] = 43;
        assert_eq!(orientation(&bad_magic), None);
        // IFD0 pointing past the end, or far away.
        for offset in [good.len() as u32, u32::MAX] {
            let mut far = good.clone();
            far[10..14].copy_from_slice(&offset.to_be_bytes());
            assert_eq!(orientation(&far), None);
        }
        // Every cut of a good block before the value ends (padding and the next-IFD offset
        // are not needed).
        for cut in 0..good.len() - 6 {
            assert_eq!(orientation(&good[..cut]), None, "cut at {cut}");
        }
    }

    #[test]
    fn a_count_larger_than_the_segment_stops_at_its_end() {
        // 65535 entries claimed, none there: the search ends at the data's end, quickly.
        let mut app1 = exif(false, &[]);
        app1[14..16].copy_from_slice(&u16::MAX.to_le_bytes());
        assert_eq!(orientation(&app1), None);
        // And a block full of other tags, the orientation last, is still found.
        let mut entries = vec![(0x0100, SHORT, 1, 1); 5000];
        entries.push((ORIENTATION, SHORT, 1, 8));
        assert_eq!(orientation(&exif(false, &entries)), Some(8));
    }
}
