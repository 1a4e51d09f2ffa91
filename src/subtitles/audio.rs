//! Playback of the subtitles' reference audio, synced to the timeline clock.
//!
//! Through `cpal`, the cross-platform audio crate (ALSA on Linux, WASAPI on Windows, CoreAudio on
//! macOS). The output device opens on the first play (`$MOCAP_AUDIO_DEVICE`: a cpal device id such
//! as `alsa:default` or just its name, `default`/`null`; the host's default output otherwise);
//! when there is none, playback logs one warning and the app carries on silently — CI has no sound
//! card. The device's callback reads the clip through a shared cursor, resampled linearly to the
//! device's rate and copied to each of its channels, and plays silence when stopped.
//!
//! Sync rule: sound plays while the clock plays forward at 1×; a seek, a loop wrap, a pause,
//! a speed change or a new clip stops it and (when still playing at 1×) restarts it at the
//! clock's position. Scrubbing is silent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};

use crate::playback::{Playback, PlaybackSet};
use crate::subtitles::ReferenceAudio;

/// Plays the reference audio with the clock (see the module docs).
pub struct SubtitleAudioPlugin;

impl Plugin for SubtitleAudioPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<AudioOutput>()
            .add_systems(Update, sync_audio.after(PlaybackSet));
    }
}

/// How far the clock may drift from the sound before playback restarts there, seconds.
const RESYNC_S: f64 = 0.15;

enum AudioMsg {
    Play {
        samples: Arc<Vec<f32>>,
        sample_rate: u32,
        start_sample: usize,
    },
    Stop,
}

/// The audio worker's channel.
#[derive(Resource)]
pub struct AudioOutput {
    tx: Option<Sender<AudioMsg>>,
}

impl Default for AudioOutput {
    fn default() -> Self {
        let (tx, rx) = channel();
        let device = std::env::var("MOCAP_AUDIO_DEVICE").ok();
        let spawned = std::thread::Builder::new()
            .name("reference-audio".into())
            .spawn(move || worker(rx, device.as_deref()));
        match spawned {
            Ok(_) => Self { tx: Some(tx) },
            Err(e) => {
                warn!("Audio playback off: cannot start its thread: {e}");
                Self { tx: None }
            }
        }
    }
}

impl AudioOutput {
    fn send(&self, m: AudioMsg) {
        if let Some(tx) = &self.tx {
            // The worker only ends with the app.
            let _ = tx.send(m);
        }
    }
}

/// What is playing: (clip identity, clock position at start in s, wall time at start in s).
type Playing = Option<(usize, f64, f64)>;

fn sync_audio(
    playback: Res<Playback>,
    audio: Res<ReferenceAudio>,
    output: Res<AudioOutput>,
    time: Res<Time<Real>>,
    mut playing: Local<Playing>,
) {
    let now = time.elapsed_secs_f64();
    let clip = audio.clip.as_ref();
    let clip_id = clip.map_or(0, |c| Arc::as_ptr(&c.samples) as usize);
    let want = clip.is_some()
        && playback.playing
        && playback.direction > 0.0
        && (playback.speed - 1.0).abs() < 1e-6;
    if let Some((id, pos0, wall0)) = *playing {
        let expected = pos0 + (now - wall0);
        let drift = (playback.position_s - expected).abs();
        if !want || id != clip_id || drift > RESYNC_S {
            output.send(AudioMsg::Stop);
            *playing = None;
        }
    }
    if want
        && playing.is_none()
        && let Some(c) = clip
    {
        let samples = c.samples.clone();
        let rate = c.sample_rate_hz;
        let start_sample = (playback.position_s.max(0.0) * rate as f64) as usize;
        if start_sample < samples.len() {
            output.send(AudioMsg::Play {
                samples,
                sample_rate: rate,
                start_sample,
            });
        }
        *playing = Some((clip_id, playback.position_s, now));
    }
}

