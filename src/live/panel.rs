//! The Live tab: server address, unicast or multicast, Connect/Disconnect, the link's state in
//! words (server, labels, counters, a banner when the server falls silent), latency per stage
//! and Record/Stop. A panel: reads a [`LiveView`], returns commands.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use bevy_egui::egui;
use mocap_live::LiveStatus;
use mocap_live::record::Percentiles;

use super::Connection;
use crate::model::commands::{LiveCommand, UiCommand};

/// NatNet's command port (Motive's default).
pub const DEFAULT_PORT: u16 = 1510;

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
    server: String,
    multicast: bool,
    group: String,
    local: String,
}

impl Default for Form {
    fn default() -> Self {
        Self {
            server: format!("127.0.0.1:{DEFAULT_PORT}"),
            multicast: false,
            group: "239.255.42.99".into(),
            local: "127.0.0.1".into(),
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
        });
    let parsed = parse_form(&form);
    ui.horizontal(|ui| {
        let connect = ui.add_enabled(parsed.is_ok(), egui::Button::new("Connect"));
        if connect.clicked()
            && let Ok(c) = &parsed
        {
            send(c.clone());
        }
        if ui
            .add_enabled(view.connection.is_some(), egui::Button::new("Disconnect"))
            .clicked()
        {
            send(LiveCommand::Disconnect);
        }
        if view.connection.is_some()
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
    ui.data_mut(|d| d.insert_temp(form_id, form));
    ui.separator();

    let st = view.status;
    match view.connection {
        None => {
            ui.label("Not connected. Start a server (`mocap live serve take.c3d --natnet`, or Motive's streaming) and Connect.");
        }
        Some(c) => {
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
    }
    ui.separator();

    ui.horizontal(|ui| {
        match view.recording_s {
            Some(s) => {
                if ui.button("⏹ Stop").clicked() {
                    send(LiveCommand::StopRecording);
                }
                ui.colored_label(red, format!("● recording {s:.1} s"));
            }
            None => {
                let ready = view.connection.is_some() && !st.labels.is_empty() && !view.saving;
                if ui
                    .add_enabled(ready, egui::Button::new("⏺ Record"))
                    .on_hover_text("Record the stream; Stop writes it as C3D and opens it")
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
            "Recordings are written here as live_001.c3d, live_002.c3d, … (Enter to apply)",
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

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    fn harness() -> Harness<'static, Vec<UiCommand>> {
        Harness::new_ui_state(
            |ui, out: &mut Vec<UiCommand>| {
                let status = LiveStatus::default();
                let view = LiveView {
                    connection: None,
                    status: &status,
                    frames_drained: 0,
                    queue_dropped: 0,
                    recording_s: None,
                    saving: false,
                    following: true,
                    drawn: Percentiles::default(),
                    folder: PathBuf::from("/tmp/recordings"),
                    last_saved: None,
                    error: None,
                };
                out.extend(live_ui(ui, &view));
            },
            Vec::new(),
        )
    }

    #[test]
    fn typing_an_address_enter_and_connect_sends_connect_with_it() {
        let mut h = harness();
        h.get_by_label("Server").click();
        h.run();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.get_by_label("Server").type_text("10.0.0.5:1600");
        h.key_press(egui::Key::Enter);
        h.run();
        assert!(h.state().is_empty(), "nothing sent before Connect");
        h.get_by_label("Connect").click();
        h.run();
        assert_eq!(
            h.state().as_slice(),
            [UiCommand::Live(LiveCommand::Connect {
                server: "10.0.0.5:1600".parse().expect("addr"),
                multicast: None,
                local: "127.0.0.1".parse().expect("addr"),
            })]
        );
    }

    #[test]
    fn a_silent_server_shows_the_reconnecting_banner_and_figures_in_words() {
        let since = std::time::Instant::now();
        let mut h = Harness::new_ui_state(
            move |ui, out: &mut Vec<UiCommand>| {
                let mut status = LiveStatus {
                    server: Some("Motive".into()),
                    labels: vec!["A:x".into(), "A:y".into()],
                    rate_hz: Some(240.0),
                    silent_s: Some(3.2),
                    ..LiveStatus::default()
                };
                status.report.frames_received = 480;
                status.report.frames_dropped = 2;
                let connection = Connection {
                    server: "127.0.0.1:1510".parse().expect("addr"),
                    multicast: None,
                    local: "127.0.0.1".parse().expect("addr"),
                    since,
                };
                let view = LiveView {
                    connection: Some(&connection),
                    status: &status,
                    frames_drained: 470,
                    queue_dropped: 0,
                    recording_s: None,
                    saving: false,
                    following: true,
                    drawn: Percentiles::of(&[1.0, 2.0, 3.0]),
                    folder: PathBuf::from("/tmp/recordings"),
                    last_saved: None,
                    error: None,
                };
                out.extend(live_ui(ui, &view));
            },
            Vec::new(),
        );
        h.run();
        h.get_by_label("Lost the server: reconnecting (silent 3 s)");
        h.get_by_label("Motive at 127.0.0.1:1510");
        h.get_by_label("2 labels at 240 Hz");
        h.get_by_label("2.00 ms  ·  p99 3.00 ms");
        h.get_by_label("⏺ Record").click();
        h.run();
        assert_eq!(
            h.state().as_slice(),
            [UiCommand::Live(LiveCommand::StartRecording)]
        );
    }

    #[test]
    fn addresses_parse_with_the_default_port_and_say_what_is_wrong() {
        assert_eq!(
            parse_server("192.168.1.2"),
            Ok("192.168.1.2:1510".parse().expect("addr"))
        );
        assert_eq!(
            parse_server(" 127.0.0.1:1510 "),
            Ok("127.0.0.1:1510".parse().expect("addr"))
        );
        let e = parse_server("motive.local").expect_err("a name");
        assert!(e.contains("127.0.0.1:1510"), "{e}");
        let f = Form {
            multicast: true,
            group: "10.0.0.1".into(),
            ..Form::default()
        };
        assert!(
            parse_form(&f)
                .expect_err("unicast group")
                .contains("not a multicast")
        );
    }
}
