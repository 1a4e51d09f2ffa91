//! The Live tab: the body stream's protocol (NatNet: server address, unicast or multicast, the
//! live solve's marker set; VMC: the port listened on), Live Link Face alongside,
//! Connect/Disconnect, the link's state in words (server, labels, counters, a banner when the
//! stream falls silent), latency per stage for bodies and faces, and Record/Stop. A panel: reads
//! a [`LiveView`], returns commands.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use bevy_egui::egui;
use mocap_live::LiveStatus;
use mocap_live::record::Percentiles;

use super::{Connection, LiveLink, Protocol};
use crate::model::commands::{LiveCommand, UiCommand};

/// NatNet's command port (Motive's default).
pub const DEFAULT_PORT: u16 = 1510;

/// The port VMC receivers listen on.
pub const VMC_PORT: u16 = mocap_live::vmc::VMC_PORT;

/// Live Link Face's port (the iPhone app's default target).
pub const FACE_PORT: u16 = mocap_formats::livelink::DEFAULT_PORT;

/// Marker sets offered for the live solve (a JSON file's path may be typed instead).
pub const MARKER_SETS: [&str; 2] = ["cmu41", "fullbody53"];

/// The VMC stream, as the Live tab shows it.
#[derive(Debug, Clone, Default)]
pub struct VmcView {
    /// Skeleton joints (0 before the first frame with hips).
    pub joints: usize,
    /// The stream's estimated rate, Hz.
    pub rate_hz: Option<f64>,
    /// Frames with a pose received.
    pub frames: u64,
    /// Datagrams that did not decode.
    pub malformed: u64,
    /// Frames the receiver's queue dropped.
    pub queue_dropped: u64,
    /// Bone names that are no Unity humanoid bone.
    pub unknown_bones: u64,
    /// Received → pose ready, milliseconds.
    pub pose: Percentiles,
    /// Seconds since the newest frame.
    pub silent_s: Option<f64>,
    /// Why frames make no pose, in words.
    pub error: Option<String>,
}

/// The faces, as the Live tab shows them.
#[derive(Debug, Clone, Default)]
pub struct FaceView {
    /// The address listened on.
    pub bind: Option<SocketAddr>,
    /// The subject driving the face.
    pub subject: Option<String>,
    /// Its rate, Hz.
    pub rate_hz: Option<f64>,
    /// Faces shown.
    pub frames: u64,
    /// Frame numbers that never arrived.
    pub lost: u64,
    /// Faces late or repeated.
    pub late: u64,
    /// Datagrams that did not decode.
    pub malformed: u64,
    /// Faces the receiver's queue dropped.
    pub queue_dropped: u64,
    /// Received → drawn, milliseconds.
    pub drawn: Percentiles,
}

/// What the Live tab shows.
pub struct LiveView<'a> {
    /// What the link is connected to (`None`: disconnected).
    pub connection: Option<&'a Connection>,
    /// The worker's status.
    pub status: &'a LiveStatus,
    /// Frames the app took from the worker.
    pub frames_drained: u64,
    /// Frames the app's queue dropped (the app drew slower than the stream).
    pub queue_dropped: u64,
    /// Seconds recorded so far, while recording.
    pub recording_s: Option<f64>,
    /// Frames recorded so far (NatNet: stored by the recording session; VMC: kept), while
    /// recording.
    pub recording_frames: Option<usize>,
    /// Marker set of the live solve (`None`: off).
    pub solve: Option<&'a str>,
    /// The VMC stream, when that is the body stream.
    pub vmc: Option<VmcView>,
    /// The faces, when listening.
    pub face: Option<FaceView>,
    /// A recording is being written.
    pub saving: bool,
    /// The viewport shows the live take.
    pub following: bool,
    /// Received → drawn, milliseconds.
    pub drawn: Percentiles,
    /// Where recordings go.
    pub folder: PathBuf,
    /// The last recording written.
    pub last_saved: Option<&'a Path>,
    /// The last error in words.
    pub error: Option<&'a str>,
}

