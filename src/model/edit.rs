//! Undoable edits: every command that edits data is an [`EditCommand`]; the history plugin
//! applies it and records its inverse. [`HistoryCommand`] undoes and redoes.

use bevy::prelude::*;
use mocap_data::{FrameIndex, Timecode};

use crate::model::session::Take;

/// An edit of the active take. Each variant carries the new value; its inverse is computed when
/// it is applied.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum EditCommand {
    /// Set or clear the in point (first frame of the working range).
    SetInPoint(Option<FrameIndex>),
    /// Set or clear the out point (last frame of the working range, inclusive).
    SetOutPoint(Option<FrameIndex>),
    /// Change the timecode of frame 0.
    SetStartTimecode(Timecode),
    /// An edit of the take library (status, notes, metadata); applied to the open library by
    /// [`apply_edits`], recorded in its ledger. Undo applies the library's inverse command.
    Library(take_library::Command),
    /// Replace the take's clean-up operation stack (add, remove, toggle, reorder or edit an
    /// operation). `merge` groups a run of edits (dragging a slider) into one undo step: an edit
    /// with the same key as the previous one replaces it instead of stacking.
    SetCleanupStack {
        /// The new stack.
        stack: Box<mocap_solver::stack::OpStack>,
        /// What changed, for the Edit menu ("Add FillGaps", "Edit Lowpass").
        what: String,
        /// Merge key (e.g. the entry index of a parameter being dragged); `None`: never merged.
        merge: Option<u64>,
    },
    /// Replace the take's re-solved motion (the clean-up stack's solve result; `None`: back to
    /// the motion the take was opened with). One edit for a whole re-solve.
    SetSolvedMotion {
        /// The new solve result.
        solved: Option<std::sync::Arc<mocap_solver::resolve::SolvedMotion>>,
        /// What changed, for the Edit menu.
        what: String,
    },
    /// Rename marker `index`.
    RenameMarker {
        /// Marker index in the take's trajectories.
        index: usize,
        /// The new label.
        label: String,
    },
    /// A change of the `lang` subtitle track ([`crate::model::subtitles::SubtitleTracks`]), applied
    /// (`undo` false) or reverted (`undo` true); its inverse is the same change with `undo`
    /// flipped. Not bound to the take: subtitles outlive a take reload.
    Subtitle {
        /// Language of the track.
        lang: String,
        /// The recorded cue edit or QC fixes.
        change: crate::model::subtitles::SubtitleChange,
        /// Revert instead of apply.
        undo: bool,
    },
    /// Give humanoid bone `bone` of the character loaded from `character` to its joint `joint`
    /// (`None`: unmap it), in [`crate::model::bonemap::CharacterBoneMaps`]; the character's
    /// retarget is rebuilt. Not bound to the take: characters outlive a take reload. With a
    /// motion file (BVH, AMC) as `character`, the take's skeleton's map (the retarget's source)
    /// is edited instead, and every character it drives is rebuilt.
    SetBone {
        /// The character's file (or the motion's).
        character: std::path::PathBuf,
        /// The bone.
        bone: mocap_solver::retarget::HumanBone,
        /// The character's joint name (glTF node name).
        joint: Option<String>,
    },
    /// Set several bones of the character loaded from `character` exactly as listed, in order
    /// (the inverse of [`EditCommand::SetBone`], which also unmaps a bone it takes a joint from).
    SetBones {
        /// The character's file.
        character: std::path::PathBuf,
        /// Bone → joint name (`None`: unmapped), applied in order.
        bones: Vec<(mocap_solver::retarget::HumanBone, Option<String>)>,
    },
    /// Drive morph target `target` of the character loaded from `character` by `terms` (empty:
    /// undriven), in [`crate::model::facemap::CharacterFaceMaps`]; its meshes are re-bound. Not
    /// bound to the take: characters outlive a take reload. The inverse is the same edit with the
    /// terms the target had.
    SetMorph {
        /// The character's file ([`crate::model::facemap::MANNEQUIN`] for the built-in one).
        character: std::path::PathBuf,
        /// The morph target's name.
        target: String,
        /// (index into `mocap_data::face::ARKIT_BLENDSHAPES`, gain) terms: weight = Σ gain ·
        /// channel weight, clamped to 0–1.
        terms: Vec<(usize, f32)>,
    },
    /// Set the length unit of actor `actor`'s skeleton (0: the primary one): BVH states none,
    /// so the guess can be wrong. Offsets and root translations are in that unit, so the
    /// skeleton is placed again at the new size in the markers' world.
    SetSkeletonUnit {
        /// The actor (0: the take's primary skeleton).
        actor: usize,
        /// The unit of its offsets and position channels.
        unit: mocap_data::LengthUnit,
    },
}

