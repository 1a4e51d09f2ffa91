//! bvh reader and writer (in progress).
