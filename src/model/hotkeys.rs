//! Configurable hotkeys: which key chord triggers which studio action.
//!
//! Saved with the other settings (`settings.json`, key `hotkeys`) as action → chords, e.g.
//! `"PlayPause": ["Space"]`, `"Redo": ["Ctrl+Shift+Z", "Ctrl+Y"]`. Actions missing from the file
//! keep their default chords, so a settings file from an older version still has every key. Keys
//! use Bevy's physical key names (`KeyJ`, `Digit1`, `Numpad5`, `ArrowLeft`…); a single letter or
//! digit is accepted as shorthand (`J`, `1`). `Ctrl` also matches the Cmd/Super key.

use std::collections::BTreeMap;
use std::fmt;

use bevy::prelude::KeyCode;
use serde::{Deserialize, Serialize};

/// Something a hotkey does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Action {
    /// Play / pause.
    PlayPause,
    /// J: play backwards (again: faster).
    ShuttleReverse,
    /// K: stop.
    ShuttleStop,
    /// L: play forwards (again: faster).
    ShuttleForward,
    /// One frame back.
    StepBack,
    /// One frame forward.
    StepForward,
    /// Ten frames back.
    StepBack10,
    /// Ten frames forward.
    StepForward10,
    /// First frame.
    GoToStart,
    /// Last frame.
    GoToEnd,
    /// In point at the current frame.
    SetIn,
    /// Out point at the current frame.
    SetOut,
    /// Frame the selection (or everything).
    FrameSelection,
    /// Frame everything on stage (with the pointer over the viewport).
    FrameAll,
    /// Front view.
    ViewFront,
    /// Side view.
    ViewSide,
    /// Top view.
    ViewTop,
    /// Perspective view.
    ViewPerspective,
    /// Clear the selection.
    ClearSelection,
    /// The camera follows the performers (toggle).
    ToggleFollow,
    /// Undo.
    Undo,
    /// Redo.
    Redo,
    /// Open files.
    Open,
    /// Quit.
    Quit,
    /// Circle the reviewed take (again: uncircle).
    Circle,
    /// Approve the reviewed take.
    Approve,
    /// Reject the reviewed take.
    Reject,
    /// Write a note at the current frame.
    Note,
}

impl Action {
    /// Whether the action belongs to the 3D view: its keys act while the pointer is over the
    /// viewport and there shadow the same keys' other actions (A frames all there, approves a
    /// take elsewhere), as DCC viewports do.
    pub fn viewport_only(self) -> bool {
        matches!(self, Action::FrameAll)
    }

    /// Whether holding the key repeats the action (frame stepping; not toggles or dialogs).
    pub fn repeats(self) -> bool {
        matches!(
            self,
            Action::StepBack | Action::StepForward | Action::StepBack10 | Action::StepForward10
        )
    }

    /// Every action, in menu order.
    pub const ALL: [Action; 28] = [
        Action::PlayPause,
        Action::ShuttleReverse,
        Action::ShuttleStop,
        Action::ShuttleForward,
        Action::StepBack,
        Action::StepForward,
        Action::StepBack10,
        Action::StepForward10,
        Action::GoToStart,
        Action::GoToEnd,
        Action::SetIn,
        Action::SetOut,
        Action::FrameSelection,
        Action::FrameAll,
        Action::ViewFront,
        Action::ViewSide,
        Action::ViewTop,
        Action::ViewPerspective,
        Action::ClearSelection,
        Action::ToggleFollow,
        Action::Undo,
        Action::Redo,
        Action::Open,
        Action::Quit,
        Action::Circle,
        Action::Approve,
        Action::Reject,
        Action::Note,
    ];

