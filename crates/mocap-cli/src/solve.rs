//! `mocap solve`: labelled markers → skeleton motion (BVH), with a JSON report.
//!
//! Pipeline: read the take (C3D or TRC), the marker set (preset name or JSON file) and the
//! skeleton (ASF or BVH); find the actors (label prefixes such as `SteveWalk:`); calibrate each
//! subject (on `--calibrate STATIC.c3d`, from `--subject S.json`, or by default on the take's
//! first frames); solve every frame (parallel chunks); write one BVH per actor (joint names of
//! the skeleton, millimetres, Y up when the skeleton is); optionally compare joint positions
//! with a reference solve (`--reference REF.amc|REF.bvh`).

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mocap_data::{DVec3, LengthUnit, Motion, Skeleton};
use mocap_formats::{FileKind, asf, bvh, c3d, trc};
use mocap_solver::calibrate::SubjectCalibration;
use mocap_solver::markerset::MarkerSet;
use mocap_solver::model::{ModelOptions, SolverModel};
use mocap_solver::pipeline::{self, ActorSolve, Calibration};
use mocap_solver::resolve::{self, SolveSkeleton};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `mocap solve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The take: labelled markers (.c3d or .trc).
    take: PathBuf,
    /// Marker set: a preset (`cmu41`, `fullbody53`) or a marker-set JSON file.
    #[arg(long, value_name = "NAME|FILE")]
    markerset: String,
    /// Skeleton to solve onto (.asf, or .bvh whose first frame is ignored). Without it, a
    /// built-in CMU-topology template is scaled to the subject during calibration.
    #[arg(long, value_name = "X.asf|X.bvh")]
    skeleton: Option<PathBuf>,
    /// Length unit of a BVH skeleton/reference (BVH files do not state one).
    #[arg(long, default_value = "cm", value_parser = parse_unit)]
    bvh_unit: LengthUnit,
    /// Calibrate the subject on this static or range-of-motion trial.
    #[arg(long, value_name = "STATIC.c3d", conflicts_with = "subject")]
    calibrate: Option<PathBuf>,
    /// Use a saved subject calibration instead of calibrating.
    #[arg(long, value_name = "S.json")]
    subject: Option<PathBuf>,
    /// Save the calibration used (single actor) to this JSON file.
    #[arg(long, value_name = "S.json")]
    save_subject: Option<PathBuf>,
    /// Do not calibrate: use the marker set's initial offsets as they are.
    #[arg(long, conflicts_with_all = ["calibrate", "subject"])]
    no_calibrate: bool,
    /// Frames (from the first) of the take or trial used for calibration.
    #[arg(long, default_value_t = 600, value_name = "N")]
    calibration_frames: usize,
    /// Weight of the temporal smoothness term pulling each frame towards the previous one
    /// (dimensionless; 0 = off; a rotation counts with a 100 mm lever).
    #[arg(long, default_value_t = 0.01, value_name = "W")]
    smooth: f64,
    /// Solve only this actor (label prefix before `:`); may repeat.
    #[arg(long, value_name = "NAME")]
    actor: Vec<String>,
    /// Output BVH (one per actor: `OUT_<actor>.bvh` when the take has several).
    #[arg(short = 'o', long = "output", value_name = "OUT.bvh")]
    output: PathBuf,
    /// Write a JSON report here.
    #[arg(long, value_name = "R.json")]
    report: Option<PathBuf>,
    /// Solve only these frames, `START:END` (0-based samples, END exclusive): the output starts at
    /// START. With `--subject`, a chunk of a long take solved on a farm (`mocap farm`).
    #[arg(long, value_name = "START:END", value_parser = parse_frames)]
    frames: Option<(usize, usize)>,
    /// Reference solve of the same take to compare joint positions with (.amc needs an ASF
    /// `--skeleton`; .bvh).
    #[arg(long, value_name = "REF.amc|REF.bvh")]
    reference: Option<PathBuf>,
}

fn parse_frames(s: &str) -> Result<(usize, usize), String> {
    let (a, b) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?}: give START:END, e.g. 0:512"))?;
    let p = |x: &str| {
        x.trim()
            .parse::<usize>()
            .map_err(|e| format!("{x:?} in {s:?}: {e}"))
    };
    let (a, b) = (p(a)?, p(b)?);
    if a >= b {
        return Err(format!("{s:?}: START must be below END"));
    }
    Ok((a, b))
}

/// Frames `[start, end)` of `take` (sample 0 = `start`; the file frame number follows).
fn frame_slice(
    take: &mocap_data::MarkerTrajectories,
    (start, end): (usize, usize),
    path: &Path,
) -> anyhow::Result<mocap_data::MarkerTrajectories> {
    if end > take.frame_count() {
        bail!(
            "{}: --frames {start}:{end} ends past the take's {} frames",
            path.display(),
            take.frame_count()
        );
    }
    let mut t = mocap_data::MarkerTrajectories::from_fn(
        take.labels.clone(),
        end - start,
        take.rate,
        take.unit,
        take.up_axis,
        |f, m| take.sample(start + f, m),
    )?;
    t.first_frame = take.first_frame + start as i64;
    Ok(t)
}

fn parse_unit(s: &str) -> Result<LengthUnit, String> {
    LengthUnit::parse(s).ok_or_else(|| format!("unknown unit {s:?}; use mm, cm, m or in"))
}

/// The JSON report (field names are a contract relied on by external checks).
#[derive(Debug, Serialize)]
struct Report {
    take: String,
    markerset: String,
    skeleton: Option<String>,
    actors: Vec<String>,
    /// RMS of marker residuals over solved frames, mm.
    marker_rms_mm: f64,
    /// Largest marker residual over solved frames, mm.
    marker_max_mm: f64,
    /// Per marker RMS residual, mm (marker name; `actor:name` with several actors).
    per_marker_rms_mm: BTreeMap<String, f64>,
    frames_solved: usize,
    frames_failed: usize,
    /// Frames solved per second of solve wall time (all actors, all cores).
    solve_fps: f64,
    /// Seconds spent calibrating.
    calibration_s: f64,
    /// Marker-set markers missing from the take, per actor.
    missing_markers: BTreeMap<String, Vec<String>>,
    /// Calibration residual per actor (RMS over the calibration frames, mm).
    calibration_rms_mm: BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    /// RMS distance between our joints and the reference's, mm (with `--reference`).
    #[serde(skip_serializing_if = "Option::is_none")]
    joint_rms_mm: Option<f64>,
    /// Largest joint distance, mm (with `--reference`).
    #[serde(skip_serializing_if = "Option::is_none")]
    joint_max_mm: Option<f64>,
    /// Per joint RMS distance, mm (with `--reference`).
    #[serde(skip_serializing_if = "Option::is_none")]
    per_joint_rms_mm: Option<BTreeMap<String, f64>>,
    /// With `--reference`: the constant part of the joint difference (RMS over joints of each
    /// joint's mean difference over the take, mm): differing joint-centre conventions.
    #[serde(skip_serializing_if = "Option::is_none")]
    joint_constant_rms_mm: Option<f64>,
    /// With `--reference`: the part of the joint difference that varies from frame to frame, mm
    /// (`joint_constant_rms_mm² + joint_varying_rms_mm² = joint_rms_mm²`).
    #[serde(skip_serializing_if = "Option::is_none")]
    joint_varying_rms_mm: Option<f64>,
    /// Quarter turns about the vertical between our lab heading and the reference's world.
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_heading_quarter_turns: Option<usize>,
    /// With `--reference`: RMS distance of the markers from our segments with each marker's
    /// best fixed offset on its segment, mm (the same measure as the next field, for ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    marker_fit_rms_mm: Option<f64>,
    /// With `--reference`: the same measure for the reference's poses: how closely the
    /// reference's segments follow this take's markers, mm. A reference that does not follow
    /// its own markers (over ~10 mm) bounds how close any marker-fitting solve can come to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_marker_fit_rms_mm: Option<f64>,
    /// Per marker, the reference's rigid-fit RMS, mm.
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_per_marker_fit_mm: Option<BTreeMap<String, f64>>,
    /// With `--reference` on the skeleton we solve on: the joint RMS distance, mm, of our solve
    /// redone with every marker at the offset the reference's poses imply (its rigid-fit
    /// offsets), as if calibrated the reference's way. What is left is the part of the
    /// difference that no marker placement removes.
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_offsets_joint_rms_mm: Option<f64>,
    /// Marker RMS residual of that solve, mm.
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_offsets_marker_rms_mm: Option<f64>,
    outputs: Vec<String>,
}

enum SkeletonSource {
    Asf(Box<asf::AsfSkeleton>),
    Bvh,
    Template,
}

fn read_take(path: &Path) -> anyhow::Result<mocap_data::MarkerTrajectories> {
    match FileKind::from_path(path) {
        Some(FileKind::C3d) => Ok(c3d::read_path(path)?.points),
        Some(FileKind::Trc) => Ok(trc::read_path(path)?.markers),
        _ => bail!(
            "{}: a take must be a .c3d or .trc file of labelled markers",
            path.display()
        ),
    }
}

fn read_skeleton(
    path: &Path,
    bvh_unit: LengthUnit,
) -> anyhow::Result<(Skeleton, ModelOptions, SkeletonSource)> {
    if !matches!(
        FileKind::from_path(path),
        Some(FileKind::Asf | FileKind::Bvh)
    ) {
        bail!(
            "{}: the skeleton must be an .asf or .bvh file",
            path.display()
        );
    }
    // The same reader as the studio's re-solve and `mocap clean --motion-out`.
    let s = SolveSkeleton::load(path, bvh_unit)?;
    let source = match s.asf {
        Some(a) => SkeletonSource::Asf(a),
        None => SkeletonSource::Bvh,
    };
    Ok((s.skeleton, s.model, source))
}

fn output_path(out: &Path, actor: &str, several: bool) -> PathBuf {
    if several {
        mocap_solver::resolve::actor_output_path(out, actor)
    } else {
        out.to_path_buf()
    }
}

/// The reference motion read for comparison: joint names, joint positions (mm, frame-major),
/// and its model and motion (for the rigid marker fit).
struct Reference {
    names: Vec<String>,
    positions: Vec<DVec3>,
    model: SolverModel,
    motion: Motion,
}

/// Joint positions (mm) and names of the reference motion.
fn reference_positions(
    path: &Path,
    source: Option<&SkeletonSource>,
    bvh_unit: LengthUnit,
) -> anyhow::Result<Reference> {
    let (sk, motion): (Skeleton, Motion) = match FileKind::from_path(path) {
        Some(FileKind::Amc) => {
            let Some(SkeletonSource::Asf(a)) = source else {
                bail!(
                    "{}: an AMC reference needs its ASF: pass --skeleton X.asf",
                    path.display()
                );
            };
            let m = asf::read_amc_path_with(
                path,
                a,
                &asf::AmcOptions {
                    unit: LengthUnit::Millimetre,
                    ..asf::AmcOptions::default()
                },
            )?;
            (a.to_skeleton(LengthUnit::Millimetre), m)
        }
        Some(FileKind::Bvh) => {
            let f = bvh::read_path_with(
                path,
                &bvh::ReadOptions {
                    unit: bvh_unit,
                    ..bvh::ReadOptions::default()
                },
            )?;
            (f.skeleton, f.motion)
        }
        _ => bail!(
            "{}: a reference must be an .amc or .bvh file",
            path.display()
        ),
    };
    // All position channels are honoured here (the reference is what it is).
    let names: Vec<String> = sk.joints.iter().map(|j| j.name.clone()).collect();
    let all: Vec<String> = sk.joints.iter().map(|j| j.name.clone()).collect();
    let model = SolverModel::new(
        &sk,
        &ModelOptions {
            translation_joints: all,
        },
    )
    .with_context(|| format!("{}: reference skeleton", path.display()))?;
    Ok(Reference {
        names,
        positions: model.joint_positions(&motion),
        model,
        motion,
    })
}

/// Runs `mocap solve`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        != Some("bvh".into())
    {
        bail!("{}: the output must be a .bvh file", args.output.display());
    }
    let mut take = read_take(&args.take)?;
    if let Some(range) = args.frames {
        take = frame_slice(&take, range, &args.take)?;
    }
    if take.frame_count() == 0 {
        bail!("{}: the take has no frames", args.take.display());
    }
    let set = MarkerSet::load(&args.markerset)?;
    // Without a skeleton: the built-in template, scaled to the subject during calibration.
    let (skeleton, model_options, source) = match &args.skeleton {
        Some(p) => read_skeleton(p, args.bvh_unit)?,
        None => (
            mocap_solver::model::template_skeleton()?,
            ModelOptions::default(),
            SkeletonSource::Template,
        ),
    };
    let fit_scale = matches!(source, SkeletonSource::Template);

    let trial;
    let subject;
    let calibration = if let Some(p) = &args.subject {
        subject = SubjectCalibration::load(p)?;
        Calibration::Subject(&subject)
    } else if let Some(p) = &args.calibrate {
        trial = read_take(p)?;
        Calibration::Trial(&trial)
    } else if args.no_calibrate {
        Calibration::Preset
    } else {
        Calibration::FromTake
    };
    let solve_skeleton = SolveSkeleton {
        skeleton,
        model: model_options,
        fit_scale,
        asf: None,
    };
    let options = resolve::pipeline_options(
        &solve_skeleton,
        args.calibration_frames,
        args.smooth,
        args.actor.clone(),
    );
    let skeleton = solve_skeleton.skeleton;

    let bar = ProgressBar::new(take.frame_count() as u64);
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} frames ({per_sec})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("solving");
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let t0 = Instant::now();
    let solves = pipeline::solve_take(
        &skeleton,
        &set,
        &take,
        calibration,
        &options,
        Some(&progress),
    )?;
    let total_s = t0.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let calib_s = 0.0f64.max(total_s - solves.iter().map(|s| s.solve_s).sum::<f64>());

    for s in &solves {
        if !s.missing.is_empty() {
            eprintln!(
                "warning: {}: the take lacks {} marker(s) of `{}`: {} (solved without them)",
                if s.actor.is_empty() { "take" } else { &s.actor },
                s.missing.len(),
                set.name,
                s.missing.join(", ")
            );
        }
    }
    if let (Some(p), [only]) = (&args.save_subject, solves.as_slice()) {
        match &only.subject {
            Some(sub) => sub.save(p)?,
            None => bail!("--save-subject: nothing was calibrated (--no-calibrate)"),
        }
    } else if args.save_subject.is_some() {
        bail!("--save-subject needs a take with a single actor (use --actor NAME)");
    }

    let several = solves.len() > 1;
    let mut outputs = Vec::new();
    for s in &solves {
        let out = output_path(&args.output, &s.actor, several);
        let (bs, bm) = resolve::bvh_motion(s);
        bvh::write_path(&bs, &bm, &out).with_context(|| format!("writing {}", out.display()))?;
        outputs.push(out.display().to_string());
    }

    let report = build_report(
        &args, &set, &take, &solves, total_s, calib_s, &source, outputs,
    )?;
    let failed = report.frames_failed;
    eprintln!(
        "solved {} frame(s) of {} actor(s): marker RMS {:.2} mm, {} failed, {:.0} frames/s",
        report.frames_solved,
        solves.len(),
        report.marker_rms_mm,
        failed,
        report.solve_fps
    );
    if let Some(j) = report.joint_rms_mm {
        eprintln!("joint RMS vs reference: {j:.2} mm");
    }
    if let (Some(c), Some(v)) = (report.joint_constant_rms_mm, report.joint_varying_rms_mm) {
        eprintln!("  of which constant over the take {c:.2} mm, varying {v:.2} mm");
    }
    if let Some(j) = report.reference_offsets_joint_rms_mm {
        eprintln!("  with the markers where the reference's poses put them: joint RMS {j:.2} mm");
    }
    if let (Some(o), Some(r)) = (report.marker_fit_rms_mm, report.reference_marker_fit_rms_mm) {
        eprintln!(
            "markers as rigid points on the segments: ours {o:.2} mm RMS, the reference's {r:.2} mm"
        );
    }
    if let Some(p) = &args.report {
        std::fs::write(p, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn build_report(
    args: &Args,
    set: &MarkerSet,
    take: &mocap_data::MarkerTrajectories,
    solves: &[ActorSolve],
    total_s: f64,
    calib_s: f64,
    source: &SkeletonSource,
    outputs: Vec<String>,
) -> anyhow::Result<Report> {
    let several = solves.len() > 1;
    let mut per_marker = BTreeMap::new();
    let (mut sq, mut n, mut mx) = (0.0f64, 0usize, 0.0f64);
    let (mut solved, mut failed) = (0usize, 0usize);
    let mut solve_s = 0.0;
    let mut missing = BTreeMap::new();
    let mut calib_rms = BTreeMap::new();
    for s in solves {
        let r = &s.result;
        for (name, rms) in r.marker_names.iter().zip(r.per_marker_rms_mm()) {
            let key = if several {
                format!("{}:{name}", s.actor)
            } else {
                name.clone()
            };
            if rms.is_finite() {
                per_marker.insert(key, rms);
            }
        }
        let m = r.marker_names.len();
        for (f, ok) in r.frame_ok.iter().enumerate() {
            if !ok {
                failed += 1;
                continue;
            }
            solved += 1;
            for v in &r.residual_mm[f * m..(f + 1) * m] {
                if v.is_finite() {
                    sq += (*v as f64) * (*v as f64);
                    n += 1;
                    mx = mx.max(*v as f64);
                }
            }
        }
        solve_s += s.solve_s;
        missing.insert(s.actor.clone(), s.missing.clone());
        if let Some(sub) = &s.subject {
            calib_rms.insert(s.actor.clone(), sub.marker_rms_mm);
        }
    }
    let _ = total_s;
    let mut report = Report {
        take: args.take.display().to_string(),
        markerset: set.name.clone(),
        skeleton: args.skeleton.as_ref().map(|p| p.display().to_string()),
        actors: solves.iter().map(|s| s.actor.clone()).collect(),
        marker_rms_mm: if n > 0 {
            (sq / n as f64).sqrt()
        } else {
            f64::NAN
        },
        marker_max_mm: if n > 0 { mx } else { f64::NAN },
        per_marker_rms_mm: per_marker,
        frames_solved: solved,
        frames_failed: failed,
        solve_fps: (solved + failed) as f64 / solve_s.max(1e-9),
        calibration_s: calib_s,
        missing_markers: missing,
        calibration_rms_mm: calib_rms,
        reference: None,
        joint_rms_mm: None,
        joint_max_mm: None,
        per_joint_rms_mm: None,
        joint_constant_rms_mm: None,
        joint_varying_rms_mm: None,
        reference_heading_quarter_turns: None,
        marker_fit_rms_mm: None,
        reference_marker_fit_rms_mm: None,
        reference_per_marker_fit_mm: None,
        reference_offsets_joint_rms_mm: None,
        reference_offsets_marker_rms_mm: None,
        outputs,
    };
    if let Some(rp) = &args.reference {
        compare_with_reference(&mut report, args, rp, source, solves, take)?;
    }
    Ok(report)
}

/// Fills the reference fields of `report`: joint positions of the first actor against the
/// reference solve `rp`, and how closely each follows the markers.
fn compare_with_reference(
    report: &mut Report,
    args: &Args,
    rp: &Path,
    source: &SkeletonSource,
    solves: &[ActorSolve],
    take: &mocap_data::MarkerTrajectories,
) -> anyhow::Result<()> {
    let reference = reference_positions(rp, Some(source), args.bvh_unit)?;
    let (ref_names, ref_pos) = (&reference.names, &reference.positions);
    // Compare the first actor (or the only one).
    let Some(s) = solves.first() else {
        bail!("nothing was solved, so there is nothing to compare with the reference");
    };
    let model = s.solver.model();
    let names: Vec<String> = model.joints.iter().map(|j| j.name.clone()).collect();
    let ours = model.joint_positions(&s.result.motion);
    let Some((turns, cmp)) = pipeline::compare_joint_positions_any_heading(
        &names,
        &ours,
        ref_names,
        ref_pos,
        model.skeleton.up_axis,
        Some(&s.result.frame_ok),
    ) else {
        bail!(
            "{}: no joint of the reference has the name of one of ours; compare solves on the same skeleton",
            rp.display()
        );
    };
    report.reference = Some(rp.display().to_string());
    report.joint_rms_mm = Some(cmp.rms_mm);
    report.joint_max_mm = Some(cmp.max_mm);
    report.joint_constant_rms_mm = Some(cmp.constant_rms_mm);
    report.joint_varying_rms_mm = Some(cmp.varying_rms_mm);
    report.per_joint_rms_mm = Some(cmp.per_joint_rms_mm.into_iter().collect());
    report.reference_heading_quarter_turns = Some(turns);
    // How closely each solve's segments follow the markers, by one method for both: each
    // marker's best fixed offset on its segment, and the RMS distance left.
    let markers = s.marker_segments();
    let ok = Some(s.result.frame_ok.as_slice());
    let ours = pipeline::rigid_marker_fit(model, &s.result.motion, take, &markers, 0, ok);
    let theirs = pipeline::rigid_marker_fit(
        &reference.model,
        &reference.motion,
        take,
        &markers,
        turns,
        ok,
    );
    report.marker_fit_rms_mm = ours.map(|f| f.rms_mm);
    if let Some(f) = theirs {
        report.reference_marker_fit_rms_mm = Some(f.rms_mm);
        // Our solve again with the markers where the reference's poses put them (only
        // where its segment frames are ours: the same skeleton).
        if pipeline::same_segment_frames(&s.solver, &reference.model) {
            let again = pipeline::resolve_with_offsets(s, take, &f.offsets_mm)
                .context("solving again with the reference's marker offsets")?;
            if let Some(c) = pipeline::compare_joint_positions_turned(
                &names,
                &model.joint_positions(&again.motion),
                turns,
                model.skeleton.up_axis,
                ref_names,
                ref_pos,
                Some(&again.frame_ok),
            ) {
                report.reference_offsets_joint_rms_mm = Some(c.rms_mm);
                report.reference_offsets_marker_rms_mm = Some(again.marker_rms_max_mm().0);
            }
        }
        report.reference_per_marker_fit_mm = Some(f.per_marker_rms_mm.into_iter().collect());
    }
    Ok(())
}
