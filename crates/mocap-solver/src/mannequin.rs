//! The built-in mannequin: a skinned humanoid mesh generated from any skeleton.
//!
//! One capsule per bone (joint → child joint, or joint → end site), built in the skeleton's rest
//! pose (all channels zero) in **skeleton space** (the skeleton's unit and up axis). Each capsule is
//! rigidly bound to the joint that drives it, with smooth weights towards the next joint near its
//! tip and towards the previous joint near its base, so elbows and knees bend without cracks.
//! Radii come from bone lengths and the skeleton's height; one name rule (`head`) makes the head
//! round. Headless (no Bevy): the studio's viewport turns [`MannequinMesh`] into a Bevy `Mesh` +
//! `SkinnedMesh`, and `mocap export-glb` writes it with `mocap_formats::glb`.

use mocap_data::{DVec3, Motion, Skeleton, fk};
use mocap_formats::{FormatError, glb};

/// Vertex and skin data of a mannequin (skeleton space).
#[derive(Debug, Clone, Default)]
pub struct MannequinMesh {
    /// Vertex positions, skeleton unit.
    pub positions: Vec<[f32; 3]>,
    /// Unit normals.
    pub normals: Vec<[f32; 3]>,
    /// Up to four joint indices per vertex.
    pub joints: Vec<[u16; 4]>,
    /// Matching weights, summing to 1.
    pub weights: Vec<[f32; 4]>,
    /// Triangle list.
    pub indices: Vec<u32>,
    /// Per joint: inverse of its rest-pose world matrix (skeleton space), column-major.
    pub inverse_bindposes: Vec<[f32; 16]>,
}

/// The mannequin's skin colour in exported files, linear RGBA (the studio's default sRGB
/// 150, 156, 166).
pub const BASE_COLOR_LINEAR: [f32; 4] = [0.305, 0.332, 0.381, 1.0];

impl MannequinMesh {
    /// The mesh as input to the GLB writer (skeleton space, rest pose), coloured `base_color`
    /// (linear RGBA).
    pub fn to_skinned_mesh(&self, base_color: [f32; 4]) -> glb::SkinnedMesh {
        glb::SkinnedMesh {
            positions: self.positions.clone(),
            normals: self.normals.clone(),
            joints: self.joints.clone(),
            weights: self.weights.clone(),
            indices: self.indices.clone(),
            base_color,
        }
    }
}

/// The mannequin of `skeleton` playing `motion`, as GLB bytes (metres, Y-up; see
/// [`mocap_formats::glb`]), the animation named `animation_name`. The CLI's `export-glb` and the
/// studio's File → Export GLB both write this.
pub fn to_glb(
    skeleton: &Skeleton,
    motion: &Motion,
    animation_name: &str,
) -> Result<Vec<u8>, FormatError> {
    let mesh = build(skeleton).to_skinned_mesh(BASE_COLOR_LINEAR);
    glb::to_vec(skeleton, motion, &mesh, animation_name)
}

const SIDES: usize = 14;
const BODY_RINGS: usize = 8;
const CAP_RINGS: usize = 4;

fn smoothstep(e0: f64, e1: f64, x: f64) -> f64 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// The rest pose: rotation channels zero and position channels at the joints' declared offsets
/// (so skeletons whose every joint has position channels, as some BVH exports do, keep their
/// shape instead of collapsing to the origin).
pub fn rest_pose(skeleton: &Skeleton) -> Vec<fk::JointTransform> {
    let mut frame = Vec::with_capacity(skeleton.channel_count());
    for j in &skeleton.joints {
        for c in &j.channels {
            frame.push(if c.is_rotation() {
                0.0
            } else {
                j.offset[c.axis()] as f32
            });
        }
    }
    fk::pose(skeleton, &frame)
}

/// Extent of the rest pose along the skeleton's up axis (its height), skeleton unit.
pub fn rest_height(skeleton: &Skeleton, rest: &[fk::JointTransform]) -> f64 {
    let up = match skeleton.up_axis {
        mocap_data::UpAxis::Y => DVec3::Y,
        mocap_data::UpAxis::Z => DVec3::Z,
    };
    let mut lo = f64::MAX;
    let mut hi = f64::MIN;
    for (j, t) in rest.iter().enumerate() {
        let mut pts = vec![t.translation];
        if let Some(e) = skeleton.joints[j].end_site {
            pts.push(t.translation + t.rotation * e);
        }
        for p in pts {
            lo = lo.min(p.dot(up));
            hi = hi.max(p.dot(up));
        }
    }
    (hi - lo).max(1e-6)
}

