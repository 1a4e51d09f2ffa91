//! One world for markers and skeletons: where a motion's joints lie in a marker take's world.
//!
//! A motion file and a marker take opened together rarely share units and axes: C3D takes are
//! usually millimetres with Z up; BVH is Y up in whatever unit the file was written in; Vicon's
//! ASF/AMC uses its own axes (ASF `(x, y, z)` are the lab's `(Y, Z, X)`: C3D = `(z, x, y)` of
//! the ASF, see `tests/asf_amc.rs`) in `1/length` inches. [`Placement`] maps a skeleton's
//! numbers into the take's, [`joint_positions_in`] runs forward kinematics and places every
//! joint, and [`joints_as_markers`] makes them marker trajectories at the take's rate (what
//! `mocap convert MOTION OUT.trc --like TAKE.c3d` writes).

use mocap_data::{
    DataError, FrameRate, LengthUnit, MarkerSample, MarkerTrajectories, Motion, Skeleton, UpAxis,
    fk,
};

/// How a skeleton's axes relate to the lab's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisConvention {
    /// A right-handed world with this axis up (BVH: Y); turned to another up axis by the
    /// standard quarter turn about X ([`UpAxis::convert_point`]).
    Up(UpAxis),
    /// Vicon's ASF/AMC: ASF `(x, y, z)` are the lab's `(Y, Z, X)`, lab Z up.
    ViconAsf,
}

/// A take's world: the unit and up axis its marker coordinates are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TakeWorld {
    /// Length unit of the take's coordinates.
    pub unit: LengthUnit,
    /// Up axis of the take's coordinates.
    pub up_axis: UpAxis,
}

impl TakeWorld {
    /// The world `points` are in.
    pub fn of(points: &MarkerTrajectories) -> Self {
        Self {
            unit: points.unit,
            up_axis: points.up_axis,
        }
    }
}

/// A linear map from a skeleton's numbers to a take's: `take = scale · R · skeleton`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Rotation (a signed axis permutation), row-major: take axis `i` = Σ `r[i][k]` · skeleton
    /// axis `k`.
    pub rotation: [[f64; 3]; 3],
    /// Length factor from the skeleton's unit to the take's.
    pub scale: f64,
    /// The take's world.
    pub world: TakeWorld,
}

fn mul(a: [[f64; 3]; 3], b: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut o = [[0.0; 3]; 3];
    for (i, row) in o.iter_mut().enumerate() {
        for (k, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|j| a[i][j] * b[j][k]).sum();
        }
    }
    o
}

/// The matrix of [`UpAxis::convert_point`] from `from` to `to`.
fn up_turn(from: UpAxis, to: UpAxis) -> [[f64; 3]; 3] {
    let col = |e: [f64; 3]| from.convert_point(to, e);
    let (x, y, z) = (
        col([1.0, 0.0, 0.0]),
        col([0.0, 1.0, 0.0]),
        col([0.0, 0.0, 1.0]),
    );
    [[x[0], y[0], z[0]], [x[1], y[1], z[1]], [x[2], y[2], z[2]]]
}