/// The connection form, kept in egui's memory between frames.
#[derive(Debug, Clone)]
struct Form {
    vmc: bool,
    server: String,
    multicast: bool,
    group: String,
    local: String,
    vmc_bind: String,
    markerset: String,
    face_bind: String,
    /// The face receiver's address the field last showed (a listener started elsewhere, e.g.
    /// `--live-faces PORT`, puts its address in the field).
    face_shown: Option<SocketAddr>,
}

impl Default for Form {
    fn default() -> Self {
        Self {
            vmc: false,
            server: format!("127.0.0.1:{DEFAULT_PORT}"),
            multicast: false,
            group: "239.255.42.99".into(),
            local: "127.0.0.1".into(),
            vmc_bind: format!("127.0.0.1:{VMC_PORT}"),
            markerset: MARKER_SETS[0].into(),
            face_bind: format!("127.0.0.1:{FACE_PORT}"),
            face_shown: None,
        }
    }
}

/// `IP:PORT` or `PORT` (on 127.0.0.1) of a local address to listen on.
pub fn parse_bind(text: &str, default_port: u16) -> Result<SocketAddr, String> {
    let t = text.trim();
    if let Ok(a) = t.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(p) = t.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], p)));
    }
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, default_port));
    }
    Err(format!(
        "\"{t}\" is not a local address: type IP:port, e.g. 127.0.0.1:{default_port} (0.0.0.0 to hear other hosts)"
    ))
}

impl LiveLink {
    /// What the Live tab shows of the link; recordings go to `folder`.
    pub fn view(&self, folder: PathBuf) -> LiveView<'_> {
        let pct = |v: &std::collections::VecDeque<f64>| {
            Percentiles::of(&v.iter().copied().collect::<Vec<_>>())
        };
        let recording = self.recording_since.is_some();
        LiveView {
            connection: self.connection.as_ref(),
            status: &self.status,
            frames_drained: self.frames_drained,
            queue_dropped: self.frames_queue_dropped,
            recording_s: self.recording_since.map(|t| t.elapsed().as_secs_f64()),
            recording_frames: if !recording {
                None
            } else if let Some(v) = &self.vmc {
                v.recording.as_ref().map(Vec::len)
            } else {
                self.status.recording_frames
            },
            solve: self.solve.as_deref(),
            vmc: self.vmc.as_ref().map(|v| {
                let (_, malformed, queue_dropped, unknown_bones) = v.counters();
                VmcView {
                    joints: v.skeleton.as_ref().map_or(0, |s| s.joints.len()),
                    rate_hz: v.rate.map(|r| r.hz()),
                    frames: v.frames,
                    malformed,
                    queue_dropped,
                    unknown_bones,
                    pose: pct(&v.pose_ms),
                    silent_s: v.last_received.map(|t| t.elapsed().as_secs_f64()),
                    error: v.error.clone(),
                }
            }),
            face: self.face.as_ref().map(|f| FaceView {
                bind: Some(f.local_addr()),
                subject: f.subject.as_ref().map(|(s, _)| s.clone()),
                rate_hz: f.rate.map(|r| r.hz()),
                frames: f.frames,
                lost: f.frames_lost,
                late: f.frames_late,
                malformed: f.malformed(),
                queue_dropped: f.queue_dropped(),
                drawn: pct(&f.drawn_ms),
            }),
            saving: self.saving(),
            following: self.following,
            drawn: self.drawn_percentiles(),
            folder,
            last_saved: self.last_saved.as_deref(),
            error: self.error.as_deref(),
        }
    }
}

/// `HOST:PORT` or `HOST` (port 1510), HOST an IP address (no name lookup: the UI never waits).
pub fn parse_server(text: &str) -> Result<SocketAddr, String> {
    let t = text.trim();
    if let Ok(a) = t.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_PORT));
    }
    Err(format!(
        "\"{t}\" is not an address: type an IP and port, e.g. 127.0.0.1:{DEFAULT_PORT}"
    ))
}

