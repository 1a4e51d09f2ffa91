//! A UDP relay that impairs a NatNet stream on purpose (loss, reordering, garbage) and counts
//! exactly what it did: for soak tests, benchmarks and rehearsing a bad network.
//!
//! The client talks to the relay as if it were the server; the relay forwards the client's
//! datagrams to the server and the server's back, impairing only frames of data whose number
//! is below [`Impairment::until_frame`] (so the stream's end is clean and every loss lies
//! between received frames, where a recorder can count it).

use crate::natnet;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// What to do to the stream (probabilities per frame, 0–1).
#[derive(Debug, Clone)]
pub struct Impairment {
    /// A frame is dropped.
    pub loss: f64,
    /// A frame is held back and sent after the next one.
    pub reorder: f64,
    /// A garbage datagram is sent before a frame.
    pub garbage: f64,
    /// Frames numbered at or above this pass untouched.
    pub until_frame: i64,
    /// Seed of the deterministic random generator.
    pub seed: u64,
}

/// What the relay did.
#[derive(Debug, Default)]
pub struct ImpairCounts {
    /// Frames dropped.
    pub dropped: AtomicU64,
    /// Frames sent after their successor.
    pub reordered: AtomicU64,
    /// Garbage datagrams sent.
    pub garbage: AtomicU64,
    /// Frames forwarded (reordered included).
    pub forwarded: AtomicU64,
}

/// A running relay; stops when dropped.
#[derive(Debug)]
pub struct Relay {
    addr: SocketAddr,
    /// What it did so far.
    pub counts: Arc<ImpairCounts>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Relay {
    /// A relay on 127.0.0.1 in front of `server` (its command address).
    pub fn start(server: SocketAddr, impairment: Impairment) -> std::io::Result<Self> {
        let front = UdpSocket::bind("127.0.0.1:0")?;
        let back = UdpSocket::bind("127.0.0.1:0")?;
        front.set_nonblocking(true)?;
        back.set_read_timeout(Some(Duration::from_millis(5)))?;
        let addr = front.local_addr()?;
        let counts = Arc::new(ImpairCounts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (counts.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("natnet-impair".into())
            .spawn(move || relay(&front, &back, server, &impairment, &c, &s))?;
        Ok(Self {
            addr,
            counts,
            stop,
            thread: Some(thread),
        })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// xorshift64*: deterministic, good enough to pick impairments.
fn next(state: &mut u64) -> f64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
}

fn relay(
    front: &UdpSocket,
    back: &UdpSocket,
    server: SocketAddr,
    imp: &Impairment,
    counts: &ImpairCounts,
    stop: &AtomicBool,
) {
    let mut rng = imp.seed.max(1);
    let mut buf = vec![0u8; natnet::MAX_DATAGRAM + 1];
    let mut client: Option<SocketAddr> = None;
    let mut held: Option<Vec<u8>> = None;
    while !stop.load(Ordering::Relaxed) {
        while let Ok((len, from)) = front.recv_from(&mut buf) {
            client = Some(from);
            let _ = back.send_to(&buf[..len], server);
        }
        let Ok((len, _)) = back.recv_from(&mut buf) else {
            continue;
        };
        let Some(to) = client else { continue };
        let d = &buf[..len];
        let number = (len >= 8 && u16::from_le_bytes([d[0], d[1]]) == natnet::NAT_FRAMEOFDATA)
            .then(|| i32::from_le_bytes([d[4], d[5], d[6], d[7]]) as i64);
        let Some(_) = number.filter(|n| *n < imp.until_frame) else {
            if number.is_some() {
                counts.forwarded.fetch_add(1, Ordering::Relaxed);
            }
            let _ = front.send_to(d, to);
            if let Some(h) = held.take() {
                let _ = front.send_to(&h, to);
                counts.forwarded.fetch_add(1, Ordering::Relaxed);
            }
            continue;
        };
        if next(&mut rng) < imp.garbage {
            // Unknown id 0xFFFF declaring 65 535 bytes: never a valid datagram.
            let mut g = vec![0xFF; 4];
            g.extend((0..(next(&mut rng) * 200.0) as usize).map(|i| i as u8));
            let _ = front.send_to(&g, to);
            counts.garbage.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(h) = held.take() {
            // The held frame goes right after this one (which is never dropped).
            let _ = front.send_to(d, to);
            let _ = front.send_to(&h, to);
            counts.forwarded.fetch_add(2, Ordering::Relaxed);
            continue;
        }
        let r = next(&mut rng);
        if r < imp.loss {
            counts.dropped.fetch_add(1, Ordering::Relaxed);
        } else if r < imp.loss + imp.reorder {
            held = Some(d.to_vec());
            counts.reordered.fetch_add(1, Ordering::Relaxed);
        } else {
            let _ = front.send_to(d, to);
            counts.forwarded.fetch_add(1, Ordering::Relaxed);
        }
    }
}
