//! Acclaim ASF (skeleton) and AMC (motion) reader, as written by Vicon BodyBuilder for the CMU
//! motion-capture database, and conversion of AMC motion to BVH.
//!
//! ## Conventions
//! - **Lengths.** The ASF `:units length s` line scales every length in the ASF and the root
//!   translations in the AMC: a file value `v` is `v / s` inches (CMU: `length 0.45`, so one file
//!   unit is 1/0.45 in = 5.644 cm). [`AsfSkeleton::to_skeleton`] and [`parse_amc_with`] convert
//!   explicitly to the [`LengthUnit`] asked for; [`parse_amc`] gives millimetres (the default
//!   [`LengthUnit`], the solver's working unit), matching `to_skeleton(LengthUnit::Millimetre)`.
//! - **Angles.** `:units angle deg|rad` applies to `axis`, `orientation`, `limits` and, unless the
//!   AMC says `:DEGREES` or `:RADIANS`, to AMC rotations. Everything is degrees once parsed.
//! - **Rotation order.** An order string (`axis … XYZ`, a `dof rx ry rz` list, the root `order`)
//!   lists rotations in the order they are applied about fixed axes, so `XYZ` is the matrix
//!   `C = Rz·Ry·Rx` (column vectors; [`RotationOrder::Zyx`] in our naming). The three `axis`
//!   numbers go with the letters in the order string.
//! - **FK (CMU).** A bone's world rotation is `W = W_parent · C_parent⁻¹ · C · M`, where `C` is the
//!   bone's `axis` rotation (global, rest) and `M` the AMC rotation; it starts at the end of its
//!   parent bone and ends `W · C⁻¹ · direction · length` further. The root's `C` is its
//!   `orientation` (in `axis` order) and it starts at its translation. [`AsfSkeleton::to_skeleton`]
//!   maps this exactly onto [`mocap_data::Joint`]: `rest_rotation = C_parent⁻¹·C`, `offset =
//!   C_parent⁻¹ · direction_parent · length_parent`.
//!
//! Bone degrees of freedom other than rotations (`tx ty tz l` on a bone) are rejected as
//! unsupported; the root may have translations.

use crate::{FormatError, Location};
use mocap_data::{
    Channel, DQuat, DVec3, FrameRate, Joint, LengthUnit, Motion, RotationOrder, Skeleton, UpAxis,
};
use std::collections::HashMap;
use std::path::Path;

/// Angle unit of an ASF file (`:units angle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AngleUnit {
    /// `deg`.
    #[default]
    Degrees,
    /// `rad`.
    Radians,
}

/// The `:units` section.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AsfUnits {
    /// `mass` multiplier (informational; no masses are used).
    pub mass: f64,
    /// `length` scale: a file length `v` is `v / length` inches (CMU: 0.45).
    pub length: f64,
    /// Unit of angles in the ASF (and of the AMC unless it says `:DEGREES`/`:RADIANS`).
    pub angle: AngleUnit,
}

impl Default for AsfUnits {
    fn default() -> Self {
        Self {
            mass: 1.0,
            length: 1.0,
            angle: AngleUnit::Degrees,
        }
    }
}

/// One degree of freedom of a bone or of the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dof {
    /// Translation along X (root only), file length units.
    Tx,
    /// Translation along Y (root only), file length units.
    Ty,
    /// Translation along Z (root only), file length units.
    Tz,
    /// Rotation about the bone's X axis, degrees.
    Rx,
    /// Rotation about Y, degrees.
    Ry,
    /// Rotation about Z, degrees.
    Rz,
    /// Bone length change (not supported by this reader).
    L,
}

impl Dof {
    fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "tx" => Self::Tx,
            "ty" => Self::Ty,
            "tz" => Self::Tz,
            "rx" => Self::Rx,
            "ry" => Self::Ry,
            "rz" => Self::Rz,
            "l" => Self::L,
            _ => return None,
        })
    }

    /// The matching channel (`None` for `l`).
    pub fn channel(self) -> Option<Channel> {
        Some(match self {
            Self::Tx => Channel::Xposition,
            Self::Ty => Channel::Yposition,
            Self::Tz => Channel::Zposition,
            Self::Rx => Channel::Xrotation,
            Self::Ry => Channel::Yrotation,
            Self::Rz => Channel::Zrotation,
            Self::L => return None,
        })
    }

    fn is_rotation(self) -> bool {
        matches!(self, Self::Rx | Self::Ry | Self::Rz)
    }
}

/// The `:root` section.
#[derive(Debug, Clone, PartialEq)]
pub struct AsfRoot {
    /// `order`: the root's AMC values in file order (e.g. `TX TY TZ RX RY RZ`).
    pub order: Vec<Dof>,
    /// `axis`: axis indices (0 = X) of the order string for `orientation` (e.g. `XYZ` → `[0,1,2]`).
    pub axis_order: [usize; 3],
    /// `position`, file length units (rest translation; AMC translations replace it).
    pub position: [f64; 3],
    /// `orientation` angles in degrees, one per letter of `axis_order`.
    pub orientation_deg: [f64; 3],
}