fn parse_form(f: &Form) -> Result<LiveCommand, String> {
    let server = parse_server(&f.server)?;
    let multicast = if f.multicast {
        let g: Ipv4Addr = f.group.trim().parse().map_err(|_| {
            format!(
                "\"{}\" is not a multicast group: Motive's default is 239.255.42.99",
                f.group.trim()
            )
        })?;
        if !g.is_multicast() {
            return Err(format!(
                "{g} is not a multicast address (224.0.0.0–239.255.255.255)"
            ));
        }
        Some(g)
    } else {
        None
    };
    let local: IpAddr = f.local.trim().parse().map_err(|_| {
        format!(
            "\"{}\" is not a local address: 127.0.0.1, or 0.0.0.0 to reach other hosts",
            f.local.trim()
        )
    })?;
    Ok(LiveCommand::Connect {
        server,
        multicast,
        local,
    })
}

fn ms(p: Percentiles) -> String {
    match (p.p50, p.p99) {
        (Some(a), Some(b)) => format!("{a:.2} ms  ·  p99 {b:.2} ms"),
        _ => "—".into(),
    }
}

/// The Live tab.
pub fn live_ui(ui: &mut egui::Ui, view: &LiveView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let mut send = |c: LiveCommand| out.push(UiCommand::Live(c));
    let form_id = egui::Id::new("live_form");
    let mut form: Form = ui.data_mut(|d| d.get_temp(form_id)).unwrap_or_default();
    let red = egui::Color32::from_rgb(235, 87, 87);

    ui.horizontal(|ui| {
        ui.label("Protocol");
        ui.radio_value(&mut form.vmc, false, "NatNet")
            .on_hover_text("Markers from Motive or `mocap live serve`, solved live when Solve is on; its skeletons drive characters directly");
        ui.radio_value(&mut form.vmc, true, "VMC")
            .on_hover_text("A skeleton stream (inertial suits, VMC apps) that drives characters without the marker solve");
    });
    let parsed = if form.vmc {
        connection_vmc(ui, &mut form)
    } else {
        connection_natnet(ui, &mut form, view, &mut send)
    };
    ui.horizontal(|ui| {
        let label = if form.vmc { "Listen" } else { "Connect" };
        let connect = ui.add_enabled(parsed.is_ok(), egui::Button::new(label));
        if connect.clicked()
            && let Ok(c) = &parsed
        {
            send(c.clone());
        }
        if ui
            .add_enabled(
                view.connection.is_some() || view.face.is_some(),
                egui::Button::new("Disconnect"),
            )
            .clicked()
        {
            send(LiveCommand::Disconnect);
        }
        if (view.connection.is_some() || view.face.is_some())
            && !view.following
            && ui
                .button("Show live")
                .on_hover_text("Show the stream in the viewport again")
                .clicked()
        {
            send(LiveCommand::ShowLive);
        }
    });
    if let Err(e) = &parsed {
        ui.colored_label(red, e);
    }
    faces_form(ui, &mut form, view, &mut send, red);
    ui.data_mut(|d| d.insert_temp(form_id, form));
    ui.separator();

    match view.connection {
        None if view.face.is_none() => {
            ui.label("Not connected. Start a server (`mocap live serve take.c3d --natnet`, or Motive's streaming) and Connect, or Listen for a VMC sender.");
        }
        None => {}
        Some(c) if c.protocol == Protocol::Vmc => vmc_status(ui, c, view, red),
        Some(c) => natnet_status(ui, c, view, red),
    }
    if let Some(f) = &view.face {
        face_status(ui, f);
    }
    ui.separator();

    ui.horizontal(|ui| {
        match view.recording_s {
            Some(s) => {
                if ui.button("⏹ Stop").clicked() {
                    send(LiveCommand::StopRecording);
                }
                let frames = view
                    .recording_frames
                    .map(|n| format!(", {n} frames"))
                    .unwrap_or_default();
                ui.colored_label(red, format!("● recording {s:.1} s{frames}"));
            }
            None => {
                let body = match view.connection {
                    Some(c) if c.protocol == Protocol::Vmc => {
                        view.vmc.as_ref().is_some_and(|v| v.joints > 0)
                    }
                    Some(_) => !view.status.labels.is_empty(),
                    None => false,
                };
                let faces = view.face.as_ref().is_some_and(|f| f.frames > 0);
                let ready = (body || faces) && !view.saving;
                if ui
                    .add_enabled(ready, egui::Button::new("⏺ Record"))
                    .on_hover_text(
                        "Record the streams (the connection stays up); Stop writes the take and opens it",
                    )
                    .clicked()
                {
                    send(LiveCommand::StartRecording);
                }
            }
        }
        if view.saving {
            ui.spinner();
            ui.label("Saving…");
        }
    });
    ui.horizontal(|ui| {
        let l = ui.label("Folder");
        let folder = view.folder.display().to_string();
        let c = crate::widgets::commit_text(ui, egui::Id::new("live_folder"), &folder, |t| {
            egui::TextEdit::singleline(t).desired_width(320.0)
        });
        c.response.labelled_by(l.id).on_hover_text(
            "Recordings are written here as live_001.c3d (+ .bvh, .face.csv), … (Enter to apply)",
        );
        if let Some(t) = c.committed
            && !t.trim().is_empty()
        {
            send(LiveCommand::SetFolder(PathBuf::from(t.trim())));
        }
    });
    if let Some(p) = view.last_saved {
        ui.label(format!("Last recording: {}", p.display()));
    }
    if let Some(e) = view.error {
        ui.colored_label(red, e);
    }
    out
}

