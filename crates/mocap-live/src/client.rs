//! NatNet client: unicast (command port, NAT_CONNECT in either form, keep-alive, reconnect on
//! silence) and multicast (data port joined on the group), networking on its own threads,
//! events handed over through a [`BoundedQueue`] (drop the oldest, counted).

use crate::natnet::{self, ConnectForm, FrameOfData, ModelDef, Packet, ServerInfo, Version};
use crate::queue::BoundedQueue;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How to connect.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The server's command address (HOST:1510).
    pub server: SocketAddr,
    /// Receive frames from this multicast group on `data_port` instead of unicast.
    pub multicast: Option<Ipv4Addr>,
    /// Data port of the multicast stream (Motive: 1511).
    pub data_port: u16,
    /// Local address to bind (default 127.0.0.1; 0.0.0.0 to reach other hosts).
    pub local: IpAddr,
    /// NAT_CONNECT form.
    pub connect_form: ConnectForm,
    /// Interval of keep-alives (unicast).
    pub keepalive: Duration,
    /// Without any datagram for this long, connect again.
    pub reconnect_after: Duration,
    /// Events held for the consumer before the oldest is dropped.
    pub queue_capacity: usize,
}

impl ClientConfig {
    /// Defaults for a server at `server`: unicast, SDK connect form, 127.0.0.1.
    pub fn new(server: SocketAddr) -> Self {
        Self {
            server,
            multicast: None,
            data_port: 1511,
            local: IpAddr::V4(Ipv4Addr::LOCALHOST),
            connect_form: ConnectForm::Sdk,
            keepalive: Duration::from_millis(500),
            reconnect_after: Duration::from_secs(2),
            queue_capacity: 4096,
        }
    }
}

/// A frame and when it arrived.
#[derive(Debug, Clone)]
pub struct ReceivedFrame {
    /// The decoded frame (positions in the server's space: Motive sends metres, Y-up).
    pub frame: Box<FrameOfData>,
    /// When the datagram was read from the socket (local monotonic clock).
    pub received: Instant,
    /// Capture → transmit latency the server reports, seconds: (transmit − mid-exposure) ÷ the
    /// server's clock frequency; `None` before SERVERINFO or when the stamps are absent.
    pub server_latency_s: Option<f64>,
}

/// What the client hands to its consumer.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// The server answered NAT_CONNECT.
    ServerInfo(Box<ServerInfo>),
    /// Model definitions (marker-set names and marker labels).
    ModelDef(ModelDef),
    /// The server's frame rate (answer to the `FrameRate` command), Hz.
    FrameRate(f64),
    /// A frame of data.
    Frame(ReceivedFrame),
}

/// Counters of a running client.
#[derive(Debug, Default)]
pub struct ClientStats {
    /// Datagrams read.
    pub packets_received: AtomicU64,
    /// Datagrams that did not decode (garbage, truncated, oversized, wrong layout).
    pub packets_malformed: AtomicU64,
    /// Frames decoded.
    pub frames_decoded: AtomicU64,
    /// NAT_CONNECTs sent (1 + reconnects).
    pub connects_sent: AtomicU64,
}

/// Error starting a client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A socket could not be opened, bound or joined.
    #[error(
        "NatNet client socket ({what}): {source} (check the address, the port and that the interface exists)"
    )]
    Io {
        /// What was being done.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
}

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> ClientError {
    move |source| ClientError::Io { what, source }
}

/// A running client; its threads stop when it is dropped.
#[derive(Debug)]
pub struct LiveClient {
    /// Events, oldest first; [`BoundedQueue::dropped`] counts what overflowed.
    pub events: Arc<BoundedQueue<LiveEvent>>,
    /// Live counters.
    pub stats: Arc<ClientStats>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl LiveClient {
    /// Connects (without waiting for an answer) and starts the receiving threads.
    pub fn start(config: ClientConfig) -> Result<Self, ClientError> {
        let command = UdpSocket::bind(SocketAddr::new(config.local, 0)).map_err(io("bind"))?;
        grow_receive_buffer(&command);
        command
            .set_read_timeout(Some(Duration::from_millis(20)))
            .map_err(io("timeout"))?;
        let events = Arc::new(BoundedQueue::new(config.queue_capacity));
        let stats = Arc::new(ClientStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            version: Mutex::new((natnet::STREAM_VERSION, None)),
            events: events.clone(),
            stats: stats.clone(),
        });
        let mut threads = Vec::new();
        if let Some(group) = config.multicast {
            let data = bind_shared(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                config.data_port,
            ))
            .map_err(io("bind the data port"))?;
            grow_receive_buffer(&data);
            let iface = match config.local {
                IpAddr::V4(a) => a,
                IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
            };
            data.join_multicast_v4(&group, &iface)
                .map_err(io("join the multicast group"))?;
            data.set_read_timeout(Some(Duration::from_millis(50)))
                .map_err(io("timeout"))?;
            let (shared, stop) = (shared.clone(), stop.clone());
            threads.push(
                std::thread::Builder::new()
                    .name("natnet-data".into())
                    .spawn(move || data_loop(&data, &shared, &stop))
                    .map_err(io("spawn"))?,
            );
        }
        let (shared2, stop2) = (shared.clone(), stop.clone());
        threads.push(
            std::thread::Builder::new()
                .name("natnet-command".into())
                .spawn(move || command_loop(&command, &config, &shared2, &stop2))
                .map_err(io("spawn"))?,
        );
        Ok(Self {
            events,
            stats,
            stop,
            threads,
        })
    }

    /// Stops the threads (sends NAT_DISCONNECT) and waits for them.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for LiveClient {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Shared {
    /// Stream version and the server's clock frequency (ticks/s) once known.
    version: Mutex<(Version, Option<u64>)>,
    events: Arc<BoundedQueue<LiveEvent>>,
    stats: Arc<ClientStats>,
}

