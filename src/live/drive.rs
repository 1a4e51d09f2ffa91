//! Characters driven live: the character plugin retargets a take's whole motion once, when the
//! character is spawned; the live take's motion ring scrolls every update, so this retargets the
//! frames that arrived (through the same `mocap_solver::retarget` and bone maps) and scrolls
//! each driven character's retargeted ring with it.

use bevy::prelude::*;
use mocap_data::Motion;
use mocap_solver::retarget::{BoneMap, RetargetedMotion, retarget};

use super::LiveLink;
use crate::character::CharacterDrive;
use crate::model::scene::CharacterModel;
use crate::model::session::Session;

/// Retargets the live take's newest motion frames onto every driven character.
pub(super) fn drive_live_characters(
    link: Res<LiveLink>,
    session: Res<Session>,
    mut chars: Query<(&CharacterModel, &mut CharacterDrive)>,
    mut maps: Local<Vec<BoneMap>>,
) {
    let shift = link.motion_shift;
    if shift == 0 || !link.following || link.generation != Some(session.generation) {
        return;
    }
    let Some(take) = &session.take else { return };
    if maps.is_empty() {
        *maps = BoneMap::presets();
    }
    for (model, mut drive) in &mut chars {
        let Some((sk, motion)) = take.actor(model.actor) else {
            continue;
        };
        let frames = motion.frame_count();
        if drive.retarget.motion.frame_count != frames || frames == 0 {
            continue;
        }
        let n = shift.min(frames);
        let (Some(source_map), Some(target_map)) = (
            maps.iter().find(|m| m.name == drive.retarget.source_map),
            maps.iter().find(|m| m.name == drive.retarget.target_map),
        ) else {
            continue;
        };
        let cpf = motion.channels_per_frame;
        let Ok(mut newest) = Motion::zeros(sk, n, motion.rate) else {
            continue;
        };
        newest
            .values
            .copy_from_slice(&motion.values[(frames - n) * cpf..frames * cpf]);
        let Ok(r) = retarget(
            sk,
            &newest,
            source_map,
            &drive.retarget.target.skeleton,
            target_map,
        ) else {
            continue;
        };
        scroll_in(&mut drive.retarget.motion, &r, n);
    }
}

/// Scrolls `ring` by `n` frames and writes `newest`'s `n` frames at its end.
fn scroll_in(ring: &mut RetargetedMotion, newest: &RetargetedMotion, n: usize) {
    let joints = ring.joint_names.len();
    if newest.joint_names.len() != joints || newest.frame_count != n {
        return;
    }
    shift_in(
        &mut ring.local_rotations,
        &newest.local_rotations,
        n * joints,
    );
    shift_in(&mut ring.root_translations, &newest.root_translations, n);
    shift_in(&mut ring.hips_world, &newest.hips_world, n);
}

/// Moves `v` `new.len()` items earlier and writes `new` at its end (when the sizes fit).
fn shift_in<T: Copy>(v: &mut [T], new: &[T], items: usize) {
    let len = v.len();
    if new.len() != items || len < items {
        return;
    }
    v.copy_within(items.., 0);
    v[len - items..].copy_from_slice(new);
}
