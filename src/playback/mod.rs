//! The playback clock: real-time playback at the take's rate, shuttle, stepping, loop, in/out.
//!
//! The clock's truth is a position in **seconds from frame 0** of the take; the displayed frame is
//! derived from it (`floor(position_s × rate)`), so a 120 Hz or 240 Hz take plays in real time
//! whatever the display refresh is: each update advances the position by the virtual-time delta
//! (real elapsed time, clamped by Bevy to 250 ms after a stall) × speed × direction.

use crate::model::commands::{MAX_SPEED, MIN_SPEED, PlaybackCommand};
use bevy::prelude::*;
use mocap_data::{FrameIndex, FrameRate};

use crate::model::session::Session;
use crate::session::SessionSet;

/// Systems that advance or command the playback clock (after [`SessionSet`]).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlaybackSet;

/// Owns [`Playback`] and applies [`PlaybackCommand`]s.
pub struct PlaybackPlugin;

impl Plugin for PlaybackPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Playback>()
            .add_message::<PlaybackCommand>()
            .configure_sets(Update, PlaybackSet)
            // After edits (in/out points) so the range follows them in the same update.
            .configure_sets(
                PreUpdate,
                PlaybackSet
                    .after(SessionSet)
                    .after(crate::history::HistorySet),
            )
            .add_systems(
                PreUpdate,
                (sync_with_take, apply_playback_commands)
                    .chain()
                    .in_set(PlaybackSet),
            )
            .add_systems(Update, advance_clock.in_set(PlaybackSet));
    }
}

/// The playback clock.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct Playback {
    /// Position, seconds from frame 0 of the take.
    pub position_s: f64,
    /// Whether the clock advances.
    pub playing: bool,
    /// Speed magnitude, 0.1–4 (1 = real time).
    pub speed: f64,
    /// +1 forward, −1 reverse.
    pub direction: f64,
    /// Wrap around at the end of the working range.
    pub looping: bool,
    /// Take rate (copied from the session each frame).
    pub rate: FrameRate,
    /// Number of frames in the take.
    pub frame_count: usize,
    /// Working range, inclusive frame indices (from the take's in/out points).
    pub range: (FrameIndex, FrameIndex),
    /// Frames shown per second of wall time over the last second (measured, for the HUD).
    pub measured_fps: f64,
    last_frame_shown: FrameIndex,
    fps_window: (f64, u32),
}

impl Default for Playback {
    fn default() -> Self {
        Self {
            position_s: 0.0,
            playing: false,
            speed: 1.0,
            direction: 1.0,
            looping: true,
            rate: FrameRate::FPS_120,
            frame_count: 0,
            range: (0, 0),
            measured_fps: 0.0,
            last_frame_shown: 0,
            fps_window: (0.0, 0),
        }
    }
}

impl Playback {
    /// The frame shown now (0-based sample index into the take).
    pub fn frame(&self) -> FrameIndex {
        if self.frame_count == 0 {
            return 0;
        }
        let f = (self.position_s * self.rate.hz() + 1e-6).floor().max(0.0) as usize;
        f.min(self.frame_count - 1)
    }

    /// Seconds of the start of `frame`.
    pub fn frame_start_s(&self, frame: FrameIndex) -> f64 {
        self.rate.frames_to_seconds(frame as i64)
    }

    fn range_s(&self) -> (f64, f64) {
        let (a, b) = self.range;
        // Out is inclusive: the range ends at the end of the out frame.
        (self.frame_start_s(a), self.frame_start_s(b + 1))
    }

    fn seek_frame(&mut self, frame: FrameIndex) {
        let last = self.frame_count.saturating_sub(1);
        self.position_s = self.frame_start_s(frame.min(last));
    }