/// One `begin … end` block of `:bonedata`, with its parent from `:hierarchy`.
#[derive(Debug, Clone, PartialEq)]
pub struct AsfBone {
    /// `id`, when given.
    pub id: Option<i64>,
    /// `name`.
    pub name: String,
    /// `direction`: unit vector from the bone's start to its end in global rest coordinates.
    pub direction: [f64; 3],
    /// `length`, file length units.
    pub length: f64,
    /// `axis` angles in degrees, one per letter of `axis_order`.
    pub axis_deg: [f64; 3],
    /// Axis indices of the `axis` order string (e.g. `XYZ` → `[0, 1, 2]`).
    pub axis_order: [usize; 3],
    /// `dof`, in AMC value order (rotations only; see the module docs).
    pub dof: Vec<Dof>,
    /// `limits` per `dof` entry, degrees; infinite bounds (`inf`) kept as such.
    pub limits: Vec<(f64, f64)>,
    /// Parent bone index, `None` when the parent is the root.
    pub parent: Option<usize>,
}

/// A parsed ASF skeleton.
#[derive(Debug, Clone, PartialEq)]
pub struct AsfSkeleton {
    /// `:version`.
    pub version: Option<String>,
    /// `:name`.
    pub name: Option<String>,
    /// `:units`.
    pub units: AsfUnits,
    /// `:documentation` text (lines joined with `\n`, trimmed).
    pub documentation: String,
    /// `:root`.
    pub root: AsfRoot,
    /// Bones in `:bonedata` order.
    pub bones: Vec<AsfBone>,
}

/// Rotation for Euler angles in degrees applied in `order` about fixed axes:
/// `R = R(order[2]) · R(order[1]) · R(order[0])`.
pub fn fixed_axis_rotation(order: [usize; 3], angles_deg: [f64; 3]) -> DQuat {
    let mut q = DQuat::IDENTITY;
    for (k, &a) in order.iter().enumerate() {
        let r = angles_deg[k].to_radians();
        let step = match a {
            0 => DQuat::from_rotation_x(r),
            1 => DQuat::from_rotation_y(r),
            _ => DQuat::from_rotation_z(r),
        };
        q = step * q;
    }
    q
}

/// Our [`RotationOrder`] for rotations applied in `applied` order about fixed axes.
fn order_of_applied(applied: &[usize]) -> RotationOrder {
    let mut rev: Vec<usize> = applied.iter().rev().copied().collect();
    for a in 0..3 {
        if !rev.contains(&a) {
            rev.push(a);
        }
    }
    RotationOrder::from_axes([rev[0], rev[1], rev[2]]).unwrap_or_default()
}

impl AsfBone {
    /// The bone's `axis` rotation `C` (global, rest).
    pub fn axis_rotation(&self) -> DQuat {
        fixed_axis_rotation(self.axis_order, self.axis_deg)
    }
}

impl AsfRoot {
    /// The root's `orientation` rotation `C`.
    pub fn axis_rotation(&self) -> DQuat {
        fixed_axis_rotation(self.axis_order, self.orientation_deg)
    }
}

impl AsfSkeleton {
    /// `true` for every bone that is some bone's parent.
    fn has_children(&self) -> Vec<bool> {
        let mut out = vec![false; self.bones.len()];
        for b in &self.bones {
            if let Some(flag) = b.parent.and_then(|p| out.get_mut(p)) {
                *flag = true;
            }
        }
        out
    }

    /// Factor from file length units to `unit` (`(1 / units.length)` inches in `unit`).
    pub fn length_factor(&self, unit: LengthUnit) -> f64 {
        LengthUnit::Inch.factor_to(unit) / self.units.length
    }