/// Where the device callback reads: the clip and the position in it.
struct Cursor {
    /// Mono samples, −1..1.
    samples: Arc<Vec<f32>>,
    /// The clip's sample rate, Hz.
    rate_hz: u32,
    /// Read position, in clip samples (fractional: the device may run at another rate).
    pos: f64,
}

/// The clip the callback plays (`None`: silence), shared with the worker.
type SharedCursor = Arc<Mutex<Option<Cursor>>>;

/// An open output stream and what it reports.
pub struct Output {
    /// Kept alive while playing; dropping it closes the device.
    _stream: cpal::Stream,
    cursor: SharedCursor,
    /// Device frames the callback has filled with clip samples (not silence) so far.
    pub frames_played: Arc<AtomicU64>,
    /// The device's id (`alsa:default`, …), rate (Hz) and channel count.
    pub description: String,
}

impl Output {
    /// Opens `device` (a cpal device id like `alsa:null`, or the part after the colon), or the
    /// host's default output device, at its default configuration, playing silence.
    pub fn open(device: Option<&str>) -> Result<Output, String> {
        let host = cpal::default_host();
        let dev = match device {
            Some(want) => host
                .output_devices()
                .map_err(|e| format!("cannot list sound devices: {e}"))?
                .find(|d| {
                    d.id().is_ok_and(|id| {
                        let id = id.to_string();
                        id == want || id.split_once(':').is_some_and(|(_, name)| name == want)
                    })
                })
                .ok_or_else(|| format!("no sound device {want:?} (MOCAP_AUDIO_DEVICE)"))?,
            None => host
                .default_output_device()
                .ok_or("no sound output device on this machine")?,
        };
        let id = dev
            .id()
            .map_or_else(|_| "?".to_string(), |id| id.to_string());
        let config = dev
            .default_output_config()
            .map_err(|e| format!("sound device {id}: {e}"))?;
        let format = config.sample_format();
        let config: cpal::StreamConfig = config.into();
        let description = format!(
            "{id} at {} Hz, {} channels",
            config.sample_rate, config.channels
        );
        let cursor: SharedCursor = Arc::new(Mutex::new(None));
        let frames_played = Arc::new(AtomicU64::new(0));
        let feed = Feed {
            cursor: cursor.clone(),
            frames_played: frames_played.clone(),
            device_rate_hz: config.sample_rate,
            channels: usize::from(config.channels.max(1)),
        };
        let stream = match format {
            SampleFormat::F32 => build::<f32>(&dev, config, feed),
            SampleFormat::F64 => build::<f64>(&dev, config, feed),
            SampleFormat::I16 => build::<i16>(&dev, config, feed),
            SampleFormat::I32 => build::<i32>(&dev, config, feed),
            SampleFormat::U16 => build::<u16>(&dev, config, feed),
            SampleFormat::U8 => build::<u8>(&dev, config, feed),
            SampleFormat::I8 => build::<i8>(&dev, config, feed),
            other => Err(format!("sample format {other} is not supported")),
        }
        .map_err(|e| format!("sound device {id}: {e}"))?;
        stream
            .play()
            .map_err(|e| format!("sound device {id}: {e}"))?;
        Ok(Output {
            _stream: stream,
            cursor,
            frames_played,
            description,
        })
    }

    /// Plays `samples` (mono, `rate_hz`) from `start_sample`.
    fn play(&self, samples: Arc<Vec<f32>>, rate_hz: u32, start_sample: usize) {
        if let Ok(mut c) = self.cursor.lock() {
            *c = Some(Cursor {
                samples,
                rate_hz,
                pos: start_sample as f64,
            });
        }
    }

    /// Silence from the next callback on.
    fn stop(&self) {
        if let Ok(mut c) = self.cursor.lock() {
            *c = None;
        }
    }
}

/// What the device callback needs.
struct Feed {
    cursor: SharedCursor,
    frames_played: Arc<AtomicU64>,
    /// The device's rate, Hz.
    device_rate_hz: u32,
    channels: usize,
}

