//! The C3D parameter section: groups of typed, multi-dimensional parameters.

use super::Processor;

/// The most strings a character parameter may enumerate: C3D counts are 16-bit, so no count can
/// address more. The reader refuses a parameter declaring more (a zero-width array of
/// 255 × 255 × 255 × … empty strings would otherwise allocate gigabytes).
pub const MAX_STRINGS: usize = 65_535;

/// The number of elements `dims` declare (1 for a scalar, 0 when any dimension is 0), or `None`
/// when the product overflows `usize`.
pub(crate) fn dims_product(dims: &[u8]) -> Option<usize> {
    if dims.contains(&0) {
        return Some(0);
    }
    dims.iter()
        .try_fold(1usize, |n, &d| n.checked_mul(usize::from(d)))
}

/// Parameter values, decoded from the file's processor format.
///
/// Character data keep the raw bytes (column-major: the first dimension is the string length),
/// so that any byte round-trips; use [`Parameter::strings`] for text.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamData {
    /// Type −1: characters (one byte each, usually ASCII, padded with spaces).
    Char(Vec<u8>),
    /// Type 1: bytes (unsigned).
    Byte(Vec<u8>),
    /// Type 2: signed 16-bit integers. Counts above 32 767 are stored with the sign bit set; read
    /// them with [`Parameter::count`].
    Int(Vec<i16>),
    /// Type 4: 32-bit floats (VAX floats of DEC files are converted to IEEE).
    Float(Vec<f32>),
}

impl ParamData {
    /// The C3D type code: −1 char, 1 byte, 2 int, 4 float.
    pub fn type_code(&self) -> i8 {
        match self {
            ParamData::Char(_) => -1,
            ParamData::Byte(_) => 1,
            ParamData::Int(_) => 2,
            ParamData::Float(_) => 4,
        }
    }

    /// Number of elements (characters for char data).
    pub fn len(&self) -> usize {
        match self {
            ParamData::Char(v) | ParamData::Byte(v) => v.len(),
            ParamData::Int(v) => v.len(),
            ParamData::Float(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One parameter of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Name as stored (upper case by convention; lookups are case-insensitive).
    pub name: String,
    /// Free-text description (bytes decoded as Latin-1 so that any byte round-trips).
    pub description: String,
    /// Locked flag (stored as a negative name length): applications should not edit it.
    pub locked: bool,
    /// Dimensions, first varying fastest; empty for a scalar. For char data the first dimension
    /// is the string length.
    pub dims: Vec<u8>,
    /// The values; `data.len()` equals the product of `dims` (1 for a scalar).
    pub data: ParamData,
}

/// One parameter group (POINT, ANALOG, EVENT, TRIAL, FORCE_PLATFORM, vendor groups…).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Group number as stored (1–127); parameters refer to their group by it.
    pub id: u8,
    /// Name as stored.
    pub name: String,
    /// Free-text description (Latin-1).
    pub description: String,
    /// Locked flag.
    pub locked: bool,
    /// Parameters in file order.
    pub parameters: Vec<Parameter>,
}

/// The whole parameter section.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parameters {
    /// Groups in file order.
    pub groups: Vec<Group>,
}

pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

pub(crate) fn to_latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| {
            if (c as u32) < 256 {
                c as u32 as u8
            } else {
                b'?'
            }
        })
        .collect()
}

impl Parameter {
    /// A parameter with the given data; `dims` is derived (scalar for one number, `[n]` for a
    /// longer list, `[len]` for a string). Dimensions are bytes: for more than 255 values set
    /// `dims` yourself (e.g. `[2, n]`), or the writer reports the mismatch.
    pub fn new(name: &str, description: &str, data: ParamData) -> Self {
        let dims = match &data {
            ParamData::Char(v) => vec![v.len().min(255) as u8],
            other if other.len() == 1 => Vec::new(),
            other => vec![other.len().min(255) as u8],
        };
        Self {
            name: name.to_string(),
            description: description.to_string(),
            locked: false,
            dims,
            data,
        }
    }

