//! Plans: one job per take and step (clean → solve → export → qc), with dependencies, written as
//! JSON by `mocap farm plan` and executed by `mocap farm run`.
//!
//! Every job runs one existing `mocap` subcommand (`clean`, `solve`, `export-glb`, `info`), so a
//! farm result is byte-identical to the same command run by hand. A long take's solve is split
//! into a calibration job, frame chunks (`mocap solve --frames A:B --subject S.json`) and a
//! stitch job (`mocap farm stitch`), see [`crate::chunk`].

use crate::chunk::ChunkLayout;
use crate::error::{FarmError, Result};
use crate::store::{Store, StoreSpec, TakeRef};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Identifier written in every plan file.
pub const PLAN_FORMAT: &str = "mocap-farm-plan/1";

/// A pipeline step, in dependency order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// `mocap clean`: repaired markers (C3D).
    Clean,
    /// `mocap solve`: skeleton motion (BVH).
    Solve,
    /// `mocap export-glb`: the mannequin playing the solve (GLB).
    Export,
    /// `mocap info --json` of the solve: a QC report (JSON).
    Qc,
}

impl Step {
    /// Steps in dependency order.
    pub const ALL: [Step; 4] = [Step::Clean, Step::Solve, Step::Export, Step::Qc];

    /// Stable name (`clean`, `solve`, `export`, `qc`): the derived-version kind in the library.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Clean => "clean",
            Step::Solve => "solve",
            Step::Export => "export",
            Step::Qc => "qc",
        }
    }

    /// Parses a comma-separated list (`solve,clean,export,qc`), returned in dependency order.
    pub fn parse_list(text: &str) -> Result<Vec<Step>> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let s = match part.to_ascii_lowercase().as_str() {
                "clean" => Step::Clean,
                "solve" => Step::Solve,
                "export" | "export-glb" => Step::Export,
                "qc" | "report" => Step::Qc,
                _ => {
                    return Err(FarmError::Invalid(format!(
                        "unknown step `{part}`; use a comma-separated list of solve, clean, export, qc"
                    )));
                }
            };
            if !out.contains(&s) {
                out.push(s);
            }
        }
        if out.is_empty() {
            return Err(FarmError::Invalid(
                "no steps given; use --steps solve,clean,export,qc".into(),
            ));
        }
        out.sort();
        Ok(out)
    }
}

/// One take to plan for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TakeInput {
    /// Take name (unique in the plan).
    pub name: String,
    /// Database id in the take library (`None` for a folder plan).
    pub take_id: Option<i64>,
    /// The take's labelled markers (.c3d), absolute.
    pub path: PathBuf,
    /// Length in frames (samples), when known: decides whether the solve is chunked.
    pub frames: Option<u64>,
}

/// Step options shared by every take of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOptions {
    /// `mocap clean` flags (e.g. `--fill spline --despike`); `--fill spline` when empty.
    pub clean_args: Vec<String>,
    /// Marker set preset or JSON file (`mocap solve --markerset`).
    pub markerset: String,
    /// Skeleton file (`mocap solve --skeleton`); the built-in template when `None`.
    pub skeleton: Option<PathBuf>,
    /// Temporal smoothness weight (`mocap solve --smooth`, dimensionless); the tool's default
    /// when `None`.
    pub smooth: Option<f64>,
    /// Calibration window, frames (`mocap solve --calibration-frames`); default when `None`.
    pub calibration_frames: Option<usize>,
    /// Takes longer than this many frames are solved in chunks of this many frames (rounded up
    /// to a multiple of [`crate::chunk::SOLVER_CHUNK`]); 0 = never chunk.
    pub chunk_frames: usize,
}

impl Default for StepOptions {
    fn default() -> Self {
        Self {
            clean_args: Vec::new(),
            markerset: "cmu41".into(),
            skeleton: None,
            smooth: None,
            calibration_frames: None,
            chunk_frames: 0,
        }
    }
}

