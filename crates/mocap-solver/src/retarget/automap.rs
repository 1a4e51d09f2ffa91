//! Automatic bone mapping for any humanoid: the skeleton's topology (hips as the branching
//! root of two legs and a spine, the spine branching into two arms and a neck, limb chains
//! followed to their first branching joint) decides which joint plays each canonical bone;
//! name tokens across the conventions people ship (Mixamo `LeftArm`, VRM `leftUpperArm`,
//! Unreal `upperarm_l`, Unity `LeftUpperArm`, Rigify `upper_arm.L`, Daz `lShldr`, CMU
//! `lhumerus`, Bandai `UpperArm_L`, `UpperArmL`, numbered or prefixed names) decide the hips,
//! left from right, and raise each bone's confidence when they agree with its role.

use super::bones::{BoneMap, HumanBone};
use super::rest_pose;
use crate::SolverError;
use mocap_data::{Skeleton, UpAxis};
use std::collections::BTreeMap;

/// A bone map found automatically, with a confidence per bone.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoMap {
    /// The map (name `auto`).
    pub map: BoneMap,
    /// Per mapped bone, 0–1: 1 when the joint's name says the bone (and side), 0.75 when it says
    /// the limb or side only, 0.5 when only the topology placed it.
    pub confidence: BTreeMap<HumanBone, f32>,
}

