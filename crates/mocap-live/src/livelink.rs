//! Live Link Face receiver: Epic's iPhone app (packet version 6) over UDP, on its own thread.
//!
//! The socket binds 127.0.0.1:11111 unless told otherwise (a phone on the network needs
//! `0.0.0.0:11111` or the host's LAN address). Every datagram is decoded with
//! [`mocap_formats::livelink`]; face frames go into a [`BoundedQueue`] (drop the oldest, counted),
//! malformed datagrams are counted and dropped — nothing a sender writes makes it panic. Several
//! phones may send to one port: the receiver keeps a [`SubjectInfo`] per subject name and device
//! id, and [`crate::face_record::FaceRecorder`] records one of them.

use crate::queue::BoundedQueue;
use mocap_data::FrameRate;
use mocap_formats::livelink::{DEFAULT_PORT, FaceFrame, LiveLinkPacket};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Subjects tracked at most; packets of further subjects are still queued, only not tracked in
/// [`LiveLinkReceiver::subjects`] (counted in [`LiveLinkStats::subjects_untracked`]).
pub const MAX_SUBJECTS: usize = 256;

/// Bytes read per datagram: far above the largest valid packet (45 + 1024 + 17 + 244 bytes), so
/// an oversized datagram is read whole and rejected by the decoder.
const DATAGRAM_BUFFER: usize = 65_536;

/// How to receive.
#[derive(Debug, Clone)]
pub struct LiveLinkConfig {
    /// Local address and port to bind (default 127.0.0.1:11111; port 0 picks a free one).
    pub bind: SocketAddr,
    /// Face frames held for the consumer before the oldest is dropped.
    pub queue_capacity: usize,
}

impl Default for LiveLinkConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), DEFAULT_PORT),
            queue_capacity: 4096,
        }
    }
}

/// A face frame and where and when it arrived.
#[derive(Debug, Clone)]
pub struct ReceivedFace {
    /// Subject name the phone sends (its Live Link subject, e.g. `iPhone`).
    pub subject: String,
    /// The sender's device id (`$` + UUID).
    pub device_id: String,
    /// The frame: frame number and subframe at the sender's rate, the rate, 52 ARKit weights
    /// (unitless, 0–1, as sent) then 9 head/eye rotations (radians).
    pub frame: FaceFrame,
    /// When the datagram was read from the socket (local monotonic clock).
    pub received: Instant,
    /// The sender's address.
    pub from: SocketAddr,
}

/// Counters of a running receiver.
#[derive(Debug, Default)]
pub struct LiveLinkStats {
    /// Datagrams read.
    pub packets_received: AtomicU64,
    /// Datagrams that did not decode (garbage, truncated, oversized, wrong count).
    pub packets_malformed: AtomicU64,
    /// Face frames decoded and queued.
    pub frames_decoded: AtomicU64,
    /// Well-formed packets without a frame (a subject announcing itself).
    pub announcements: AtomicU64,
    /// Packets of subjects beyond [`MAX_SUBJECTS`] (queued, not tracked).
    pub subjects_untracked: AtomicU64,
}

/// What the receiver knows about one sender (subject name + device id).
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectInfo {
    /// Subject name.
    pub subject: String,
    /// Device id (`$` + UUID).
    pub device_id: String,
    /// The sender's latest address.
    pub from: SocketAddr,
    /// Well-formed packets received (announcements included).
    pub packets: u64,
    /// Face frames received.
    pub frames: u64,
    /// Frame number of the latest frame (at `rate`).
    pub last_frame_number: Option<i32>,
    /// The rate of the latest frame (`None` when it stated none usable).
    pub rate: Option<FrameRate>,
    /// When its latest packet arrived (local monotonic clock).
    pub last_seen: Instant,
}

/// Error starting a receiver.
#[derive(Debug, thiserror::Error)]
pub enum ReceiverError {
    /// The socket could not be opened or bound.
    #[error(
        "Live Link Face receiver on {addr} ({what}): {source} (is another program using the port? pick another with --livelink-face ADDR:PORT and set it as the phone's target)"
    )]
    Io {
        /// The address.
        addr: SocketAddr,
        /// What was being done.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
}

type Subjects = Mutex<HashMap<(String, String), SubjectInfo>>;

