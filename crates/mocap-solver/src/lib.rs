//! mocap-solver (in progress).