    /// A char-array parameter holding `strings`, each padded with spaces to the longest
    /// (`dims = [len, n]`, at least one character wide).
    pub fn from_strings(name: &str, description: &str, strings: &[String]) -> Self {
        let encoded: Vec<Vec<u8>> = strings.iter().map(|s| to_latin1(s)).collect();
        let width = encoded
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .clamp(1, 255);
        let mut bytes = Vec::with_capacity(width * encoded.len());
        for e in &encoded {
            let take = e.len().min(width);
            bytes.extend_from_slice(&e[..take]);
            bytes.resize(bytes.len() + width - take, b' ');
        }
        Self {
            name: name.to_string(),
            description: description.to_string(),
            locked: false,
            dims: vec![width as u8, encoded.len().min(255) as u8],
            data: ParamData::Char(bytes),
        }
    }

    /// The values as signed numbers (int and float as stored, bytes unsigned); empty for chars.
    pub fn values_f64(&self) -> Vec<f64> {
        match &self.data {
            ParamData::Char(_) => Vec::new(),
            ParamData::Byte(v) => v.iter().map(|&x| x as f64).collect(),
            ParamData::Int(v) => v.iter().map(|&x| x as f64).collect(),
            ParamData::Float(v) => v.iter().map(|&x| x as f64).collect(),
        }
    }

    /// The first value as a signed number (see [`Self::values_f64`]).
    pub fn first_f64(&self) -> Option<f64> {
        match &self.data {
            ParamData::Char(_) => None,
            ParamData::Byte(v) => v.first().map(|&x| x as f64),
            ParamData::Int(v) => v.first().map(|&x| x as f64),
            ParamData::Float(v) => v.first().map(|&x| x as f64),
        }
    }

    /// The values as unsigned counts: 16-bit integers are read as unsigned (a DATA_START of 188
    /// stored as a byte, or a frame count of 40 000 stored as an int, stay positive); floats are
    /// rounded, and negative or non-finite floats give `None` entries.
    pub fn counts(&self) -> Vec<Option<u32>> {
        match &self.data {
            ParamData::Char(_) => Vec::new(),
            ParamData::Byte(v) => v.iter().map(|&x| Some(x as u32)).collect(),
            ParamData::Int(v) => v.iter().map(|&x| Some(x as u16 as u32)).collect(),
            ParamData::Float(v) => v
                .iter()
                .map(|&x| (0.0..4.3e9).contains(&x).then(|| x.round() as u32))
                .collect(),
        }
    }

    /// The first value as an unsigned count (see [`Self::counts`]).
    pub fn count(&self) -> Option<u32> {
        self.counts().first().copied().flatten()
    }

    /// The strings of a char parameter: the first dimension is the length, the rest enumerate
    /// strings; trailing spaces and NULs are removed. A scalar or 1-D char parameter is one
    /// string. Non-char parameters give an empty list, and so does a zero-width array declaring
    /// more than [`MAX_STRINGS`] strings (the reader refuses those).
    pub fn strings(&self) -> Vec<String> {
        let ParamData::Char(bytes) = &self.data else {
            return Vec::new();
        };
        let width = match self.dims.first() {
            Some(&w) if self.dims.len() >= 2 => w as usize,
            _ => bytes.len().max(1),
        };
        if width == 0 {
            // A zero-width array still enumerates (empty) strings.
            let n = dims_product(&self.dims[1..])
                .filter(|&n| n <= MAX_STRINGS)
                .unwrap_or(0);
            return vec![String::new(); n];
        }
        bytes
            .chunks(width)
            .map(|c| {
                let end = c
                    .iter()
                    .rposition(|&b| b != b' ' && b != 0)
                    .map_or(0, |p| p + 1);
                latin1(&c[..end])
            })
            .collect()
    }

    /// The whole char parameter as one trimmed string (`None` for other types).
    pub fn string(&self) -> Option<String> {
        match &self.data {
            ParamData::Char(bytes) => {
                let end = bytes
                    .iter()
                    .rposition(|&b| b != b' ' && b != 0)
                    .map_or(0, |p| p + 1);
                Some(latin1(&bytes[..end]))
            }
            _ => None,
        }
    }
}

impl Group {
    /// An empty, unlocked group.
    pub fn new(id: u8, name: &str, description: &str) -> Self {
        Self {
            id,
            name: name.to_string(),
            description: description.to_string(),
            locked: false,
            parameters: Vec::new(),
        }
    }

