//! Headless tests of the Cleanup panel's engine (`MinimalPlugins` + `CorePlugins`): the take's
//! operation stack edited through undoable commands, evaluated incrementally, equal bit for bit
//! to `OpStack::apply` — the function `mocap clean --ops` runs (its CLI test proves that side) —
//! saved beside the take, loaded again with it, and exported as C3D.
//!
//! Real-data tests read `MOCAP_TEST_DATA`: unset → notice and return; set and a file missing →
//! fail.

use std::path::PathBuf;

mod common;

use bevy::prelude::*;
use common::{app, errors, send};
use mocap_solver::fill::{FillMethod, FillParams};
use mocap_solver::filter::LowpassParams;
use mocap_solver::gaps::{FrameRange, MarkerSelection};
use mocap_solver::spikes::DespikeParams;
use mocap_solver::stack::{OpStack, Operation, StackEntry, same_bits};
use mocap_studio::cleanup::{Cleanup, CleanupCommand};
use mocap_studio::history::{EditCommand, HistoryCommand, UndoStack};
use mocap_studio::session::{Session, SessionCommand};

fn set_stack(app: &mut App, stack: &OpStack, merge: Option<u64>) {
    send(
        app,
        EditCommand::SetCleanupStack {
            stack: Box::new(stack.clone()),
            what: "test".into(),
            merge,
        },
    );
    app.update();
}

fn markers(app: &App) -> mocap_data::MarkerTrajectories {
    app.world()
        .resource::<Session>()
        .take
        .as_ref()
        .and_then(|t| t.markers.clone())
        .expect("markers")
}

fn gap_count(m: &mocap_data::MarkerTrajectories) -> usize {
    m.valid().iter().filter(|v| !**v).count()
}

#[test]
fn stack_edits_are_undoable_and_match_the_batch_result() {
    let mut app = app();
    send(&mut app, SessionCommand::LoadDemo);
    app.update();
    app.update();
    let raw = markers(&app);
    assert!(gap_count(&raw) > 0, "the demo take has gaps");

    let fill = StackEntry::new(Operation::FillGaps(FillParams {
        method: FillMethod::Spline,
        ..FillParams::default()
    }));
    let mut lowpass = StackEntry::new(Operation::Lowpass(LowpassParams {
        cutoff_hz: 8.0,
        order: 4,
    }));
    lowpass.range = Some(FrameRange::new(100, 900));
    let mut stack = OpStack::new();
    stack.entries.push(fill);
    set_stack(&mut app, &stack, None);
    let filled = markers(&app);
    assert!(gap_count(&filled) < gap_count(&raw));
    assert!(same_bits(&filled, &stack.apply(&raw).expect("apply").0));

    stack.entries.push(lowpass);
    set_stack(&mut app, &stack, None);
    // A drag of the low-pass cutoff: three edits with one merge key are one undo step.
    for hz in [7.0, 6.0, 5.0] {
        if let Operation::Lowpass(p) = &mut stack.entries[1].op {
            p.cutoff_hz = hz;
        }
        set_stack(&mut app, &stack, Some(2));
    }
    assert_eq!(app.world().resource::<UndoStack>().done.len(), 3);
    let (expected, _) = stack.apply(&raw).expect("apply");
    assert!(same_bits(&markers(&app), &expected), "incremental = batch");

    // Reorder and toggle, then undo everything back to the raw take and redo it all.
    stack.entries.swap(0, 1);
    set_stack(&mut app, &stack, None);
    stack.entries[0].enabled = false;
    set_stack(&mut app, &stack, None);
    assert!(same_bits(
        &markers(&app),
        &stack.apply(&raw).expect("apply").0
    ));
    for _ in 0..5 {
        send(&mut app, HistoryCommand::Undo);
    }
    app.update();
    assert!(
        same_bits(&markers(&app), &raw),
        "undo restores the raw take"
    );
    for _ in 0..5 {
        send(&mut app, HistoryCommand::Redo);
    }
    app.update();
    assert!(same_bits(
        &markers(&app),
        &stack.apply(&raw).expect("apply").0
    ));
    let c = app.world().resource::<Cleanup>();
    assert_eq!(c.outcomes.len(), 2);
    assert_eq!(c.outcomes[0], "off");
    assert!(c.outcomes[1].contains("gaps filled"), "{}", c.outcomes[1]);
    assert!(!c.rows.is_empty());

    // Export (no source file: a new C3D) re-reads as the same markers.
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("cleaned.c3d");
    send(&mut app, CleanupCommand::Export(out.clone()));
    app.update();
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    let back = mocap_formats::c3d::read_path(&out).expect("re-read").points;
    let now = markers(&app);
    assert_eq!(back.labels, now.labels);
    assert_eq!(back.valid(), now.valid());
    for (i, (p, q)) in back.positions().iter().zip(now.positions()).enumerate() {
        if now.valid()[i] {
            assert_eq!(p.map(f32::to_bits), q.map(f32::to_bits), "sample {i}");
        }
    }
}

fn shared(rel: &str) -> Option<PathBuf> {
    let Some(root) = std::env::var_os("MOCAP_TEST_DATA") else {
        eprintln!("MOCAP_TEST_DATA unset: skipping the real-take clean-up test");
        return None;
    };
    let p = PathBuf::from(root).join(rel);
    assert!(p.exists(), "missing test data {}", p.display());
    Some(p)
}

