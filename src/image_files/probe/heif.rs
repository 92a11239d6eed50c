//! Just enough of ISOBMFF (HEIF/HEIC) to answer three questions: which brand the file is, how
//! big its primary image is as shown, and whether every item's data is actually in the file.
//!
//! The coded size is the `ispe` property associated with the `pitm` item through `ipma`. Taking
//! the largest `ispe` box instead would be wrong: a grid image's tiles each have their own, and
//! a thumbnail or depth map may be larger than the picture. The pixel limit is checked on it.
//!
//! The shown size applies the primary item's transformative properties in their `ipma` order,
//! as a HEIF reader must (ISO/IEC 23008-12, 6.5.9–6.5.12): `clap` crops to the clean aperture,
//! `irot` turns by quarters (an odd count swaps width and height), `imir` mirrors (no change).
//! EXIF orientation inside a HEIF is not used for display, so it is not read. A transform that
//! cannot be read is skipped rather than refusing the file: metadata never refuses an upload.

use super::{Check, ProbeError, be_u16, be_u32};

pub(super) enum Brand {
    Heic,
    Heif,
    Avif,
    Other,
}

/// The brand, from the `ftyp` box's major and compatible brands.
pub(super) fn brand_kind(bytes: &[u8]) -> Brand {
    let Some(size) = be_u32(bytes, 0) else {
        return Brand::Other;
    };
    let end = (size as usize).min(bytes.len());
    let mut brands: Vec<&[u8]> = Vec::new();
    if let Some(major) = bytes.get(8..12) {
        brands.push(major);
    }
    let mut at = 16;
    while at + 4 <= end {
        brands.push(&bytes[at..at + 4]);
        at += 4;
    }
    let has = |names: &[&[u8]]| brands.iter().any(|b| names.contains(b));
    if has(&[
        b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs",
    ]) {
        Brand::Heic
    } else if has(&[b"avif", b"avis"]) {
        Brand::Avif
    } else if has(&[b"mif1", b"msf1"]) {
        Brand::Heif
    } else {
        Brand::Other
    }
}

/// A box: its type, where its payload starts and where the box ends.
struct BoxHeader<'a> {
    kind: &'a [u8],
    payload: usize,
    end: usize,
}

/// Reads the box at `at` inside `..limit`. A box running past the end of the file means the file
/// was cut short; past its parent, that it is malformed.
fn read_box(bytes: &[u8], at: usize, limit: usize) -> Result<BoxHeader<'_>, ProbeError> {
    let size = be_u32(bytes, at).ok_or(ProbeError::Truncated)? as u64;
    let kind = bytes.get(at + 4..at + 8).ok_or(ProbeError::Truncated)?;
    let (payload, size) = match size {
        0 => (at + 8, (limit - at) as u64),
        1 => {
            let large = bytes.get(at + 8..at + 16).ok_or(ProbeError::Truncated)?;
            (
                at + 16,
                u64::from_be_bytes(large.try_into().unwrap_or_default()),
            )
        }
        size => (at + 8, size),
    };
    let end = (at as u64)
        .checked_add(size)
        .ok_or(ProbeError::Malformed("a box is too large"))?;
    if size < (payload - at) as u64 {
        return Err(ProbeError::Malformed("a box is shorter than its header"));
    }
    if end > bytes.len() as u64 {
        return Err(ProbeError::Truncated);
    }
    if end > limit as u64 {
        return Err(ProbeError::Malformed("a box runs past its parent"));
    }
    Ok(BoxHeader {
        kind,
        payload,
        end: end as usize,
    })
}

/// The boxes directly inside `start..end`.
fn children(bytes: &[u8], start: usize, end: usize) -> Result<Vec<BoxHeader<'_>>, ProbeError> {
    let mut boxes = Vec::new();
    let mut at = start;
    while at < end {
        let header = read_box(bytes, at, end)?;
        at = header.end;
        boxes.push(header);
    }
    Ok(boxes)
}

const MALFORMED_META: ProbeError = ProbeError::Malformed("the HEIF item information is incomplete");

