//! Playback of the subtitles' reference audio, synced to the timeline clock.
//!
//! No audio crate is built in (Bevy's `bevy_audio` needs ALSA headers at build time and a
//! device at run time). Instead ALSA's `libasound.so.2` is opened at run time (`libloading`):
//! when it or a sound device is missing, playback logs one warning and the app carries on
//! silently — CI has neither. A worker thread writes 16-bit mono samples to the device
//! (`$MOCAP_AUDIO_DEVICE`, default `default`) in 20 ms chunks and stops within a chunk.
//!
//! Sync rule: sound plays while the clock plays forward at 1×; a seek, a loop wrap, a pause,
//! a speed change or a new clip stops it and (when still playing at 1×) restarts it at the
//! clock's position. Scrubbing is silent.

use std::ffi::{CStr, CString, c_char, c_int, c_long, c_uint, c_ulong, c_void};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

use bevy::prelude::*;

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

/// Samples per write (20 ms at 48 kHz; fewer at lower rates).
const CHUNK_MS: u32 = 20;

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
        let device = std::env::var("MOCAP_AUDIO_DEVICE").unwrap_or_else(|_| "default".into());
        let spawned = std::thread::Builder::new()
            .name("reference-audio".into())
            .spawn(move || worker(rx, &device));
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

fn worker(rx: Receiver<AudioMsg>, device: &str) {
    let mut alsa: Option<Result<Pcm, String>> = None;
    let mut next = rx.recv().ok();
    while let Some(msg) = next.take() {
        let AudioMsg::Play {
            samples,
            sample_rate,
            start_sample,
        } = msg
        else {
            next = rx.recv().ok();
            continue;
        };
        // Open the device on first use (and again after the rate changes).
        if !matches!(&alsa, Some(Ok(p)) if p.rate == sample_rate) && !matches!(&alsa, Some(Err(_)))
        {
            alsa = Some(
                Pcm::open(device, sample_rate)
                    .inspect(|_| {
                        info!("Reference audio plays on ALSA device {device:?} at {sample_rate} Hz")
                    })
                    .inspect_err(|e| warn!("Reference audio playback off: {e}")),
            );
        }
        let Some(Ok(pcm)) = &alsa else {
            next = rx.recv().ok();
            continue;
        };
        let chunk = (sample_rate * CHUNK_MS / 1000).max(1) as usize;
        let mut pos = start_sample;
        let mut stopped = false;
        while pos < samples.len() {
            match rx.try_recv() {
                Ok(m) => {
                    next = Some(m);
                    stopped = true;
                    break;
                }
                Err(TryRecvError::Disconnected) => return,
                Err(TryRecvError::Empty) => {}
            }
            let end = (pos + chunk).min(samples.len());
            if let Err(e) = pcm.write(&samples[pos..end]) {
                warn!("Reference audio playback stopped: {e}");
                break;
            }
            pos = end;
        }
        pcm.drop_pending();
        if !stopped {
            next = rx.recv().ok();
        }
    }
}

type OpenFn = unsafe extern "C" fn(*mut *mut c_void, *const c_char, c_int, c_int) -> c_int;
type SetParamsFn =
    unsafe extern "C" fn(*mut c_void, c_int, c_int, c_uint, c_uint, c_int, c_uint) -> c_int;
type WriteFn = unsafe extern "C" fn(*mut c_void, *const c_void, c_ulong) -> c_long;
type RecoverFn = unsafe extern "C" fn(*mut c_void, c_int, c_int) -> c_int;
type PcmFn = unsafe extern "C" fn(*mut c_void) -> c_int;
type StrErrorFn = unsafe extern "C" fn(c_int) -> *const c_char;

/// `SND_PCM_STREAM_PLAYBACK`.
const STREAM_PLAYBACK: c_int = 0;
/// `SND_PCM_FORMAT_S16_LE`.
const FORMAT_S16_LE: c_int = 2;
/// `SND_PCM_ACCESS_RW_INTERLEAVED`.
const ACCESS_RW_INTERLEAVED: c_int = 3;
/// Device buffer, microseconds.
const LATENCY_US: c_uint = 100_000;

/// An open ALSA playback device (mono, signed 16-bit) through a run-time loaded libasound.
pub struct Pcm {
    lib: libloading::Library,
    handle: *mut c_void,
    /// Sample rate, Hz.
    pub rate: u32,
}

// SAFETY: an ALSA PCM handle may be used from any one thread at a time; `Pcm` is owned by the
// worker thread and never shared.
unsafe impl Send for Pcm {}