/// What `mocap farm plan` was asked for.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// Takes, in plan order.
    pub takes: Vec<TakeInput>,
    /// Steps (dependency order).
    pub steps: Vec<Step>,
    /// Step options.
    pub options: StepOptions,
    /// Where outputs go: `OUT/<take>/<take>.<ext>`.
    pub out_dir: PathBuf,
    /// Where logs, status files and scheduler scripts go.
    pub work_dir: PathBuf,
    /// The `mocap` executable the jobs run (absolute).
    pub program: PathBuf,
    /// The tool version recorded with results (name, version and executable hash).
    pub tool_version: String,
    /// Where results are recorded.
    pub store: StoreSpec,
}

/// One job: a `mocap` command line with its inputs, output and dependencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Unique id in the plan: `TAKE/STEP` (`TAKE/solve-chunk-2` for a chunk).
    pub id: String,
    /// Take name.
    pub take: String,
    /// Take id in the library, if any.
    pub take_id: Option<i64>,
    /// Index of the take in the plan (the Slurm array task id of per-take arrays).
    pub task: u32,
    /// Step name (`clean`, `solve`, `export`, `qc`, or `calibrate` / `solve-chunk` for parts of
    /// a chunked solve).
    pub step: String,
    /// The executable (absolute).
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Write the command's standard output to this file (the output of `qc`).
    pub stdout: Option<PathBuf>,
    /// The files the result depends on (hashed for the recorded version), absolute.
    pub inputs: Vec<PathBuf>,
    /// The output file, absolute.
    pub output: PathBuf,
    /// Jobs that must succeed first (ids).
    pub deps: Vec<String>,
    /// Record the output in the store as a version of kind `step` (false for chunk parts).
    pub record: bool,
    /// For a part of a chunked solve: the id of the job whose result it serves.
    pub serves: Option<String>,
    /// Step, options (without file names) and tool version: with the input hashes, what makes a
    /// recorded result reusable.
    pub operations: Value,
}

/// A result already recorded with the same inputs, operations and tool version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpToDate {
    /// The job id it stands for.
    pub job: String,
    /// Recorded output (absolute path).
    pub output: PathBuf,
    /// Version number in the store.
    pub version: i64,
}

/// A plan file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Always [`PLAN_FORMAT`].
    pub format: String,
    /// Tool version the jobs record.
    pub tool_version: String,
    /// Where results are recorded.
    pub store: StoreSpec,
    /// Logs, status files, scheduler scripts.
    pub work_dir: PathBuf,
    /// Outputs.
    pub out_dir: PathBuf,
    /// Jobs to run, in dependency order.
    pub jobs: Vec<Job>,
    /// Work skipped because its recorded result is current.
    pub up_to_date: Vec<UpToDate>,
}

/// A take name made safe for a file name (`[A-Za-z0-9._-]`, others → `_`).
pub fn file_safe(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn ops(step: &str, options: &[String], tool_version: &str) -> Value {
    json!({ "step": step, "options": options, "tool_version": tool_version })
}

/// Builds every job of `req` (nothing skipped yet; see [`Plan::resolve`]).
pub fn build_jobs(req: &PlanRequest) -> Result<Vec<Job>> {
    if req.takes.is_empty() {
        return Err(FarmError::Invalid(
            "no takes to plan: check the library filters or the folder (it needs .c3d takes)"
                .into(),
        ));
    }
    let mut names = HashMap::new();
    let mut jobs = Vec::new();
    for (i, t) in req.takes.iter().enumerate() {
        if let Some(prev) = names.insert(file_safe(&t.name), &t.name) {
            return Err(FarmError::Invalid(format!(
                "takes `{prev}` and `{}` map to the same output folder; rename one",
                t.name
            )));
        }
        take_jobs(req, t, i as u32, &mut jobs);
    }
    Ok(jobs)
}

/// Extra solve inputs: the skeleton and a marker-set file (a preset name is no file).
fn solve_extra_inputs(o: &StepOptions) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = o.skeleton.iter().cloned().collect();
    let m = Path::new(&o.markerset);
    if m.is_file() {
        v.push(m.to_path_buf());
    }
    v
}