/// Per joint: whether the segment from its parent to it is a body part to draw. Links longer
/// than 60 % of the skeleton's height are not (no limb is): they are placement links such as a
/// ground-level `Root` node to the hips metres away.
pub fn drawable_links(skeleton: &Skeleton) -> Vec<bool> {
    let rest = rest_pose(skeleton);
    let height = rest_height(skeleton, &rest);
    skeleton
        .joints
        .iter()
        .enumerate()
        .map(|(c, j)| {
            j.parent.is_some_and(|p| {
                (rest[c].translation - rest[p].translation).length() <= 0.6 * height
            })
        })
        .collect()
}

/// Builds the mannequin for `skeleton`. Joints beyond 65 535 are not skinned (none in practice).
pub fn build(skeleton: &Skeleton) -> MannequinMesh {
    build_filtered(skeleton, None)
}

/// The mannequin without the capsules driven by joint `head` (the face of
/// [`crate::mannequin_face`] takes their place).
pub fn build_without_head(skeleton: &Skeleton, head: usize) -> MannequinMesh {
    build_filtered(skeleton, Some(head))
}

fn build_filtered(skeleton: &Skeleton, skip_driver: Option<usize>) -> MannequinMesh {
    let n = skeleton.joints.len();
    let rest = rest_pose(skeleton);
    let mut out = MannequinMesh::default();
    if n == 0 || n > u16::MAX as usize {
        return out;
    }
    let height = rest_height(skeleton, &rest);
    let links = drawable_links(skeleton);
    let child_count: Vec<usize> = (0..n).map(|j| skeleton.children(j).count()).collect();

    // Bones: (driver joint, start, end, next joint at the tip if any).
    let mut bones: Vec<(usize, DVec3, DVec3, Option<usize>)> = Vec::new();
    for (c, joint) in skeleton.joints.iter().enumerate() {
        if let Some(p) = joint.parent
            && links[c]
        {
            bones.push((p, rest[p].translation, rest[c].translation, Some(c)));
        }
        if let Some(e) = joint.end_site {
            bones.push((
                c,
                rest[c].translation,
                rest[c].translation + rest[c].rotation * e,
                None,
            ));
        }
    }
    for (driver, a, b, next) in bones {
        if skip_driver == Some(driver) {
            continue;
        }
        let len = (b - a).length();
        if len < height * 0.01 {
            continue;
        }
        let name = skeleton.joints[driver].name.to_ascii_lowercase();
        // Limbs: thin for their length; torso bones (at a branching joint: pelvis, chest,
        // shoulders) much thicker.
        let mut r = (0.13 * len).clamp(0.025 * height, 0.042 * height);
        let branching = child_count[driver] >= 2 || next.is_some_and(|c| child_count[c] >= 2);
        if branching {
            r = 0.058 * height;
        }
        if next.is_none() && name.contains("head") {
            r = 0.5 * len;
        }
        // Blend towards the parent only through a drawn link.
        let grand = skeleton.joints[driver].parent.filter(|_| links[driver]);
        add_capsule(&mut out, a, b, r, driver, next, grand);
    }
    out.inverse_bindposes = rest
        .iter()
        .map(|t| {
            let m = glam::DMat4::from_rotation_translation(t.rotation, t.translation).inverse();
            m.as_mat4().to_cols_array()
        })
        .collect();
    out
}