impl Pcm {
    /// Opens `device` (`default`, `null`, `hw:0`, …) for mono 16-bit playback at `rate` Hz.
    pub fn open(device: &str, rate: u32) -> Result<Pcm, String> {
        // SAFETY: loading the system's ALSA library runs its initialisers only.
        let lib = unsafe { libloading::Library::new("libasound.so.2") }
            .map_err(|e| format!("libasound.so.2 (ALSA) not found: {e}"))?;
        let name = CString::new(device).map_err(|_| format!("bad device name {device:?}"))?;
        let mut handle: *mut c_void = std::ptr::null_mut();
        // SAFETY: the symbols have the documented ALSA signatures declared above; `handle` is
        // a valid out pointer and `name` a NUL-terminated string that outlives the call.
        unsafe {
            let open: libloading::Symbol<'_, OpenFn> =
                lib.get(b"snd_pcm_open\0").map_err(|e| e.to_string())?;
            let rc = open(&mut handle, name.as_ptr(), STREAM_PLAYBACK, 0);
            if rc < 0 {
                return Err(format!(
                    "no sound device {device:?}: {}",
                    strerror(&lib, rc)
                ));
            }
            let set: libloading::Symbol<'_, SetParamsFn> = lib
                .get(b"snd_pcm_set_params\0")
                .map_err(|e| e.to_string())?;
            let rc = set(
                handle,
                FORMAT_S16_LE,
                ACCESS_RW_INTERLEAVED,
                1,
                rate,
                1,
                LATENCY_US,
            );
            if rc < 0 {
                let msg = strerror(&lib, rc);
                if let Ok(close) = lib.get::<PcmFn>(b"snd_pcm_close\0") {
                    close(handle);
                }
                return Err(format!(
                    "sound device {device:?} refuses mono {rate} Hz: {msg}"
                ));
            }
        }
        Ok(Pcm { lib, handle, rate })
    }

    /// Writes samples (−1..1, clipped), blocking until the device took them; recovers from an
    /// underrun once per call.
    pub fn write(&self, samples: &[f32]) -> Result<(), String> {
        let pcm16: Vec<i16> = samples
            .iter()
            .map(|s| (s.clamp(-1.0, 1.0) * i16::MAX as f32) as i16)
            .collect();
        let mut done = 0usize;
        let mut recovered = false;
        while done < pcm16.len() {
            // SAFETY: the pointer and length describe the live `pcm16` buffer; the handle is
            // open (closed only in Drop).
            let rc = unsafe {
                let write: libloading::Symbol<'_, WriteFn> = self
                    .lib
                    .get(b"snd_pcm_writei\0")
                    .map_err(|e| e.to_string())?;
                write(
                    self.handle,
                    pcm16[done..].as_ptr().cast(),
                    (pcm16.len() - done) as c_ulong,
                )
            };
            if rc >= 0 {
                done += rc as usize;
                continue;
            }
            if recovered {
                return Err(strerror(&self.lib, rc as c_int));
            }
            recovered = true;
            // SAFETY: as above.
            let rc2 = unsafe {
                let recover: libloading::Symbol<'_, RecoverFn> = self
                    .lib
                    .get(b"snd_pcm_recover\0")
                    .map_err(|e| e.to_string())?;
                recover(self.handle, rc as c_int, 1)
            };
            if rc2 < 0 {
                return Err(strerror(&self.lib, rc2));
            }
        }
        Ok(())
    }

    /// Discards what the device has not played yet and makes it ready for the next write.
    pub fn drop_pending(&self) {
        // SAFETY: the handle is open; both calls take only the handle.
        unsafe {
            if let Ok(drop) = self.lib.get::<PcmFn>(b"snd_pcm_drop\0") {
                drop(self.handle);
            }
            if let Ok(prepare) = self.lib.get::<PcmFn>(b"snd_pcm_prepare\0") {
                prepare(self.handle);
            }
        }
    }
}

impl Drop for Pcm {
    fn drop(&mut self) {
        // SAFETY: the handle was opened by snd_pcm_open and is closed once, here.
        unsafe {
            if let Ok(close) = self.lib.get::<PcmFn>(b"snd_pcm_close\0") {
                close(self.handle);
            }
        }
    }
}

fn strerror(lib: &libloading::Library, rc: c_int) -> String {
    // SAFETY: snd_strerror returns a static NUL-terminated string for any code.
    unsafe {
        lib.get::<StrErrorFn>(b"snd_strerror\0")
            .ok()
            .map(|f| f(rc))
            .filter(|p| !p.is_null())
            .map(|p| CStr::from_ptr(p).to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("ALSA error {rc}"))
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
    fn plays_to_the_null_device_when_alsa_is_there() {
        let pcm = match Pcm::open("null", 16_000) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("skipping: {e}");
                return;
            }
        };
        let tone: Vec<f32> = (0..1600).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        pcm.write(&tone).expect("write to the null device");
        pcm.drop_pending();
        pcm.write(&tone[..320]).expect("write after a stop");
    }

    #[test]
    fn a_missing_device_is_an_error_not_a_crash() {
        if let Err(e) = Pcm::open("no-such-device-xyz", 16_000) {
            assert!(
                e.contains("no-such-device-xyz") || e.contains("libasound"),
                "{e}"
            );
        }
    }
}