fn solve_options(o: &StepOptions) -> Vec<String> {
    let mut v = vec!["--markerset".to_string(), o.markerset.clone()];
    if let Some(sk) = &o.skeleton {
        v.extend(["--skeleton".into(), s(sk)]);
    }
    if let Some(w) = o.smooth {
        v.extend(["--smooth".into(), w.to_string()]);
    }
    if let Some(n) = o.calibration_frames {
        v.extend(["--calibration-frames".into(), n.to_string()]);
    }
    v
}

fn take_jobs(req: &PlanRequest, t: &TakeInput, task: u32, jobs: &mut Vec<Job>) {
    let safe = file_safe(&t.name);
    let dir = req.out_dir.join(&safe);
    let o = &req.options;
    let tv = &req.tool_version;
    let mk = |step: &str, args: Vec<String>, inputs: Vec<PathBuf>, output: PathBuf| Job {
        id: format!("{}/{step}", t.name),
        take: t.name.clone(),
        take_id: t.take_id,
        task,
        step: step.to_string(),
        program: req.program.clone(),
        args,
        stdout: None,
        inputs,
        output,
        deps: Vec::new(),
        record: true,
        serves: None,
        operations: Value::Null,
    };
    let mut markers = t.path.clone();
    let mut last: Option<String> = None;
    let mut motion: Option<PathBuf> = None;
    for step in &req.steps {
        let mut job = match step {
            Step::Clean => {
                let out = dir.join(format!("{safe}.clean.c3d"));
                let mut opts = o.clean_args.clone();
                if opts.is_empty() {
                    opts = vec!["--fill".into(), "spline".into()];
                }
                let mut args = vec!["clean".into(), s(&markers)];
                args.extend(opts.iter().cloned());
                args.extend(["-o".into(), s(&out)]);
                let mut j = mk("clean", args, vec![markers.clone()], out.clone());
                j.operations = ops("clean", &opts, tv);
                markers = out;
                j
            }
            Step::Solve => {
                let out = dir.join(format!("{safe}.bvh"));
                let opts = solve_options(o);
                let mut inputs = vec![markers.clone()];
                inputs.extend(solve_extra_inputs(o));
                let layout = ChunkLayout::for_take(t.frames, o.chunk_frames);
                let j = if let Some(layout) = layout {
                    let parts = chunk_jobs(req, t, task, &markers, &dir, &layout, last.as_deref());
                    let part_ids: Vec<String> = parts.iter().map(|p| p.id.clone()).collect();
                    let mut op_opts = opts.clone();
                    op_opts.extend([
                        "--chunk-frames".into(),
                        layout.chunk.to_string(),
                        "--overlap".into(),
                        layout.overlap.to_string(),
                    ]);
                    let mut args = vec![
                        "farm".into(),
                        "stitch".into(),
                        "--overlap".into(),
                        layout.overlap.to_string(),
                    ];
                    args.extend(
                        parts
                            .iter()
                            .filter(|p| p.step == "solve-chunk")
                            .map(|p| s(&p.output)),
                    );
                    args.extend(["-o".into(), s(&out)]);
                    jobs.extend(parts);
                    let mut j = mk("solve", args, inputs, out.clone());
                    j.deps = part_ids
                        .into_iter()
                        .filter(|d| d.contains("chunk"))
                        .collect();
                    j.operations = ops("solve", &op_opts, tv);
                    j
                } else {
                    let mut args = vec!["solve".into(), s(&markers)];
                    args.extend(opts.iter().cloned());
                    args.extend([
                        "--report".into(),
                        s(&dir.join(format!("{safe}.solve-report.json"))),
                        "-o".into(),
                        s(&out),
                    ]);
                    let mut j = mk("solve", args, inputs, out.clone());
                    j.operations = ops("solve", &opts, tv);
                    j
                };
                motion = Some(out);
                j
            }
            Step::Export | Step::Qc => {
                let Some(bvh) = motion.clone().or_else(|| existing_motion(&dir, &safe)) else {
                    continue;
                };
                if *step == Step::Export {
                    let out = dir.join(format!("{safe}.glb"));
                    let args = vec!["export-glb".into(), s(&bvh), "-o".into(), s(&out)];
                    let mut j = mk("export", args, vec![bvh], out);
                    j.operations = ops("export", &[], tv);
                    j
                } else {
                    let out = dir.join(format!("{safe}.qc.json"));
                    let args = vec!["info".into(), "--json".into(), s(&bvh)];
                    let mut j = mk("qc", args, vec![bvh], out.clone());
                    j.stdout = Some(out);
                    j.operations = ops("qc", &[], tv);
                    j
                }
            }
        };
        if job.deps.is_empty()
            && let Some(prev) = &last
        {
            job.deps.push(prev.clone());
        }
        // One chain per take, as the issue orders it: clean → solve → export → qc.
        last = Some(job.id.clone());
        jobs.push(job);
    }
}