impl Shared {
    fn version(&self) -> (Version, Option<u64>) {
        *self.version.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Decodes and queues one datagram; returns whether it was well formed.
    fn accept(&self, datagram: &[u8], received: Instant, requested: Version) -> bool {
        self.stats.packets_received.fetch_add(1, Ordering::Relaxed);
        let (version, clock) = self.version();
        let packet = match natnet::decode(datagram, version) {
            Ok(p) => p,
            Err(_) => {
                self.stats.packets_malformed.fetch_add(1, Ordering::Relaxed);
                return false;
            }
        };
        match packet {
            Packet::ServerInfo(info) => {
                // The SDK rule: NatNet 3+ servers stream the version asked for.
                let v = if info.protocol_version.major >= 3 {
                    requested
                } else {
                    info.protocol_version
                };
                *self.version.lock().unwrap_or_else(|p| p.into_inner()) =
                    (v, Some(info.high_res_clock_frequency));
                self.events.push(LiveEvent::ServerInfo(info));
            }
            Packet::ModelDef(def) => {
                self.events.push(LiveEvent::ModelDef(def));
            }
            Packet::Response(bytes) if bytes.len() == 4 => {
                let hz = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as f64;
                if hz.is_finite() && hz > 0.0 {
                    self.events.push(LiveEvent::FrameRate(hz));
                }
            }
            Packet::Frame(frame) => {
                self.stats.frames_decoded.fetch_add(1, Ordering::Relaxed);
                let t = frame.timing;
                let server_latency_s = clock.filter(|c| *c > 0).and_then(|c| {
                    (t.transmit >= t.camera_mid_exposure && t.camera_mid_exposure > 0)
                        .then(|| (t.transmit - t.camera_mid_exposure) as f64 / c as f64)
                });
                self.events.push(LiveEvent::Frame(ReceivedFrame {
                    frame,
                    received,
                    server_latency_s,
                }));
            }
            _ => {}
        }
        true
    }
}

/// Bytes of socket receive buffer asked for: ~300 frames of 5 × 53 markers, so a consumer
/// thread descheduled for a while loses nothing (the kernel caps it at `net.core.rmem_max`).
pub const RECEIVE_BUFFER: usize = 4 << 20;

fn grow_receive_buffer(socket: &UdpSocket) {
    // Best effort: a smaller buffer still works, it only absorbs shorter bursts.
    let _ = socket2::SockRef::from(socket).set_recv_buffer_size(RECEIVE_BUFFER);
}

/// A UDP socket bound with SO_REUSEADDR, so several clients on one host share the multicast
/// data port as NatNet clients do.
fn bind_shared(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_reuse_address(true)?;
    s.bind(&addr.into())?;
    Ok(s.into())
}

fn send(socket: &UdpSocket, to: SocketAddr, datagram: &[u8]) {
    // A lost command is retried by the reconnect logic; nothing else to do here.
    let _ = socket.send_to(datagram, to);
}

fn hello(socket: &UdpSocket, config: &ClientConfig, shared: &Shared) {
    send(
        socket,
        config.server,
        &natnet::connect_datagram(config.connect_form, natnet::STREAM_VERSION),
    );
    shared.stats.connects_sent.fetch_add(1, Ordering::Relaxed);
    send(
        socket,
        config.server,
        &natnet::empty_datagram(natnet::NAT_REQUEST_MODELDEF),
    );
    send(
        socket,
        config.server,
        &natnet::request_datagram("FrameRate"),
    );
}

fn command_loop(socket: &UdpSocket, config: &ClientConfig, shared: &Shared, stop: &AtomicBool) {
    let requested = match config.connect_form {
        ConnectForm::Sdk => natnet::STREAM_VERSION,
        // The short form asks for nothing: the server streams its own version (4.1 here).
        ConnectForm::Ping => natnet::STREAM_VERSION,
    };
    let mut buf = vec![0u8; natnet::MAX_DATAGRAM + 1];
    hello(socket, config, shared);
    let mut last_heard = Instant::now();
    let mut last_keepalive = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        if let Ok((len, from)) = socket.recv_from(&mut buf) {
            let now = Instant::now();
            if from.ip() == config.server.ip() || config.server.ip().is_unspecified() {
                last_heard = now;
                shared.accept(&buf[..len], now, requested);
            } else {
                shared
                    .stats
                    .packets_malformed
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
        if config.multicast.is_none() && last_keepalive.elapsed() >= config.keepalive {
            send(
                socket,
                config.server,
                &natnet::empty_datagram(natnet::NAT_KEEPALIVE),
            );
            last_keepalive = Instant::now();
        }
        if last_heard.elapsed() >= config.reconnect_after {
            hello(socket, config, shared);
            last_heard = Instant::now();
        }
    }
    send(
        socket,
        config.server,
        &natnet::empty_datagram(natnet::NAT_DISCONNECT),
    );
}

fn data_loop(socket: &UdpSocket, shared: &Shared, stop: &AtomicBool) {
    let mut buf = vec![0u8; natnet::MAX_DATAGRAM + 1];
    while !stop.load(Ordering::Relaxed) {
        if let Ok((len, _)) = socket.recv_from(&mut buf) {
            shared.accept(&buf[..len], Instant::now(), natnet::STREAM_VERSION);
        }
    }
}
