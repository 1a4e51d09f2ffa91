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
use mocap_studio::cleanup::Cleanup;
use mocap_studio::history::UndoStack;
use mocap_studio::model::commands::CleanupCommand;
use mocap_studio::model::edit::EditCommand;
use mocap_studio::model::edit::HistoryCommand;
use mocap_studio::model::session::Session;
use mocap_studio::model::session::SessionCommand;

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
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
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
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
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
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
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

// ---------------------------------------------------------------------------------------------
// Re-solve and foot lock (real take)
// ---------------------------------------------------------------------------------------------

use mocap_solver::resolve::{
    self, ContactEdit, FootLockStage, MotionEntry, MotionOperation, SolveSkeleton, SolveStage,
};

/// Copies the CMU take (C3D, AMC, ASF) into `dir` and opens the C3D and AMC.
fn open_cmu(app: &mut App, dir: &std::path::Path) -> Option<PathBuf> {
    let base = "c3d_plus_skeleton/cmu_subject39_walk";
    let mut files = Vec::new();
    for f in ["39_01.c3d", "39_01.amc", "39.asf"] {
        let src = shared(&format!("{base}/{f}"))?;
        let dst = dir.join(f);
        std::fs::copy(&src, &dst).expect("copy");
        files.push(dst);
    }
    send(
        app,
        SessionCommand::Open(vec![files[0].clone(), files[1].clone()]),
    );
    assert!(mocap_studio::session::wait_until_opened(app, 20_000));
    app.update();
    assert!(errors(app).is_empty(), "{:?}", errors(app));
    Some(files[2].clone())
}

/// Updates until the background re-solve is collected, then lets its edit apply.
fn finish_resolve(app: &mut App) {
    for _ in 0..100_000 {
        app.update();
        if !app.world().resource::<Cleanup>().motion.is_solving() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert!(!app.world().resource::<Cleanup>().motion.is_solving());
    app.update();
    app.update();
}

fn take(app: &App) -> &mocap_studio::model::session::Take {
    app.world()
        .resource::<Session>()
        .take
        .as_ref()
        .expect("take")
}

fn solve_stack() -> OpStack {
    let mut stack = OpStack::new();
    stack
        .entries
        .push(StackEntry::new(Operation::FillGaps(FillParams {
            method: FillMethod::Spline,
            max_gap: 30,
            ..FillParams::default()
        })));
    stack.solve = Some(SolveStage::default());
    stack
}

#[test]
fn resolve_runs_in_the_background_equals_the_headless_solve_and_undoes_in_one_step() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut app = app();
    let Some(asf) = open_cmu(&mut app, tmp.path()) else {
        return;
    };
    let raw = markers(&app);
    let (sk0, m0) = (take(&app).skeleton.clone(), take(&app).motion.clone());
    assert!(m0.is_some(), "the AMC motion is loaded");
    let stack = solve_stack();
    set_stack(&mut app, &stack, None);
    send(&mut app, CleanupCommand::Resolve);
    app.update();
    assert!(
        app.world().resource::<Cleanup>().motion.is_solving(),
        "the solve runs in the background"
    );
    assert!(
        take(&app).solved.is_none(),
        "nothing changes before it ends"
    );
    finish_resolve(&mut app);
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));

    // The headless API on the same cleaned markers and skeleton file.
    let cleaned = stack.apply(&raw).expect("apply").0;
    let sk = SolveSkeleton::load(&asf, mocap_data::LengthUnit::Centimetre).expect("asf");
    let expected = resolve::solve(&SolveStage::default(), &sk, &cleaned, None).expect("solve");
    let solved = take(&app).solved.clone().expect("solved");
    assert_eq!(*solved, expected, "app re-solve = resolve::solve");
    assert!(expected.frames_solved > 300);
    let unit = sk0.as_ref().expect("skeleton").unit;
    let (shown_sk, shown) = resolve::in_unit(&expected.skeleton, &expected.motion, unit);
    assert_eq!(take(&app).motion.as_ref(), Some(&shown));
    assert_eq!(take(&app).skeleton.as_ref(), Some(&shown_sk));
    assert_ne!(take(&app).motion, m0);

    // One undo step: the stack edit, then the re-solve.
    assert_eq!(app.world().resource::<UndoStack>().done.len(), 2);
    send(&mut app, HistoryCommand::Undo);
    app.update();
    app.update();
    assert!(take(&app).solved.is_none());
    assert_eq!(take(&app).motion, m0, "undo returns the opened motion");
    assert_eq!(take(&app).skeleton, sk0);
    send(&mut app, HistoryCommand::Redo);
    app.update();
    app.update();
    assert_eq!(take(&app).motion.as_ref(), Some(&shown));
}