    /// Label for the settings panel.
    pub fn label(self) -> &'static str {
        match self {
            Action::PlayPause => "Play / pause",
            Action::ShuttleReverse => "Shuttle reverse (J)",
            Action::ShuttleStop => "Shuttle stop (K)",
            Action::ShuttleForward => "Shuttle forward (L)",
            Action::StepBack => "Step back 1 frame",
            Action::StepForward => "Step forward 1 frame",
            Action::StepBack10 => "Step back 10 frames",
            Action::StepForward10 => "Step forward 10 frames",
            Action::GoToStart => "Go to start",
            Action::GoToEnd => "Go to end",
            Action::SetIn => "Set in point",
            Action::SetOut => "Set out point",
            Action::FrameSelection => "Frame selection",
            Action::FrameAll => "Frame all (pointer over the viewport)",
            Action::ViewFront => "Front view",
            Action::ViewSide => "Side view",
            Action::ViewTop => "Top view",
            Action::ViewPerspective => "Perspective view",
            Action::ClearSelection => "Clear selection",
            Action::ToggleFollow => "Follow the performers (camera)",
            Action::Undo => "Undo",
            Action::Redo => "Redo",
            Action::Open => "Open files",
            Action::Quit => "Quit",
            Action::Circle => "Circle take",
            Action::Approve => "Approve take",
            Action::Reject => "Reject take",
            Action::Note => "Write a note",
        }
    }

    /// The chords bound by default.
    pub fn default_chords(self) -> Vec<Chord> {
        let k = |key| Chord {
            key,
            ctrl: false,
            shift: false,
        };
        let ctrl = |key| Chord {
            key,
            ctrl: true,
            shift: false,
        };
        let shift = |key| Chord {
            key,
            ctrl: false,
            shift: true,
        };
        use KeyCode as K;
        match self {
            Action::PlayPause => vec![k(K::Space)],
            Action::ShuttleReverse => vec![k(K::KeyJ)],
            Action::ShuttleStop => vec![k(K::KeyK)],
            Action::ShuttleForward => vec![k(K::KeyL)],
            Action::StepBack => vec![k(K::ArrowLeft)],
            Action::StepForward => vec![k(K::ArrowRight)],
            Action::StepBack10 => vec![shift(K::ArrowLeft)],
            Action::StepForward10 => vec![shift(K::ArrowRight)],
            Action::GoToStart => vec![k(K::Home)],
            Action::GoToEnd => vec![k(K::End)],
            Action::SetIn => vec![k(K::KeyI)],
            Action::SetOut => vec![k(K::KeyO)],
            Action::FrameSelection => vec![k(K::KeyF)],
            Action::FrameAll => vec![k(K::KeyA)],
            Action::ViewFront => vec![k(K::Numpad1)],
            Action::ViewSide => vec![k(K::Numpad3)],
            Action::ViewTop => vec![k(K::Numpad7)],
            Action::ViewPerspective => vec![k(K::Numpad5)],
            Action::ClearSelection => vec![k(K::Escape)],
            Action::ToggleFollow => vec![shift(K::KeyF)],
            Action::Undo => vec![ctrl(K::KeyZ)],
            Action::Redo => vec![
                Chord {
                    key: K::KeyZ,
                    ctrl: true,
                    shift: true,
                },
                ctrl(K::KeyY),
            ],
            Action::Open => vec![ctrl(K::KeyO)],
            Action::Quit => vec![ctrl(K::KeyQ)],
            Action::Circle => vec![k(K::KeyC)],
            Action::Approve => vec![k(K::KeyA)],
            Action::Reject => vec![k(K::KeyR)],
            Action::Note => vec![k(K::KeyN)],
        }
    }
}

/// A key with modifiers. Written as text: `Ctrl+Shift+KeyZ`, `Space`, `Numpad1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Chord {
    /// The physical key.
    pub key: KeyCode,
    /// Ctrl (or Cmd / Super) held.
    pub ctrl: bool,
    /// Shift held.
    pub shift: bool,
}

/// Keys a hotkey can use (named as Bevy's `KeyCode` variants).
const KEYS: [KeyCode; 86] = {
    use KeyCode as K;
    [
        K::KeyA,
        K::KeyB,
        K::KeyC,
        K::KeyD,
        K::KeyE,
        K::KeyF,
        K::KeyG,
        K::KeyH,
        K::KeyI,
        K::KeyJ,
        K::KeyK,
        K::KeyL,
        K::KeyM,
        K::KeyN,
        K::KeyO,
        K::KeyP,
        K::KeyQ,
        K::KeyR,
        K::KeyS,
        K::KeyT,
        K::KeyU,
        K::KeyV,
        K::KeyW,
        K::KeyX,
        K::KeyY,
        K::KeyZ,
        K::Digit0,
        K::Digit1,
        K::Digit2,
        K::Digit3,
        K::Digit4,
        K::Digit5,
        K::Digit6,
        K::Digit7,
        K::Digit8,
        K::Digit9,
        K::Numpad0,
        K::Numpad1,
        K::Numpad2,
        K::Numpad3,
        K::Numpad4,
        K::Numpad5,
        K::Numpad6,
        K::Numpad7,
        K::Numpad8,
        K::Numpad9,
        K::F1,
        K::F2,
        K::F3,
        K::F4,
        K::F5,
        K::F6,
        K::F7,
        K::F8,
        K::F9,
        K::F10,
        K::F11,
        K::F12,
        K::ArrowLeft,
        K::ArrowRight,
        K::ArrowUp,
        K::ArrowDown,
        K::Home,
        K::End,
        K::PageUp,
        K::PageDown,
        K::Space,
        K::Escape,
        K::Enter,
        K::Tab,
        K::Backspace,
        K::Delete,
        K::Insert,
        K::Comma,
        K::Period,
        K::Slash,
        K::Semicolon,
        K::Quote,
        K::BracketLeft,
        K::BracketRight,
        K::Minus,
        K::Equal,
        K::Backquote,
        K::Backslash,
        K::NumpadAdd,
        K::NumpadSubtract,
    ]
};