/// A solve already on disk from an earlier plan (export/qc planned without the solve step).
fn existing_motion(dir: &Path, safe: &str) -> Option<PathBuf> {
    let p = dir.join(format!("{safe}.bvh"));
    p.is_file().then_some(p)
}

fn chunk_jobs(
    req: &PlanRequest,
    t: &TakeInput,
    task: u32,
    markers: &Path,
    dir: &Path,
    layout: &ChunkLayout,
    after: Option<&str>,
) -> Vec<Job> {
    let safe = file_safe(&t.name);
    let parts_dir = dir.join("chunks");
    let opts = solve_options(&req.options);
    let serves = format!("{}/solve", t.name);
    let subject = parts_dir.join(format!("{safe}.subject.json"));
    let cal_frames = req.options.calibration_frames.unwrap_or(600);
    let mut cal_args = vec!["solve".into(), s(markers)];
    cal_args.extend(opts.iter().cloned());
    cal_args.extend([
        "--frames".into(),
        format!("0:{}", (cal_frames as u64).min(layout.frames)),
        "--save-subject".into(),
        s(&subject),
        "-o".into(),
        s(&parts_dir.join(format!("{safe}.calibration.bvh"))),
    ]);
    let part =
        |id: String, step: &str, args: Vec<String>, output: PathBuf, deps: Vec<String>| Job {
            id,
            take: t.name.clone(),
            take_id: t.take_id,
            task,
            step: step.into(),
            program: req.program.clone(),
            args,
            stdout: None,
            inputs: vec![markers.to_path_buf()],
            output,
            deps,
            record: false,
            serves: Some(serves.clone()),
            operations: Value::Null,
        };
    let cal_id = format!("{}/calibrate", t.name);
    let mut out = vec![part(
        cal_id.clone(),
        "calibrate",
        cal_args,
        subject.clone(),
        after.map(str::to_string).into_iter().collect(),
    )];
    // Chunk solves use the saved subject: --subject replaces the calibration options.
    let solve_opts: Vec<String> = {
        let mut v = Vec::new();
        let mut it = opts.iter();
        while let Some(a) = it.next() {
            if a == "--calibration-frames" {
                it.next();
            } else {
                v.push(a.clone());
            }
        }
        v
    };
    for (k, (a, b)) in layout.ranges().into_iter().enumerate() {
        let output = parts_dir.join(format!("{safe}.chunk{k:03}.bvh"));
        let mut args = vec!["solve".into(), s(markers)];
        args.extend(solve_opts.iter().cloned());
        args.extend([
            "--subject".into(),
            s(&subject),
            "--frames".into(),
            format!("{a}:{b}"),
            "-o".into(),
            s(&output),
        ]);
        let mut j = part(
            format!("{}/solve-chunk-{k}", t.name),
            "solve-chunk",
            args,
            output,
            vec![cal_id.clone()],
        );
        j.task = k as u32;
        out.push(j);
    }
    out
}

impl Plan {
    /// Builds the plan for `req` and drops the jobs whose recorded result is current.
    pub fn build(req: &PlanRequest) -> Result<Plan> {
        let jobs = build_jobs(req)?;
        let mut plan = Plan {
            format: PLAN_FORMAT.into(),
            tool_version: req.tool_version.clone(),
            store: req.store.clone(),
            work_dir: req.work_dir.clone(),
            out_dir: req.out_dir.clone(),
            jobs,
            up_to_date: Vec::new(),
        };
        let mut store = Store::open(&plan.store)?;
        plan.resolve(&mut store)?;
        Ok(plan)
    }

