//! Skeletons in the viewport: joint entities posed from the take's motion each frame and bones drawn between them.

#[allow(unused_imports)]
use super::*;

pub(crate) fn pose_skeleton(
    session: Res<Session>,
    playback: Res<Playback>,
    mut joints: Query<(&JointEntity, &mut Transform)>,
) {
    let Some(take) = &session.take else { return };
    // Per actor: skeleton, its frame's values and channel offsets (None: nothing to pose).
    let posed: Vec<Option<(&mocap_data::Skeleton, &[f32], Vec<usize>)>> = (0..=take.actors.len())
        .map(|k| {
            let (sk, motion) = take.actor(k)?;
            if motion.frame_count() == 0 || motion.channels_per_frame != sk.channel_count() {
                return None;
            }
            let f = crate::model::session::motion_frame(
                take.rate,
                playback.frame(),
                motion.rate,
                motion.frame_count(),
            );
            Some((sk, motion.frame(f), sk.channel_offsets()))
        })
        .collect();
    for (je, mut t) in &mut joints {
        let Some(Some((sk, values, offsets))) = posed.get(je.actor) else {
            continue;
        };
        let Some(joint) = sk.joints.get(je.index) else {
            continue;
        };
        let start = offsets[je.index];
        let vals = values
            .get(start..start + joint.channels.len())
            .unwrap_or(&[]);
        let (r, tr) = mocap_data::fk::local_transform(sk, je.index, vals);
        t.translation = to_vec3(tr);
        t.rotation = to_quat(r);
    }
}

/// Per actor, which parent→joint links are drawn as bones (see [`mannequin::drawable_links`]).
#[derive(Resource, Debug, Default, Clone)]
pub struct BoneLinks(pub Vec<Vec<bool>>);

pub(crate) fn draw_bones(
    session: Res<Session>,
    settings: Res<Settings>,
    selection: Res<Selection>,
    links: Res<BoneLinks>,
    joints: Query<(&JointEntity, &GlobalTransform)>,
    mut gizmos: Gizmos,
    characters: Option<Res<CharacterStatus>>,
) {
    // A driven glTF character shows the motion instead (see `CharacterStatus`).
    if !settings.show_bones || characters.is_some_and(|c| c.driven > 0) {
        return;
    }
    let Some(take) = session.take.as_ref() else {
        return;
    };
    let colour = srgb(settings.colours.bones);
    for k in 0..=take.actors.len() {
        let Some((sk, _)) = take.actor(k) else {
            continue;
        };
        let mut world: Vec<Option<GlobalTransform>> = vec![None; sk.joints.len()];
        for (je, gt) in &joints {
            if je.actor == k
                && let Some(slot) = world.get_mut(je.index)
            {
                *slot = Some(*gt);
            }
        }
        let drawn = links.0.get(k);
        for (i, j) in sk.joints.iter().enumerate() {
            let Some(gt) = world[i] else { continue };
            let p = gt.translation();
            if let Some(parent) = j.parent.and_then(|p| world[p])
                && drawn.and_then(|l| l.get(i)).copied().unwrap_or(true)
            {
                gizmos.line(parent.translation(), p, colour);
            }
            if let Some(e) = j.end_site {
                gizmos.line(p, gt.transform_point(to_vec3(e)), colour);
            }
            gizmos.sphere(Isometry3d::from_translation(p), 0.012, colour);
            if selection.joint == Some(i) && selection.actor == k {
                let c = srgb(settings.colours.marker_selected);
                gizmos.sphere(Isometry3d::from_translation(p), 0.03, c);
                gizmos.sphere(Isometry3d::from_translation(p), 0.034, c);
            }
        }
    }
}
