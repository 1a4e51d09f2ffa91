//! Each update: drain the body stream (NatNet frames and live-solve poses, or VMC poses) and
//! the faces, keep the live take's shape ([`LiveShape`]) and rings current, the playhead on the
//! newest frame, the recorded span as the timeline's working range; time received → drawn.

use std::time::Duration;

use bevy::prelude::*;
use mocap_data::FrameRate;
use mocap_live::LiveUpdate;

use super::ring::{self, LiveShape};
use super::{LiveLink, Protocol, ShownFrame, finish_save};
use crate::model::commands::PlaybackCommand;
use crate::model::log::{AppLog, LogLevel};
use crate::model::session::{Session, SessionCommand};

/// Without a `FrameRate` answer this long after the labels, the live take assumes 120 Hz.
const RATE_WAIT: Duration = Duration::from_secs(2);

/// What came in this update.
#[derive(Default)]
struct Drained {
    natnet: Vec<LiveUpdate>,
    vmc: Vec<super::vmc::VmcPose>,
    faces: Vec<super::face::FaceUpdate>,
}

/// Drains the streams, keeps the live take and the playhead on the newest frame, and
/// finishes saves.
pub(super) fn pump_live(
    mut link: ResMut<LiveLink>,
    mut session: ResMut<Session>,
    mut log: ResMut<AppLog>,
    mut playback: MessageWriter<PlaybackCommand>,
    mut open: MessageWriter<SessionCommand>,
    time: Res<Time<Real>>,
) {
    let now = time.elapsed_secs_f64();
    finish_save(&mut link, &mut log, &mut open, now);
    let mut d = Drained::default();
    if let Some(worker) = &link.worker {
        let status = worker.status();
        d.natnet = worker.updates.drain();
        let dropped = worker.updates.dropped();
        link.frames_queue_dropped = link.queue_dropped_base + dropped;
        link.status = status;
        link.frames_drained += d.natnet.len() as u64;
    }
    if let Some(v) = &mut link.vmc {
        d.vmc = v.drain();
        let n = d.vmc.len() as u64;
        link.frames_drained += n;
    }
    if let Some(f) = &mut link.face {
        d.faces = f.drain();
    }
    if !link.following {
        return;
    }
    // Another take was opened (a recording for review, a file): stop driving the session.
    if let Some(g) = link.generation
        && g != session.generation
    {
        link.following = false;
        link.generation = None;
        link.shape = None;
        return;
    }
    let Some(shape) = shape_now(&mut link) else {
        return;
    };
    if link.generation.is_none() || link.shape.as_ref() != Some(&shape) {
        let name = match link.connection.as_ref().map(|c| c.protocol) {
            Some(Protocol::NatNet) => format!(
                "Live: {}",
                link.status.server.as_deref().unwrap_or("NatNet server")
            ),
            Some(Protocol::Vmc) => "Live: VMC".into(),
            None => "Live: face".into(),
        };
        match ring::live_take(name, &shape) {
            Ok(take) => {
                log.push(LogLevel::Info, describe(&shape), now);
                session.take = Some(take);
                session.generation += 1;
                link.generation = Some(session.generation);
                link.shape = Some(shape);
                link.shown = None;
            }
            Err(e) => {
                log.push(LogLevel::Error, format!("Live: {e}"), now);
                link.following = false;
                return;
            }
        }
    }
    let mut newest = false;
    let shift = push_natnet(&mut session, &mut link, &d.natnet);
    newest |= shift > 0;
    let mut body_shift = shift;
    let vmc_shift = push_vmc(&mut session, &mut link, &d.vmc);
    newest |= vmc_shift > 0;
    body_shift += vmc_shift;
    let face_shift = push_faces(&mut session, &mut link, &d.faces);
    // A face alone moves the playhead's take.
    let has_body = link
        .shape
        .as_ref()
        .is_some_and(|s| !s.labels.is_empty() || !s.skeletons.is_empty());
    if !has_body {
        body_shift = face_shift;
        newest |= face_shift > 0;
    }
    if let Some(t) = session.take.as_mut() {
        let last = t.frame_count.saturating_sub(1);
        if link.recording_since.is_some() {
            link.recorded_frames += body_shift;
            let span = link.recorded_frames.min(t.frame_count);
            t.in_frame = (span > 0).then(|| last + 1 - span);
            t.out_frame = (span > 0).then_some(last);
        } else if t.in_frame.is_some() {
            t.in_frame = None;
            t.out_frame = None;
        }
        if newest {
            playback.write(PlaybackCommand::Pause);
            playback.write(PlaybackCommand::Seek(last));
            link.fresh = true;
        }
    }
}