/// Bevy's name of a key (`KeyJ`, `Space`).
pub fn key_name(key: KeyCode) -> String {
    format!("{key:?}")
}

/// The key named `name` (Bevy's `KeyCode` name, case-insensitive; a single letter or digit as
/// shorthand for `KeyX` / `DigitN`).
pub fn parse_key(name: &str) -> Option<KeyCode> {
    let name = name.trim();
    let full = match name.len() {
        1 if name.chars().all(|c| c.is_ascii_alphabetic()) => {
            format!("Key{}", name.to_ascii_uppercase())
        }
        1 if name.chars().all(|c| c.is_ascii_digit()) => format!("Digit{name}"),
        _ => name.to_string(),
    };
    KEYS.into_iter()
        .find(|k| key_name(*k).eq_ignore_ascii_case(&full))
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl+")?;
        }
        if self.shift {
            f.write_str("Shift+")?;
        }
        f.write_str(&key_name(self.key))
    }
}

impl std::str::FromStr for Chord {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut chord = Chord {
            key: KeyCode::Space,
            ctrl: false,
            shift: false,
        };
        let parts: Vec<&str> = s.split('+').map(str::trim).collect();
        let (key, mods) = parts
            .split_last()
            .ok_or_else(|| "empty hotkey".to_string())?;
        for m in mods {
            match m.to_ascii_lowercase().as_str() {
                "ctrl" | "cmd" | "control" => chord.ctrl = true,
                "shift" => chord.shift = true,
                other => {
                    return Err(format!(
                        "unknown modifier `{other}` in `{s}` (use Ctrl and/or Shift)"
                    ));
                }
            }
        }
        chord.key = parse_key(key).ok_or_else(|| {
            format!("unknown key `{key}` in `{s}` (use names like KeyJ, Digit1, Space, ArrowLeft, Numpad5, F1)")
        })?;
        Ok(chord)
    }
}

impl TryFrom<String> for Chord {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Chord> for String {
    fn from(c: Chord) -> String {
        c.to_string()
    }
}

/// The user's bindings: actions listed here use these chords (an empty list unbinds the
/// action); other actions keep [`Action::default_chords`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hotkeys {
    /// Overrides per action.
    pub bindings: BTreeMap<Action, Vec<Chord>>,
}

impl Hotkeys {
    /// The chords that trigger `action` now.
    pub fn chords(&self, action: Action) -> Vec<Chord> {
        self.bindings
            .get(&action)
            .cloned()
            .unwrap_or_else(|| action.default_chords())
    }

    /// The action a key press triggers: the exact chord first; with Shift held and no Shift
    /// binding, the same key without Shift (so Shift+J still shuttles).
    pub fn action_for(&self, key: KeyCode, ctrl: bool, shift: bool) -> Option<Action> {
        self.find(key, ctrl, shift, false)
    }

    /// [`Self::action_for`] where the pointer is: over the viewport its actions come first
    /// ([`Action::viewport_only`]).
    pub fn action_for_in(
        &self,
        key: KeyCode,
        ctrl: bool,
        shift: bool,
        over_viewport: bool,
    ) -> Option<Action> {
        over_viewport
            .then(|| self.find(key, ctrl, shift, true))
            .flatten()
            .or_else(|| self.action_for(key, ctrl, shift))
    }

    fn find(&self, key: KeyCode, ctrl: bool, shift: bool, viewport: bool) -> Option<Action> {
        let find = |shift| {
            let want = Chord { key, ctrl, shift };
            Action::ALL
                .into_iter()
                .filter(|a| a.viewport_only() == viewport)
                .find(|a| self.chords(*a).contains(&want))
        };
        find(shift).or_else(|| if shift { find(false) } else { None })
    }

    /// Chords bound to more than one action, with those actions.
    pub fn conflicts(&self) -> Vec<(Chord, Vec<Action>)> {
        // Viewport actions shadow others only over the viewport: no conflict between scopes.
        let mut by_chord: BTreeMap<(bool, String), (Chord, Vec<Action>)> = BTreeMap::new();
        for a in Action::ALL {
            for c in self.chords(a) {
                by_chord
                    .entry((a.viewport_only(), c.to_string()))
                    .or_insert_with(|| (c, Vec::new()))
                    .1
                    .push(a);
            }
        }
        by_chord
            .into_values()
            .filter(|(_, actions)| actions.len() > 1)
            .collect()
    }