impl EditCommand {
    /// Short description for the Edit menu ("Undo Set in point").
    pub fn describe(&self) -> String {
        match self {
            Self::SetInPoint(Some(f)) => format!("Set in point to {f}"),
            Self::SetInPoint(None) => "Clear in point".into(),
            Self::SetOutPoint(Some(f)) => format!("Set out point to {f}"),
            Self::SetOutPoint(None) => "Clear out point".into(),
            Self::SetStartTimecode(tc) => format!("Set start timecode to {tc}"),
            Self::RenameMarker { label, .. } => format!("Rename marker to {label}"),
            Self::Library(c) => describe_library(c),
            Self::SetCleanupStack { what, .. } | Self::SetSolvedMotion { what, .. } => what.clone(),
            Self::SetBone {
                bone,
                joint: Some(j),
                ..
            } => format!("Map {} to {j}", bone.name()),
            Self::SetBone {
                bone, joint: None, ..
            } => format!("Unmap {}", bone.name()),
            Self::SetBones { .. } => "Restore bone map".into(),
            Self::SetMorph { target, terms, .. } => match terms.as_slice() {
                [] => format!("Undrive morph {target}"),
                [(c, _)] => format!(
                    "Drive morph {target} by {}",
                    mocap_data::face::ARKIT_BLENDSHAPES
                        .get(*c)
                        .copied()
                        .unwrap_or("?")
                ),
                t => format!("Drive morph {target} by {} channels", t.len()),
            },
            Self::SetSkeletonUnit { unit, .. } => format!("Set skeleton unit to {unit}"),
            Self::Subtitle { lang, change, undo } => {
                format!(
                    "{}{} ({lang})",
                    if *undo { "Revert " } else { "" },
                    change.describe()
                )
            }
        }
    }

    /// Whether the edit changes the subtitle tracks rather than the loaded take.
    pub fn is_subtitle(&self) -> bool {
        matches!(self, Self::Subtitle { .. })
    }

    /// Applies a subtitle edit; returns the edit that undoes it.
    pub fn apply_to_subtitles(
        &self,
        tracks: &mut crate::model::subtitles::SubtitleTracks,
    ) -> Result<EditCommand, String> {
        match self {
            Self::Subtitle { lang, change, undo } => {
                tracks.apply_change(lang, change, *undo)?;
                Ok(Self::Subtitle {
                    lang: lang.clone(),
                    change: change.clone(),
                    undo: !*undo,
                })
            }
            _ => Err("not a subtitle edit".into()),
        }
    }

    /// Whether the edit changes a character's bone map rather than the loaded take.
    pub fn is_bone_map(&self) -> bool {
        matches!(self, Self::SetBone { .. } | Self::SetBones { .. })
    }

    /// Applies a bone map edit; returns the edit that undoes it.
    pub fn apply_to_bone_maps(
        &self,
        maps: &mut crate::model::bonemap::CharacterBoneMaps,
    ) -> Result<EditCommand, String> {
        let (character, changes) = match self {
            Self::SetBone {
                character,
                bone,
                joint,
            } => (character, vec![(*bone, joint.clone())]),
            Self::SetBones { character, bones } => (character, bones.clone()),
            _ => return Err("not a bone map edit".into()),
        };
        let m = maps.get_mut(character).ok_or_else(|| {
            format!(
                "{} has no bone map yet (is it loaded?)",
                character.display()
            )
        })?;
        if let Some(j) = changes
            .iter()
            .filter_map(|(_, j)| j.as_ref())
            .find(|j| !m.joints.contains(j))
        {
            return Err(format!("the skeleton has no joint {j:?}"));
        }
        let mut undo = Vec::new();
        for (bone, joint) in &changes {
            undo.push((*bone, m.set_bone(*bone, joint.clone())));
        }
        // A joint plays one bone: the bone it is taken from is unmapped (restored by undo).
        if let Self::SetBone {
            bone,
            joint: Some(j),
            ..
        } = self
        {
            let taken: Vec<_> = m
                .map
                .bones
                .iter()
                .filter(|(b, n)| *b != bone && *n == j)
                .map(|(b, _)| *b)
                .collect();
            for b in taken {
                m.set_bone(b, None);
                undo.push((b, Some(j.clone())));
            }
            // Restore the edited bone first: that frees the joint for the bone it was taken from.
            return Ok(Self::SetBones {
                character: character.clone(),
                bones: undo,
            });
        }
        undo.reverse();
        Ok(Self::SetBones {
            character: character.clone(),
            bones: undo,
        })
    }

    /// Whether the edit changes a character's face map rather than the loaded take.
    pub fn is_face_map(&self) -> bool {
        matches!(self, Self::SetMorph { .. })
    }

    /// Applies a face map edit; returns the edit that undoes it.
    pub fn apply_to_face_maps(
        &self,
        maps: &mut crate::model::facemap::CharacterFaceMaps,
    ) -> Result<EditCommand, String> {
        let Self::SetMorph {
            character,
            target,
            terms,
        } = self
        else {
            return Err("not a face map edit".into());
        };
        let m = maps.maps.get_mut(character).ok_or_else(|| {
            format!(
                "{} has no face map yet (is it loaded?)",
                character.display()
            )
        })?;
        let before = m.set_terms(target, terms.clone())?;
        Ok(Self::SetMorph {
            character: character.clone(),
            target: target.clone(),
            terms: before,
        })
    }

