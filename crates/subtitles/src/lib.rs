//! subtitles (in progress).