/// Appends one capsule from `a` to `b` of radius `r`, skinned to `driver` with blends towards
/// `next` (at the tip) and `prev` (at the base).
fn add_capsule(
    out: &mut MannequinMesh,
    a: DVec3,
    b: DVec3,
    r: f64,
    driver: usize,
    next: Option<usize>,
    prev: Option<usize>,
) {
    let axis = (b - a).normalize();
    let len = (b - a).length();
    let helper = if axis.x.abs() < 0.9 {
        DVec3::X
    } else {
        DVec3::Y
    };
    let u = axis.cross(helper).normalize();
    let v = axis.cross(u);
    // Profile: (position along the axis from `a`, ring radius, normal axial component).
    let mut profile: Vec<(f64, f64, f64)> = Vec::new();
    for i in 0..=CAP_RINGS {
        let th = std::f64::consts::FRAC_PI_2 * (1.0 - i as f64 / CAP_RINGS as f64);
        profile.push((-r * th.sin(), r * th.cos(), -th.sin()));
    }
    for i in 1..BODY_RINGS {
        profile.push((len * i as f64 / BODY_RINGS as f64, r, 0.0));
    }
    for i in 0..=CAP_RINGS {
        let th = std::f64::consts::FRAC_PI_2 * i as f64 / CAP_RINGS as f64;
        profile.push((len + r * th.sin(), r * th.cos(), th.sin()));
    }
    let base = out.positions.len() as u32;
    for (s, ring_r, nz) in &profile {
        let t = s / len;
        // Weights: full on the driver, up to half towards the neighbours at the ends.
        let w_next = if next.is_some() {
            0.5 * smoothstep(0.7, 1.05, t)
        } else {
            0.0
        };
        let w_prev = if prev.is_some() {
            0.5 * (1.0 - smoothstep(-0.05, 0.3, t))
        } else {
            0.0
        };
        let w_drv = 1.0 - w_next - w_prev;
        let joints = [
            driver as u16,
            next.unwrap_or(driver) as u16,
            prev.unwrap_or(driver) as u16,
            driver as u16,
        ];
        let weights = [w_drv as f32, w_next as f32, w_prev as f32, 0.0];
        let nr = (1.0 - nz * nz).max(0.0).sqrt();
        for k in 0..SIDES {
            let ang = std::f64::consts::TAU * k as f64 / SIDES as f64;
            let radial = u * ang.cos() + v * ang.sin();
            let p = a + axis * *s + radial * *ring_r;
            let nrm = (radial * nr + axis * *nz).normalize_or_zero();
            out.positions.push(p.as_vec3().to_array());
            out.normals.push(nrm.as_vec3().to_array());
            out.joints.push(joints);
            out.weights.push(weights);
        }
    }
    let rings = profile.len() as u32;
    let sides = SIDES as u32;
    for i in 0..rings - 1 {
        for k in 0..sides {
            let k1 = (k + 1) % sides;
            let (p0, p1) = (base + i * sides + k, base + i * sides + k1);
            let (q0, q1) = (base + (i + 1) * sides + k, base + (i + 1) * sides + k1);
            // Counter-clockwise seen from outside.
            out.indices.extend_from_slice(&[p0, p1, q1, p0, q1, q0]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_data::{Channel, Joint, LengthUnit, UpAxis};

    /// Pelvis with a spine and two legs, centimetres, Y-up.
    fn little_body() -> Skeleton {
        let mut hips = Joint::new("Hips", None, DVec3::new(0.0, 95.0, 0.0));
        hips.channels = Channel::POSITION_ROTATION_ZXY.to_vec();
        let mut joints = vec![hips];
        let mut add = |name: &str, parent: usize, offset: DVec3, end: Option<DVec3>| {
            let mut j = Joint::new(name, Some(parent), offset);
            j.channels = Channel::ROTATION_ZXY.to_vec();
            j.end_site = end;
            joints.push(j);
            joints.len() - 1
        };
        let spine = add("Spine", 0, DVec3::new(0.0, 10.0, 0.0), None);
        add(
            "Head",
            spine,
            DVec3::new(0.0, 50.0, 0.0),
            Some(DVec3::new(0.0, 20.0, 0.0)),
        );
        for side in [-1.0, 1.0] {
            let up = add("UpLeg", 0, DVec3::new(side * 10.0, -5.0, 0.0), None);
            add(
                "Leg",
                up,
                DVec3::new(0.0, -45.0, 0.0),
                Some(DVec3::new(0.0, -45.0, 0.0)),
            );
        }
        Skeleton {
            joints,
            unit: LengthUnit::Centimetre,
            up_axis: UpAxis::Y,
        }
    }

    #[test]
    fn weights_normalised_indices_valid_bindposes_per_joint() {
        let sk = little_body();
        let m = build(&sk);
        assert!(!m.positions.is_empty());
        assert_eq!(m.positions.len(), m.normals.len());
        assert_eq!(m.positions.len(), m.joints.len());
        assert_eq!(m.positions.len(), m.weights.len());
        assert_eq!(m.inverse_bindposes.len(), sk.joints.len());
        for (w, j) in m.weights.iter().zip(&m.joints) {
            assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            assert!(j.iter().all(|&i| (i as usize) < sk.joints.len()));
        }
        assert!(m.indices.iter().all(|&i| (i as usize) < m.positions.len()));
        assert_eq!(m.indices.len() % 3, 0);
        let h = rest_height(&sk, &rest_pose(&sk));
        assert!((h - 175.0).abs() < 1e-9, "{h}");
    }

    #[test]
    fn glb_export_parses_with_every_joint() {
        let sk = little_body();
        let mut motion = Motion::zeros(&sk, 3, mocap_data::FrameRate::FPS_30).expect("motion");
        motion.frame_mut(1)[1] = 96.0;
        let bytes = to_glb(&sk, &motion, "Walk").expect("GLB");
        let g = gltf::Gltf::from_slice(&bytes).expect("parses");
        assert_eq!(
            g.skins().next().map(|s| s.joints().count()),
            Some(sk.joints.len())
        );
        assert_eq!(
            g.animations()
                .next()
                .and_then(|a| a.name().map(String::from)),
            Some("Walk".into())
        );
    }
}