/// The primary item's width and height as shown. `check` runs on the coded size as soon as it
/// is known, before the item locations are checked.
pub(super) fn measure(bytes: &[u8], check: Check<'_>) -> Result<(u32, u32), ProbeError> {
    let top = children(bytes, 0, bytes.len())?;
    let meta = top
        .iter()
        .find(|b| b.kind == b"meta")
        .ok_or(ProbeError::Malformed(
            "the HEIF file has no item information",
        ))?;
    // `meta` is a full box: version and flags come first.
    let meta_boxes = children(bytes, meta.payload + 4, meta.end)?;
    let find = |boxes: &[BoxHeader<'_>], kind: &[u8]| boxes.iter().position(|b| b.kind == kind);

    let pitm = &meta_boxes[find(&meta_boxes, b"pitm").ok_or(MALFORMED_META)?];
    let version = *bytes.get(pitm.payload).ok_or(MALFORMED_META)?;
    let primary = if version == 0 {
        be_u16(bytes, pitm.payload + 4).map(u32::from)
    } else {
        be_u32(bytes, pitm.payload + 4)
    }
    .ok_or(MALFORMED_META)?;

    let iprp = &meta_boxes[find(&meta_boxes, b"iprp").ok_or(MALFORMED_META)?];
    let iprp_boxes = children(bytes, iprp.payload, iprp.end)?;
    let ipco = &iprp_boxes[find(&iprp_boxes, b"ipco").ok_or(MALFORMED_META)?];
    let properties = children(bytes, ipco.payload, ipco.end)?;

    // `ipma` may appear more than once; the primary item's associations are in one of them.
    let mut size = None;
    let mut transforms = Vec::new();
    for ipma in iprp_boxes.iter().filter(|b| b.kind == b"ipma") {
        for index in associations(bytes, ipma, primary)? {
            let Some(property) = index.checked_sub(1).and_then(|i| properties.get(i)) else {
                return Err(MALFORMED_META);
            };
            match property.kind {
                b"ispe" => {
                    let w = be_u32(bytes, property.payload + 4).ok_or(MALFORMED_META)?;
                    let h = be_u32(bytes, property.payload + 8).ok_or(MALFORMED_META)?;
                    size = Some((w, h));
                }
                b"clap" | b"irot" | b"imir" => transforms.push(property),
                _ => {}
            }
        }
    }
    let coded = size.ok_or(ProbeError::Malformed("the primary HEIF image has no size"))?;
    check(coded.0, coded.1)?;

    let iloc = &meta_boxes[find(&meta_boxes, b"iloc").ok_or(MALFORMED_META)?];
    check_item_locations(bytes, iloc, meta_boxes.iter().find(|b| b.kind == b"idat"))?;
    Ok(transforms.iter().fold(coded, |size, property| {
        transformed(size, property.kind, &bytes[property.payload..property.end])
    }))
}

/// The size after one transformative property (`payload`: its box's contents).
fn transformed((width, height): (u32, u32), kind: &[u8], payload: &[u8]) -> (u32, u32) {
    match kind {
        // 2 bits: anticlockwise quarter turns.
        b"irot" => match payload.first() {
            Some(angle) if angle & 1 == 1 => (height, width),
            _ => (width, height),
        },
        b"clap" => clean_aperture((width, height), payload).unwrap_or((width, height)),
        // `imir` and anything else: the size stays.
        _ => (width, height),
    }
}

/// The clean aperture's size inside `width` × `height`: its width (height) rounded to the
/// nearest pixel, placed by its centre offset with the left (top) edge rounded down, as libheif
/// crops. Real files keep the aperture inside the picture; of one reaching outside, only the
/// part inside is shown (readers' roundings may differ by a pixel there). `None` when the box
/// is short or names a zero denominator or a crop that misses the picture.
fn clean_aperture((width, height): (u32, u32), payload: &[u8]) -> Option<(u32, u32)> {
    let field = |i: usize| be_u32(payload, 4 * i);
    // Each fraction as f64: u32 / u32 is exact enough for a pixel count (52-bit mantissa).
    let fraction = |n: f64, d: u32| (d != 0).then(|| n / f64::from(d));
    let aperture_width = fraction(f64::from(field(0)?), field(1)?)?;
    let aperture_height = fraction(f64::from(field(2)?), field(3)?)?;
    // The offsets are signed (the syntax says unsigned; the semantics and libheif say signed).
    let horizontal_offset = fraction(f64::from(field(4)? as i32), field(5)?)?;
    let vertical_offset = fraction(f64::from(field(6)? as i32), field(7)?)?;
    let cropped = |size: u32, aperture: f64, offset: f64| -> Option<u32> {
        let size = f64::from(size);
        let first = (offset + (size - 1.0) / 2.0 - (aperture - 1.0) / 2.0).floor();
        let last = first + (aperture + 0.5).floor() - 1.0;
        let kept = last.min(size - 1.0) - first.max(0.0) + 1.0;
        // `kept` is at most `size`, so it fits; below 1 the crop misses the picture.
        (kept >= 1.0).then_some(kept as u32)
    };
    Some((
        cropped(width, aperture_width, horizontal_offset)?,
        cropped(height, aperture_height, vertical_offset)?,
    ))
}

/// The 1-based property indices associated with `item` in one `ipma` box.
fn associations(bytes: &[u8], ipma: &BoxHeader<'_>, item: u32) -> Result<Vec<usize>, ProbeError> {
    let version = *bytes.get(ipma.payload).ok_or(MALFORMED_META)?;
    let flags = be_u32(bytes, ipma.payload).ok_or(MALFORMED_META)? & 0x00FF_FFFF;
    let count = be_u32(bytes, ipma.payload + 4).ok_or(MALFORMED_META)?;
    let mut at = ipma.payload + 8;
    let wide_index = flags & 1 == 1;
    for _ in 0..count {
        if at >= ipma.end {
            return Err(MALFORMED_META);
        }
        let (id, id_len) = if version < 1 {
            (be_u16(bytes, at).map(u32::from), 2)
        } else {
            (be_u32(bytes, at), 4)
        };
        let id = id.ok_or(MALFORMED_META)?;
        at += id_len;
        let n = *bytes.get(at).ok_or(MALFORMED_META)? as usize;
        at += 1;
        let mut indices = Vec::with_capacity(n);
        for _ in 0..n {
            let index = if wide_index {
                let v = be_u16(bytes, at).ok_or(MALFORMED_META)?;
                at += 2;
                usize::from(v & 0x7FFF)
            } else {
                let v = *bytes.get(at).ok_or(MALFORMED_META)?;
                at += 1;
                usize::from(v & 0x7F)
            };
            indices.push(index);
        }
        if id == item {
            return Ok(indices);
        }
    }
    Ok(Vec::new())
}

/// Every item's data (file offsets or `idat` offsets) must lie inside the file: a HEIF cut short
/// has its header but not its coded data.
fn check_item_locations(
    bytes: &[u8],
    iloc: &BoxHeader<'_>,
    idat: Option<&BoxHeader<'_>>,
) -> Result<(), ProbeError> {
    let p = iloc.payload;
    let version = *bytes.get(p).ok_or(MALFORMED_META)?;
    let sizes = *bytes.get(p + 4).ok_or(MALFORMED_META)?;
    let sizes2 = *bytes.get(p + 5).ok_or(MALFORMED_META)?;
    let (offset_size, length_size) = (usize::from(sizes >> 4), usize::from(sizes & 0xF));
    let base_offset_size = usize::from(sizes2 >> 4);
    let index_size = if version >= 1 {
        usize::from(sizes2 & 0xF)
    } else {
        0
    };
    let mut at = p + 6;
    let read_n = |at: &mut usize, n: usize| -> Result<u64, ProbeError> {
        if n > 8 || *at + n > iloc.end {
            return Err(MALFORMED_META);
        }
        let value = bytes[*at..*at + n]
            .iter()
            .fold(0u64, |v, &b| (v << 8) | u64::from(b));
        *at += n;
        Ok(value)
    };
    let item_count = read_n(&mut at, if version < 2 { 2 } else { 4 })?;
    for _ in 0..item_count {
        read_n(&mut at, if version < 2 { 2 } else { 4 })?; // item id
        let construction = if version >= 1 {
            read_n(&mut at, 2)? & 0xF
        } else {
            0
        };
        read_n(&mut at, 2)?; // data reference index
        let base = read_n(&mut at, base_offset_size)?;
        let extents = read_n(&mut at, 2)?;
        for _ in 0..extents {
            read_n(&mut at, index_size)?;
            let offset = read_n(&mut at, offset_size)?;
            let length = read_n(&mut at, length_size)?;
            let start = base.checked_add(offset).ok_or(MALFORMED_META)?;
            let end = start.checked_add(length).ok_or(MALFORMED_META)?;
            let available = match construction {
                0 => bytes.len() as u64,
                1 => idat.map_or(0, |b| (b.end - b.payload) as u64),
                _ => continue, // data built from other items: their own extents are checked
            };
            if end > available {
                return Err(ProbeError::Truncated);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend(kind);
        out.extend(payload);
        out
    }

    fn full(kind: &[u8], version: u8, payload: &[u8]) -> Vec<u8> {
        let mut body = vec![version, 0, 0, 0];
        body.extend(payload);
        boxed(kind, &body)
    }

    fn ispe(width: u32, height: u32) -> Vec<u8> {
        let mut payload = width.to_be_bytes().to_vec();
        payload.extend(height.to_be_bytes());
        full(b"ispe", 0, &payload)
    }

    /// A grid image (item 1, 1200 × 800) made of a tile (item 2) whose `ispe` is larger
    /// (2048 × 2048) and listed first; its data lies at `data_offset` for `data_length` bytes.
    fn grid_heif(data_length: u32, mdat_payload: usize) -> Vec<u8> {
        transformed_grid_heif(data_length, mdat_payload, &[])
    }

    /// [`grid_heif`] whose primary item also has `transforms` (whole boxes), associated in
    /// this order after its `ispe`.
    fn transformed_grid_heif(
        data_length: u32,
        mdat_payload: usize,
        transforms: &[Vec<u8>],
    ) -> Vec<u8> {
        let ftyp = boxed(b"ftyp", b"heic\0\0\0\0mif1heic");
        let pitm = full(b"pitm", 0, &1u16.to_be_bytes());
        let ipco = boxed(
            b"ipco",
            &[ispe(2048, 2048), ispe(1200, 800), transforms.concat()].concat(),
        );
        // item 1 → property 2, then the transforms (3, 4, …; essential); item 2 → property 1
        // (7-bit indices, version 0).
        let mut ipma_payload = 2u32.to_be_bytes().to_vec();
        ipma_payload.extend([0, 1, 1 + transforms.len() as u8, 0x82]);
        ipma_payload.extend((0..transforms.len()).map(|i| 0x80 | (3 + i as u8)));
        ipma_payload.extend([0, 2, 1, 0x81]);
        let ipma = full(b"ipma", 0, &ipma_payload);
        let iprp = boxed(b"iprp", &[ipco, ipma].concat());
        let iloc_len = 12 + 4 + 14;
        let meta_len = 12 + pitm.len() + iprp.len() + iloc_len;
        let data_offset = (ftyp.len() + meta_len + 8) as u32;
        // version 0; offset and length 4 bytes, no base offset; one item with one extent.
        let mut iloc_payload = vec![0x44, 0x00];
        iloc_payload.extend(1u16.to_be_bytes());
        iloc_payload.extend(2u16.to_be_bytes()); // item 2 (the tile)
        iloc_payload.extend(0u16.to_be_bytes()); // data reference
        iloc_payload.extend(1u16.to_be_bytes()); // one extent
        iloc_payload.extend(data_offset.to_be_bytes());
        iloc_payload.extend(data_length.to_be_bytes());
        let iloc = full(b"iloc", 0, &iloc_payload);
        assert_eq!(iloc.len(), iloc_len);
        let meta = full(b"meta", 0, &[pitm, iprp, iloc].concat());
        assert_eq!(meta.len(), meta_len);
        let mdat = boxed(b"mdat", &vec![0u8; mdat_payload]);
        [ftyp, meta, mdat].concat()
    }

    #[test]
    fn the_primary_items_size_wins_over_a_larger_tile() {
        let file = grid_heif(16, 16);
        assert!(matches!(brand_kind(&file), Brand::Heic));
        assert_eq!(measure(&file, &|_, _| Ok(())), Ok((1200, 800)));
    }

    #[test]
    fn item_data_beyond_the_end_of_the_file_is_truncation() {
        // The extent claims 64 bytes, the mdat holds 16 (and ends the file).
        let file = grid_heif(64, 16);
        assert_eq!(measure(&file, &|_, _| Ok(())), Err(ProbeError::Truncated));
    }

    #[test]
    fn the_pixel_check_runs_before_the_item_locations() {
        let file = grid_heif(64, 16);
        let refused = ProbeError::TooManyPixels {
            width: 1200,
            height: 800,
            limit: 1,
        };
        assert_eq!(
            measure(&file, &|_, _| Err(refused.clone())),
            Err(refused.clone())
        );
    }

    fn irot(quarter_turns: u8) -> Vec<u8> {
        boxed(b"irot", &[quarter_turns])
    }

    fn imir(axis: u8) -> Vec<u8> {
        boxed(b"imir", &[axis])
    }

    /// A `clap`: width N/D, height N/D, horizontal and vertical offsets N/D.
    fn clap(fields: [i64; 8]) -> Vec<u8> {
        let payload: Vec<u8> = fields
            .iter()
            .flat_map(|&v| (v as u32).to_be_bytes())
            .collect();
        boxed(b"clap", &payload)
    }

    fn shown(transforms: &[Vec<u8>]) -> Result<(u32, u32), ProbeError> {
        measure(&transformed_grid_heif(16, 16, transforms), &|_, _| Ok(()))
    }

    #[test]
    fn an_odd_number_of_quarter_turns_swaps_width_and_height() {
        assert_eq!(shown(&[irot(0)]), Ok((1200, 800)));
        assert_eq!(shown(&[irot(1)]), Ok((800, 1200)));
        assert_eq!(shown(&[irot(2)]), Ok((1200, 800)));
        assert_eq!(shown(&[irot(3)]), Ok((800, 1200)));
        // The reserved bits above the angle do not count.
        assert_eq!(shown(&[irot(0xFC | 1)]), Ok((800, 1200)));
        // An `irot` with no angle byte is skipped, not a refusal.
        assert_eq!(shown(&[boxed(b"irot", &[])]), Ok((1200, 800)));
    }

    #[test]
    fn a_mirror_keeps_the_size() {
        assert_eq!(shown(&[imir(0)]), Ok((1200, 800)));
        assert_eq!(shown(&[imir(1)]), Ok((1200, 800)));
        assert_eq!(shown(&[imir(1), irot(1)]), Ok((800, 1200)));
        assert_eq!(shown(&[irot(3), imir(0)]), Ok((800, 1200)));
    }

    #[test]
    fn the_clean_aperture_crops_in_association_order() {
        let centred = clap([1000, 1, 600, 1, 0, 1, 0, 1]);
        assert_eq!(shown(std::slice::from_ref(&centred)), Ok((1000, 600)));
        // Crop, then turn: the crop is in coded coordinates.
        assert_eq!(shown(&[centred.clone(), irot(1)]), Ok((600, 1000)));
        // Turn, then crop: the crop is in turned coordinates (800 wide, 1200 high).
        let in_turned = clap([600, 1, 1000, 1, 0, 1, 0, 1]);
        assert_eq!(shown(&[irot(1), in_turned]), Ok((600, 1000)));
        // Fractions round to the nearest pixel: 2001/2 is 1000.5, so 1001.
        assert_eq!(
            shown(&[clap([2001, 2, 1200, 2, 0, 1, 0, 1])]),
            Ok((1001, 600))
        );
    }

    #[test]
    fn a_clean_aperture_is_cut_to_the_picture() {
        // Larger than the picture: the whole picture.
        assert_eq!(
            shown(&[clap([5000, 1, 5000, 1, 0, 1, 0, 1])]),
            Ok((1200, 800))
        );
        // 1000 wide, centred 300 right of the middle: columns 400..1399, of which 400..1199
        // are in the picture; 600 high, centred 250 up: rows -150..449, so 0..449.
        assert_eq!(
            shown(&[clap([1000, 1, 600, 1, 300, 1, -250, 1])]),
            Ok((800, 450))
        );
    }

    #[test]
    fn an_unusable_clean_aperture_is_skipped() {
        for broken in [
            clap([1000, 0, 600, 1, 0, 1, 0, 1]),
            clap([1000, 1, 600, 0, 0, 1, 0, 1]),
            clap([1000, 1, 600, 1, 0, 0, 0, 1]),
            clap([1000, 1, 600, 1, 0, 1, 0, 0]),
            // Empty, or entirely outside the picture.
            clap([0, 1, 600, 1, 0, 1, 0, 1]),
            clap([100, 1, 100, 1, 5000, 1, 0, 1]),
            // Too short to hold its fields.
            boxed(b"clap", &[0; 31]),
        ] {
            assert_eq!(shown(&[broken]), Ok((1200, 800)));
        }
    }

    #[test]
    fn the_pixel_limit_is_on_the_coded_size_not_the_crop() {
        let file = transformed_grid_heif(16, 16, &[clap([100, 1, 100, 1, 0, 1, 0, 1])]);
        let seen = std::cell::Cell::new(None);
        let check = |w, h| {
            seen.set(Some((w, h)));
            Ok(())
        };
        assert_eq!(measure(&file, &check), Ok((100, 100)));
        assert_eq!(seen.get(), Some((1200, 800)));
    }
}