    /// Binds `action` to `chords`; back to the default when they equal it.
    pub fn set(&mut self, action: Action, chords: Vec<Chord>) {
        if chords == action.default_chords() {
            self.bindings.remove(&action);
        } else {
            self.bindings.insert(action, chords);
        }
    }
}

/// Parses a comma-separated list of chords (`"Ctrl+Shift+KeyZ, Ctrl+KeyY"`; empty: unbound).
pub fn parse_chords(s: &str) -> Result<Vec<Chord>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::parse)
        .collect()
}

/// Formats chords as [`parse_chords`] reads them.
pub fn format_chords(chords: &[Chord]) -> String {
    chords
        .iter()
        .map(Chord::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_keys_without_conflicts() {
        let h = Hotkeys::default();
        assert_eq!(
            h.action_for(KeyCode::Space, false, false),
            Some(Action::PlayPause)
        );
        assert_eq!(h.action_for(KeyCode::KeyZ, true, true), Some(Action::Redo));
        assert_eq!(h.action_for(KeyCode::KeyY, true, false), Some(Action::Redo));
        assert_eq!(h.action_for(KeyCode::KeyZ, true, false), Some(Action::Undo));
        assert_eq!(
            h.action_for(KeyCode::ArrowLeft, false, true),
            Some(Action::StepBack10)
        );
        // Shift falls back to the unshifted binding.
        assert_eq!(
            h.action_for(KeyCode::KeyJ, false, true),
            Some(Action::ShuttleReverse)
        );
        assert_eq!(h.action_for(KeyCode::KeyZ, false, false), None);
        assert!(h.conflicts().is_empty(), "{:?}", h.conflicts());
        // A approves a take, but frames all with the pointer over the viewport.
        assert_eq!(
            h.action_for(KeyCode::KeyA, false, false),
            Some(Action::Approve)
        );
        assert_eq!(
            h.action_for_in(KeyCode::KeyA, false, false, true),
            Some(Action::FrameAll)
        );
        assert_eq!(
            h.action_for_in(KeyCode::KeyF, false, false, true),
            Some(Action::FrameSelection)
        );
    }

    #[test]
    fn rebinding_saves_only_the_change_and_round_trips_through_json() {
        let mut h = Hotkeys::default();
        h.set(Action::PlayPause, parse_chords("KeyP, Numpad0").unwrap());
        h.set(Action::Undo, Action::Undo.default_chords());
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, r#"{"PlayPause":["KeyP","Numpad0"]}"#);
        let back: Hotkeys = serde_json::from_str(&json).unwrap();
        assert_eq!(back, h);
        assert_eq!(
            back.action_for(KeyCode::KeyP, false, false),
            Some(Action::PlayPause)
        );
        assert_eq!(back.action_for(KeyCode::Space, false, false), None);
        // Unbound with an empty list.
        h.set(Action::Quit, Vec::new());
        assert_eq!(h.action_for(KeyCode::KeyQ, true, false), None);
    }

    #[test]
    fn chords_parse_with_shorthand_and_reject_unknown_names() {
        let c: Chord = "ctrl+shift+z".parse().unwrap();
        assert_eq!(
            c,
            Chord {
                key: KeyCode::KeyZ,
                ctrl: true,
                shift: true
            }
        );
        assert_eq!(c.to_string(), "Ctrl+Shift+KeyZ");
        assert_eq!("7".parse::<Chord>().unwrap().key, KeyCode::Digit7);
        assert_eq!("numpad5".parse::<Chord>().unwrap().key, KeyCode::Numpad5);
        assert!("Alt+K".parse::<Chord>().unwrap_err().contains("modifier"));
        assert!(
            "Hyper"
                .parse::<Chord>()
                .unwrap_err()
                .contains("unknown key")
        );
        assert!(serde_json::from_str::<Hotkeys>(r#"{"Undo":["Ctrl+Nope"]}"#).is_err());
    }

    #[test]
    fn conflicts_are_reported() {
        let mut h = Hotkeys::default();
        h.set(Action::Approve, parse_chords("Space").unwrap());
        let c = h.conflicts();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].1, vec![Action::PlayPause, Action::Approve]);
    }

    #[test]
    fn every_key_name_parses_back() {
        for k in KEYS {
            assert_eq!(parse_key(&key_name(k)), Some(k), "{k:?}");
        }
    }
}
