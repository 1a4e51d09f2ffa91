//! The stack's face entries in the studio: the take's facial performance as loaded (before any
//! face operation) is kept here, and whenever the take's `cleanup.face` entries differ from the
//! ones last evaluated (an edit, undo, redo, a sidecar loaded with the take) the face is
//! re-evaluated with [`mocap_solver::face_ops::apply`] — the function `mocap clean --ops` runs on
//! face takes — and written to `Take::face`, which the face plugin plays on characters.

use bevy::prelude::*;
use mocap_data::FaceCurves;
use mocap_solver::face_ops::{self, FaceEntry};

use crate::model::session::Session;

/// The face before the stack and what its face entries did.
#[derive(Resource, Debug, Default)]
pub struct FaceCleanup {
    /// Session generation the raw face belongs to.
    generation: Option<u64>,
    /// The take's face as loaded (before the stack's face entries), if it has one.
    raw: Option<FaceCurves>,
    /// The face entries `Take::face` was last evaluated with.
    evaluated: Vec<FaceEntry>,
    /// Per face entry: a one-line outcome ("312 samples in 4 curves", "off", "failed: …").
    pub outcomes: Vec<String>,
}

impl FaceCleanup {
    /// The face before the stack, if the take has one.
    pub fn raw(&self) -> Option<&FaceCurves> {
        self.raw.as_ref()
    }
}

/// Follows the take (a new one brings its own raw face) and re-evaluates the face entries when
/// they changed.
pub(crate) fn evaluate_face(mut session: ResMut<Session>, mut fc: ResMut<FaceCleanup>) {
    if fc.generation != Some(session.generation) {
        fc.generation = Some(session.generation);
        fc.raw = session.take.as_ref().and_then(|t| t.face.clone());
        fc.evaluated.clear();
        fc.outcomes.clear();
    }
    let Some(take) = session.take.as_ref() else {
        return;
    };
    if take.cleanup.face == fc.evaluated {
        return;
    }
    let Some(raw) = fc.raw.as_ref() else {
        fc.evaluated = take.cleanup.face.clone();
        fc.outcomes = vec!["the take has no face".into(); take.cleanup.face.len()];
        return;
    };
    let entries = take.cleanup.face.clone();
    let (face, outcomes) = match face_ops::apply(&entries, raw) {
        Ok((face, reports)) => (
            face,
            reports
                .iter()
                .map(|r| match r {
                    None => "off".to_string(),
                    Some(r) => format!(
                        "{} samples in {} curves",
                        r.samples_changed, r.curves_changed
                    ),
                })
                .collect(),
        ),
        // `apply` is all or nothing: the face shows as loaded and every entry carries the error,
        // which names the failing entry.
        Err(e) => (raw.clone(), vec![format!("failed: {e}"); entries.len()]),
    };
    if let Some(t) = session.take.as_mut() {
        t.face = Some(face);
    }
    fc.evaluated = entries;
    fc.outcomes = outcomes;
}