/// The NatNet form: server, unicast/multicast, local address, live solve.
fn connection_natnet(
    ui: &mut egui::Ui,
    form: &mut Form,
    view: &LiveView<'_>,
    send: &mut impl FnMut(LiveCommand),
) -> Result<LiveCommand, String> {
    egui::Grid::new("live_connection")
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            let l = ui.label("Server");
            let c =
                crate::widgets::commit_text(ui, egui::Id::new("live_server"), &form.server, |t| {
                    egui::TextEdit::singleline(t).desired_width(180.0)
                });
            c.response.labelled_by(l.id).on_hover_text(
                "The server's command address, IP:port (Motive: 1510); Enter to apply",
            );
            if let Some(t) = c.committed {
                form.server = t.trim().to_string();
            }
            ui.end_row();
            ui.label("Stream");
            ui.horizontal(|ui| {
                ui.radio_value(&mut form.multicast, false, "Unicast");
                ui.radio_value(&mut form.multicast, true, "Multicast");
                if form.multicast {
                    let c = crate::widgets::commit_text(
                        ui,
                        egui::Id::new("live_group"),
                        &form.group,
                        |t| egui::TextEdit::singleline(t).desired_width(110.0),
                    );
                    c.response.on_hover_text("Multicast group (data port 1511)");
                    if let Some(t) = c.committed {
                        form.group = t.trim().to_string();
                    }
                }
            });
            ui.end_row();
            let l = ui.label("Local address");
            let c =
                crate::widgets::commit_text(ui, egui::Id::new("live_local"), &form.local, |t| {
                    egui::TextEdit::singleline(t).desired_width(180.0)
                });
            c.response.labelled_by(l.id).on_hover_text(
                "127.0.0.1 for a server on this machine; 0.0.0.0 to reach other hosts",
            );
            if let Some(t) = c.committed {
                form.local = t.trim().to_string();
            }
            ui.end_row();
            ui.label("Live solve");
            ui.horizontal(|ui| {
                let mut on = view.solve.is_some();
                if ui
                    .checkbox(&mut on, "Solve")
                    .on_hover_text(
                        "Calibrate each actor on its first frames, then solve every frame (warm-started) so characters move",
                    )
                    .changed()
                {
                    send(LiveCommand::SetSolve(on.then(|| form.markerset.clone())));
                }
                let before = form.markerset.clone();
                egui::ComboBox::from_id_salt("live_markerset")
                    .selected_text(form.markerset.as_str())
                    .show_ui(ui, |ui| {
                        for m in MARKER_SETS {
                            ui.selectable_value(&mut form.markerset, m.to_string(), m);
                        }
                    })
                    .response
                    .on_hover_text("Marker set of the solve (as `mocap live record --markerset`)");
                if form.markerset != before && view.solve.is_some() {
                    send(LiveCommand::SetSolve(Some(form.markerset.clone())));
                }
            });
            ui.end_row();
        });
    parse_form(form)
}