impl Feed {
    /// Fills one device buffer (interleaved frames) from the cursor, silence past its end.
    fn fill<T: SizedSample + FromSample<f32>>(&self, out: &mut [T]) {
        // Never wait in the audio callback: a busy lock plays this buffer silent.
        let mut guard = self.cursor.try_lock().ok();
        let cursor = guard.as_mut().and_then(|g| g.as_mut());
        let mut played = 0u64;
        match cursor {
            Some(c) => {
                let step = f64::from(c.rate_hz) / f64::from(self.device_rate_hz.max(1));
                for frame in out.chunks_mut(self.channels) {
                    let v = sample_at(&c.samples, c.pos);
                    if v.is_some() {
                        played += 1;
                        c.pos += step;
                    }
                    let v = T::from_sample(v.unwrap_or(0.0));
                    frame.iter_mut().for_each(|s| *s = v);
                }
            }
            None => out.iter_mut().for_each(|s| *s = T::from_sample(0.0f32)),
        }
        self.frames_played.fetch_add(played, Ordering::Relaxed);
    }
}

/// The clip's value at fractional sample `pos` (linear interpolation, clipped to −1..1), or
/// `None` past its end.
fn sample_at(samples: &[f32], pos: f64) -> Option<f32> {
    let i = pos.floor();
    if !(0.0..samples.len() as f64).contains(&i) {
        return None;
    }
    let i = i as usize;
    let a = samples[i];
    let b = samples.get(i + 1).copied().unwrap_or(a);
    let t = (pos - i as f64) as f32;
    Some((a + (b - a) * t).clamp(-1.0, 1.0))
}

fn build<T: SizedSample + FromSample<f32>>(
    dev: &cpal::Device,
    config: cpal::StreamConfig,
    feed: Feed,
) -> Result<cpal::Stream, String> {
    dev.build_output_stream(
        config,
        move |data: &mut [T], _: &cpal::OutputCallbackInfo| feed.fill(data),
        |e| warn!("Reference audio: {e}"),
        None,
    )
    .map_err(|e| e.to_string())
}