/// A running receiver; its thread stops when it is dropped.
#[derive(Debug)]
pub struct LiveLinkReceiver {
    /// Face frames, oldest first; [`BoundedQueue::dropped`] counts what overflowed.
    pub frames: Arc<BoundedQueue<ReceivedFace>>,
    /// Live counters.
    pub stats: Arc<LiveLinkStats>,
    subjects: Arc<Subjects>,
    local: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LiveLinkReceiver {
    /// Binds the socket and starts the receiving thread.
    pub fn start(config: LiveLinkConfig) -> Result<Self, ReceiverError> {
        let addr = config.bind;
        let io = |what| move |source| ReceiverError::Io { addr, what, source };
        let socket = UdpSocket::bind(addr).map_err(io("bind"))?;
        // Best effort: a smaller buffer only absorbs shorter bursts.
        let _ = socket2::SockRef::from(&socket).set_recv_buffer_size(1 << 20);
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .map_err(io("timeout"))?;
        let local = socket.local_addr().map_err(io("local address"))?;
        let frames = Arc::new(BoundedQueue::new(config.queue_capacity));
        let stats = Arc::new(LiveLinkStats::default());
        let subjects = Arc::new(Subjects::default());
        let stop = Arc::new(AtomicBool::new(false));
        let shared = (
            frames.clone(),
            stats.clone(),
            subjects.clone(),
            stop.clone(),
        );
        let thread = std::thread::Builder::new()
            .name("livelink-face".into())
            .spawn(move || {
                let (frames, stats, subjects, stop) = shared;
                let mut buf = vec![0u8; DATAGRAM_BUFFER];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok((len, from)) = socket.recv_from(&mut buf) {
                        let datagram = buf.get(..len).unwrap_or(&[]);
                        accept(datagram, from, Instant::now(), &frames, &stats, &subjects);
                    }
                }
            })
            .map_err(io("spawn"))?;
        Ok(Self {
            frames,
            stats,
            subjects,
            local,
            stop,
            thread: Some(thread),
        })
    }

    /// The bound address (the actual port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Every subject heard so far, by subject name then device id.
    pub fn subjects(&self) -> Vec<SubjectInfo> {
        let mut v: Vec<SubjectInfo> = self
            .subjects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        v.sort_by(|a, b| (&a.subject, &a.device_id).cmp(&(&b.subject, &b.device_id)));
        v
    }