/// What the live take should hold now (`None`: nothing to show yet).
fn shape_now(link: &mut LiveLink) -> Option<LiveShape> {
    let face_rate = link.face.as_ref().and_then(|f| f.rate);
    let body = match link.connection.as_ref().map(|c| (c.protocol, c.since)) {
        Some((Protocol::NatNet, since)) => {
            // Markers, or skeletons alone (a suit's stream through NatNet).
            if link.status.labels.is_empty() && link.status.skeletons.is_empty() {
                None
            } else {
                let rate = link
                    .status
                    .rate_hz
                    .and_then(|hz| FrameRate::from_hz(hz).ok())
                    .or(link.rate)
                    .or_else(|| (since.elapsed() > RATE_WAIT).then_some(FrameRate::FPS_120))?;
                link.rate = Some(rate);
                Some((
                    link.status.labels.clone(),
                    rate,
                    link.status.skeletons.clone(),
                ))
            }
        }
        Some((Protocol::Vmc, _)) => {
            let v = link.vmc.as_ref()?;
            match (&v.skeleton, v.rate) {
                (Some(sk), Some(rate)) => {
                    Some((Vec::new(), rate, vec![("VMC".into(), sk.clone())]))
                }
                _ => None,
            }
        }
        None => None,
    };
    match body {
        Some((labels, rate, skeletons)) => Some(LiveShape {
            labels,
            rate,
            skeletons,
            face_rate,
        }),
        None if link.connection.is_none() => face_rate.map(|r| LiveShape {
            labels: Vec::new(),
            rate: r,
            skeletons: Vec::new(),
            face_rate: Some(r),
        }),
        None => None,
    }
}

fn describe(s: &LiveShape) -> String {
    let mut parts = Vec::new();
    if !s.labels.is_empty() {
        parts.push(format!("{} markers", s.labels.len()));
    }
    for (name, sk) in &s.skeletons {
        parts.push(format!("{name} ({} joints)", sk.joints.len()));
    }
    if let Some(r) = s.face_rate {
        parts.push(format!("a face at {r} Hz"));
    }
    format!("Live: {} at {} Hz", parts.join(", "), s.rate)
}