fn worker(rx: Receiver<AudioMsg>, device: Option<&str>) {
    // Opened on the first play; one warning when it cannot be.
    let mut output: Option<Result<Output, String>> = None;
    while let Ok(msg) = rx.recv() {
        match msg {
            AudioMsg::Play {
                samples,
                sample_rate,
                start_sample,
            } => {
                let out = output.get_or_insert_with(|| {
                    Output::open(device)
                        .inspect(|o| info!("Reference audio plays on {}", o.description))
                        .inspect_err(|e| {
                            warn!("Reference audio playback off (the app carries on silently): {e}")
                        })
                });
                if let Ok(o) = out {
                    o.play(samples, sample_rate, start_sample);
                }
            }
            AudioMsg::Stop => {
                if let Some(Ok(o)) = &output {
                    o.stop();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::commands::PlaybackCommand;
    use crate::model::session::SessionCommand;

    /// What the sync system sent: `Some(start sample)` for Play, `None` for Stop.
    fn sent(rx: &Receiver<AudioMsg>) -> Vec<Option<usize>> {
        rx.try_iter()
            .map(|m| match m {
                AudioMsg::Play { start_sample, .. } => Some(start_sample),
                AudioMsg::Stop => None,
            })
            .collect()
    }

    #[test]
    fn sound_follows_the_clock() {
        let (tx, rx) = channel();
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .add_plugins(crate::core_plugins())
            .insert_resource(AudioOutput { tx: Some(tx) })
            .add_systems(Update, sync_audio.after(PlaybackSet));
        app.world_mut().write_message(SessionCommand::LoadDemo);
        app.update();
        assert!(sent(&rx).is_empty(), "paused: silent");
        app.world_mut().write_message(PlaybackCommand::Play);
        app.update();
        let rate = crate::subtitles::DEMO_AUDIO_RATE_HZ as usize;
        let m = sent(&rx);
        assert!(matches!(m.as_slice(), [Some(s)] if *s < rate / 2), "{m:?}");
        app.update();
        assert!(sent(&rx).is_empty(), "keeps playing");
        // Seek to frame 600 of the 120 Hz demo: 5 s.
        app.world_mut().write_message(PlaybackCommand::Seek(600));
        app.update();
        let m = sent(&rx);
        assert!(
            matches!(m.as_slice(), [None, Some(s)] if (5 * rate..5 * rate + rate / 2).contains(s)),
            "{m:?}"
        );
        app.world_mut()
            .write_message(PlaybackCommand::SetSpeed(2.0));
        app.update();
        assert_eq!(sent(&rx), [None], "only 1x plays");
        app.world_mut()
            .write_message(PlaybackCommand::SetSpeed(1.0));
        app.update();
        assert_eq!(sent(&rx).len(), 1);
        app.world_mut().write_message(PlaybackCommand::Pause);
        app.update();
        assert_eq!(sent(&rx), [None]);
    }

    #[test]
    fn the_callback_resamples_to_the_device_and_fills_every_channel() {
        let feed = Feed {
            cursor: Arc::new(Mutex::new(Some(Cursor {
                samples: Arc::new(vec![0.0, 0.5, 1.0, 0.5]),
                rate_hz: 24_000,
                pos: 0.0,
            }))),
            frames_played: Arc::new(AtomicU64::new(0)),
            device_rate_hz: 48_000,
            channels: 2,
        };
        let mut out = [1.0f32; 20];
        feed.fill(&mut out);
        // Half steps through the clip, the same value on both channels, silence after its end.
        let left: Vec<f32> = out.chunks(2).map(|f| f[0]).collect();
        assert_eq!(left, [0.0, 0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.5, 0.0, 0.0]);
        assert!(out.chunks(2).all(|f| f[0] == f[1]));
        assert_eq!(feed.frames_played.load(Ordering::Relaxed), 8);
        // 16-bit devices get the same signal, scaled.
        let mut pcm = [7i16; 6];
        *feed.cursor.lock().expect("lock") = Some(Cursor {
            samples: Arc::new(vec![1.0, -1.0]),
            rate_hz: 48_000,
            pos: 0.0,
        });
        feed.fill(&mut pcm);
        assert_eq!(pcm[..2], [i16::MAX, i16::MAX]);
        assert!(pcm[2] <= -i16::MAX && pcm[3] == pcm[2], "{pcm:?}");
        assert_eq!(pcm[4..], [0, 0]);
        // Stopped: silence.
        *feed.cursor.lock().expect("lock") = None;
        let mut out = [1.0f32; 4];
        feed.fill(&mut out);
        assert_eq!(out, [0.0; 4]);
    }

    #[test]
    fn plays_through_cpal_to_alsas_null_device() {
        // ALSA's `null` device (alsa-lib's own configuration, present wherever libasound is)
        // takes samples without a sound card, so the whole cpal path runs in CI.
        let out = match Output::open(Some("null")) {
            Ok(o) => o,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("skipping: {e}");
                return;
            }
            Err(e) => panic!("ALSA's null device through cpal: {e}"),
        };
        let tone: Vec<f32> = (0..4_800).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        out.play(Arc::new(tone), 48_000, 0);
        let t0 = std::time::Instant::now();
        while out.frames_played.load(Ordering::Relaxed) == 0
            && t0.elapsed() < std::time::Duration::from_secs(10)
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(
            out.frames_played.load(Ordering::Relaxed) > 0,
            "the device callback took no samples ({})",
            out.description
        );
        out.stop();
    }

    #[test]
    fn a_missing_device_is_an_error_naming_it() {
        let e = Output::open(Some("no-such-device-xyz"))
            .err()
            .expect("no such device");
        assert!(
            e.contains("no-such-device-xyz") || e.contains("sound"),
            "{e}"
        );
    }
}