    /// Bone indices in depth-first order (children in `:hierarchy` order): joint `k + 1` of
    /// [`Self::to_skeleton`] is bone `order[k]`. Bones not reachable from the root (only possible
    /// in a hand-built `AsfSkeleton` with a bad `parent`; [`parse_asf`] rejects those) are left
    /// out.
    pub fn joint_order(&self) -> Vec<usize> {
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); self.bones.len() + 1];
        for (i, b) in self.bones.iter().enumerate() {
            if let Some(list) = children.get_mut(b.parent.map_or(0, |p| p.saturating_add(1))) {
                list.push(i);
            }
        }
        let mut out = Vec::with_capacity(self.bones.len());
        let mut stack: Vec<usize> = children[0].iter().rev().copied().collect();
        while let Some(b) = stack.pop() {
            out.push(b);
            stack.extend(children[b + 1].iter().rev().copied());
        }
        out
    }

    /// The skeleton: joint 0 is `root`, then every bone depth-first ([`Self::joint_order`]),
    /// each joint at its bone's start. Rest rotations `C_parent⁻¹·C`, offsets
    /// `C_parent⁻¹·direction_parent·length_parent` (converted to `unit`), channels in `dof` order
    /// with rotation order from it, limits from `limits`; leaf bones get an end site at their end.
    /// Up axis Y (ASF convention). Use with motion from [`parse_amc_with`] in the same `unit`.
    pub fn to_skeleton(&self, unit: LengthUnit) -> Skeleton {
        let k = self.length_factor(unit);
        let order = self.joint_order();
        let has_children = self.has_children();
        let mut joint_of_bone = vec![0usize; self.bones.len()];
        for (ji, &b) in order.iter().enumerate() {
            joint_of_bone[b] = ji + 1;
        }
        let c_root = self.root.axis_rotation();
        let mut root = Joint::new("root", None, DVec3::from_array(self.root.position) * k);
        root.rest_rotation = c_root;
        root.channels = self.root.order.iter().filter_map(|d| d.channel()).collect();
        let rot_applied: Vec<usize> = root
            .channels
            .iter()
            .filter(|c| c.is_rotation())
            .map(|c| c.axis())
            .collect();
        root.rotation_order = order_of_applied(&rot_applied);
        let mut joints = vec![root];
        for &b in &order {
            let bone = &self.bones[b];
            let (parent_joint, c_parent, parent_vec) = match bone.parent {
                None => (0, c_root, DVec3::ZERO),
                Some(p) => {
                    let pb = &self.bones[p];
                    (
                        joint_of_bone[p],
                        pb.axis_rotation(),
                        DVec3::from_array(pb.direction) * pb.length * k,
                    )
                }
            };
            let c = bone.axis_rotation();
            let inv = c_parent.inverse();
            let mut j = Joint::new(bone.name.clone(), Some(parent_joint), inv * parent_vec);
            j.rest_rotation = inv * c;
            j.channels = bone.dof.iter().filter_map(|d| d.channel()).collect();
            let applied: Vec<usize> = bone
                .dof
                .iter()
                .filter(|d| d.is_rotation())
                .filter_map(|d| d.channel().map(|c| c.axis()))
                .collect();
            j.rotation_order = order_of_applied(&applied);
            if !bone.limits.is_empty() {
                j.limits = bone
                    .limits
                    .iter()
                    .map(|&(lo, hi)| (lo.is_finite() || hi.is_finite()).then_some((lo, hi)))
                    .collect();
            }
            if !has_children[b] {
                j.end_site =
                    Some(c.inverse() * DVec3::from_array(bone.direction) * bone.length * k);
            }
            joints.push(j);
        }
        Skeleton {
            joints,
            unit,
            up_axis: UpAxis::Y,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ASF parsing

struct Lines<'a> {
    lines: Vec<(usize, &'a str)>,
    i: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
            .collect();
        Self { lines, i: 0 }
    }
    fn peek(&self) -> Option<(usize, &'a str)> {
        self.lines.get(self.i).copied()
    }
    fn next(&mut self) -> Option<(usize, &'a str)> {
        let l = self.peek();
        self.i += 1;
        l
    }
    fn last_line(&self) -> usize {
        self.lines.last().map_or(1, |l| l.0)
    }
}

fn mem() -> &'static Path {
    Path::new("<memory>")
}

fn at(line: usize, msg: impl Into<String>) -> FormatError {
    FormatError::malformed(mem(), Location::Line(line, None), msg)
}

fn num(tok: &str, line: usize, what: &str) -> Result<f64, FormatError> {
    let t = tok.trim_matches(|c| c == '(' || c == ')');
    let v = match t.to_ascii_lowercase().as_str() {
        "inf" | "+inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        _ => t
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| at(line, format!("{what}: `{tok}` is not a number")))?,
    };
    Ok(v)
}

fn three(toks: &[&str], line: usize, what: &str) -> Result<[f64; 3], FormatError> {
    if toks.len() < 3 {
        return Err(at(line, format!("`{what}` needs three numbers")));
    }
    let mut v = [0.0; 3];
    for (k, t) in toks[..3].iter().enumerate() {
        v[k] = num(t, line, what)?;
        if !v[k].is_finite() {
            return Err(at(line, format!("`{what}` value `{t}` must be finite")));
        }
    }
    Ok(v)
}

fn axis_letters(s: &str, line: usize) -> Result<[usize; 3], FormatError> {
    let b = s.as_bytes();
    let mut out = [0usize; 3];
    let ok = b.len() == 3
        && b.iter().enumerate().all(|(k, c)| {
            let a = match c.to_ascii_uppercase() {
                b'X' => 0,
                b'Y' => 1,
                b'Z' => 2,
                _ => return false,
            };
            out[k] = a;
            true
        })
        && out[0] != out[1]
        && out[1] != out[2]
        && out[0] != out[2];
    if ok {
        Ok(out)
    } else {
        Err(at(
            line,
            format!("axis order `{s}` must be a permutation of XYZ"),
        ))
    }
}

