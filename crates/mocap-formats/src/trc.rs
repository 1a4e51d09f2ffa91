//! trc reader and writer (in progress).