    /// A counter's current value.
    pub fn count(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for LiveLinkReceiver {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Decodes one datagram, updates the subject's state and queues its frame.
fn accept(
    datagram: &[u8],
    from: SocketAddr,
    received: Instant,
    frames: &BoundedQueue<ReceivedFace>,
    stats: &LiveLinkStats,
    subjects: &Subjects,
) {
    stats.packets_received.fetch_add(1, Ordering::Relaxed);
    let packet = match LiveLinkPacket::decode(datagram) {
        Ok(p) => p,
        Err(_) => {
            stats.packets_malformed.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    let device_id = packet.device_id_str();
    {
        let mut map = subjects.lock().unwrap_or_else(|p| p.into_inner());
        let key = (packet.subject.clone(), device_id.clone());
        let full = map.len() >= MAX_SUBJECTS && !map.contains_key(&key);
        if full {
            stats.subjects_untracked.fetch_add(1, Ordering::Relaxed);
        } else {
            let info = map.entry(key).or_insert_with(|| SubjectInfo {
                subject: packet.subject.clone(),
                device_id: device_id.clone(),
                from,
                packets: 0,
                frames: 0,
                last_frame_number: None,
                rate: None,
                last_seen: received,
            });
            info.from = from;
            info.packets += 1;
            info.last_seen = received;
            if let Some(f) = &packet.frame {
                info.frames += 1;
                info.last_frame_number = Some(f.frame_number);
                info.rate = f.rate();
            }
        }
    }
    match packet.frame {
        Some(frame) => {
            stats.frames_decoded.fetch_add(1, Ordering::Relaxed);
            frames.push(ReceivedFace {
                subject: packet.subject,
                device_id,
                frame,
                received,
                from,
            });
        }
        None => {
            stats.announcements.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_formats::livelink::VALUE_COUNT;

    fn packet(subject: &str, device: &str, n: i32) -> Vec<u8> {
        let mut values = [0.0f32; VALUE_COUNT];
        values[17] = n as f32 / 100.0;
        LiveLinkPacket::new(
            device,
            subject,
            Some(FaceFrame {
                frame_number: n,
                subframe: 0.0,
                rate_num: 60,
                rate_den: 1,
                values,
            }),
        )
        .encode()
    }

    fn wait_for(rx: &LiveLinkReceiver, packets: u64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while LiveLinkReceiver::count(&rx.stats.packets_received) < packets
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn receives_frames_per_subject_and_counts_garbage() {
        let rx = LiveLinkReceiver::start(LiveLinkConfig {
            bind: "127.0.0.1:0".parse().expect("address"),
            queue_capacity: 64,
        })
        .expect("receiver starts");
        assert_eq!(rx.local_addr().ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
        let tx = UdpSocket::bind("127.0.0.1:0").expect("sender");
        let to = rx.local_addr();
        let good_a = packet("PhoneA", "$aaaa", 10);
        let good_b = packet("PhoneB", "$bbbb", 500);
        let announce = LiveLinkPacket::new("$aaaa", "PhoneA", None).encode();
        let mut garbage: Vec<Vec<u8>> = vec![
            Vec::new(),
            vec![0xFF; 3],
            vec![6, 0, 0, 0],
            vec![0xAB; 2000],
            good_a[..good_a.len() - 1].to_vec(),
            [good_a.as_slice(), &[0]].concat(),
        ];
        let mut bad_count = good_a.clone();
        bad_count[45 + 6 + 16] = 200;
        garbage.push(bad_count);
        let mut huge_name = good_a.clone();
        huge_name[41..45].copy_from_slice(&i32::MAX.to_be_bytes());
        garbage.push(huge_name);
        for g in &garbage {
            tx.send_to(g, to).expect("send garbage");
        }
        for d in [&good_a, &announce, &good_b, &packet("PhoneA", "$aaaa", 11)] {
            tx.send_to(d, to).expect("send");
        }
        let total = garbage.len() as u64 + 4;
        wait_for(&rx, total);
        assert_eq!(LiveLinkReceiver::count(&rx.stats.packets_received), total);
        assert_eq!(
            LiveLinkReceiver::count(&rx.stats.packets_malformed),
            garbage.len() as u64
        );
        assert_eq!(LiveLinkReceiver::count(&rx.stats.frames_decoded), 3);
        assert_eq!(LiveLinkReceiver::count(&rx.stats.announcements), 1);
        let got = rx.frames.drain();
        let seen: Vec<(&str, i32)> = got
            .iter()
            .map(|f| (f.subject.as_str(), f.frame.frame_number))
            .collect();
        assert_eq!(seen, vec![("PhoneA", 10), ("PhoneB", 500), ("PhoneA", 11)]);
        assert_eq!(got[2].frame.values[17], 0.11);
        assert_eq!(got[0].device_id, "$aaaa");
        let subjects = rx.subjects();
        assert_eq!(subjects.len(), 2);
        assert_eq!(
            (
                subjects[0].subject.as_str(),
                subjects[0].packets,
                subjects[0].frames,
                subjects[0].last_frame_number
            ),
            ("PhoneA", 3, 2, Some(11))
        );
        assert_eq!(subjects[1].rate, Some(FrameRate::FPS_60));
        rx.stop();
    }

    #[test]
    fn a_busy_port_is_an_error_that_says_what_to_do() {
        let held = UdpSocket::bind("127.0.0.1:0").expect("hold a port");
        let addr = held.local_addr().expect("address");
        let e = LiveLinkReceiver::start(LiveLinkConfig {
            bind: addr,
            ..LiveLinkConfig::default()
        })
        .expect_err("the port is taken");
        assert!(e.to_string().contains("--livelink-face"), "{e}");
    }

    #[test]
    fn random_datagrams_never_panic() {
        let frames = BoundedQueue::new(8);
        let stats = LiveLinkStats::default();
        let subjects = Subjects::default();
        let from: SocketAddr = "127.0.0.1:9".parse().expect("address");
        let base = packet("S", "$d", 1);
        // Deterministic xorshift: truncations and bit flips of a valid packet, and noise.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..5000 {
            let mut d = base.clone();
            d.truncate((next() % (base.len() as u64 + 8)) as usize);
            for _ in 0..(next() % 4) {
                if !d.is_empty() {
                    let i = (next() % d.len() as u64) as usize;
                    d[i] ^= (next() & 0xFF) as u8;
                }
            }
            accept(&d, from, Instant::now(), &frames, &stats, &subjects);
        }
        let received = stats.packets_received.load(Ordering::Relaxed);
        let malformed = stats.packets_malformed.load(Ordering::Relaxed);
        let ok = stats.frames_decoded.load(Ordering::Relaxed)
            + stats.announcements.load(Ordering::Relaxed);
        assert_eq!(received, 5000);
        assert_eq!(malformed + ok, received);
        assert!(malformed > 4000, "{malformed} malformed of 5000");
    }
}