/// Parses an ASF file. Errors name `<memory>` and the line.
pub fn parse_asf(text: &str) -> Result<AsfSkeleton, FormatError> {
    let mut lx = Lines::new(text);
    let mut version = None;
    let mut name = None;
    let mut units = AsfUnits::default();
    let mut documentation = Vec::new();
    let mut root: Option<AsfRoot> = None;
    let mut bones: Vec<AsfBone> = Vec::new();
    let mut hierarchy_seen = false;
    let mut parent_set: Vec<bool> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    while let Some((ln, line)) = lx.next() {
        let mut toks = line.split_whitespace();
        let key = toks.next().unwrap_or("").to_ascii_lowercase();
        let rest: Vec<&str> = toks.collect();
        match key.as_str() {
            ":version" => version = Some(rest.join(" ")),
            ":name" => name = Some(rest.join(" ")),
            ":units" => parse_units(&mut lx, &mut units)?,
            ":documentation" => {
                while let Some((_, s)) = lx.peek() {
                    if s.starts_with(':') {
                        break;
                    }
                    lx.next();
                    documentation.push(s);
                }
            }
            ":root" => root = Some(parse_root(&mut lx, units.angle)?),
            ":bonedata" => {
                while let Some((l, s)) = lx.peek() {
                    if s.starts_with(':') {
                        break;
                    }
                    lx.next();
                    if !s.eq_ignore_ascii_case("begin") {
                        return Err(at(
                            l,
                            format!("expected `begin` in `:bonedata`, found `{s}`"),
                        ));
                    }
                    let bone = parse_bone(&mut lx, l, units.angle)?;
                    if by_name.contains_key(&bone.name) || bone.name == "root" {
                        return Err(at(l, format!("bone name `{}` used twice", bone.name)));
                    }
                    by_name.insert(bone.name.clone(), bones.len());
                    bones.push(bone);
                }
                parent_set = vec![false; bones.len()];
            }
            ":hierarchy" => {
                hierarchy_seen = true;
                parse_hierarchy(&mut lx, &by_name, &mut parent_set, &mut bones)?;
            }
            k if k.starts_with(':') => {
                // Unknown section (e.g. `:skin`): skip its lines.
                while let Some((_, s)) = lx.peek() {
                    if s.starts_with(':') {
                        break;
                    }
                    lx.next();
                }
            }
            _ => {
                return Err(at(
                    ln,
                    format!("unexpected `{line}` outside any ASF section"),
                ));
            }
        }
    }
    let root = root.ok_or_else(|| at(lx.last_line(), "no `:root` section"))?;
    if !hierarchy_seen && !bones.is_empty() {
        return Err(at(lx.last_line(), "no `:hierarchy` section"));
    }
    if let Some(i) = parent_set.iter().position(|s| !s) {
        return Err(at(
            lx.last_line(),
            format!("bone `{}` is not in `:hierarchy`", bones[i].name),
        ));
    }
    let asf = AsfSkeleton {
        version,
        name,
        units,
        documentation: documentation.join("\n"),
        root,
        bones,
    };
    // Cycles: every bone has a parent, so a bone the depth-first walk from the root misses sits
    // on a cycle.
    let order = asf.joint_order();
    if order.len() != asf.bones.len() {
        let mut reached = vec![false; asf.bones.len()];
        for &b in &order {
            reached[b] = true;
        }
        let i = reached.iter().position(|r| !r).unwrap_or(0);
        return Err(at(
            lx.last_line(),
            format!(
                "`:hierarchy` has a cycle through bone `{}`",
                asf.bones[i].name
            ),
        ));
    }
    Ok(asf)
}

/// The lines of a `:units` section (after its keyword) into `units`.
fn parse_units(lx: &mut Lines<'_>, units: &mut AsfUnits) -> Result<(), FormatError> {
    while let Some((l, s)) = lx.peek() {
        if s.starts_with(':') {
            break;
        }
        lx.next();
        let t: Vec<&str> = s.split_whitespace().collect();
        match (t[0].to_ascii_lowercase().as_str(), t.get(1)) {
            ("mass", Some(v)) => units.mass = num(v, l, "mass")?,
            ("length", Some(v)) => {
                units.length = num(v, l, "length")?;
                if !(units.length > 0.0 && units.length.is_finite()) {
                    return Err(at(l, "`length` unit scale must be positive"));
                }
            }
            ("angle", Some(v)) => {
                units.angle = match v.to_ascii_lowercase().as_str() {
                    "deg" | "degree" | "degrees" => AngleUnit::Degrees,
                    "rad" | "radian" | "radians" => AngleUnit::Radians,
                    _ => {
                        return Err(at(l, format!("angle unit `{v}`: use deg or rad")));
                    }
                }
            }
            _ => {} // unknown unit lines are informational
        }
    }
    Ok(())
}

/// The lines of a `:root` section (after its keyword); orientation in degrees whatever `angle`.
fn parse_root(lx: &mut Lines<'_>, angle: AngleUnit) -> Result<AsfRoot, FormatError> {
    let mut r = AsfRoot {
        order: Vec::new(),
        axis_order: [0, 1, 2],
        position: [0.0; 3],
        orientation_deg: [0.0; 3],
    };
    while let Some((l, s)) = lx.peek() {
        if s.starts_with(':') {
            break;
        }
        lx.next();
        let t: Vec<&str> = s.split_whitespace().collect();
        match t[0].to_ascii_lowercase().as_str() {
            "order" => {
                r.order = t[1..]
                    .iter()
                    .map(|d| {
                        Dof::parse(d).filter(|d| *d != Dof::L).ok_or_else(|| {
                            at(l, format!("root order entry `{d}`: use TX TY TZ RX RY RZ"))
                        })
                    })
                    .collect::<Result<_, _>>()?;
                if (1..r.order.len()).any(|i| r.order[..i].contains(&r.order[i])) {
                    return Err(at(l, "root order lists a DOF twice"));
                }
            }
            "axis" => r.axis_order = axis_letters(t.get(1).copied().unwrap_or(""), l)?,
            "position" => r.position = three(&t[1..], l, "position")?,
            "orientation" => {
                r.orientation_deg = three(&t[1..], l, "orientation")?;
                if angle == AngleUnit::Radians {
                    r.orientation_deg = r.orientation_deg.map(f64::to_degrees);
                }
            }
            other => return Err(at(l, format!("unknown `:root` entry `{other}`"))),
        }
    }
    Ok(r)
}