    /// The parameter named `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Parameter> {
        self.parameters
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

impl Parameters {
    /// The group named `name` (case-insensitive).
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(name))
    }

    /// The group named `name`, mutable.
    pub fn group_mut(&mut self, name: &str) -> Option<&mut Group> {
        self.groups
            .iter_mut()
            .find(|g| g.name.eq_ignore_ascii_case(name))
    }

    /// Parameter `group:param` (both case-insensitive).
    pub fn get(&self, group: &str, param: &str) -> Option<&Parameter> {
        self.group(group)?.get(param)
    }

    /// Parameter `group:param`, mutable.
    pub fn get_mut(&mut self, group: &str, param: &str) -> Option<&mut Parameter> {
        self.group_mut(group)?
            .parameters
            .iter_mut()
            .find(|p| p.name.eq_ignore_ascii_case(param))
    }

    /// Concatenated strings of `group:NAME`, `group:NAME2`, `group:NAME3`… (the convention for
    /// more than 255 labels).
    pub fn strings_multi(&self, group: &str, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(p) = self.get(group, name) {
            out.extend(p.strings());
        }
        for k in 2.. {
            match self.get(group, &format!("{name}{k}")) {
                Some(p) => out.extend(p.strings()),
                None => break,
            }
        }
        out
    }

    /// Inserts or replaces `group:param`, creating the group (with the next free id) if needed.
    /// A replaced parameter keeps its description and locked flag when `param` has an empty
    /// description.
    pub fn set(&mut self, group: &str, mut param: Parameter) {
        if self.group(group).is_none() {
            let id = (1..=127u8)
                .find(|id| self.groups.iter().all(|g| g.id != *id))
                .unwrap_or(127);
            self.groups.push(Group::new(id, group, ""));
        }
        let Some(g) = self.group_mut(group) else {
            return;
        };
        if let Some(old) = g
            .parameters
            .iter_mut()
            .find(|p| p.name.eq_ignore_ascii_case(&param.name))
        {
            if param.description.is_empty() {
                param.description = std::mem::take(&mut old.description);
            }
            param.locked = old.locked;
            param.name = std::mem::take(&mut old.name);
            *old = param;
        } else {
            g.parameters.push(param);
        }
    }

    /// Removes `group:param`; returns whether it existed.
    pub fn remove(&mut self, group: &str, param: &str) -> bool {
        let Some(g) = self.group_mut(group) else {
            return false;
        };
        let before = g.parameters.len();
        g.parameters.retain(|p| !p.name.eq_ignore_ascii_case(param));
        before != g.parameters.len()
    }
}

/// Result of parsing a parameter section: what was read, and what went wrong (if anything)
/// after the last good entry.
pub(crate) struct ParsedParams {
    pub params: Parameters,
    pub problem: Option<(u64, String)>,
}