/// Scrolls the live take by the NatNet frames that arrived (gaps for numbers that did not)
/// and writes the newest markers and poses (the stream's skeletons, the live solve's actors)
/// at its end. Returns the frames scrolled.
fn push_natnet(session: &mut Session, link: &mut LiveLink, updates: &[LiveUpdate]) -> usize {
    let Some(take) = session.take.as_mut() else {
        return 0;
    };
    // A skeleton stream alone has no markers: only its motions scroll.
    let mut markers = take.markers.as_mut();
    let n = markers.as_ref().map_or(0, |m| m.marker_count());
    let frames = take.frame_count;
    if frames == 0 {
        return 0;
    }
    let names: Vec<String> = link
        .shape
        .as_ref()
        .map(|s| s.skeletons.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let mut total = 0;
    for u in updates {
        if u.markers.len() != n {
            continue;
        }
        let shift = match link.shown {
            Some(s) if u.frame_number <= s.frame_number => continue,
            Some(s) => usize::try_from(u.frame_number - s.frame_number).unwrap_or(frames),
            None => frames,
        }
        .min(frames);
        let last = frames - 1;
        if let Some(markers) = markers.as_deref_mut() {
            ring::scroll_markers(markers, shift);
            for (k, s) in u.markers.iter().enumerate() {
                markers.set_sample(last, k, *s);
            }
        }
        for (k, name) in names.iter().enumerate() {
            let motion = match k {
                0 => take.motion.as_mut(),
                _ => take.actors.get_mut(k - 1).map(|a| &mut a.motion),
            };
            if let Some(m) = motion {
                ring::scroll_motion(m, shift);
                if let Some((_, pose)) = u.poses.iter().find(|(a, _)| a == name) {
                    ring::set_newest_pose(m, pose);
                }
            }
        }
        link.shown = Some(ShownFrame {
            frame_number: u.frame_number,
            received: u.received,
        });
        total += shift;
    }
    total
}

/// Writes each VMC pose as the motion's newest frame (one ring frame per VMC frame).
fn push_vmc(session: &mut Session, link: &mut LiveLink, poses: &[super::vmc::VmcPose]) -> usize {
    let Some(motion) = session.take.as_mut().and_then(|t| t.motion.as_mut()) else {
        return 0;
    };
    let mut n = 0;
    for p in poses {
        if p.values.len() != motion.channels_per_frame {
            continue;
        }
        ring::scroll_motion(motion, 1);
        ring::set_newest_pose(motion, &p.values);
        let number = link.shown.map_or(1, |s| s.frame_number + 1);
        link.shown = Some(ShownFrame {
            frame_number: number,
            received: p.received,
        });
        n += 1;
    }
    n
}

/// Scrolls the face ring by each face's frames and writes it at the end.
fn push_faces(
    session: &mut Session,
    link: &mut LiveLink,
    faces: &[super::face::FaceUpdate],
) -> usize {
    let Some(face) = session.take.as_mut().and_then(|t| t.face.as_mut()) else {
        return 0;
    };
    let mut n = 0;
    for f in faces {
        ring::push_face(face, f.shift, &f.weights, &f.rotations);
        n += f.shift;
    }
    if let (Some(src), Some(f)) = (link.face.as_mut(), faces.last()) {
        src.fresh = Some(f.received);
    }
    n
}

/// Notes received → drawn for the frames this update put in the scene (the renderer extracts
/// after `Last`).
pub(super) fn note_drawn(mut link: ResMut<LiveLink>) {
    if let Some(f) = &mut link.face {
        f.note_drawn();
    }
    if !link.fresh {
        return;
    }
    link.fresh = false;
    if let Some(s) = link.shown {
        let ms = s.received.elapsed().as_secs_f64() * 1000.0;
        if link.drawn_ms.len() >= super::DRAWN_SAMPLES {
            link.drawn_ms.pop_front();
        }
        link.drawn_ms.push_back(ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_data::MarkerSample;
    use std::time::Instant;

    fn update(frame_number: i64, x: f32) -> LiveUpdate {
        LiveUpdate {
            frame_number,
            received: Instant::now(),
            markers: vec![
                MarkerSample {
                    position: [x, 1.0, 2.0],
                    residual: 0.0,
                    camera_mask: 0,
                    valid: true,
                },
                MarkerSample::GAP,
            ],
            poses: Vec::new(),
        }
    }

    #[test]
    fn frames_scroll_through_the_ring_with_gaps_for_lost_numbers() {
        let shape = LiveShape {
            labels: vec!["A:a".into(), "A:b".into()],
            rate: FrameRate::integer(100).expect("rate"),
            skeletons: Vec::new(),
            face_rate: None,
        };
        let take = ring::live_take("Live".into(), &shape).expect("take");
        let last = take.frame_count - 1;
        assert_eq!(take.frame_count, 400, "4 s at 100 Hz");
        let mut session = Session {
            take: Some(take),
            ..Session::default()
        };
        let mut link = LiveLink::default();
        // 10, a late duplicate, then 13: 11 and 12 never came.
        let ups = [update(10, 0.1), update(9, 9.0), update(13, 0.4)];
        assert!(push_natnet(&mut session, &mut link, &ups) > 0);
        let m = session
            .take
            .as_ref()
            .and_then(|t| t.markers.as_ref())
            .expect("markers");
        assert_eq!(m.position(last, 0), Some([0.4, 1.0, 2.0]));
        assert_eq!(m.position(last - 1, 0), None, "12 lost");
        assert_eq!(m.position(last - 2, 0), None, "11 lost");
        assert_eq!(m.position(last - 3, 0), Some([0.1, 1.0, 2.0]));
        assert_eq!(m.position(last, 1), None, "a gap stays a gap");
        assert_eq!(link.shown.map(|s| s.frame_number), Some(13));
        // Nothing newer: nothing changes.
        assert_eq!(push_natnet(&mut session, &mut link, &[update(12, 5.0)]), 0);
        // A jump longer than the ring clears it.
        assert!(push_natnet(&mut session, &mut link, &[update(5000, 0.5)]) > 0);
        let m = session
            .take
            .as_ref()
            .and_then(|t| t.markers.as_ref())
            .expect("markers");
        assert_eq!(m.position(last, 0), Some([0.5, 1.0, 2.0]));
        assert_eq!((0..last).filter(|&f| m.position(f, 0).is_some()).count(), 0);
    }
}