#[test]
fn cancelled_resolve_leaves_the_take_untouched() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut app = app();
    if open_cmu(&mut app, tmp.path()).is_none() {
        return;
    }
    let m0 = take(&app).motion.clone();
    set_stack(&mut app, &solve_stack(), None);
    let done = app.world().resource::<UndoStack>().done.len();
    send(&mut app, CleanupCommand::Resolve);
    send(&mut app, CleanupCommand::CancelResolve);
    finish_resolve(&mut app);
    assert!(take(&app).solved.is_none());
    assert_eq!(take(&app).motion, m0);
    assert_eq!(app.world().resource::<UndoStack>().done.len(), done);
    let log = &app
        .world()
        .resource::<mocap_studio::model::log::AppLog>()
        .entries;
    assert!(
        log.iter().any(|e| e.text.contains("cancelled")),
        "the log says it was cancelled"
    );
}

/// What the CLI computes for a stack on the opened CMU take (`mocap clean --ops STACK
/// --motion-out --skeleton 39.asf`; its CLI test proves the binary writes exactly this).
struct Headless {
    raw: mocap_data::MarkerTrajectories,
    skeleton: SolveSkeleton,
    unit: mocap_data::LengthUnit,
}

impl Headless {
    fn of(app: &App, asf: &std::path::Path) -> Self {
        Self {
            raw: markers(app),
            skeleton: SolveSkeleton::load(asf, mocap_data::LengthUnit::Centimetre).expect("asf"),
            unit: take(app).skeleton.as_ref().expect("skeleton").unit,
        }
    }

    /// The solve, the locked motion (millimetres) and the motion the app shows (the take's unit).
    fn apply(
        &self,
        stack: &OpStack,
    ) -> (
        resolve::SolvedMotion,
        mocap_data::Motion,
        mocap_data::Motion,
    ) {
        let o = resolve::apply_stack(stack, &self.raw, Some(&self.skeleton), None)
            .expect("apply_stack");
        let solved = o.solved.expect("solved");
        let (locked, _) = o.motion.expect("motion");
        let (_, shown) = resolve::in_unit(&solved.skeleton, &locked, self.unit);
        (solved, locked, shown)
    }
}

/// The solve stack with a foot lock, set on the app's take and re-solved to completion.
fn solve_with_foot_lock(app: &mut App) -> OpStack {
    let mut stack = solve_stack();
    stack
        .motion
        .push(MotionEntry::new(MotionOperation::FootLock(
            FootLockStage::default(),
        )));
    set_stack(app, &stack, None);
    send(app, CleanupCommand::Resolve);
    finish_resolve(app);
    assert!(take(app).solved.is_some(), "{:?}", errors(app));
    stack
}