    /// Whether the edit changes the take library rather than the loaded take.
    pub fn is_library(&self) -> bool {
        matches!(self, Self::Library(_))
    }

    /// What Redo re-applies after this edit was undone with `undo_result` (what applying the
    /// inverse returned). Usually the edit itself; a note that was added and then retracted is
    /// brought back (the same note) rather than added a second time.
    pub fn redo_after_undo(&self, undo_result: EditCommand) -> EditCommand {
        match (self, &undo_result) {
            (
                Self::Library(take_library::Command::AddNote(_)),
                Self::Library(take_library::Command::SetNoteRetracted { .. }),
            ) => undo_result,
            _ => self.clone(),
        }
    }

    /// Applies a library edit; returns the edit that undoes it.
    pub fn apply_to_library(
        &self,
        library: &mut take_library::Library,
    ) -> Result<EditCommand, String> {
        match self {
            Self::Library(c) => library
                .execute(c, crate::model::library::signing_key())
                .map(Self::Library)
                .map_err(|e| e.to_string()),
            _ => Err("not a library edit".into()),
        }
    }

    /// Applies the edit to `take`; returns the edit that undoes it.
    pub fn apply(&self, take: &mut Take) -> Result<EditCommand, String> {
        let last = take.frame_count.saturating_sub(1);
        Ok(match self {
            Self::Library(_) => return Err("a library edit needs the take library".into()),
            Self::SetCleanupStack { stack, what, merge } => {
                if take.markers.is_none() {
                    return Err("the take has no markers to clean".into());
                }
                let before = std::mem::replace(&mut take.cleanup, (**stack).clone());
                Self::SetCleanupStack {
                    stack: Box::new(before),
                    what: what.clone(),
                    merge: *merge,
                }
            }
            Self::SetSolvedMotion { solved, what } => {
                if take.markers.is_none() {
                    return Err("the take has no markers to solve".into());
                }
                let before = std::mem::replace(&mut take.solved, solved.clone());
                Self::SetSolvedMotion {
                    solved: before,
                    what: what.clone(),
                }
            }
            Self::Subtitle { .. } => return Err("a subtitle edit needs the subtitle tracks".into()),
            Self::SetBone { .. } | Self::SetBones { .. } => {
                return Err("a bone map edit needs the characters' maps".into());
            }
            Self::SetMorph { .. } => {
                return Err("a face map edit needs the characters' face maps".into());
            }
            Self::SetSkeletonUnit { actor, unit } => {
                let before = take
                    .set_actor_unit(*actor, *unit)
                    .ok_or_else(|| format!("the take has no skeleton for actor {actor}"))?;
                Self::SetSkeletonUnit {
                    actor: *actor,
                    unit: before,
                }
            }
            Self::SetInPoint(f) => {
                let before = take.in_frame;
                take.in_frame = f.map(|f| f.min(last));
                Self::SetInPoint(before)
            }
            Self::SetOutPoint(f) => {
                let before = take.out_frame;
                take.out_frame = f.map(|f| f.min(last));
                Self::SetOutPoint(before)
            }
            Self::SetStartTimecode(tc) => {
                let before = take.start_timecode;
                take.start_timecode = *tc;
                Self::SetStartTimecode(before)
            }
            Self::RenameMarker { index, label } => {
                let markers = take.markers.as_mut().ok_or("the take has no markers")?;
                let slot = markers
                    .labels
                    .get_mut(*index)
                    .ok_or_else(|| format!("no marker {index}"))?;
                let before = std::mem::replace(slot, label.clone());
                Self::RenameMarker {
                    index: *index,
                    label: before,
                }
            }
        })
    }
}

fn describe_library(c: &take_library::Command) -> String {
    use take_library::Command as C;
    match c {
        C::SetStatus { status, .. } => format!("Set status to {status}"),
        C::SetNoteResolved { resolved: true, .. } => "Resolve note".into(),
        C::SetNoteResolved {
            resolved: false, ..
        } => "Reopen note".into(),
        C::AddNote(n) if n.reply_to.is_some() => "Reply".into(),
        C::AddNote(n) => match (n.frame_start, n.frame_end) {
            (Some(a), Some(b)) if b > a => format!("Add note at {a}–{b}"),
            (Some(a), _) => format!("Add note at {a}"),
            _ => "Add note".into(),
        },
        C::SetNoteRetracted {
            retracted: true, ..
        } => "Remove note".into(),
        C::SetNoteRetracted {
            retracted: false, ..
        } => "Restore note".into(),
        C::SetMetadata { .. } => "Edit take details".into(),
    }
}

/// Undo / redo requests.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryCommand {
    /// Revert the last edit.
    Undo,
    /// Re-apply the last undone edit.
    Redo,
}