#[test]
fn real_take_stack_saves_beside_the_take_and_exports_like_the_cli() {
    let Some(src) = shared("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let take = tmp.path().join("39_01.c3d");
    std::fs::copy(&src, &take).expect("copy");
    let mut app = app();
    send(&mut app, SessionCommand::Open(vec![take.clone()]));
    app.update();
    app.update();
    let raw = mocap_formats::c3d::read_path(&take).expect("read").points;
    assert!(same_bits(&markers(&app), &raw));

    let mut stack = OpStack::new();
    stack.entries.push(StackEntry::new(
        Operation::Despike(DespikeParams::default()),
    ));
    let mut fill = StackEntry::new(Operation::FillGaps(FillParams {
        method: FillMethod::Spline,
        max_gap: 30,
        ..FillParams::default()
    }));
    fill.range = Some(FrameRange::new(0, 300));
    stack.entries.push(fill);
    let mut lp = StackEntry::new(Operation::Lowpass(LowpassParams {
        cutoff_hz: 6.0,
        order: 4,
    }));
    lp.markers = MarkerSelection::Labels(vec![raw.labels[0].clone(), raw.labels[5].clone()]);
    stack.entries.push(lp);
    // Built up one entry at a time, as in the panel.
    let mut partial = OpStack::new();
    for e in &stack.entries {
        partial.entries.push(e.clone());
        set_stack(&mut app, &partial, None);
    }
    let (expected, _) = stack.apply(&raw).expect("apply");
    assert!(same_bits(&markers(&app), &expected));

    send(&mut app, CleanupCommand::SaveStack);
    let out = tmp.path().join("39_01.cleaned.c3d");
    send(&mut app, CleanupCommand::Export(out.clone()));
    app.update();
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    let sidecar = OpStack::sidecar_path(&take);
    assert_eq!(OpStack::load(&sidecar).expect("sidecar"), stack);
    // The exported file is the source C3D with its points replaced: what `mocap clean --ops
    // SIDECAR` writes (same reader, same OpStack::apply, same writer).
    let back = mocap_formats::c3d::read_path(&out).expect("re-read");
    assert!(same_bits(&back.points, &expected));
    let original = mocap_formats::c3d::read_path(&take).expect("read");
    assert_eq!(back.analog, original.analog);
    assert_eq!(back.events, original.events);

    // Reopening the take brings its stack back.
    send(&mut app, SessionCommand::Close);
    app.update();
    send(&mut app, SessionCommand::Open(vec![take.clone()]));
    app.update();
    app.update();
    let t = app
        .world()
        .resource::<Session>()
        .take
        .as_ref()
        .expect("take");
    assert_eq!(t.cleanup, stack);
    assert!(same_bits(&markers(&app), &expected));

    // A damaged sidecar is reported and left alone; the take opens raw.
    std::fs::write(&sidecar, "(version: 1, entries: [ (op: Blur) ])").expect("write");
    send(&mut app, SessionCommand::Close);
    app.update();
    send(&mut app, SessionCommand::Open(vec![take.clone()]));
    app.update();
    app.update();
    assert!(
        errors(&app).iter().any(|e| e.contains("39_01.ops.ron")),
        "{:?}",
        errors(&app)
    );
    assert!(same_bits(&markers(&app), &raw));
    assert_eq!(
        std::fs::read_to_string(&sidecar).expect("read"),
        "(version: 1, entries: [ (op: Blur) ])"
    );
}

#[test]
fn swaps_are_found_and_fixed_in_one_click() {
    use mocap_studio::cleanup::SwapSpan;
    let mut app = app();
    send(&mut app, SessionCommand::LoadDemo);
    app.update();
    app.update();
    let raw = markers(&app);
    // Introduce a swap of two nearby markers over frames 300–499 with the stack itself.
    let (a, b) = (raw.labels[0].clone(), raw.labels[1].clone());
    let mut swap = StackEntry::new(Operation::SwapLabels {
        a: a.clone(),
        b: b.clone(),
    });
    swap.range = Some(FrameRange::new(300, 500));
    let mut stack = OpStack::new();
    stack.entries.push(swap);
    set_stack(&mut app, &stack, None);
    send(
        &mut app,
        CleanupCommand::FindSwaps(mocap_solver::swaps::SwapParams::default()),
    );
    app.update();
    let found: Vec<SwapSpan> = app
        .world()
        .resource::<Cleanup>()
        .swaps
        .clone()
        .expect("searched");
    let span = found
        .iter()
        .find(|s| s.labels.contains(&a) && s.labels.contains(&b))
        .unwrap_or_else(|| panic!("swap {a}/{b} found: {found:?}"));
    assert_eq!((span.frames.start, span.frames.end), (300, 500));
    // The panel's fix: a SwapLabels entry over the span, which restores the raw markers.
    let mut fix = StackEntry::new(Operation::SwapLabels {
        a: span.labels[0].clone(),
        b: span.labels[1].clone(),
    });
    fix.range = Some(span.frames);
    stack.entries.push(fix);
    set_stack(&mut app, &stack, None);
    assert!(same_bits(&markers(&app), &raw));
    assert!(
        app.world().resource::<Cleanup>().swaps.is_none(),
        "stale list cleared"
    );
}
