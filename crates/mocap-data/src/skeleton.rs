//! Joint hierarchies (skeletons) with channels, rotation orders, DOF and limits.

use crate::{DQuat, DVec3, DataError, LengthUnit, UpAxis};
use serde::{Deserialize, Serialize};

/// One animated degree of freedom of a joint, as listed in a BVH `CHANNELS` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Channel {
    /// Translation along the parent-space X axis, in the skeleton's length unit.
    Xposition,
    /// Translation along Y, in the skeleton's length unit.
    Yposition,
    /// Translation along Z, in the skeleton's length unit.
    Zposition,
    /// Rotation about the joint's X axis, in degrees.
    Xrotation,
    /// Rotation about Y, in degrees.
    Yrotation,
    /// Rotation about Z, in degrees.
    Zrotation,
}

impl Channel {
    /// The usual root channels: translation, then rotations in Z, X, Y order (BVH `ZXY`).
    pub const POSITION_ROTATION_ZXY: [Channel; 6] = [
        Self::Xposition,
        Self::Yposition,
        Self::Zposition,
        Self::Zrotation,
        Self::Xrotation,
        Self::Yrotation,
    ];

    /// The usual ball-joint channels: rotations in Z, X, Y order (BVH `ZXY`).
    pub const ROTATION_ZXY: [Channel; 3] = [Self::Zrotation, Self::Xrotation, Self::Yrotation];

    /// Parses a BVH channel name (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "xposition" => Self::Xposition,
            "yposition" => Self::Yposition,
            "zposition" => Self::Zposition,
            "xrotation" => Self::Xrotation,
            "yrotation" => Self::Yrotation,
            "zrotation" => Self::Zrotation,
            _ => return None,
        })
    }

    /// The BVH spelling (`Xposition`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Xposition => "Xposition",
            Self::Yposition => "Yposition",
            Self::Zposition => "Zposition",
            Self::Xrotation => "Xrotation",
            Self::Yrotation => "Yrotation",
            Self::Zrotation => "Zrotation",
        }
    }

    /// Whether this is a rotation channel.
    pub fn is_rotation(self) -> bool {
        matches!(self, Self::Xrotation | Self::Yrotation | Self::Zrotation)
    }

    /// Axis index 0 = X, 1 = Y, 2 = Z.
    pub fn axis(self) -> usize {
        match self {
            Self::Xposition | Self::Xrotation => 0,
            Self::Yposition | Self::Yrotation => 1,
            Self::Zposition | Self::Zrotation => 2,
        }
    }
}

/// Order in which Euler rotations compose. `Zxy` means `R = Rz · Rx · Ry` acting on column
/// vectors (BVH's `Zrotation Xrotation Yrotation`), i.e. intrinsic Z, then X, then Y.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[allow(missing_docs)]
pub enum RotationOrder {
    Xyz,
    Xzy,
    Yxz,
    Yzx,
    #[default]
    Zxy,
    Zyx,
}

impl RotationOrder {
    /// Axis indices in composition order (`Zxy` → `[2, 0, 1]`).
    pub fn axes(self) -> [usize; 3] {
        match self {
            Self::Xyz => [0, 1, 2],
            Self::Xzy => [0, 2, 1],
            Self::Yxz => [1, 0, 2],
            Self::Yzx => [1, 2, 0],
            Self::Zxy => [2, 0, 1],
            Self::Zyx => [2, 1, 0],
        }
    }

    /// The order from three axis indices, if they are a permutation of 0, 1, 2.
    pub fn from_axes(a: [usize; 3]) -> Option<Self> {
        Some(match a {
            [0, 1, 2] => Self::Xyz,
            [0, 2, 1] => Self::Xzy,
            [1, 0, 2] => Self::Yxz,
            [1, 2, 0] => Self::Yzx,
            [2, 0, 1] => Self::Zxy,
            [2, 1, 0] => Self::Zyx,
            _ => return None,
        })
    }

    /// Composes a rotation from angles in **degrees** given per axis `[x, y, z]`.
    pub fn to_quat(self, angles_deg: [f64; 3]) -> DQuat {
        let mut q = DQuat::IDENTITY;
        for a in self.axes() {
            let r = angles_deg[a].to_radians();
            q *= match a {
                0 => DQuat::from_rotation_x(r),
                1 => DQuat::from_rotation_y(r),
                _ => DQuat::from_rotation_z(r),
            };
        }
        q
    }