/// Lower-case name tokens: namespace dropped (`mixamorig:`), split at `_ . - :` and spaces,
/// at lower→upper case changes and between letters and digits (`UpperArmL` → upper arm l,
/// `lShldr` → l shldr, `Spine01` → spine 01).
pub fn tokens(name: &str) -> Vec<String> {
    let bare = name.rsplit(':').next().unwrap_or(name);
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev: Option<char> = None;
    for c in bare.chars() {
        let split = match prev {
            _ if !c.is_alphanumeric() => true,
            Some(p) => {
                (p.is_lowercase() && c.is_uppercase()) || (p.is_ascii_digit() != c.is_ascii_digit())
            }
            None => false,
        };
        if split && !cur.is_empty() {
            out.push(std::mem::take(&mut cur).to_lowercase());
        }
        if c.is_alphanumeric() {
            cur.push(c);
        }
        prev = Some(c);
    }
    if !cur.is_empty() {
        out.push(cur.to_lowercase());
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

fn is_side_token(s: &str) -> Option<Side> {
    match s {
        "l" | "left" | "lf" => Some(Side::Left),
        "r" | "right" | "rt" => Some(Side::Right),
        _ => None,
    }
}

/// The words of a name without side tokens and numbers, joined (`upper_arm.L` → `upperarm`).
fn joined_words(t: &[String]) -> String {
    t.iter()
        .filter(|s| is_side_token(s).is_none() && !s.chars().all(|c| c.is_ascii_digit()))
        .map(String::as_str)
        .collect()
}

/// Known joined words per side-free bone, longest first where one contains another.
const WORDS: &[(&[&str], HumanBone)] = &[
    (&["hips", "hip", "pelvis"], HumanBone::Hips),
    (&["head"], HumanBone::Head),
    (&["neck", "lowerneck", "upperneck"], HumanBone::Neck),
    (
        &["forearm", "lowerarm", "radius", "elbow"],
        HumanBone::LeftLowerArm,
    ),
    (
        &["upperarm", "humerus", "shldr", "bicep", "arm"],
        HumanBone::LeftUpperArm,
    ),
    (
        &["shoulder", "clavicle", "collar", "clav"],
        HumanBone::LeftShoulder,
    ),
    (&["hand", "wrist"], HumanBone::LeftHand),
    (
        &["upleg", "upperleg", "thigh", "femur"],
        HumanBone::LeftUpperLeg,
    ),
    (
        &["lowerleg", "calf", "shin", "knee", "tibia", "leg"],
        HumanBone::LeftLowerLeg,
    ),
    (&["foot", "ankle"], HumanBone::LeftFoot),
    (&["toe", "toes", "toebase", "ball"], HumanBone::LeftToes),
    (
        &[
            "spine",
            "chest",
            "torso",
            "abdomen",
            "back",
            "lowerback",
            "upperback",
            "thorax",
            "abdomen",
        ],
        HumanBone::Spine,
    ),
];

fn lookup(word: &str) -> Option<HumanBone> {
    WORDS
        .iter()
        .find(|(w, _)| w.contains(&word))
        .map(|(_, b)| *b)
}

/// The side a name says: a side token, or a CMU/Daz-style `l`/`r` glued to a known word
/// (`lhumerus`, `rradius`).
fn side(t: &[String]) -> Option<Side> {
    let sides: Vec<Side> = t.iter().filter_map(|s| is_side_token(s)).collect();
    match sides.as_slice() {
        [s] => return Some(*s),
        [] => {}
        _ => return None,
    }
    let j = joined_words(t);
    if lookup(&j).is_none() && j.len() > 1 && lookup(&j[1..]).is_some() {
        return match j.as_bytes()[0] {
            b'l' => Some(Side::Left),
            b'r' => Some(Side::Right),
            _ => None,
        };
    }
    None
}

fn has(t: &[String], words: &[&str]) -> bool {
    t.iter().any(|s| words.contains(&s.as_str()))
}

/// The side-free bone a name says, if any (`None` for unknown words). Hands' and feet's
/// children (fingers, twist and end helpers) say nothing.
fn named(t: &[String]) -> Option<HumanBone> {
    if has(
        t,
        &[
            "thumb", "index", "middle", "ring", "pinky", "finger", "fingers", "twist", "end",
            "nub", "ik", "pole", "tail",
        ],
    ) {
        return None;
    }
    let j = joined_words(t);
    lookup(&j)
        .or_else(|| (j.len() > 1).then(|| lookup(&j[1..])).flatten())
        .or_else(|| t.iter().rev().find_map(|w| lookup(w)))
}

fn sided(b: HumanBone, s: Side) -> HumanBone {
    if b.is_central() || (s == Side::Left) == b.is_left() {
        b
    } else {
        b.mirror()
    }
}

/// Follows the chain from `j` through single children (or, at a branch, the child with the
/// deepest subtree) until a joint with two or more children or an end; returns the path.
fn chain(
    children: &[Vec<usize>],
    depth: &[usize],
    mut j: usize,
    stop_at_branch: bool,
) -> Vec<usize> {
    let mut out = vec![j];
    loop {
        let c = &children[j];
        if c.is_empty() || (stop_at_branch && c.len() >= 2) {
            return out;
        }
        j = *c.iter().max_by_key(|&&k| depth[k]).unwrap_or(&c[0]);
        out.push(j);
    }
}

fn not_humanoid(sk: &Skeleton, why: &str) -> SolverError {
    SolverError::BoneMap(format!(
        "not a humanoid: {why} (skeleton rooted at {:?}, {} joints); a humanoid needs hips \
         branching into two legs and a spine, the spine into two arms and a head",
        sk.joints.first().map(|j| j.name.as_str()).unwrap_or(""),
        sk.joints.len()
    ))
}

/// Maps `sk`'s joints to the canonical humanoid bones from its topology and names. Errors with
/// "not a humanoid" when no hips branch into two legs and a spine that branches into two arms
/// and a head, or when the spine lies along the ground (a quadruped such as Fox.glb).
// long function: one pass in the order the topology decides (hips, legs, spine, arms, head, then
// names for what topology leaves open); each step reads the joints the previous ones found.
pub fn automap(sk: &Skeleton) -> Result<AutoMap, SolverError> {
    let n = sk.joints.len();
    let toks: Vec<Vec<String>> = sk.joints.iter().map(|j| tokens(&j.name)).collect();
    let mut children = vec![Vec::new(); n];
    for (i, j) in sk.joints.iter().enumerate() {
        if let Some(p) = j.parent.filter(|&p| p < i) {
            children[p].push(i);
        }
    }
    // Subtree depth (joints are parents-first).
    let mut depth = vec![0usize; n];
    for i in (0..n).rev() {
        depth[i] = children[i].iter().map(|&c| depth[c] + 1).max().unwrap_or(0);
    }
    let tail = |j: usize| has(&toks[j], &["tail"]);
    // Hips: a joint named hips/pelvis that branches, else the first joint with three or more
    // non-tail children.
    let branches = |j: usize| children[j].iter().filter(|&&c| !tail(c)).count();
    let hips = (0..n)
        .find(|&j| named(&toks[j]) == Some(HumanBone::Hips) && branches(j) >= 3)
        .or_else(|| (0..n).find(|&j| branches(j) >= 3))
        .ok_or_else(|| not_humanoid(sk, "no joint branches into legs and a spine"))?;
    let rest = rest_pose(sk);
    let pos = |j: usize| rest[j].translation;
    let up = match sk.up_axis {
        UpAxis::Y => glam::DVec3::Y,
        UpAxis::Z => glam::DVec3::Z,
    };
    // Among the hips' children: the spine is the one whose chain reaches highest, the legs the
    // two deepest of the rest.
    let kids: Vec<usize> = children[hips]
        .iter()
        .copied()
        .filter(|&c| !tail(c))
        .collect();
    let top_of = |c: usize| -> f64 {
        let mut best = f64::NEG_INFINITY;
        let mut stack = vec![c];
        while let Some(k) = stack.pop() {
            best = best.max(pos(k).dot(up));
            stack.extend(&children[k]);
        }
        best
    };
    let spine_root = *kids
        .iter()
        .max_by(|&&a, &&b| top_of(a).total_cmp(&top_of(b)))
        .ok_or_else(|| not_humanoid(sk, "the hips have no children"))?;
    let mut legs: Vec<usize> = kids.iter().copied().filter(|&c| c != spine_root).collect();
    legs.sort_by_key(|&c| std::cmp::Reverse(depth[c]));
    legs.truncate(2);
    if legs.len() < 2 {
        return Err(not_humanoid(sk, "fewer than two legs under the hips"));
    }
    // Spine to the branch into arms and neck.
    let spine = chain(&children, &depth, spine_root, true);
    let branch = *spine.last().unwrap_or(&spine_root);
    if children[branch].len() < 3 {
        return Err(not_humanoid(
            sk,
            "the spine does not branch into two arms and a neck",
        ));
    }
    let arm_and_neck = &children[branch];
    let neck_root = *arm_and_neck
        .iter()
        .max_by(|&&a, &&b| top_of(a).total_cmp(&top_of(b)))
        .unwrap_or(&arm_and_neck[0]);
    let mut arms: Vec<usize> = arm_and_neck
        .iter()
        .copied()
        .filter(|&c| c != neck_root)
        .collect();
    arms.sort_by_key(|&c| std::cmp::Reverse(depth[c]));
    arms.truncate(2);
    if arms.len() < 2 {
        return Err(not_humanoid(sk, "fewer than two arms"));
    }
    let neck = chain(&children, &depth, neck_root, false);
    let head_end = *neck.last().unwrap_or(&neck_root);
    let spine_dir = (pos(head_end) - pos(hips)).normalize_or_zero();
    if spine_dir.dot(up) < 0.7 {
        let t = if (0..n).any(tail) {
            ", and it has a tail"
        } else {
            ""
        };
        return Err(not_humanoid(
            sk,
            &format!(
                "the spine from {:?} to {:?} runs along the ground, not upwards{t} (a quadruped?)",
                sk.joints[hips].name, sk.joints[head_end].name
            ),
        ));
    }
    let mut roles: Vec<(HumanBone, usize)> = vec![(HumanBone::Hips, hips)];
    // Central chain hips → branch: spine, chest, upper chest (numbered spines in order).
    let central: Vec<usize> = spine.iter().copied().filter(|&j| j != hips).collect();
    match central.len() {
        0 => {}
        1 => roles.push((HumanBone::Spine, central[0])),
        2 => roles.extend([
            (HumanBone::Spine, central[0]),
            (HumanBone::Chest, central[1]),
        ]),
        k => roles.extend([
            (HumanBone::Spine, central[0]),
            (HumanBone::Chest, central[k - 2]),
            (HumanBone::UpperChest, central[k - 1]),
        ]),
    }
    let head = neck
        .iter()
        .copied()
        .find(|&j| named(&toks[j]) == Some(HumanBone::Head))
        .unwrap_or(if neck.len() >= 2 { neck[1] } else { neck[0] });
    if head != neck[0] {
        roles.push((HumanBone::Neck, neck[0]));
    }
    roles.push((HumanBone::Head, head));
    // Sides: names, else the rest pose (a glTF/VRM character faces +Z with Y up: left is +X).
    let lateral = |j: usize| -> f64 { (pos(j) - pos(hips)).x };
    let side_of = |root: usize, other: usize| -> Side {
        let named_side = chain(&children, &depth, root, true)
            .iter()
            .find_map(|&j| side(&toks[j]));
        named_side.unwrap_or(if lateral(root) >= lateral(other) {
            Side::Left
        } else {
            Side::Right
        })
    };
    use HumanBone::*;
    for (k, &arm) in arms.iter().enumerate() {
        let s = side_of(arm, arms[1 - k]);
        let c = chain(&children, &depth, arm, true);
        let bones: &[HumanBone] = match c.len() {
            0..=2 => &[LeftUpperArm, LeftLowerArm][..c.len()],
            3 => &[LeftUpperArm, LeftLowerArm, LeftHand],
            _ => &[LeftShoulder, LeftUpperArm, LeftLowerArm, LeftHand],
        };
        roles.extend(bones.iter().zip(&c).map(|(b, &j)| (sided(*b, s), j)));
    }
    for (k, &leg) in legs.iter().enumerate() {
        let s = side_of(leg, legs[1 - k]);
        let c = chain(&children, &depth, leg, true);
        let bones = [LeftUpperLeg, LeftLowerLeg, LeftFoot, LeftToes];
        roles.extend(bones.iter().zip(&c).map(|(b, &j)| (sided(*b, s), j)));
    }
    Ok(with_confidence(sk, &toks, roles))
}

/// The map of `roles` (bone → joint), each bone's confidence from what its joint's name says.
fn with_confidence(sk: &Skeleton, toks: &[Vec<String>], roles: Vec<(HumanBone, usize)>) -> AutoMap {
    use HumanBone::*;
    let mut map = BoneMap {
        name: "auto".into(),
        description: "found from the skeleton's topology and joint names".into(),
        bones: BTreeMap::new(),
    };
    let mut confidence = BTreeMap::new();
    for (bone, j) in roles {
        let t = &toks[j];
        let says = named(t).map(|b| match side(t) {
            Some(s) => sided(b, s),
            None => b,
        });
        let same_kind = |a: HumanBone, b: HumanBone| a == b || a == b.mirror();
        let c = match says {
            Some(b)
                if b == bone
                    || (bone.is_central()
                        && b.is_central()
                        && !matches!(b, Hips | Neck | Head)) =>
            {
                1.0
            }
            Some(b) if same_kind(b, bone) && side(t).is_none() => 0.9,
            _ if side(t).is_some() || says.is_some() => 0.75,
            _ => 0.5,
        };
        map.bones.insert(bone, sk.joints[j].name.clone());
        confidence.insert(bone, c);
    }
    AutoMap { map, confidence }
}

#[cfg(test)]
mod tests {
    use super::*;
    use HumanBone::*;

    /// What one joint name says (bone and side), as the mapper reads it.
    fn says(name: &str) -> Option<HumanBone> {
        let t = tokens(name);
        named(&t).map(|b| match side(&t) {
            Some(s) => sided(b, s),
            None => b,
        })
    }

    #[test]
    fn names_across_conventions() {
        let table: &[(&str, HumanBone)] = &[
            // Mixamo (prefixed, numbered)
            ("mixamorig:LeftArm", LeftUpperArm),
            ("mixamorig1:RightForeArm", RightLowerArm),
            ("mixamorig:LeftUpLeg", LeftUpperLeg),
            ("mixamorig:RightLeg", RightLowerLeg),
            ("mixamorig:LeftToeBase", LeftToes),
            // VRM / Unity Humanoid
            ("leftUpperArm", LeftUpperArm),
            ("RightLowerLeg", RightLowerLeg),
            ("LeftShoulder", LeftShoulder),
            // Unreal Manny/Quinn
            ("upperarm_l", LeftUpperArm),
            ("lowerarm_r", RightLowerArm),
            ("thigh_l", LeftUpperLeg),
            ("calf_r", RightLowerLeg),
            ("clavicle_l", LeftShoulder),
            ("ball_r", RightToes),
            ("pelvis", Hips),
            // Rigify
            ("upper_arm.L", LeftUpperArm),
            ("forearm.R", RightLowerArm),
            ("thigh.L", LeftUpperLeg),
            ("shin.R", RightLowerLeg),
            // Daz
            ("lShldr", LeftUpperArm),
            ("rForeArm", RightLowerArm),
            ("lThigh", LeftUpperLeg),
            ("rShin", RightLowerLeg),
            ("lCollar", LeftShoulder),
            // CMU ASF
            ("lhumerus", LeftUpperArm),
            ("rradius", RightLowerArm),
            ("lfemur", LeftUpperLeg),
            ("rtibia", RightLowerLeg),
            // Bandai, three.js robot
            ("UpperArm_L", LeftUpperArm),
            ("LowerLeg_R", RightLowerLeg),
            ("UpperArmL", LeftUpperArm),
            ("LowerLegR", RightLowerLeg),
            ("UpperLegL", LeftUpperLeg),
            ("Hips", Hips),
            ("Head", Head),
        ];
        let wrong: Vec<String> = table
            .iter()
            .filter(|(n, b)| says(n) != Some(*b))
            .map(|(n, b)| format!("{n}: {:?}, want {b:?} (tokens {:?})", says(n), tokens(n)))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        assert_eq!(
            tokens("Skeleton_arm_joint_L__4_"),
            ["skeleton", "arm", "joint", "l", "4"]
        );
    }
}
