//! Just enough of ISOBMFF (HEIF/HEIC) to answer three questions: which brand the file is, how
//! big its primary image is, and whether every item's data is actually in the file.
//!
//! The size is the `ispe` property associated with the `pitm` item through `ipma`. Taking the
//! largest `ispe` box instead would be wrong: a grid image's tiles each have their own, and a
//! thumbnail or depth map may be larger than the picture.

use super::probe::{ProbeError, be_u16, be_u32};

pub enum Brand {
    Heic,
    Heif,
    Avif,
    Other,
}

/// The brand, from the `ftyp` box's major and compatible brands.
pub fn brand_kind(bytes: &[u8]) -> Brand {
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

/// The primary item's width and height. `early_check` runs as soon as they are known, before
/// the item locations are checked.
pub fn primary_size(
    bytes: &[u8],
    early_check: impl Fn(u32, u32) -> Result<(), ProbeError>,
) -> Result<(u32, u32), ProbeError> {
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
    early_check(width, height)?;

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