#[test]
fn foot_lock_contacts_are_editable_undoable_and_match_the_cli_evaluation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut app = app();
    let Some(asf) = open_cmu(&mut app, tmp.path()) else {
        return;
    };
    let headless = Headless::of(&app, &asf);
    let stack = solve_with_foot_lock(&mut app);
    let check = |app: &App, stack: &OpStack| {
        let (solved, locked, shown) = headless.apply(stack);
        assert_eq!(take(app).motion.as_ref(), Some(&shown), "app = apply_stack");
        assert_eq!(take(app).solved.as_deref(), Some(&solved));
        locked
    };
    let locked = check(&app, &stack);
    assert_ne!(locked, take(&app).solved.as_ref().expect("solved").motion);
    let c = &app.world().resource::<Cleanup>().motion;
    assert_eq!(c.feet.len(), 2, "{:?}", c.feet);
    let left = c.feet[0].clone();
    let before = c.contacts.clone();
    assert!(!before.is_empty(), "contacts detected on a walk");
    let lanes = app
        .world()
        .resource::<mocap_studio::model::lanes::TimelineLanes>();
    let lane = lanes
        .extra
        .get(mocap_studio::cleanup::motion::CONTACT_LANES[0])
        .expect("left contact lane");
    assert_eq!(lane.name, "Contacts L");
    assert_eq!(
        lane.spans.len(),
        before.iter().filter(|c| c.name == left).count()
    );

    // The panel's edits: add a contact over frames 5–14, then nudge its end by one frame.
    let added = mocap_studio::cleanup::panel::with_contact_edit(
        &stack,
        ContactEdit::Add {
            foot: left.clone(),
            start: 5,
            end: 15,
        },
    )
    .expect("foot lock entry");
    set_stack(&mut app, &added, None);
    let covering = |app: &App| {
        app.world()
            .resource::<Cleanup>()
            .motion
            .contacts
            .iter()
            .find(|c| c.name == left && c.start <= 10 && 10 < c.end)
            .cloned()
    };
    let c1 = covering(&app).expect("the added contact");
    let moved = mocap_studio::cleanup::panel::with_contact_edit(
        &added,
        ContactEdit::Set {
            foot: left.clone(),
            frame: 10,
            start: c1.start,
            end: c1.end + 1,
        },
    )
    .expect("entry");
    set_stack(&mut app, &moved, None);
    assert_eq!(covering(&app).expect("moved").end, c1.end + 1);
    let after_edit = check(&app, &moved);
    assert_ne!(after_edit, locked, "the edit changes the locked motion");

    // Undo both edits: the contacts and the motion are back.
    send(&mut app, HistoryCommand::Undo);
    send(&mut app, HistoryCommand::Undo);
    app.update();
    assert_eq!(app.world().resource::<Cleanup>().motion.contacts, before);
    check(&app, &stack);

    // Saved beside the take, the stack round-trips (what `mocap clean --ops` reads).
    send(&mut app, HistoryCommand::Redo);
    send(&mut app, HistoryCommand::Redo);
    app.update();
    send(&mut app, CleanupCommand::SaveStack);
    app.update();
    let sidecar = OpStack::sidecar_path(&tmp.path().join("39_01.c3d"));
    assert_eq!(OpStack::load(&sidecar).expect("sidecar"), moved);

    // Dragging the end of a span on the "Contacts L" lane (what the timeline sends when the
    // drag ends) is the same undoable contact edit.
    let key = mocap_studio::cleanup::motion::CONTACT_LANES[0];
    let lane_span = |app: &App| {
        app.world()
            .resource::<mocap_studio::model::lanes::TimelineLanes>()
            .extra
            .get(key)
            .expect("left contact lane")
            .spans
            .iter()
            .map(|(s, e, _, _)| (*s, *e))
            .find(|(s, _)| *s > 40)
            .expect("a later contact")
    };
    let (s0, e0) = lane_span(&app);
    let lanes = app
        .world()
        .resource::<mocap_studio::model::lanes::TimelineLanes>();
    assert_eq!(lanes.extra[key].edit_key.as_deref(), Some(key));
    send(
        &mut app,
        CleanupCommand::MoveLaneSpan {
            key: key.to_string(),
            from: (s0, e0),
            to: (s0, e0 + 3),
        },
    );
    app.update();
    app.update();
    assert_eq!(
        lane_span(&app),
        (s0, e0 + 3),
        "the lane shows the dragged contact"
    );
    let dragged = take(&app).cleanup.clone();
    check(&app, &dragged);
    send(&mut app, HistoryCommand::Undo);
    app.update();
    assert_eq!(lane_span(&app), (s0, e0));
    assert_eq!(take(&app).cleanup, moved);
}