/// The `begin` … `end` block of a `:hierarchy` section: sets each listed bone's parent.
fn parse_hierarchy(
    lx: &mut Lines<'_>,
    by_name: &HashMap<String, usize>,
    parent_set: &mut [bool],
    bones: &mut [AsfBone],
) -> Result<(), FormatError> {
    match lx.next() {
        Some((_, s)) if s.eq_ignore_ascii_case("begin") => {}
        Some((l, s)) => {
            return Err(at(
                l,
                format!("expected `begin` after `:hierarchy`, found `{s}`"),
            ));
        }
        None => return Err(at(lx.last_line(), "file ends after `:hierarchy`")),
    }
    loop {
        let Some((l, s)) = lx.next() else {
            return Err(at(lx.last_line(), "`:hierarchy` has no `end`"));
        };
        if s.eq_ignore_ascii_case("end") {
            break;
        }
        let t: Vec<&str> = s.split_whitespace().collect();
        let parent = if t[0] == "root" {
            None
        } else {
            Some(by_name.get(t[0]).copied().ok_or_else(|| {
                at(
                    l,
                    format!("`{}` in `:hierarchy` is not a bone of `:bonedata`", t[0]),
                )
            })?)
        };
        for c in &t[1..] {
            let ci = by_name.get(*c).copied().ok_or_else(|| {
                at(
                    l,
                    format!("`{c}` in `:hierarchy` is not a bone of `:bonedata`"),
                )
            })?;
            if parent_set.get(ci).copied().unwrap_or(true) {
                return Err(at(l, format!("bone `{c}` has two parents in `:hierarchy`")));
            }
            parent_set[ci] = true;
            bones[ci].parent = parent;
        }
    }
    Ok(())
}

fn parse_bone(
    lx: &mut Lines<'_>,
    begin_line: usize,
    angle: AngleUnit,
) -> Result<AsfBone, FormatError> {
    let mut b = AsfBone {
        id: None,
        name: String::new(),
        direction: [0.0; 3],
        length: 0.0,
        axis_deg: [0.0; 3],
        axis_order: [0, 1, 2],
        dof: Vec::new(),
        limits: Vec::new(),
        parent: None,
    };
    let mut have_dir = false;
    let mut have_len = false;
    let to_deg = |v: f64| {
        if angle == AngleUnit::Radians {
            v.to_degrees()
        } else {
            v
        }
    };
    loop {
        let Some((l, s)) = lx.next() else {
            return Err(at(begin_line, "bone `begin` without `end`"));
        };
        let t: Vec<&str> = s.split_whitespace().collect();
        match t[0].to_ascii_lowercase().as_str() {
            "end" => break,
            "id" => {
                b.id = Some(
                    t.get(1)
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| at(l, "`id` needs a whole number"))?,
                )
            }
            "name" => {
                b.name = t
                    .get(1)
                    .ok_or_else(|| at(l, "`name` needs a value"))?
                    .to_string();
            }
            "direction" => {
                b.direction = three(&t[1..], l, "direction")?;
                have_dir = true;
            }
            "length" => {
                b.length = num(t.get(1).copied().unwrap_or(""), l, "length")?;
                if !b.length.is_finite() || b.length < 0.0 {
                    return Err(at(l, "`length` must be a finite number ≥ 0"));
                }
                have_len = true;
            }
            "axis" => {
                b.axis_deg = three(&t[1..], l, "axis")?.map(to_deg);
                b.axis_order = axis_letters(t.get(4).copied().unwrap_or("XYZ"), l)?;
            }
            "dof" => {
                b.dof = t[1..]
                    .iter()
                    .map(|d| Dof::parse(d).ok_or_else(|| at(l, format!("dof `{d}`: use rx ry rz"))))
                    .collect::<Result<_, _>>()?;
                if let Some(d) = b.dof.iter().find(|d| !d.is_rotation()) {
                    return Err(FormatError::Unsupported {
                        path: mem().to_path_buf(),
                        location: Location::Line(l, None),
                        message: format!(
                            "bone dof `{d:?}`: only rotations (rx ry rz) are supported on bones"
                        ),
                    });
                }
                if (1..b.dof.len()).any(|i| b.dof[..i].contains(&b.dof[i])) {
                    return Err(at(l, "`dof` lists a rotation twice"));
                }
            }
            "limits" => {
                // `(lo hi)` pairs, the first on this line, the rest on lines starting with `(`.
                let mut nums: Vec<f64> = Vec::new();
                let mut push_line = |toks: &[&str], line: usize| -> Result<(), FormatError> {
                    for tok in toks {
                        for part in tok.split(['(', ')']).filter(|p| !p.is_empty()) {
                            nums.push(to_deg(num(part, line, "limits")?));
                        }
                    }
                    Ok(())
                };
                push_line(&t[1..], l)?;
                while let Some((l2, s2)) = lx.peek() {
                    if !s2.starts_with('(') {
                        break;
                    }
                    lx.next();
                    let t2: Vec<&str> = s2.split_whitespace().collect();
                    push_line(&t2, l2)?;
                }
                if !nums.len().is_multiple_of(2) {
                    return Err(at(l, "`limits` needs pairs `(min max)`"));
                }
                b.limits = nums.chunks_exact(2).map(|p| (p[0], p[1])).collect();
            }
            "bodymass" | "cofmass" => {}
            other => return Err(at(l, format!("unknown bone entry `{other}`"))),
        }
    }
    if b.name.is_empty() {
        return Err(at(begin_line, "bone without `name`"));
    }
    if !have_dir || !have_len {
        return Err(at(
            begin_line,
            format!("bone `{}` needs `direction` and `length`", b.name),
        ));
    }
    if !b.limits.is_empty() && b.limits.len() != b.dof.len() {
        return Err(at(
            begin_line,
            format!(
                "bone `{}` has {} limits for {} dof",
                b.name,
                b.limits.len(),
                b.dof.len()
            ),
        ));
    }
    Ok(b)
}

