//! asf reader and writer (in progress).