impl Placement {
    /// The placement of a skeleton whose lengths are in `unit` and whose axes follow
    /// `convention` into `world`.
    pub fn new(unit: LengthUnit, convention: AxisConvention, world: TakeWorld) -> Self {
        let rotation = match convention {
            AxisConvention::Up(up) => up_turn(up, world.up_axis),
            AxisConvention::ViconAsf => {
                // Lab (X, Y, Z) = ASF (z, x, y), lab Z up.
                let vicon = [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
                mul(up_turn(UpAxis::Z, world.up_axis), vicon)
            }
        };
        Self {
            rotation,
            scale: unit.factor_to(world.unit),
            world,
        }
    }

    /// A point of the skeleton's space in the take's.
    pub fn apply(&self, p: [f32; 3]) -> [f32; 3] {
        let r = &self.rotation;
        let p = [p[0] as f64, p[1] as f64, p[2] as f64];
        std::array::from_fn(|i| {
            ((r[i][0] * p[0] + r[i][1] * p[1] + r[i][2] * p[2]) * self.scale) as f32
        })
    }
}

/// Forward kinematics of `motion` on `skeleton`, every joint placed in the take's world:
/// frame-major, `frames × joints` positions in the take's unit and axes.
pub fn joint_positions_in(
    skeleton: &Skeleton,
    motion: &Motion,
    placement: &Placement,
) -> Result<Vec<[f32; 3]>, DataError> {
    let mut out = Vec::new();
    fk::try_world_positions(skeleton, motion, &mut out)?;
    for p in &mut out {
        *p = placement.apply(*p);
    }
    Ok(out)
}

/// Every joint's placed position as a marker named after the joint, at `rate` (the motion's
/// own when `None`; otherwise positions are linearly interpolated at the new frame times over
/// the motion's duration).
pub fn joints_as_markers(
    skeleton: &Skeleton,
    motion: &Motion,
    placement: &Placement,
    rate: Option<FrameRate>,
) -> Result<MarkerTrajectories, DataError> {
    let pos = joint_positions_in(skeleton, motion, placement)?;
    let nj = skeleton.joints.len();
    let n = motion.frame_count();
    let labels = skeleton.joints.iter().map(|j| j.name.clone()).collect();
    let (rate_out, frames, src_per_out) = match rate {
        Some(r) if n > 1 && r != motion.rate => {
            let duration = (n - 1) as f64 / motion.rate.hz();
            let frames = (duration * r.hz() + 1e-9).floor() as usize + 1;
            (r, frames, motion.rate.hz() / r.hz())
        }
        _ => (motion.rate, n, 1.0),
    };
    MarkerTrajectories::from_fn(
        labels,
        frames,
        rate_out,
        placement.world.unit,
        placement.world.up_axis,
        |f, j| {
            let s = f as f64 * src_per_out;
            let f0 = (s.floor() as usize).min(n.saturating_sub(1));
            let f1 = (f0 + 1).min(n.saturating_sub(1));
            let w = (s - f0 as f64) as f32;
            let (a, b) = (pos[f0 * nj + j], pos[f1 * nj + j]);
            MarkerSample {
                position: std::array::from_fn(|k| a[k] + (b[k] - a[k]) * w),
                residual: 0.0,
                camera_mask: 0,
                valid: true,
            }
        },
    )
}

/// A motion file loaded for placing: skeleton, motion and how its axes relate to the lab.
#[derive(Debug, Clone)]
pub struct LoadedMotion {
    /// The skeleton, lengths in `skeleton.unit`.
    pub skeleton: Skeleton,
    /// The motion (root translations in `skeleton.unit`).
    pub motion: Motion,
    /// The skeleton's axes.
    pub convention: AxisConvention,
    /// For BVH, the unit guess used (BVH states no unit); `None` for ASF/AMC.
    pub unit_guess: Option<crate::bvh::UnitGuess>,
}

/// Loads an AMC (with its `asf`, Vicon axes, millimetres) or a BVH (Y up, unit guessed from the
/// skeleton's size by [`crate::bvh::guess_unit`]).
///
/// Errors name the file: a missing `.asf` for an AMC, an unsupported extension, read errors.
pub fn load_motion(
    path: &std::path::Path,
    asf: Option<&std::path::Path>,
) -> Result<LoadedMotion, crate::FormatError> {
    use crate::{FileKind, FormatError, Location, asf as acclaim, bvh};
    match FileKind::from_path(path) {
        Some(FileKind::Amc) => {
            let Some(asf_path) = asf else {
                return Err(FormatError::Unsupported {
                    path: path.to_path_buf(),
                    location: Location::File,
                    message: "an AMC file without its skeleton: give the .asf (--skeleton X.asf)"
                        .into(),
                });
            };
            let a = acclaim::read_asf_path(asf_path)?;
            let motion = acclaim::read_amc_path(path, &a)?;
            Ok(LoadedMotion {
                skeleton: a.to_skeleton(LengthUnit::Millimetre),
                motion,
                convention: AxisConvention::ViconAsf,
                unit_guess: None,
            })
        }
        Some(FileKind::Bvh) => {
            let mut f = bvh::read_path(path)?;
            let g = bvh::guess_unit(&f.skeleton);
            f.skeleton.unit = g.unit; // the numbers are the file's; only the label changes
            Ok(LoadedMotion {
                convention: AxisConvention::Up(f.skeleton.up_axis),
                skeleton: f.skeleton,
                motion: f.motion,
                unit_guess: Some(g),
            })
        }
        _ => Err(FormatError::Unsupported {
            path: path.to_path_buf(),
            location: Location::File,
            message: "not a motion file: expected .amc (with its .asf) or .bvh".into(),
        }),
    }
}

/// The joints of `m` as markers: in `like`'s world, unit and rate when given, else in the
/// motion's own (its unit, axes and rate).
pub fn motion_as_markers(
    m: &LoadedMotion,
    like: Option<&MarkerTrajectories>,
) -> Result<MarkerTrajectories, DataError> {
    match like {
        Some(t) => {
            let p = Placement::new(m.skeleton.unit, m.convention, TakeWorld::of(t));
            joints_as_markers(&m.skeleton, &m.motion, &p, Some(t.rate))
        }
        None => {
            let up = match m.convention {
                AxisConvention::Up(u) => u,
                AxisConvention::ViconAsf => UpAxis::Y,
            };
            let world = TakeWorld {
                unit: m.skeleton.unit,
                up_axis: up,
            };
            let p = Placement::new(m.skeleton.unit, AxisConvention::Up(up), world);
            joints_as_markers(&m.skeleton, &m.motion, &p, None)
        }
    }
}