    /// Applies one transport command.
    pub fn apply(&mut self, cmd: PlaybackCommand) {
        match cmd {
            PlaybackCommand::Play => {
                self.playing = true;
                self.direction = 1.0;
            }
            PlaybackCommand::Pause | PlaybackCommand::ShuttleStop => self.playing = false,
            PlaybackCommand::TogglePlay => {
                self.playing = !self.playing;
                if self.playing {
                    self.rewind_if_at_end();
                }
            }
            PlaybackCommand::ShuttleForward => self.shuttle(1.0),
            PlaybackCommand::ShuttleReverse => self.shuttle(-1.0),
            PlaybackCommand::Step(n) => {
                self.playing = false;
                let f = self.frame() as i64 + n;
                self.seek_frame(f.clamp(0, self.frame_count.saturating_sub(1) as i64) as usize);
            }
            PlaybackCommand::GoToStart => {
                let a = self.range.0;
                self.seek_frame(a);
            }
            PlaybackCommand::GoToEnd => {
                let b = self.range.1;
                self.seek_frame(b);
            }
            PlaybackCommand::Seek(f) => self.seek_frame(f),
            PlaybackCommand::SetSpeed(s) => {
                if s.is_finite() {
                    self.speed = s.abs().clamp(MIN_SPEED, MAX_SPEED);
                }
            }
            PlaybackCommand::SetLoop(l) => self.looping = l,
        }
    }

    fn shuttle(&mut self, dir: f64) {
        if self.playing && self.direction == dir {
            self.speed = (self.speed * 2.0).clamp(MIN_SPEED, MAX_SPEED);
        } else {
            self.playing = true;
            self.direction = dir;
            self.speed = 1.0;
            self.rewind_if_at_end();
        }
    }

    /// Starting playback at the end of the range (forward) or its start (reverse) restarts it.
    fn rewind_if_at_end(&mut self) {
        let (a, b) = self.range;
        let f = self.frame();
        if self.direction > 0.0 && f >= b {
            self.seek_frame(a);
        } else if self.direction < 0.0 && f <= a {
            self.seek_frame(b);
        }
    }

    /// Advances the clock by `dt` seconds of wall time.
    pub fn advance(&mut self, dt: f64) {
        if !self.playing || self.frame_count == 0 {
            return;
        }
        let (start, end) = self.range_s();
        let len = (end - start).max(1e-9);
        let mut p = self.position_s + dt * self.speed * self.direction;
        if self.direction > 0.0 && p >= end {
            if self.looping {
                p = start + (p - end).rem_euclid(len);
            } else {
                p = self.frame_start_s(self.range.1);
                self.playing = false;
            }
        } else if self.direction < 0.0 && p < start {
            if self.looping {
                p = end - (start - p).rem_euclid(len);
                // Stay inside the last frame of the range.
                p = p.min(self.frame_start_s(self.range.1));
            } else {
                p = start;
                self.playing = false;
            }
        }
        self.position_s = p;
    }
}

/// Copies the take's rate, length and working range into the clock.
fn sync_with_take(session: Res<Session>, mut playback: ResMut<Playback>) {
    let (rate, count, range) = match &session.take {
        Some(t) => (t.rate, t.frame_count, t.range()),
        None => (FrameRate::FPS_120, 0, (0, 0)),
    };
    if playback.rate != rate || playback.frame_count != count || playback.range != range {
        let frame = playback.frame();
        playback.rate = rate;
        playback.frame_count = count;
        playback.range = range;
        playback.seek_frame(frame);
    }
}

fn apply_playback_commands(
    mut commands: MessageReader<PlaybackCommand>,
    mut playback: ResMut<Playback>,
) {
    for cmd in commands.read() {
        playback.apply(*cmd);
    }
}

