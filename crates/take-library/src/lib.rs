//! take-library (in progress).