    /// Moves the jobs whose result `store` already holds (same input hashes, operations and tool
    /// version, output file intact) to [`Plan::up_to_date`], with every part of a chunked solve
    /// whose result is current. A job after one that must run is kept.
    pub fn resolve(&mut self, store: &mut Store) -> Result<()> {
        let mut needed: BTreeMap<String, bool> = BTreeMap::new();
        let mut found: HashMap<String, UpToDate> = HashMap::new();
        let index: HashMap<String, usize> = self
            .jobs
            .iter()
            .enumerate()
            .map(|(i, j)| (j.id.clone(), i))
            .collect();
        // Recorded jobs, in dependency order: needed when an upstream recorded job is needed or
        // when the store has no current result.
        for j in self.jobs.iter().filter(|j| j.record) {
            let upstream = self.recorded_upstream(j, &index);
            let mut need = upstream
                .iter()
                .any(|u| needed.get(u).copied().unwrap_or(false));
            if !need {
                let take = TakeRef {
                    name: j.take.clone(),
                    take_id: j.take_id,
                };
                let hashes: Option<Vec<String>> = j
                    .inputs
                    .iter()
                    .map(|p| take_library::util::hash_file(p).ok().map(|(h, _)| h))
                    .collect();
                match hashes {
                    Some(h) => match store.find(&take, &j.step, &h, &j.operations)? {
                        Some(r) => {
                            found.insert(
                                j.id.clone(),
                                UpToDate {
                                    job: j.id.clone(),
                                    output: r.output_path,
                                    version: r.version,
                                },
                            );
                        }
                        None => need = true,
                    },
                    None => need = true,
                }
            }
            needed.insert(j.id.clone(), need);
        }
        let keep = |j: &Job| match &j.serves {
            Some(s) => needed.get(s).copied().unwrap_or(true),
            None => needed.get(&j.id).copied().unwrap_or(true),
        };
        let (run, skip): (Vec<Job>, Vec<Job>) = std::mem::take(&mut self.jobs)
            .into_iter()
            .partition(|j| keep(j));
        for j in skip {
            if let Some(u) = found.remove(&j.id) {
                self.up_to_date.push(u);
            }
        }
        // Dependencies on skipped jobs are met.
        let ids: std::collections::HashSet<String> = run.iter().map(|j| j.id.clone()).collect();
        self.jobs = run
            .into_iter()
            .map(|mut j| {
                j.deps.retain(|d| ids.contains(d));
                j
            })
            .collect();
        Ok(())
    }

    /// Recorded jobs `j` depends on, looking through chunk parts.
    fn recorded_upstream(&self, j: &Job, index: &HashMap<String, usize>) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack: Vec<&str> = j.deps.iter().map(String::as_str).collect();
        let mut seen = std::collections::HashSet::new();
        while let Some(d) = stack.pop() {
            if !seen.insert(d.to_string()) {
                continue;
            }
            let Some(&i) = index.get(d) else { continue };
            let dj = &self.jobs[i];
            if dj.record {
                out.push(dj.id.clone());
            } else {
                stack.extend(dj.deps.iter().map(String::as_str));
            }
        }
        out
    }

    /// Reads a plan file.
    pub fn load(path: &Path) -> Result<Plan> {
        let text = std::fs::read_to_string(path).map_err(|e| FarmError::io(path, e))?;
        let plan: Plan = serde_json::from_str(&text).map_err(|e| FarmError::BadFile {
            path: path.to_path_buf(),
            message: format!("line {} column {}: {e}", e.line(), e.column()),
        })?;
        if plan.format != PLAN_FORMAT {
            return Err(FarmError::BadFile {
                path: path.to_path_buf(),
                message: format!("format `{}`, expected `{PLAN_FORMAT}`", plan.format),
            });
        }
        Ok(plan)
    }

    /// Writes the plan as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| FarmError::Invalid(format!("cannot serialise the plan: {e}")))?;
        crate::store::write_atomic(path, text.as_bytes())
    }

    /// The job with this id.
    pub fn job(&self, id: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id == id)
    }
}