    /// Decomposes a rotation into angles in degrees per axis `[x, y, z]` for this order.
    pub fn from_quat(self, q: DQuat) -> [f64; 3] {
        let e = match self {
            Self::Xyz => glam::EulerRot::XYZ,
            Self::Xzy => glam::EulerRot::XZY,
            Self::Yxz => glam::EulerRot::YXZ,
            Self::Yzx => glam::EulerRot::YZX,
            Self::Zxy => glam::EulerRot::ZXY,
            Self::Zyx => glam::EulerRot::ZYX,
        };
        let (a, b, c) = q.to_euler(e);
        let mut out = [0.0; 3];
        let ax = self.axes();
        out[ax[0]] = a.to_degrees();
        out[ax[1]] = b.to_degrees();
        out[ax[2]] = c.to_degrees();
        out
    }
}

/// One joint of a [`Skeleton`].
///
/// Local transform at a frame: `T(translation) · rest_rotation · R(channels)`, where
/// `translation` is the position channel value on each axis that has one and `offset` on the
/// others (BVH semantics as Blender and MotionBuilder read them), and `R` composes the rotation
/// channels in `rotation_order`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Joint {
    /// Joint name as in the source file.
    pub name: String,
    /// Index of the parent joint; parents always precede children. `None` for a root.
    pub parent: Option<usize>,
    /// Rest translation from the parent joint, in the parent's joint frame, skeleton unit.
    pub offset: DVec3,
    /// Rest orientation of this joint's frame relative to the parent's (identity for BVH; the
    /// ASF `axis` relative to the parent's for Acclaim skeletons).
    pub rest_rotation: DQuat,
    /// Animated channels in the order their values appear in a motion frame.
    pub channels: Vec<Channel>,
    /// Composition order of the rotation channels.
    pub rotation_order: RotationOrder,
    /// Limits per channel (`channels[i]`), degrees or skeleton unit; `None` when unlimited.
    pub limits: Vec<Option<(f64, f64)>>,
    /// BVH `End Site` offset in this joint's frame, skeleton unit, if the joint has one.
    pub end_site: Option<DVec3>,
}

impl Joint {
    /// A joint with no channels, identity rest rotation and no limits.
    pub fn new(name: impl Into<String>, parent: Option<usize>, offset: DVec3) -> Self {
        Self {
            name: name.into(),
            parent,
            offset,
            rest_rotation: DQuat::IDENTITY,
            channels: Vec::new(),
            rotation_order: RotationOrder::default(),
            limits: Vec::new(),
            end_site: None,
        }
    }

    /// Number of rotational degrees of freedom (0–3).
    pub fn rotation_dof(&self) -> usize {
        self.channels.iter().filter(|c| c.is_rotation()).count()
    }
}

/// A joint hierarchy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skeleton {
    /// Joints, parents before children.
    pub joints: Vec<Joint>,
    /// Unit of every offset and position channel.
    pub unit: LengthUnit,
    /// Up axis of the space the root moves in.
    pub up_axis: UpAxis,
}

impl Skeleton {
    /// Checks parent order and that channel/limit lists agree.
    pub fn validate(&self) -> Result<(), DataError> {
        for (i, j) in self.joints.iter().enumerate() {
            if let Some(p) = j.parent
                && p >= i
            {
                return Err(DataError::InvalidSkeleton(format!(
                    "joint {i} ({}) has parent {p}, which does not precede it",
                    j.name
                )));
            }
            if !j.limits.is_empty() && j.limits.len() != j.channels.len() {
                return Err(DataError::InvalidSkeleton(format!(
                    "joint {} has {} limits for {} channels",
                    j.name,
                    j.limits.len(),
                    j.channels.len()
                )));
            }
        }
        Ok(())
    }

    /// Index of the joint named `name`.
    pub fn joint_index(&self, name: &str) -> Option<usize> {
        self.joints.iter().position(|j| j.name == name)
    }

    /// Total channels per motion frame.
    pub fn channel_count(&self) -> usize {
        self.joints.iter().map(|j| j.channels.len()).sum()
    }

    /// Offset of each joint's first channel within a motion frame.
    pub fn channel_offsets(&self) -> Vec<usize> {
        let mut acc = 0;
        self.joints
            .iter()
            .map(|j| {
                let o = acc;
                acc += j.channels.len();
                o
            })
            .collect()
    }

    /// Children of joint `i`.
    pub fn children(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.joints
            .iter()
            .enumerate()
            .filter(move |(_, j)| j.parent == Some(i))
            .map(|(k, _)| k)
    }
}