/// Parses the entries of a parameter section. `bytes` starts at the section's first byte (the
/// 4-byte section header) which is at absolute file offset `base`. Parsing stops at the end
/// marker, at a zero "next" offset, or at the first malformed entry (reported in `problem`; the
/// entries before it are kept).
pub(crate) fn parse_section(bytes: &[u8], base: u64, proc: Processor) -> ParsedParams {
    let mut params = Parameters::default();
    // Parameters may precede their group; collect and attach at the end.
    let mut pending: Vec<(u8, Parameter)> = Vec::new();
    let mut pos = 4usize;
    let mut problem = None;
    loop {
        let at = base + pos as u64;
        let Some(&[len_b, id_b]) = bytes
            .get(pos..pos + 2)
            .and_then(|s| <&[u8; 2]>::try_from(s).ok())
        else {
            problem = Some((
                at,
                "parameter section ends without an end marker".to_string(),
            ));
            break;
        };
        let name_len = len_b as i8;
        let id = id_b as i8;
        if name_len == 0 || id == 0 {
            break;
        }
        let locked = name_len < 0;
        let n = name_len.unsigned_abs() as usize;
        let name_at = pos + 2;
        let off_at = name_at + n;
        let Some(name) = bytes.get(name_at..off_at) else {
            problem = Some((at, "parameter name runs past the section".to_string()));
            break;
        };
        let Some(off_b) = bytes.get(off_at..off_at + 2) else {
            problem = Some((at, "parameter entry truncated".to_string()));
            break;
        };
        let next = proc.u16([off_b[0], off_b[1]]) as usize;
        let body = off_at + 2;
        let entry = if id < 0 {
            parse_group_body(bytes, body).map(Entry::Group)
        } else {
            parse_param_body(bytes, body, base, proc)
                .map(|(dims, data, desc)| Entry::Param(dims, data, desc))
        };
        match entry {
            Ok(Entry::Group(desc)) => {
                let gid = id.unsigned_abs();
                if let Some(g) = params.groups.iter_mut().find(|g| g.id == gid) {
                    // A second definition of the same id: keep the first name, note nothing.
                    if g.name.is_empty() {
                        g.name = latin1(name);
                    }
                } else {
                    params.groups.push(Group {
                        id: gid,
                        name: latin1(name),
                        description: latin1(&desc),
                        locked,
                        parameters: Vec::new(),
                    });
                }
            }
            Ok(Entry::Param(dims, data, desc)) => pending.push((
                id as u8,
                Parameter {
                    name: latin1(name),
                    description: latin1(&desc),
                    locked,
                    dims,
                    data,
                },
            )),
            Err(msg) => {
                problem = Some((at, format!("parameter {:?}: {msg}", latin1(name))));
                break;
            }
        }
        if next == 0 {
            break;
        }
        pos = off_at + next;
        if pos >= bytes.len() {
            problem = Some((
                base + off_at as u64,
                format!(
                    "the entry after {:?} would start at byte {}, past the end of the parameter section",
                    latin1(name),
                    base + pos as u64
                ),
            ));
            break;
        }
    }
    let mut orphans = 0usize;
    for (gid, p) in pending {
        match params.groups.iter_mut().find(|g| g.id == gid) {
            Some(g) => g.parameters.push(p),
            None => orphans += 1,
        }
    }
    if orphans > 0 && problem.is_none() {
        problem = Some((
            base,
            format!("{orphans} parameter(s) belong to no group and were dropped"),
        ));
    }
    ParsedParams { params, problem }
}

enum Entry {
    Group(Vec<u8>),
    Param(Vec<u8>, ParamData, Vec<u8>),
}

fn parse_group_body(bytes: &[u8], body: usize) -> Result<Vec<u8>, String> {
    // A group's description may be missing entirely at the very end of a section.
    let Some(&dl) = bytes.get(body) else {
        return Ok(Vec::new());
    };
    bytes
        .get(body + 1..body + 1 + dl as usize)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| "group description runs past the section".to_string())
}

