//! A bounded queue between threads that drops the oldest item when full and counts it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Multi-producer, multi-consumer FIFO of at most `capacity` items. A push into a full queue
/// drops the oldest item and counts it in [`Self::dropped`]; nobody ever blocks on a push.
#[derive(Debug)]
pub struct BoundedQueue<T> {
    items: Mutex<VecDeque<T>>,
    ready: Condvar,
    capacity: usize,
    dropped: AtomicU64,
}

impl<T> BoundedQueue<T> {
    /// A queue holding at most `capacity` items (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            items: Mutex::new(VecDeque::with_capacity(capacity.min(4096))),
            ready: Condvar::new(),
            capacity,
            dropped: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<T>> {
        // A panicking holder cannot leave a VecDeque half-updated: keep using it.
        self.items.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends `item`; when full, drops the oldest first (counted). Returns whether one was
    /// dropped.
    pub fn push(&self, item: T) -> bool {
        let mut q = self.lock();
        let dropped = if q.len() >= self.capacity {
            q.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
            true
        } else {
            false
        };
        q.push_back(item);
        drop(q);
        self.ready.notify_one();
        dropped
    }

    /// Takes the oldest item without waiting.
    pub fn try_pop(&self) -> Option<T> {
        self.lock().pop_front()
    }

    /// Takes the oldest item, waiting at most `timeout` for one.
    pub fn pop_timeout(&self, timeout: Duration) -> Option<T> {
        let q = self.lock();
        let (mut q, _) = self
            .ready
            .wait_timeout_while(q, timeout, |q| q.is_empty())
            .unwrap_or_else(|p| p.into_inner());
        q.pop_front()
    }

    /// Takes every queued item (oldest first) without waiting: what a frame-driven consumer
    /// such as the app's update system calls once per drawn frame.
    pub fn drain(&self) -> Vec<T> {
        self.lock().drain(..).collect()
    }

    /// Items dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Counts `n` items the producer dropped before they reached the queue (e.g. frames held
    /// back until their labels were known, beyond what the queue could hold).
    pub fn count_dropped(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no item waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most items it holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_queue_drops_oldest_and_counts() {
        let q = BoundedQueue::new(3);
        for i in 0..5 {
            q.push(i);
        }
        assert_eq!(q.dropped(), 2);
        assert_eq!(q.drain(), vec![2, 3, 4]);
        assert!(q.pop_timeout(Duration::from_millis(1)).is_none());
    }

    #[test]
    fn pop_wakes_on_push_from_another_thread() {
        let q = std::sync::Arc::new(BoundedQueue::new(2));
        let q2 = q.clone();
        let t = std::thread::spawn(move || q2.push(7u32));
        assert_eq!(q.pop_timeout(Duration::from_secs(5)), Some(7));
        t.join().expect("pusher thread");
    }
}