/// The VMC form: the address listened on.
fn connection_vmc(ui: &mut egui::Ui, form: &mut Form) -> Result<LiveCommand, String> {
    ui.horizontal(|ui| {
        let l = ui.label("Listen on");
        let c = crate::widgets::commit_text(ui, egui::Id::new("live_vmc"), &form.vmc_bind, |t| {
            egui::TextEdit::singleline(t).desired_width(180.0)
        });
        c.response.labelled_by(l.id).on_hover_text(
            "Local IP:port the VMC sender streams to (VMC's default 39539); 0.0.0.0 to hear other hosts",
        );
        if let Some(t) = c.committed {
            form.vmc_bind = t.trim().to_string();
        }
    });
    parse_bind(&form.vmc_bind, VMC_PORT).map(|bind| LiveCommand::ListenVmc { bind })
}

/// Live Link Face beside the body stream: on/off and the port.
fn faces_form(
    ui: &mut egui::Ui,
    form: &mut Form,
    view: &LiveView<'_>,
    send: &mut impl FnMut(LiveCommand),
    red: egui::Color32,
) {
    // The field shows the address actually listened on (the start-up flag's, the OS's port for
    // port 0) whenever the listener changes.
    let bound = view.face.as_ref().and_then(|f| f.bind);
    if bound.is_some() && bound != form.face_shown {
        if let Some(a) = bound {
            form.face_bind = a.to_string();
        }
        form.face_shown = bound;
    } else if bound.is_none() {
        form.face_shown = None;
    }
    let parsed = parse_bind(&form.face_bind, FACE_PORT);
    ui.horizontal(|ui| {
        let mut on = view.face.is_some();
        if ui
            .add_enabled(
                parsed.is_ok() || on,
                egui::Checkbox::new(&mut on, "Faces (Live Link Face)"),
            )
            .on_hover_text("Receive iPhone ARKit faces beside the body stream")
            .changed()
        {
            send(LiveCommand::ListenFaces(
                on.then(|| parsed.clone().ok()).flatten(),
            ));
        }
        let c = crate::widgets::commit_text(ui, egui::Id::new("live_face"), &form.face_bind, |t| {
            egui::TextEdit::singleline(t).desired_width(140.0)
        });
        c.response.on_hover_text(
            "Local IP:port the phone sends to (Live Link Face: 11111); Enter to apply",
        );
        if let Some(t) = c.committed {
            form.face_bind = t.trim().to_string();
            if view.face.is_some()
                && let Ok(a) = parse_bind(&form.face_bind, FACE_PORT)
            {
                send(LiveCommand::ListenFaces(Some(a)));
            }
        }
    });
    if let Err(e) = parsed {
        ui.colored_label(red, e);
    }
}