/// One parameter's type, dimensions, data and description, starting at `body` (`base` is the
/// section's absolute file offset, for messages). Sizes are checked before anything is
/// allocated; errors name the byte.
fn parse_param_body(
    bytes: &[u8],
    body: usize,
    base: u64,
    proc: Processor,
) -> Result<(Vec<u8>, ParamData, Vec<u8>), String> {
    let ty = *bytes.get(body).ok_or("parameter type missing")? as i8;
    let nd = *bytes
        .get(body + 1)
        .ok_or("parameter dimension count missing")? as usize;
    let dims = bytes
        .get(body + 2..body + 2 + nd)
        .ok_or("parameter dimensions run past the section")?
        .to_vec();
    let elem = match ty {
        -1 | 1 => 1usize,
        2 => 2,
        4 => 4,
        other => {
            return Err(format!(
                "unknown data type {other} (expected -1, 1, 2 or 4)"
            ));
        }
    };
    // Product of dimensions, checked against what remains before allocating anything.
    let dims_at = base + body as u64 + 2;
    let data_at = body + 2 + nd;
    let remaining = bytes.len().saturating_sub(data_at);
    let size = dims_product(&dims)
        .and_then(|count| count.checked_mul(elem))
        .ok_or_else(|| {
            format!("the dimensions {dims:?} at byte {dims_at} multiply past any possible size")
        })?;
    if ty == -1 && nd >= 2 {
        // A zero-width char array holds no bytes but still enumerates strings.
        let strings = dims_product(&dims[1..]).filter(|&n| n <= MAX_STRINGS);
        if strings.is_none() {
            return Err(format!(
                "the character dimensions {dims:?} at byte {dims_at} enumerate more than \
                 {MAX_STRINGS} strings"
            ));
        }
    }
    if size > remaining {
        return Err(format!(
            "{size} bytes of data declared (dimensions {dims:?} at byte {dims_at}) but only \
             {remaining} remain in the section"
        ));
    }
    let raw = &bytes[data_at..data_at + size];
    let data = match ty {
        -1 => ParamData::Char(raw.to_vec()),
        1 => ParamData::Byte(raw.to_vec()),
        2 => ParamData::Int(
            raw.chunks_exact(2)
                .map(|c| proc.i16([c[0], c[1]]))
                .collect(),
        ),
        _ => ParamData::Float(
            raw.chunks_exact(4)
                .map(|c| proc.f32([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
    };
    let desc_at = data_at + size;
    let desc = match bytes.get(desc_at) {
        None => Vec::new(),
        Some(&dl) => match bytes.get(desc_at + 1..desc_at + 1 + dl as usize) {
            Some(d) => d.to_vec(),
            // A truncated description (mocap36.c3d misses a byte) is not worth losing the value.
            None => bytes[desc_at + 1..].to_vec(),
        },
    };
    Ok((dims, data, desc))
}

/// Serialises the parameter section (4-byte header included, padded to whole 512-byte blocks)
/// for `proc`. Errors name what does not fit the format.
pub(crate) fn serialize_section(params: &Parameters, proc: Processor) -> Result<Vec<u8>, String> {
    let mut out = vec![1u8, 0x50, 0, proc.code()];
    let mut last_offset_at: Option<usize> = None;
    let mut push_entry =
        |out: &mut Vec<u8>, name: &str, locked: bool, id: i8, body: &[u8]| -> Result<(), String> {
            let name_b = to_latin1(name);
            if name_b.is_empty() || name_b.len() > 127 {
                return Err(format!(
                    "parameter/group name {name:?} must have 1 to 127 characters"
                ));
            }
            let n = name_b.len() as i8;
            out.push(if locked { (-n) as u8 } else { n as u8 });
            out.push(id as u8);
            out.extend_from_slice(&name_b);
            let next = 2 + body.len();
            if next > u16::MAX as usize {
                return Err(format!("parameter {name:?} is larger than 64 KiB"));
            }
            last_offset_at = Some(out.len());
            out.extend_from_slice(&proc.put_i16(next as u16 as i16));
            out.extend_from_slice(body);
            Ok(())
        };
    for g in &params.groups {
        if g.id == 0 || g.id > 127 {
            return Err(format!(
                "group {:?} has id {} (must be 1–127)",
                g.name, g.id
            ));
        }
        let desc = to_latin1(&g.description);
        let mut body = vec![desc.len().min(255) as u8];
        body.extend_from_slice(&desc[..desc.len().min(255)]);
        push_entry(&mut out, &g.name, g.locked, -(g.id as i8), &body)?;
        for p in &g.parameters {
            let count = dims_product(&p.dims).ok_or_else(|| {
                format!(
                    "{}:{} has dimensions {:?} whose product overflows",
                    g.name, p.name, p.dims
                )
            })?;
            if count != p.data.len() {
                return Err(format!(
                    "{}:{} has dimensions {:?} ({count} elements) but {} values",
                    g.name,
                    p.name,
                    p.dims,
                    p.data.len()
                ));
            }
            let mut body = vec![p.data.type_code() as u8, p.dims.len() as u8];
            body.extend_from_slice(&p.dims);
            match &p.data {
                ParamData::Char(v) | ParamData::Byte(v) => body.extend_from_slice(v),
                ParamData::Int(v) => v.iter().for_each(|&x| body.extend(proc.put_i16(x))),
                ParamData::Float(v) => v.iter().for_each(|&x| body.extend(proc.put_f32(x))),
            }
            let desc = to_latin1(&p.description);
            body.push(desc.len().min(255) as u8);
            body.extend_from_slice(&desc[..desc.len().min(255)]);
            push_entry(&mut out, &p.name, p.locked, g.id as i8, &body)?;
        }
    }
    if let Some(at) = last_offset_at {
        out[at..at + 2].copy_from_slice(&proc.put_i16(0));
    }
    let blocks = out.len().div_ceil(512).max(1);
    if blocks > 255 {
        return Err(format!(
            "the parameter section needs {blocks} blocks of 512 bytes; C3D allows at most 255"
        ));
    }
    out.resize(blocks * 512, 0);
    out[2] = blocks as u8;
    Ok(out)
}
