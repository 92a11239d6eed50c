//! Just enough of ISOBMFF (HEIF/HEIC) to answer three questions: which brand the file is, how
//! big its primary image is, and whether every item's data is actually in the file.
//!
//! The size is the `ispe` property associated with the `pitm` item through `ipma`. Taking the
//! largest `ispe` box instead would be wrong: a grid image's tiles each have their own, and a
//! thumbnail or depth map may be larger than the picture.

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

/// The primary item's width and height. `check` runs as soon as they are known, before the
/// item locations are checked.
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
    for ipma in iprp_boxes.iter().filter(|b| b.kind == b"ipma") {
        for index in associations(bytes, ipma, primary)? {
            let Some(property) = index.checked_sub(1).and_then(|i| properties.get(i)) else {
                return Err(MALFORMED_META);
            };
            if property.kind == b"ispe" {
                let w = be_u32(bytes, property.payload + 4).ok_or(MALFORMED_META)?;
                let h = be_u32(bytes, property.payload + 8).ok_or(MALFORMED_META)?;
                size = Some((w, h));
            }
        }
    }
    let (width, height) =
        size.ok_or(ProbeError::Malformed("the primary HEIF image has no size"))?;
    check(width, height)?;

    let iloc = &meta_boxes[find(&meta_boxes, b"iloc").ok_or(MALFORMED_META)?];
    check_item_locations(bytes, iloc, meta_boxes.iter().find(|b| b.kind == b"idat"))?;
    Ok((width, height))
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
        let ftyp = boxed(b"ftyp", b"heic\0\0\0\0mif1heic");
        let pitm = full(b"pitm", 0, &1u16.to_be_bytes());
        let ipco = boxed(b"ipco", &[ispe(2048, 2048), ispe(1200, 800)].concat());
        // item 1 → property 2; item 2 → property 1 (7-bit indices, version 0).
        let mut ipma_payload = 2u32.to_be_bytes().to_vec();
        ipma_payload.extend([0, 1, 1, 0x82]);
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
}