fn natnet_status(ui: &mut egui::Ui, c: &Connection, view: &LiveView<'_>, red: egui::Color32) {
    let st = view.status;
    let waited = c.since.elapsed().as_secs_f64();
    match st.silent_s {
        Some(s) if s > 1.5 => {
            ui.colored_label(
                red,
                format!("Lost the server: reconnecting (silent {s:.0} s)"),
            );
        }
        None if waited > 2.0 => {
            ui.colored_label(
                red,
                format!(
                    "No answer from {} for {waited:.0} s: check the address, that the server streams, and that no firewall drops UDP",
                    c.server
                ),
            );
        }
        _ => {}
    }
    egui::Grid::new("live_status")
        .num_columns(2)
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            ui.label("Server");
            ui.label(format!(
                "{} at {}{}",
                st.server.as_deref().unwrap_or("(waiting for an answer)"),
                c.server,
                c.multicast.map(|g| format!(", multicast {g}")).unwrap_or_default()
            ));
            ui.end_row();
            ui.label("Markers");
            ui.label(format!(
                "{} labels{}",
                st.labels.len(),
                st.rate_hz.map(|r| format!(" at {r} Hz")).unwrap_or_default()
            ));
            ui.end_row();
            if let Some(set) = view.solve {
                ui.label("Solve");
                ui.label(if st.skeletons.is_empty() {
                    format!("{set}: calibrating on the first {} frames…", super::CALIBRATION_FRAMES)
                } else {
                    let names: Vec<&str> = st.skeletons.iter().map(|(n, _)| n.as_str()).collect();
                    format!(
                        "{set}: {} solved{}",
                        names.join(", "),
                        st.report
                            .solve_rms_mm
                            .map(|r| format!(", RMS {r:.1} mm"))
                            .unwrap_or_default()
                    )
                });
                ui.end_row();
            }
            ui.label("Frames");
            ui.label(format!(
                "{} received, {} dropped, {} out of order, {} malformed packets; {} late for the viewport",
                st.report.frames_received,
                st.report.frames_dropped,
                st.report.frames_out_of_order,
                st.report.packets_malformed,
                view.queue_dropped
            ));
            ui.end_row();
            ui.label("Capture → received");
            ui.label(ms(st.report.latency_ms.capture_to_received));
            ui.end_row();
            ui.label("Received → pose");
            ui.label(ms(st.report.latency_ms.received_to_pose_ready));
            ui.end_row();
            ui.label("Received → drawn");
            ui.label(ms(view.drawn));
            ui.end_row();
        });
    if let Some(e) = &st.error {
        ui.colored_label(red, e);
    }
}

fn vmc_status(ui: &mut egui::Ui, c: &Connection, view: &LiveView<'_>, red: egui::Color32) {
    let v = view.vmc.clone().unwrap_or_default();
    let waited = c.since.elapsed().as_secs_f64();
    match v.silent_s {
        Some(s) if s > 1.5 => {
            ui.colored_label(
                red,
                format!("The VMC sender went quiet: still listening (silent {s:.0} s)"),
            );
        }
        None if waited > 2.0 => {
            ui.colored_label(
                red,
                format!(
                    "Nothing on {} for {waited:.0} s: point the VMC sender (performer) at this address",
                    c.server
                ),
            );
        }
        _ => {}
    }
    egui::Grid::new("live_vmc_status")
        .num_columns(2)
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            ui.label("VMC");
            ui.label(format!(
                "listening on {}; {} joints{}",
                c.server,
                v.joints,
                v.rate_hz
                    .map(|r| format!(" at {r:.0} Hz"))
                    .unwrap_or_default()
            ));
            ui.end_row();
            ui.label("Frames");
            ui.label(format!(
                "{} received, {} malformed packets, {} dropped by the queue, {} unknown bones",
                v.frames, v.malformed, v.queue_dropped, v.unknown_bones
            ));
            ui.end_row();
            ui.label("Received → pose");
            ui.label(ms(v.pose));
            ui.end_row();
            ui.label("Received → drawn");
            ui.label(ms(view.drawn));
            ui.end_row();
        });
    if let Some(e) = &v.error {
        ui.colored_label(red, e);
    }
}

fn face_status(ui: &mut egui::Ui, f: &FaceView) {
    egui::Grid::new("live_face_status")
        .num_columns(2)
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            ui.label("Face");
            ui.label(format!(
                "{} on {}{}",
                f.subject.as_deref().unwrap_or("(no phone heard yet)"),
                f.bind.map(|a| a.to_string()).unwrap_or_default(),
                f.rate_hz
                    .map(|r| format!(" at {r:.0} Hz"))
                    .unwrap_or_default()
            ));
            ui.end_row();
            ui.label("Face frames");
            ui.label(format!(
                "{} received, {} lost, {} late, {} malformed packets, {} dropped by the queue",
                f.frames, f.lost, f.late, f.malformed, f.queue_dropped
            ));
            ui.end_row();
            ui.label("Face received → drawn");
            ui.label(ms(f.drawn));
            ui.end_row();
        });
}

#[cfg(test)]
#[path = "panel_tests.rs"]
mod tests;