fn advance_clock(time: Res<Time>, mut playback: ResMut<Playback>) {
    let dt = time.delta_secs_f64();
    playback.advance(dt);
    // Measured playback rate: distinct frames shown per wall-clock second.
    let f = playback.frame();
    let changed = f != playback.last_frame_shown;
    playback.last_frame_shown = f;
    playback.fps_window.0 += dt;
    if changed {
        playback.fps_window.1 += 1;
    }
    if playback.fps_window.0 >= 0.5 {
        playback.measured_fps = playback.fps_window.1 as f64 / playback.fps_window.0;
        playback.fps_window = (0.0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(rate: FrameRate, frames: usize) -> Playback {
        Playback {
            rate,
            frame_count: frames,
            range: (0, frames - 1),
            ..Default::default()
        }
    }

    #[test]
    fn plays_in_real_time_at_120_and_240_hz() {
        for (rate, hz) in [(FrameRate::FPS_120, 120), (FrameRate::FPS_240, 240)] {
            let mut p = clock(rate, 10_000);
            p.apply(PlaybackCommand::Play);
            // 1 s of wall time in uneven display frames (16.7 ms and 7 ms).
            for i in 0..80 {
                p.advance(if i % 2 == 0 { 1.0 / 60.0 } else { 0.0083333 });
            }
            let secs = 40.0 / 60.0 + 40.0 * 0.0083333;
            let expect = (secs * hz as f64).floor() as usize;
            assert!(p.frame().abs_diff(expect) <= 1, "{} vs {expect}", p.frame());
        }
    }

    #[test]
    fn jkl_shuttle() {
        let mut p = clock(FrameRate::FPS_120, 1200);
        p.apply(PlaybackCommand::Seek(600));
        p.apply(PlaybackCommand::ShuttleForward);
        assert!(p.playing && p.direction > 0.0 && p.speed == 1.0);
        p.apply(PlaybackCommand::ShuttleForward);
        assert_eq!(p.speed, 2.0);
        p.apply(PlaybackCommand::ShuttleForward);
        p.apply(PlaybackCommand::ShuttleForward);
        assert_eq!(p.speed, 4.0, "clamped at 4×");
        p.advance(0.5);
        assert_eq!(p.frame(), 600 + 240);
        p.apply(PlaybackCommand::ShuttleReverse);
        assert!(p.direction < 0.0 && p.speed == 1.0);
        p.advance(1.0);
        assert_eq!(p.frame(), 840 - 120);
        p.apply(PlaybackCommand::ShuttleStop);
        p.advance(1.0);
        assert_eq!(p.frame(), 720);
    }

    #[test]
    fn loop_and_in_out_range() {
        let mut p = clock(FrameRate::FPS_120, 1200);
        p.range = (100, 199);
        p.apply(PlaybackCommand::GoToStart);
        assert_eq!(p.frame(), 100);
        p.apply(PlaybackCommand::Play);
        p.advance(100.0 / 120.0 + 10.0 / 120.0);
        assert_eq!(p.frame(), 110, "wrapped to in + 10");
        p.apply(PlaybackCommand::SetLoop(false));
        p.advance(5.0);
        assert_eq!(p.frame(), 199);
        assert!(!p.playing, "stops at out");
        // Reverse looping wraps to the out point.
        p.apply(PlaybackCommand::SetLoop(true));
        p.apply(PlaybackCommand::GoToStart);
        p.apply(PlaybackCommand::ShuttleReverse);
        p.advance(1.5 / 120.0);
        assert!((190..=199).contains(&p.frame()), "{}", p.frame());
    }

    #[test]
    fn step_home_end_and_speed_limits() {
        let mut p = clock(FrameRate::FPS_120, 50);
        p.apply(PlaybackCommand::Step(-3));
        assert_eq!(p.frame(), 0);
        p.apply(PlaybackCommand::Step(7));
        assert_eq!(p.frame(), 7);
        p.apply(PlaybackCommand::GoToEnd);
        assert_eq!(p.frame(), 49);
        p.apply(PlaybackCommand::Step(5));
        assert_eq!(p.frame(), 49);
        p.apply(PlaybackCommand::SetSpeed(0.01));
        assert_eq!(p.speed, MIN_SPEED);
        p.apply(PlaybackCommand::SetSpeed(9.0));
        assert_eq!(p.speed, MAX_SPEED);
        p.apply(PlaybackCommand::SetSpeed(f64::NAN));
        assert_eq!(p.speed, MAX_SPEED);
        // Slow motion: 0.1× for 1 s at 120 Hz is 12 frames.
        p.apply(PlaybackCommand::SetSpeed(0.1));
        p.apply(PlaybackCommand::Seek(0));
        p.apply(PlaybackCommand::Play);
        p.advance(1.0);
        assert_eq!(p.frame(), 12);
    }
}
