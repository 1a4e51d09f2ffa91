//! The app's shared model: the data every plugin may use and that uses no plugin.
//!
//! - [`session`]: the open take and its actors; [`log`]: the app log;
//! - [`edit`]: undoable edits; [`commands`]: the messages plugins send each other;
//! - [`subtitles`]: the subtitle documents; [`library`]: the open take library and browser state;
//! - [`lanes`]: timeline lanes as data; [`settings`] and [`hotkeys`]: the user's preferences;
//! - [`scene`]: characters on stage; [`bonemap`]: their bone maps and the Bone Map panel's state;
//!   [`facemap`]: their face maps (ARKit channels → morph targets) and the Face Map panel's state;
//!   [`compare`]: a second take shown beside the open one;
//! - [`util`]: small helpers (natural ordering, atomic writes).
//!
//! Plugins live in their own folders (`src/<concern>/mod.rs`) and talk through this model and Bevy
//! messages; none of them imports another's private functions. The model imports no plugin.

pub mod bonemap;
pub mod commands;
pub mod compare;
pub mod edit;
pub mod facemap;
pub mod groups;
pub mod hotkeys;
pub mod lanes;
pub mod library;
pub mod log;
pub mod recovery;
pub mod scene;
pub mod session;
pub mod settings;
pub mod subtitles;
pub mod util;
