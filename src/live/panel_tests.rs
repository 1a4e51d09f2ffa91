//! Panel tests of the Live tab (egui_kittest).
use super::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn harness() -> Harness<'static, Vec<UiCommand>> {
    harness_with(None)
}

/// The tab, disconnected, with `face` as the faces' view.
fn harness_with(face: Option<FaceView>) -> Harness<'static, Vec<UiCommand>> {
    Harness::new_ui_state(
        move |ui, out: &mut Vec<UiCommand>| {
            let status = LiveStatus::default();
            let view = LiveView {
                connection: None,
                status: &status,
                frames_drained: 0,
                queue_dropped: 0,
                recording_s: None,
                recording_frames: None,
                solve: None,
                vmc: None,
                face: face.clone(),
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
                protocol: Protocol::NatNet,
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
                recording_frames: None,
                solve: None,
                vmc: None,
                face: None,
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

#[test]
fn vmc_listens_on_39539_by_default_and_solve_and_faces_send_their_commands() {
    let mut h = harness();
    h.get_by_label("VMC").click();
    h.run();
    h.get_by_label("Listen").click();
    h.run();
    assert_eq!(
        h.state().as_slice(),
        [UiCommand::Live(LiveCommand::ListenVmc {
            bind: "127.0.0.1:39539".parse().expect("addr"),
        })]
    );
    h.state_mut().clear();
    h.get_by_label("Faces (Live Link Face)").click();
    h.run();
    assert_eq!(
        h.state().as_slice(),
        [UiCommand::Live(LiveCommand::ListenFaces(Some(
            "127.0.0.1:11111".parse().expect("addr")
        )))]
    );
    h.state_mut().clear();
    h.get_by_label("NatNet").click();
    h.run();
    h.get_by_label("Solve").click();
    h.run();
    assert_eq!(
        h.state().as_slice(),
        [UiCommand::Live(LiveCommand::SetSolve(Some("cmu41".into())))]
    );
}

#[test]
fn the_face_field_shows_the_port_listened_on_from_the_command_line() {
    // `--live-faces 127.0.0.1:40123` starts the listener before the tab is ever drawn.
    let bound: SocketAddr = "127.0.0.1:40123".parse().expect("addr");
    let mut h = harness_with(Some(FaceView {
        bind: Some(bound),
        ..FaceView::default()
    }));
    h.run();
    let shown = |h: &Harness<'static, Vec<UiCommand>>| {
        h.query_by(|n| {
            n.role() == egui::accesskit::Role::TextInput
                && n.value().as_deref() == Some("127.0.0.1:40123")
        })
        .is_some()
    };
    assert!(shown(&h), "the face field shows {bound}");
    assert!(
        h.query_by(|n| n.value().as_deref() == Some("127.0.0.1:11111"))
            .is_none(),
        "not the default port"
    );
    assert!(h.state().is_empty(), "showing it sends nothing");
    // Unchecking stops the listener it shows.
    h.get_by_label("Faces (Live Link Face)").click();
    h.run();
    assert_eq!(
        h.state().as_slice(),
        [UiCommand::Live(LiveCommand::ListenFaces(None))]
    );
}

#[test]
fn local_addresses_parse_a_bare_port_and_say_what_is_wrong() {
    assert_eq!(
        parse_bind("40000", VMC_PORT),
        Ok("127.0.0.1:40000".parse().expect("addr"))
    );
    assert_eq!(
        parse_bind("0.0.0.0", FACE_PORT),
        Ok("0.0.0.0:11111".parse().expect("addr"))
    );
    assert!(
        parse_bind("phone", FACE_PORT)
            .expect_err("a name")
            .contains("11111")
    );
}