/// Reads an ASF file from disk.
pub fn read_asf_path(path: &Path) -> Result<AsfSkeleton, FormatError> {
    let text = read_text(path)?;
    parse_asf(&text).map_err(|e| e.with_path(path))
}

fn read_text(path: &Path) -> Result<String, FormatError> {
    let bytes = std::fs::read(path).map_err(|e| FormatError::io(path, e))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

// ---------------------------------------------------------------------------------------------
// AMC

/// How to interpret an AMC file's length unit and timing (neither is in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmcOptions {
    /// Unit for root translations in the returned motion (default millimetres, matching
    /// [`LengthUnit::default`]). Use the same unit for [`AsfSkeleton::to_skeleton`].
    pub unit: LengthUnit,
    /// Frame rate (default 120 Hz, the CMU database's rate).
    pub rate: FrameRate,
}

impl Default for AmcOptions {
    fn default() -> Self {
        Self {
            unit: LengthUnit::Millimetre,
            rate: FrameRate::FPS_120,
        }
    }
}

/// Parses an AMC file for `asf` with default [`AmcOptions`] (millimetres, 120 Hz): values laid
/// out for `asf.to_skeleton(LengthUnit::Millimetre)`.
pub fn parse_amc(text: &str, asf: &AsfSkeleton) -> Result<Motion, FormatError> {
    parse_amc_with(text, asf, &AmcOptions::default())
}