#[test]
fn contact_edits_on_long_takes_update_the_foot_lock_in_the_background() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut app = app();
    let Some(asf) = open_cmu(&mut app, tmp.path()) else {
        return;
    };
    // Treat this take as long: motion operations leave the main thread.
    app.world_mut()
        .resource_mut::<Cleanup>()
        .motion
        .background_from_frames = Some(0);
    let headless = Headless::of(&app, &asf);
    let stack = solve_with_foot_lock(&mut app);
    let expected = |stack: &OpStack| headless.apply(stack).2;
    // The re-solve thread already ran the foot lock: shown at once.
    assert_eq!(take(&app).motion.as_ref(), Some(&expected(&stack)));
    let left = app.world().resource::<Cleanup>().motion.feet[0].clone();
    let added = mocap_studio::cleanup::panel::with_contact_edit(
        &stack,
        ContactEdit::Add {
            foot: left,
            start: 5,
            end: 15,
        },
    )
    .expect("foot lock entry");
    let before = take(&app).motion.clone();
    set_stack(&mut app, &added, None);
    // The edit is recorded at once; the locked motion follows when the thread is done.
    assert_eq!(take(&app).cleanup, added);
    let updating = |app: &App| app.world().resource::<Cleanup>().motion.is_updating();
    for _ in 0..3 {
        if updating(&app) {
            break;
        }
        app.update();
    }
    assert!(updating(&app), "the foot lock runs in the background");
    let mut updates = 0;
    while app.world().resource::<Cleanup>().motion.is_updating() {
        assert_eq!(
            take(&app).motion,
            before,
            "the old motion stays until the new one is ready"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
        app.update();
        updates += 1;
        assert!(updates < 10_000, "the background foot lock never finished");
    }
    app.update();
    assert_eq!(take(&app).motion.as_ref(), Some(&expected(&added)));
    assert_ne!(take(&app).motion, before);
}

/// A re-solve shows its skeleton where the markers are, whatever axes the opened skeleton had:
/// the take opened with Vicon's ASF/AMC (ASF axes) re-solved gives a skeleton solved in the
/// markers' world turned Y up, placed by the viewport's own transforms on the Vicon pelvis
/// centre (`PEL0`) within a few centimetres on every frame; undo brings back the ASF axes.
#[test]
fn a_resolved_skeleton_is_placed_on_its_markers_and_undo_restores_the_axes() {
    use mocap_studio::model::session::AxisConvention;
    use mocap_studio::viewport::{skeleton_space_transform, take_space_transform};
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut app = app();
    if open_cmu(&mut app, tmp.path()).is_none() {
        return;
    }
    assert_eq!(take(&app).skeleton_axes, AxisConvention::ViconAsf);
    set_stack(&mut app, &solve_stack(), None);
    send(&mut app, CleanupCommand::Resolve);
    app.update();
    finish_resolve(&mut app);
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    let t = take(&app);
    assert!(t.solved.is_some());
    let (sk, motion) = t.actor(0).expect("solved skeleton");
    assert_eq!(t.skeleton_axes, AxisConvention::Up(sk.up_axis));
    let markers = t.markers.as_ref().expect("markers");
    let joint_space = skeleton_space_transform(sk.unit, t.actor_axes(0));
    let marker_space = take_space_transform(markers.unit, markers.up_axis);
    let root = 0;
    let pel = markers
        .labels
        .iter()
        .position(|l| l.ends_with(":PEL0") || l == "PEL0")
        .expect("PEL0");
    let (mut n, mut sum, mut worst) = (0usize, 0.0f32, 0.0f32);
    for f in 0..t.frame_count {
        let Some(p) = markers.position(f, pel) else {
            continue;
        };
        let mf = mocap_studio::model::session::motion_frame(
            t.rate,
            f,
            motion.rate,
            motion.frame_count(),
        );
        let pose = mocap_data::fk::pose(sk, motion.frame(mf));
        let q = pose[root].translation;
        let jw = joint_space.transform_point(Vec3::new(q.x as f32, q.y as f32, q.z as f32));
        let d = jw.distance(marker_space.transform_point(Vec3::from_array(p))) * 1000.0;
        sum += d;
        worst = worst.max(d);
        n += 1;
    }
    assert!(n > 300, "{n} frames compared");
    let mean = sum / n as f32;
    eprintln!("re-solved root vs Vicon's PEL0: mean {mean:.1} mm, max {worst:.1} mm");
    assert!(
        mean <= 60.0 && worst <= 120.0,
        "mean {mean} mm, max {worst} mm"
    );

    send(&mut app, HistoryCommand::Undo);
    app.update();
    app.update();
    assert!(take(&app).solved.is_none());
    assert_eq!(take(&app).skeleton_axes, AxisConvention::ViconAsf);
}
