//! NatNet 4.1 server: replays a [`TakeStream`] in real time to unicast clients (and a multicast
//! group when asked), on its own thread.
//!
//! Unicast as Motive does it: a client sends NAT_CONNECT to the command port and receives
//! SERVERINFO; frames then go to the address it sent from while it keeps sending NAT_KEEPALIVE
//! (or any message) within [`ServeConfig::client_timeout`]. Playback starts with the first
//! client (frame 0 first), so a recorder that connects gets the whole take.

use crate::natnet::{self, Packet, ServerInfo, Version};
use crate::stream::TakeStream;
use std::collections::HashMap;
use std::net::{SocketAddr, SocketAddrV4, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// Ticks per second of the server's high-resolution clock (nanoseconds since it started).
pub const CLOCK_FREQUENCY: u64 = 1_000_000_000;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Command address (default 127.0.0.1:1510: loopback unless told otherwise).
    pub bind: SocketAddr,
    /// Playback speed (1 = real time; must be > 0).
    pub speed: f64,
    /// Start again after the last frame (frame numbers keep counting up).
    pub looping: bool,
    /// Also send frames to this multicast group and data port.
    pub multicast: Option<SocketAddrV4>,
    /// A unicast client that sends nothing for this long is dropped.
    pub client_timeout: Duration,
    /// Start playback at once instead of with the first client.
    pub start_immediately: bool,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 1510)),
            speed: 1.0,
            looping: false,
            multicast: None,
            client_timeout: Duration::from_secs(5),
            start_immediately: false,
        }
    }
}

/// Counters of a running server.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Frames sent (counted once per frame, whatever the number of clients).
    pub frames_sent: AtomicU64,
    /// Datagrams received that did not decode.
    pub packets_malformed: AtomicU64,
    /// NAT_CONNECTs accepted.
    pub connects: AtomicU64,
    /// Send errors (a client gone, a full socket buffer).
    pub send_errors: AtomicU64,
}

