//! Face takes in the session: a face file (Live Link Face CSV, generic CSV of named curves, JSON)
//! becomes the open take's [`Take::face`], or a take of its own when none is open. The reader is
//! `mocap_formats::face`, the same as `mocap face info`'s.

use std::path::Path;

use mocap_formats::face::FaceTake;

use crate::model::session::{Session, Take};

/// `true` for face take files (`.csv`, `.json`): the rule `mocap clean` and `mocap face` use
/// (`mocap_cli::face::is_face_file`).
pub fn is_face_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("json"))
}

/// Gives a face take read from `path` to the open take (replacing a face it had; the take grows
/// to cover the face's duration), or opens it as a take of its own. Returns a one-line summary
/// with the reader's warnings.
pub(crate) fn install_face(session: &mut Session, path: &Path, read: FaceTake) -> String {
    let face = read.curves;
    let frames = face.frame_count();
    let mut summary = format!(
        "face: {} blendshapes, {} rotations × {} frames at {} Hz{} ({:?})",
        face.blendshapes.len(),
        face.rotations.len(),
        frames,
        face.rate,
        if read.rate_inferred {
            " (rate inferred)"
        } else {
            ""
        },
        read.layout,
    );
    for w in &read.warnings {
        summary.push_str("; ");
        summary.push_str(w);
    }
    let duration_s = face.duration_s();
    match session.take.as_mut() {
        Some(take) => {
            let at_take_rate = usize::try_from(take.rate.seconds_to_frame_round(duration_s))
                .unwrap_or(0)
                .max(1);
            take.frame_count = take.frame_count.max(at_take_rate);
            take.face = Some(face);
            take.sources.push(path.to_path_buf());
            summary.push_str("; the open take's face");
        }
        None => {
            let mut take: Take = super::new_take(path, face.rate);
            take.frame_count = frames;
            if let Some(tc) = face.start_timecode {
                take.start_timecode = tc;
            }
            take.face = Some(face);
            take.sources.push(path.to_path_buf());
            session.take = Some(take);
        }
    }
    session.generation += 1;
    summary
}