/// Parses an AMC file for `asf`: one frame per frame number, values laid out for
/// `asf.to_skeleton(opts.unit)` (root in `order` order, bones depth-first in `dof` order),
/// rotations in degrees, root translations in `opts.unit`.
///
/// Accepts `:FULLY-SPECIFIED`, `:DEGREES`/`:RADIANS`, comments, bones in any order within a
/// frame, bones without DOF listed or not. Frame numbers must increase by one; every bone with DOF
/// must appear exactly once per frame with exactly its DOF count of values.
pub fn parse_amc_with(
    text: &str,
    asf: &AsfSkeleton,
    opts: &AmcOptions,
) -> Result<Motion, FormatError> {
    // long function: one pass over the AMC lines; every line kind (keyword, frame number, bone
    // values) reads and updates the same frame state (current frame, bones seen, angle unit,
    // the frame's values), which helpers would have to thread through as six mutable borrows.
    let order = asf.joint_order();
    // Column of each bone's first value; root first.
    let mut col_of_bone: Vec<Option<usize>> = vec![None; asf.bones.len()];
    let root_n = asf.root.order.len();
    let mut cpf = root_n;
    for &b in &order {
        col_of_bone[b] = Some(cpf);
        cpf += asf.bones[b].dof.len();
    }
    let k = asf.length_factor(opts.unit);
    let by_name: HashMap<&str, usize> = asf
        .bones
        .iter()
        .enumerate()
        .map(|(i, b)| (b.name.as_str(), i))
        .collect();
    let mut radians = asf.units.angle == AngleUnit::Radians;
    let mut values: Vec<f32> = Vec::new();
    let mut frame: Vec<f32> = vec![0.0; cpf];
    let mut seen: Vec<bool> = vec![false; asf.bones.len() + 1];
    let mut current: Option<(i64, usize)> = None; // (frame number, line)
    let mut first: Option<i64> = None;
    let mut frames = 0usize;
    let finish_frame = |seen: &mut Vec<bool>,
                        frame: &[f32],
                        values: &mut Vec<f32>,
                        (num, line): (i64, usize)|
     -> Result<(), FormatError> {
        if root_n > 0 && !seen[0] {
            return Err(at(line, format!("frame {num} has no `root` line")));
        }
        if let Some(b) = (0..asf.bones.len())
            .find(|&b| col_of_bone[b].is_some() && !asf.bones[b].dof.is_empty() && !seen[b + 1])
        {
            return Err(at(
                line,
                format!("frame {num} has no line for bone `{}`", asf.bones[b].name),
            ));
        }
        values.extend_from_slice(frame);
        seen.iter_mut().for_each(|s| *s = false);
        Ok(())
    };
    for (i, raw) in text.lines().enumerate() {
        let ln = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(kw) = line.strip_prefix(':') {
            match kw.to_ascii_uppercase().as_str() {
                "DEGREES" => radians = false,
                "RADIANS" => radians = true,
                _ => {} // :FULLY-SPECIFIED and others
            }
            continue;
        }
        let mut toks = line.split_whitespace();
        let head = toks.next().unwrap_or("");
        if head.bytes().all(|c| c.is_ascii_digit()) {
            let n: i64 = head
                .parse()
                .map_err(|_| at(ln, format!("frame number `{head}` is too large")))?;
            if toks.next().is_some() {
                return Err(at(ln, "a frame number line holds only the number"));
            }
            if let Some(cur) = current {
                finish_frame(&mut seen, &frame, &mut values, cur)?;
                frames += 1;
                if n != cur.0 + 1 {
                    return Err(at(
                        ln,
                        format!(
                            "frame {n} follows frame {}; frame numbers must increase by one",
                            cur.0
                        ),
                    ));
                }
            }
            first.get_or_insert(n);
            current = Some((n, ln));
            continue;
        }
        let Some(_) = current else {
            return Err(at(ln, format!("`{head}` before the first frame number")));
        };
        let (slot, dofs, col) = if head == "root" {
            (0, &asf.root.order[..], 0)
        } else {
            let b = by_name
                .get(head)
                .copied()
                .ok_or_else(|| at(ln, format!("`{head}` is not a bone of the ASF skeleton")))?;
            let col = col_of_bone[b].ok_or_else(|| {
                at(
                    ln,
                    format!("bone `{head}` is not connected to the root in the ASF hierarchy"),
                )
            })?;
            (b + 1, &asf.bones[b].dof[..], col)
        };
        if seen[slot] {
            return Err(at(ln, format!("`{head}` appears twice in one frame")));
        }
        seen[slot] = true;
        let mut n = 0;
        for tok in toks {
            if n == dofs.len() {
                return Err(FormatError::malformed(
                    mem(),
                    Location::Line(ln, Some(raw.find(tok).map_or(1, |p| p + 1))),
                    format!("`{head}` has more than its {} dof values", dofs.len()),
                ));
            }
            let v = tok
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    FormatError::malformed(
                        mem(),
                        Location::Line(ln, Some(raw.find(tok).map_or(1, |p| p + 1))),
                        format!("`{tok}` is not a number"),
                    )
                })?;
            let d = dofs[n];
            let v = if d.is_rotation() {
                if radians { v.to_degrees() } else { v }
            } else {
                v * k
            };
            frame[col + n] = v as f32;
            n += 1;
        }
        if n != dofs.len() {
            return Err(FormatError::malformed(
                mem(),
                Location::Line(ln, Some(raw.trim_end().len() + 1)),
                format!("`{head}` has {n} values but {} dof", dofs.len()),
            ));
        }
    }
    if let Some(cur) = current {
        finish_frame(&mut seen, &frame, &mut values, cur)?;
        frames += 1;
    }
    debug_assert_eq!(values.len(), frames * cpf);
    Ok(Motion {
        rate: opts.rate,
        frame_time_s: opts.rate.frame_duration_s(),
        channels_per_frame: cpf,
        values,
    })
}

/// Reads an AMC file from disk for `asf` (millimetres, 120 Hz; see [`parse_amc`]).
pub fn read_amc_path(path: &Path, asf: &AsfSkeleton) -> Result<Motion, FormatError> {
    read_amc_path_with(path, asf, &AmcOptions::default())
}

/// Reads an AMC file from disk for `asf` (see [`parse_amc_with`]).
pub fn read_amc_path_with(
    path: &Path,
    asf: &AsfSkeleton,
    opts: &AmcOptions,
) -> Result<Motion, FormatError> {
    let text = read_text(path)?;
    parse_amc_with(&text, asf, opts).map_err(|e| e.with_path(path))
}