/// Error starting a server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error(
        "cannot bind the NatNet command port {addr}: {source} (is another server running? pick another --bind)"
    )]
    Bind {
        /// Address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Another socket error.
    #[error("NatNet server socket: {0}")]
    Io(#[from] std::io::Error),
    /// Speed not positive.
    #[error("speed {0} must be a positive number (1 = real time)")]
    Speed(f64),
}

/// A running server; stops when dropped or [`Self::stop`]ped.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    /// Live counters.
    pub stats: Arc<ServerStats>,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The bound command address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether playback has finished (never with looping) or the server was stopped.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits for playback to finish.
    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts serving `stream` on its own thread.
pub fn serve(stream: TakeStream, config: ServeConfig) -> Result<ServerHandle, ServeError> {
    if !(config.speed.is_finite() && config.speed > 0.0) {
        return Err(ServeError::Speed(config.speed));
    }
    let socket = UdpSocket::bind(config.bind).map_err(|source| ServeError::Bind {
        addr: config.bind,
        source,
    })?;
    let addr = socket.local_addr()?;
    // Best effort: room for bursts to several clients.
    let _ = socket2::SockRef::from(&socket).set_send_buffer_size(4 << 20);
    let multicast = match config.multicast {
        Some(group) => {
            let s = UdpSocket::bind(SocketAddr::new(addr.ip(), 0))?;
            s.set_multicast_loop_v4(true)?;
            Some((s, group))
        }
        None => None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(ServerStats::default());
    let mut server = Server {
        socket,
        multicast,
        stream,
        config,
        clients: HashMap::new(),
        epoch: Instant::now(),
        stats: stats.clone(),
        stop: stop.clone(),
    };
    let thread = std::thread::Builder::new()
        .name("natnet-server".into())
        .spawn(move || server.run())?;
    Ok(ServerHandle {
        addr,
        stop,
        stats,
        thread: Some(thread),
    })
}

struct Client {
    last_seen: Instant,
    version: Version,
}

struct Server {
    socket: UdpSocket,
    multicast: Option<(UdpSocket, SocketAddrV4)>,
    stream: TakeStream,
    config: ServeConfig,
    clients: HashMap<SocketAddr, Client>,
    epoch: Instant,
    stats: Arc<ServerStats>,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn ticks(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.epoch).as_nanos() as u64
    }

    fn run(&mut self) {
        let n = self.stream.frame_count();
        let frame_s = self.stream.rate().frame_duration_s() / self.config.speed;
        let mut start: Option<Instant> = self.config.start_immediately.then(Instant::now);
        let mut sent: u64 = 0;
        let mut buf = vec![0u8; natnet::MAX_DATAGRAM + 1];
        while !self.stop.load(Ordering::Relaxed) {
            if start.is_none() && !self.clients.is_empty() {
                start = Some(Instant::now());
            }
            let due = start.map(|s| s + Duration::from_secs_f64(sent as f64 * frame_s));
            let now = Instant::now();
            let wait = match due {
                Some(d) if d <= now => Duration::ZERO,
                Some(d) => (d - now).min(Duration::from_millis(50)),
                None => Duration::from_millis(50),
            };
            if wait > Duration::ZERO {
                let _ = self.socket.set_read_timeout(Some(wait));
                if let Ok((len, from)) = self.socket.recv_from(&mut buf) {
                    self.handle(&buf[..len], from);
                }
                continue;
            }
            // Serve any waiting command without blocking, then the due frame.
            let _ = self.socket.set_nonblocking(true);
            while let Ok((len, from)) = self.socket.recv_from(&mut buf) {
                self.handle(&buf[..len], from);
            }
            let _ = self.socket.set_nonblocking(false);
            if n == 0 || (!self.config.looping && sent >= n as u64) {
                break;
            }
            let (Some(due), true) = (due, n > 0) else {
                continue;
            };
            let index = (sent % n as u64) as usize;
            let number = self.stream.markers.first_frame + sent as i64;
            self.send_frame(index, number as i32, due);
            sent += 1;
            self.stats.frames_sent.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn send_frame(&mut self, index: usize, number: i32, due: Instant) {
        let timeout = self.config.client_timeout;
        self.clients.retain(|_, c| c.last_seen.elapsed() < timeout);
        let mut frame = self.stream.frame(index, number);
        let now = Instant::now();
        frame.timing.camera_mid_exposure = self.ticks(due);
        frame.timing.camera_data_received = self.ticks(due);
        frame.timing.transmit = self.ticks(now);
        let unix = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        frame.timing.precision_timestamp_secs = unix.as_secs() as u32;
        frame.timing.precision_timestamp_fractional_secs = ((unix.subsec_nanos() as u64) << 32)
            .checked_div(1_000_000_000)
            .unwrap_or(0) as u32;
        let mut encoded: Vec<(Version, Vec<u8>)> = Vec::new();
        let mut datagram_for = |v: Version| -> Option<Vec<u8>> {
            if let Some((_, d)) = encoded.iter().find(|(ev, _)| *ev == v) {
                return Some(d.clone());
            }
            let d = frame.to_datagram(v).ok()?;
            encoded.push((v, d.clone()));
            Some(d)
        };
        // Motive streams either multicast or unicast: with a group, clients only get commands.
        let unicast = if self.multicast.is_some() {
            0
        } else {
            self.clients.len()
        };
        for (addr, c) in self.clients.iter().take(unicast) {
            match datagram_for(c.version) {
                Some(d) if self.socket.send_to(&d, addr).is_ok() => {}
                _ => {
                    self.stats.send_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        if let Some((s, group)) = &self.multicast {
            let ok =
                datagram_for(natnet::STREAM_VERSION).is_some_and(|d| s.send_to(&d, group).is_ok());
            if !ok {
                self.stats.send_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn handle(&mut self, datagram: &[u8], from: SocketAddr) {
        let version = self
            .clients
            .get(&from)
            .map_or(natnet::STREAM_VERSION, |c| c.version);
        let packet = match natnet::decode(datagram, version) {
            Ok(p) => p,
            Err(_) => {
                self.stats.packets_malformed.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        if let Some(c) = self.clients.get_mut(&from) {
            c.last_seen = Instant::now();
        }
        let reply = match packet {
            Packet::Connect { requested } => {
                let version = requested
                    .filter(|v| v.validate().is_ok())
                    .unwrap_or(natnet::STREAM_VERSION);
                self.clients.insert(
                    from,
                    Client {
                        last_seen: Instant::now(),
                        version,
                    },
                );
                self.stats.connects.fetch_add(1, Ordering::Relaxed);
                Some(self.server_info().to_datagram_lossy())
            }
            Packet::RequestModelDef => self.stream.model_def().to_datagram(version).ok(),
            Packet::Request(cmd) => Some(self.command(&cmd, from)),
            Packet::Disconnect => {
                self.clients.remove(&from);
                None
            }
            Packet::KeepAlive => None,
            _ => Some(natnet::empty_datagram(natnet::NAT_UNRECOGNIZED_REQUEST)),
        };
        if let Some(r) = reply
            && self.socket.send_to(&r, from).is_err()
        {
            self.stats.send_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn command(&mut self, cmd: &str, from: SocketAddr) -> Vec<u8> {
        let mut words = cmd.split(',');
        let verb = words.next().unwrap_or_default().trim();
        match verb {
            "FrameRate" => {
                let hz = self.stream.rate().hz() as f32;
                natnet::frame_message(natnet::NAT_RESPONSE, &hz.to_le_bytes())
            }
            "Bitstream" => {
                let client = self.clients.get_mut(&from);
                match (words.next(), client) {
                    (Some(v), Some(c)) => {
                        let mut parts = v.trim().split('.').map(|p| p.parse::<u8>().unwrap_or(0));
                        let asked = Version::new(
                            parts.next().unwrap_or(0),
                            parts.next().unwrap_or(0),
                            0,
                            0,
                        );
                        let ok = asked.validate().is_ok();
                        if ok {
                            c.version = asked;
                        }
                        let code: i32 = if ok { 0 } else { 1 };
                        natnet::frame_message(natnet::NAT_RESPONSE, &code.to_le_bytes())
                    }
                    (_, c) => {
                        let v = c.map_or(natnet::STREAM_VERSION, |c| c.version);
                        let text = format!(
                            "Bitstream,{}.{}.{}.{}\0",
                            v.major, v.minor, v.build, v.revision
                        );
                        natnet::frame_message(natnet::NAT_RESPONSE, text.as_bytes())
                    }
                }
            }
            _ => natnet::empty_datagram(natnet::NAT_UNRECOGNIZED_REQUEST),
        }
    }

    fn server_info(&self) -> ServerInfo {
        let (port, multicast, group) = match self.config.multicast {
            Some(g) => (g.port(), true, g.ip().octets()),
            None => (
                self.socket.local_addr().map_or(1511, |a| a.port()),
                false,
                [0; 4],
            ),
        };
        ServerInfo {
            application_name: "Mocap Studio".into(),
            server_version: Version::new(0, 1, 0, 0),
            protocol_version: natnet::STREAM_VERSION,
            high_res_clock_frequency: CLOCK_FREQUENCY,
            connection: natnet::ConnectionInfo {
                data_port: port,
                multicast,
                multicast_group: group,
            },
        }
    }
}
