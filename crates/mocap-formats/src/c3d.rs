//! c3d reader and writer (in progress).