/// Converts ASF/AMC to a BVH-compatible skeleton and motion with the same world joint positions.
///
/// `motion` is laid out as [`parse_amc_with`] returns it with root translations in `from`;
/// the result is in `unit`. Joints are those of [`AsfSkeleton::to_skeleton`] (same order and
/// names) with identity rest rotations: each joint's frame is its ASF bone frame turned back to
/// global rest axes (`W·C⁻¹`), so offsets are `direction·length` of the parent bone, the rest
/// pose is the ASF rest pose, and a bone's BVH rotation is `C·M·C⁻¹`. The root gets 6 channels
/// (`Xposition Yposition Zposition Zrotation Yrotation Xrotation`), every bone with DOF gets 3
/// rotation channels (`Zrotation Yrotation Xrotation`; exact for bones whose `axis` is zero),
/// bones without DOF none. Limits are dropped (they do not survive the change of frame).
///
/// The BVH is Y up with its axes turned so that the usual reading of a Y-up BVH on a Z-up stage
/// (the quarter turn about X that Blender, MotionBuilder and [`crate::world::Placement`] apply)
/// puts every joint where Vicon's lab has it: BVH `(x, y, z)` = ASF `(z, y, −x)`, a quarter turn
/// about the (shared) up axis, and the lab's `(X, Y, Z)` = ASF `(z, x, y)`. So a converted take
/// opened over its C3D lands on the markers, as the AMC does.
pub fn amc_to_bvh_from(
    asf: &AsfSkeleton,
    motion: &Motion,
    from: LengthUnit,
    unit: LengthUnit,
) -> (Skeleton, Motion) {
    let k = asf.length_factor(unit);
    let kt = from.factor_to(unit);
    let order = asf.joint_order();
    let has_children = asf.has_children();
    let src = asf.to_skeleton(unit);
    let src_offsets = src.channel_offsets();
    let zyx = [Channel::Zrotation, Channel::Yrotation, Channel::Xrotation];
    let mut joints: Vec<Joint> = Vec::with_capacity(src.joints.len());
    // Per joint: its C (global rest rotation of its ASF frame) and whether it has rotation DOF.
    let mut cs: Vec<DQuat> = Vec::with_capacity(src.joints.len());
    let c_root = asf.root.axis_rotation();
    // ASF axes → BVH axes: (x, y, z) → (z, y, −x), i.e. a quarter turn about Y.
    let turn_v = |v: DVec3| DVec3::new(v.z, v.y, -v.x);
    let turn_q = DQuat::from_rotation_y(std::f64::consts::FRAC_PI_2);
    let mut root = Joint::new(
        "root",
        None,
        turn_v(DVec3::from_array(asf.root.position) * k),
    );
    root.channels = vec![Channel::Xposition, Channel::Yposition, Channel::Zposition];
    root.channels.extend(zyx);
    root.rotation_order = crate::bvh::rotation_order_of(&root.channels);
    joints.push(root);
    cs.push(c_root);
    for &b in &order {
        let bone = &asf.bones[b];
        let parent_vec = bone.parent.map_or(DVec3::ZERO, |p| {
            turn_v(DVec3::from_array(asf.bones[p].direction) * asf.bones[p].length * k)
        });
        let ji = joints.len();
        let mut j = Joint::new(bone.name.clone(), src.joints[ji].parent, parent_vec);
        if !bone.dof.is_empty() {
            j.channels = zyx.to_vec();
        }
        j.rotation_order = crate::bvh::rotation_order_of(&j.channels);
        if !has_children[b] {
            j.end_site = Some(turn_v(DVec3::from_array(bone.direction) * bone.length * k));
        }
        joints.push(j);
        cs.push(bone.axis_rotation());
    }
    let skeleton = Skeleton {
        joints,
        unit,
        up_axis: UpAxis::Y,
    };
    let cpf = skeleton.channel_count();
    let frames = motion.frame_count();
    let mut values = Vec::with_capacity(frames.saturating_mul(cpf));
    let src_cpf = motion.channels_per_frame;
    let mut row = vec![0.0f32; cpf];
    for f in 0..frames {
        let frame = &motion.values[f * src_cpf..(f + 1) * src_cpf];
        let mut out = 0;
        for (ji, sj) in src.joints.iter().enumerate() {
            let vals = frame
                .get(src_offsets[ji]..src_offsets[ji] + sj.channels.len())
                .unwrap_or(&[]);
            let mut angles = [0.0f64; 3];
            let mut t = sj.offset;
            for (c, v) in sj.channels.iter().zip(vals) {
                match c {
                    Channel::Xposition => t.x = *v as f64 * kt,
                    Channel::Yposition => t.y = *v as f64 * kt,
                    Channel::Zposition => t.z = *v as f64 * kt,
                    r => angles[r.axis()] = *v as f64,
                }
            }
            if ji == 0 {
                let t = turn_v(t);
                row[0] = t.x as f32;
                row[1] = t.y as f32;
                row[2] = t.z as f32;
                out = 3;
            }
            if skeleton.joints[ji].channels.is_empty() {
                continue;
            }
            let m = sj.rotation_order.to_quat(angles);
            let c = cs[ji];
            let q = turn_q * (c * m * c.inverse()) * turn_q.inverse();
            let e = RotationOrder::Zyx.from_quat(q);
            row[out] = e[2] as f32;
            row[out + 1] = e[1] as f32;
            row[out + 2] = e[0] as f32;
            out += 3;
        }
        values.extend_from_slice(&row);
    }
    let motion = Motion {
        rate: motion.rate,
        frame_time_s: motion.frame_time_s,
        channels_per_frame: cpf,
        values,
    };
    (skeleton, motion)
}

/// [`amc_to_bvh_from`] for motion from [`parse_amc`] (root translations in millimetres), giving
/// a skeleton and motion in `unit`.
pub fn amc_to_bvh(asf: &AsfSkeleton, motion: &Motion, unit: LengthUnit) -> (Skeleton, Motion) {
    amc_to_bvh_from(asf, motion, LengthUnit::Millimetre, unit)
}
