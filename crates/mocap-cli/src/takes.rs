//! `mocap takes`: the take library (catalogue, review notes, approval ledger, evidence).

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};
use take_library::evidence::{verify_manifest, write_manifest};
use take_library::import::FormatsProbe;
use take_library::naming::NamingPattern;
use take_library::util::{format_utc_ms, parse_utc_date};
use take_library::{Library, NewNote, OpenMode, TakeDetail, TakeQuery, TakeStatus, UserKey};

/// Arguments of `mocap takes`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The project's take library: an SQLite file (`import` creates it), or a team library in
    /// PostgreSQL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (an empty database becomes
    /// one on first import).
    #[arg(long, global = true, value_name = "DB")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: TakesCommand,
}

/// Arguments of `mocap takes list`.
#[derive(clap::Args, Debug)]
struct ListArgs {
    /// Print JSON (every take with id, name, scene, status, files with hashes, notes).
    #[arg(long)]
    json: bool,
    /// Words to find in names, descriptions, actors, tags and notes (prefix match).
    #[arg(long)]
    text: Option<String>,
    /// Scene name.
    #[arg(long)]
    scene: Option<String>,
    /// Actor name.
    #[arg(long)]
    actor: Option<String>,
    /// Status (none, circled, approved, rejected, needs-fix).
    #[arg(long)]
    status: Option<String>,
    /// Tag.
    #[arg(long)]
    tag: Option<String>,
    /// Captured on or after this UTC date (YYYY-MM-DD).
    #[arg(long)]
    from: Option<String>,
    /// Captured on or before this UTC date (YYYY-MM-DD).
    #[arg(long)]
    until: Option<String>,
    /// At most this many takes (0 = all).
    #[arg(long, default_value_t = 0)]
    limit: usize,
}

#[derive(Subcommand, Debug)]
enum TakesCommand {
    /// Scan a capture folder and add its takes (idempotent; reports moved and changed files).
    Import {
        /// Folder to scan (recursively).
        folder: PathBuf,
        /// Naming regex with named groups `scene` and `take`, matched against the file name up to
        /// its first `.` (default: `Scene_012_Take_003`, `S012_T003`, `<name>_<NN>`).
        #[arg(long)]
        pattern: Option<String>,
        /// Who imports (recorded in the ledger); default $USER.
        #[arg(long)]
        by: Option<String>,
        /// Print the import report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List or search takes.
    List(ListArgs),
    /// Set a take's status (a ledger event).
    Status {
        /// Take id or name.
        take: String,
        /// none, circled, approved, rejected or needs-fix.
        status: String,
        /// Who decides.
        #[arg(long)]
        by: String,
        /// Why.
        #[arg(long)]
        comment: Option<String>,
        /// Sign the event with this ed25519 key file (`mocap takes keygen`).
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Add a note at a frame or frame range (a ledger event).
    Note {
        /// Take id or name.
        take: String,
        /// First frame (0-based frame index into the take).
        #[arg(long)]
        frame: Option<u64>,
        /// Last frame of a range (inclusive).
        #[arg(long)]
        to: Option<u64>,
        /// Reply to this note id (frames default to the parent's).
        #[arg(long)]
        reply_to: Option<i64>,
        /// Who writes it.
        #[arg(long)]
        by: String,
        /// Sign the event with this ed25519 key file.
        #[arg(long)]
        key: Option<PathBuf>,
        /// The note.
        text: String,
    },
    /// Mark a note resolved (or open again with --reopen); a ledger event.
    Resolve {
        /// Note id.
        note: i64,
        /// Who.
        #[arg(long)]
        by: String,
        /// Mark it open again.
        #[arg(long)]
        reopen: bool,
        /// Sign the event with this ed25519 key file.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Check the ledger chain, the tables against it and the files on disk (exit 1 naming the
    /// first bad event).
    Verify {
        /// Skip re-hashing take files.
        #[arg(long)]
        no_files: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// An event hash recorded earlier (e.g. an evidence manifest's chain head) that must
        /// still be in the chain; repeatable. Detects a rewritten ledger tail.
        #[arg(long, value_name = "HASH")]
        anchor: Vec<String>,
    },
    /// Export a take's rights-evidence manifest, or check one with --verify.
    Evidence {
        /// Take id or name.
        #[arg(required_unless_present = "verify", conflicts_with = "verify")]
        take: Option<String>,
        /// Manifest to write.
        #[arg(short = 'o', long, required_unless_present = "verify")]
        output: Option<PathBuf>,
        /// Check this manifest against its files and its own hashes (and, with --db, against the
        /// library's ledger).
        #[arg(long, value_name = "FILE")]
        verify: Option<PathBuf>,
    },
    /// Print the ledger (all events, or one take's), oldest first.
    Log {
        /// Take id or name (default: every event).
        take: Option<String>,
        /// Print JSON (events exactly as stored, with hashes and signatures).
        #[arg(long)]
        json: bool,
    },
    /// Write a self-contained HTML review report (takes, statuses, notes with timecodes).
    Report {
        /// Only this scene.
        #[arg(long)]
        scene: Option<String>,
        /// Only this capture session (day).
        #[arg(long)]
        session: Option<String>,
        /// Instead: this dailies playlist, in play order with verdicts and notes.
        #[arg(long, conflicts_with_all = ["scene", "session"])]
        dailies: Option<String>,
        /// HTML file to write.
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
    /// Record a reviewer's verdict on a take or one of its revisions (a ledger event; replaces
    /// their earlier verdict on that revision).
    Verdict {
        /// Take id or name.
        take: String,
        /// approve, changes or reject.
        verdict: String,
        /// The derived version (id) reviewed; default: the capture itself.
        #[arg(long)]
        revision: Option<i64>,
        /// Who reviews.
        #[arg(long)]
        by: String,
        /// Why.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Set a dailies playlist: takes (or TAKE@REVISION) in play order; a ledger event.
    Dailies {
        /// Playlist name.
        name: String,
        /// Takes in order: id or name, optionally `@DERIVED_ID` for a revision.
        #[arg(required = true)]
        items: Vec<String>,
        /// Who sets it.
        #[arg(long)]
        by: String,
    },
    /// Add someone to the review team with a role (artist, supervisor, director, client), or
    /// remove them with --remove; a ledger event. Once the team has members, only members whose
    /// role grants a status may set it; once it has a director, only a director edits the team.
    Member {
        /// Who.
        name: String,
        /// artist, supervisor, director or client.
        #[arg(long, required_unless_present = "remove")]
        role: Option<String>,
        /// Remove them from the team.
        #[arg(long, conflicts_with = "role")]
        remove: bool,
        /// Who decides (a director once the team has one).
        #[arg(long)]
        by: String,
    },
    /// Let a role set a status (or no longer, with --deny); a director's decision, a ledger event.
    Grant {
        /// artist, supervisor, director or client.
        role: String,
        /// none, circled, approved, rejected or needs-fix.
        status: String,
        /// Take the right away.
        #[arg(long)]
        deny: bool,
        /// Who decides.
        #[arg(long)]
        by: String,
    },
    /// Copy a whole library into a new, empty one (e.g. an SQLite file into a PostgreSQL team
    /// database), then verify the ledger on both sides (exit 1 unless both verify and their
    /// chain heads agree).
    Migrate {
        /// The library to copy (file or postgres:// URL).
        #[arg(long, value_name = "DB")]
        from: PathBuf,
        /// The new library (file or postgres:// URL of an empty database).
        #[arg(long, value_name = "DB")]
        to: PathBuf,
        /// Skip re-hashing take files in the checks.
        #[arg(long)]
        no_files: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Generate a demo library at --db (a new SQLite file) with its BVH files in `<stem>-files/`
    /// beside it: a review team, scenes and takes with notes and replies, verdicts, a status
    /// history in the ledger and a dailies playlist (see `take_library::demo`).
    Demo,
    /// Create an ed25519 signing key file (never overwrites).
    Keygen {
        /// Key file to create.
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
}

fn db_path(args: &Args) -> Result<&Path> {
    args.db
        .as_deref()
        .context("this command needs the library: pass --db FILE (or --db postgres://…)")
}

fn open(args: &Args, mode: OpenMode) -> Result<Library> {
    let path = db_path(args)?;
    Ok(Library::open(path, mode)?)
}

fn load_key(path: Option<&Path>) -> Result<Option<UserKey>> {
    Ok(match path {
        Some(p) => Some(UserKey::load(p)?),
        None => None,
    })
}

fn take_json(t: &TakeDetail) -> serde_json::Value {
    json!({
        "id": t.summary.id,
        "name": t.summary.name,
        "scene": t.summary.scene,
        "number": t.summary.number,
        "status": t.summary.status.as_str(),
        "session": t.session,
        "duration_frames": t.summary.duration_frames,
        "rate_fps": t.summary.rate.map(take_library::model::rate_text),
        "captured_utc": t.summary.captured_utc_ms.map(format_utc_ms),
        "description": t.description,
        "actors": t.actors,
        "tags": t.tags,
        "marker_set": t.marker_set,
        "character": t.character,
        "start_timecode": t.start_timecode,
        "files": t.files.iter().map(|f| json!({
            "id": f.id,
            "kind": f.kind.as_str(),
            "path": f.path,
            "sha256": f.sha256,
            "size_bytes": f.size_bytes,
        })).collect::<Vec<_>>(),
        "notes": t.notes.iter().map(|n| json!({
            "id": n.id,
            "reply_to": n.reply_to,
            "frame_start": n.frame_start,
            "frame_end": n.frame_end,
            "author": n.author,
            "created_utc": format_utc_ms(n.created_utc_ms),
            "text": n.text,
            "resolved": n.resolved,
        })).collect::<Vec<_>>(),
    })
}

fn date_arg(text: Option<&str>, flag: &str) -> Result<Option<i64>> {
    text.map(|d| {
        parse_utc_date(d).with_context(|| format!("--{flag} `{d}` is not a date; use YYYY-MM-DD"))
    })
    .transpose()
}

/// Runs `mocap takes`.
pub fn run(args: Args) -> Result<()> {
    match &args.command {
        TakesCommand::Import {
            folder,
            pattern,
            by,
            json,
        } => import(&args, folder, pattern, by, *json),
        TakesCommand::List(list_args) => list(&args, list_args),
        TakesCommand::Status {
            take,
            status,
            by,
            comment,
            key,
        } => set_status(&args, take, status, by, comment, key),
        TakesCommand::Note {
            take,
            frame,
            to,
            reply_to,
            by,
            key,
            text,
        } => note(&args, take, (*frame, *to), *reply_to, by, key, text),
        TakesCommand::Resolve {
            note,
            by,
            reopen,
            key,
        } => resolve(&args, *note, by, *reopen, key),
        TakesCommand::Verify {
            no_files,
            json,
            anchor,
        } => verify(&args, *no_files, *json, anchor),
        TakesCommand::Evidence {
            take,
            output,
            verify,
        } => evidence(&args, take, output, verify),
        TakesCommand::Log { take, json } => log(&args, take, *json),
        TakesCommand::Report {
            dailies: Some(name),
            output,
            ..
        } => report_dailies(&args, name, output),
        TakesCommand::Verdict {
            take,
            verdict,
            revision,
            by,
            comment,
        } => set_verdict(&args, take, verdict, *revision, by, comment),
        TakesCommand::Dailies { name, items, by } => dailies(&args, name, items, by),
        TakesCommand::Report {
            scene,
            session,
            output,
            ..
        } => report(&args, scene, session, output),
        TakesCommand::Member {
            name,
            role,
            remove,
            by,
        } => member(&args, name, role, *remove, by),
        TakesCommand::Grant {
            role,
            status,
            deny,
            by,
        } => grant(&args, role, status, *deny, by),
        TakesCommand::Migrate {
            from,
            to,
            no_files,
            json,
        } => migrate(from, to, *no_files, *json),
        TakesCommand::Demo => demo(&args),
        TakesCommand::Keygen { output } => keygen(output),
    }
}

/// `takes import`: adds the takes and files of a folder.
fn import(
    args: &Args,
    folder: &Path,
    pattern: &Option<String>,
    by: &Option<String>,
    json: bool,
) -> Result<()> {
    let pattern = match pattern {
        Some(p) => NamingPattern::custom(p)?,
        None => NamingPattern::default(),
    };
    let author = by
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "mocap".into());
    let mut lib = open(args, OpenMode::CreateIfMissing)?;
    let r = lib.import_folder(folder, &pattern, &FormatsProbe, &author)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!(
        "{} take(s) added, {} file(s) added, {} unchanged, {} moved, {} changed, {} skipped",
        r.takes_added.len(),
        r.files_added.len(),
        r.files_unchanged,
        r.files_moved.len(),
        r.files_changed.len(),
        r.skipped.len()
    );
    for t in &r.takes_added {
        println!("new take: {t}");
    }
    for (from, to) in &r.files_moved {
        println!("moved: {from} -> {to}");
    }
    for (path, old, new) in &r.files_changed {
        println!("changed: {path} (sha256 {old} -> {new})");
    }
    for path in &r.files_missing {
        println!("missing: {path}");
    }
    for (path, why) in &r.timing_unread {
        println!("duration unknown: {path}: {why}");
    }
    for (path, why) in &r.skipped {
        println!("skipped: {path}: {why}");
    }
    Ok(())
}

/// `takes list`: prints (or writes as JSON) the takes matching the filters.
fn list(
    args: &Args,
    ListArgs {
        json,
        text,
        scene,
        actor,
        status,
        tag,
        from,
        until,
        limit,
    }: &ListArgs,
) -> Result<()> {
    let mut lib = open(args, OpenMode::MustExist)?;
    let q = TakeQuery {
        text: text.clone(),
        scene: scene.clone(),
        actor: actor.clone(),
        status: status.as_deref().map(TakeStatus::parse).transpose()?,
        tag: tag.clone(),
        session: None,
        captured_from_utc_ms: date_arg(from.as_deref(), "from")?,
        captured_before_utc_ms: date_arg(until.as_deref(), "until")?.map(|d| d + 86_400_000),
        limit: if *limit == 0 { usize::MAX >> 1 } else { *limit },
        offset: 0,
    };
    let found = lib.search(&q)?;
    let details = found
        .takes
        .iter()
        .map(|t| lib.take(t.id))
        .collect::<take_library::Result<Vec<_>>>()?;
    if *json {
        let all: Vec<_> = details.iter().map(take_json).collect();
        println!("{}", serde_json::to_string_pretty(&all)?);
    } else {
        for t in &details {
            println!(
                "{:>6}  {:<28} scene {:<10} {:<10} {} file(s), {} note(s)",
                t.summary.id,
                t.summary.name,
                t.summary.scene,
                t.summary.status.as_str(),
                t.files.len(),
                t.notes.len()
            );
        }
        println!("{} take(s)", found.total);
    }
    Ok(())
}

/// `takes status`: sets a take's review status.
fn set_status(
    args: &Args,
    take: &str,
    status: &str,
    by: &str,
    comment: &Option<String>,
    key: &Option<PathBuf>,
) -> Result<()> {
    let status = TakeStatus::parse(status)?;
    let key = load_key(key.as_deref())?;
    let mut lib = open(args, OpenMode::MustExist)?;
    let id = lib.resolve_take(take)?;
    let (previous, event) = lib.set_status(id, status, by, comment.as_deref(), key.as_ref())?;
    println!(
        "take {id}: {previous} -> {status} (ledger event #{} {})",
        event.seq, event.hash
    );
    Ok(())
}

/// `takes note`: adds a note on a frame range (or a reply).
fn note(
    args: &Args,
    take: &str,
    (frame, to): (Option<u64>, Option<u64>),
    reply_to: Option<i64>,
    by: &str,
    key: &Option<PathBuf>,
    text: &str,
) -> Result<()> {
    if frame.is_none() && reply_to.is_none() {
        bail!("a note needs --frame N (or --reply-to NOTE)");
    }
    if to.is_some() && frame.is_none() {
        bail!("--to needs --frame");
    }
    let key = load_key(key.as_deref())?;
    let mut lib = open(args, OpenMode::MustExist)?;
    let id = lib.resolve_take(take)?;
    let (note, event) = lib.add_note(
        &NewNote {
            take_id: id,
            reply_to,
            frame_start: frame,
            frame_end: to,
            author: by.to_string(),
            text: text.to_string(),
        },
        key.as_ref(),
    )?;
    println!(
        "note {} on take {id}, frames {}..={} (ledger event #{} {})",
        note.id, note.frame_start, note.frame_end, event.seq, event.hash
    );
    Ok(())
}

/// `takes resolve`: resolves or reopens a note.
fn resolve(args: &Args, note: i64, by: &str, reopen: bool, key: &Option<PathBuf>) -> Result<()> {
    let key = load_key(key.as_deref())?;
    let mut lib = open(args, OpenMode::MustExist)?;
    lib.set_note_resolved(note, !reopen, by, key.as_ref())?;
    println!(
        "note {note} {}",
        if reopen { "reopened" } else { "resolved" }
    );
    Ok(())
}

/// `takes verify`: checks the ledger chain (and files), with optional anchors.
fn verify(args: &Args, no_files: bool, json: bool, anchor: &[String]) -> Result<()> {
    let mut lib = open(args, OpenMode::MustExist)?;
    let mut report = lib.verify(!no_files)?;
    for hash in anchor {
        if lib.find_event(hash)?.is_none() {
            report.problems.push(take_library::Problem {
                seq: None,
                take_id: None,
                message: format!(
                    "anchor {hash} is not in the ledger: events recorded before it was noted were rewritten or removed"
                ),
            });
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for p in &report.problems {
            println!("problem: {p}");
        }
    }
    match report.first_problem() {
        None => {
            if !json {
                println!(
                    "ledger intact: {} event(s), head {}, {} file(s) re-hashed",
                    report.events_checked, report.head, report.files_checked
                );
            }
            Ok(())
        }
        Some(first) => bail!(
            "verification failed at {first} ({} problem(s) in total)",
            report.problems.len()
        ),
    }
}

/// `takes evidence`: writes or verifies an evidence manifest.
fn evidence(
    args: &Args,
    take: &Option<String>,
    output: &Option<PathBuf>,
    verify: &Option<PathBuf>,
) -> Result<()> {
    if let Some(manifest) = verify {
        let mut check = verify_manifest(manifest)?;
        // With --db, the manifest must also agree with the library's ledger.
        if args.db.is_some() {
            let m = take_library::evidence::read_manifest(manifest)?;
            let mut lib = open(args, OpenMode::MustExist)?;
            check.problems.extend(lib.check_manifest(&m)?);
        }
        for p in &check.problems {
            println!("problem: {p}");
        }
        if let Some(first) = check.problems.first() {
            bail!(
                "evidence manifest {} does not verify: {first} ({} problem(s) in total)",
                manifest.display(),
                check.problems.len()
            );
        }
        println!(
            "evidence intact: {} event(s) and {} file(s) checked",
            check.events_checked, check.files_checked
        );
        return Ok(());
    }
    let (Some(take), Some(output)) = (take, output) else {
        bail!("use `evidence TAKE -o FILE` or `evidence --verify FILE`");
    };
    let mut lib = open(args, OpenMode::MustExist)?;
    let id = lib.resolve_take(take)?;
    let m = lib.evidence(id, &format!("mocap {}", env!("CARGO_PKG_VERSION")))?;
    write_manifest(&m, output)?;
    println!(
        "wrote {} ({} event(s), {} file(s), chain head #{} {})",
        output.display(),
        m.events.len(),
        m.files.len(),
        m.chain_head.count,
        m.chain_head.hash
    );
    Ok(())
}

/// `takes log`: prints the ledger events.
fn log(args: &Args, take: &Option<String>, json: bool) -> Result<()> {
    let mut lib = open(args, OpenMode::MustExist)?;
    let take_id = take.as_deref().map(|t| lib.resolve_take(t)).transpose()?;
    let events = lib.events(take_id)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&events)?);
        return Ok(());
    }
    for e in &events {
        println!(
            "#{:<6} {} take {:<6} {:<16} {}{} {}",
            e.seq,
            format_utc_ms(e.time_utc_ms),
            e.take_id
                .map(|t| t.to_string())
                .unwrap_or_else(|| "-".into()),
            e.author,
            if e.signature.is_some() {
                "[signed] "
            } else {
                ""
            },
            e.body,
            &e.hash[..e.hash.len().min(16)]
        );
    }
    Ok(())
}

/// `takes report --dailies`: writes a playlist's HTML report.
fn report_dailies(args: &Args, name: &str, output: &Path) -> Result<()> {
    let mut lib = open(args, OpenMode::MustExist)?;
    let html = lib.playlist_html(name, &format!("mocap {}", env!("CARGO_PKG_VERSION")))?;
    std::fs::write(output, html).with_context(|| format!("cannot write {}", output.display()))?;
    println!("wrote {}", output.display());
    Ok(())
}

/// `takes verdict`: records a reviewer's verdict on a take.
fn set_verdict(
    args: &Args,
    take: &str,
    verdict: &str,
    revision: Option<i64>,
    by: &str,
    comment: &Option<String>,
) -> Result<()> {
    let mut lib = open(args, OpenMode::MustExist)?;
    let id = lib.resolve_take(take)?;
    let v = take_library::verdicts::Verdict::parse(verdict)?;
    let event = lib.set_verdict(id, revision, by, v, comment.as_deref(), None)?;
    println!("{by}: {} on take {id} (event #{})", v.as_str(), event.seq);
    Ok(())
}

/// `takes dailies`: sets a dailies playlist.
fn dailies(args: &Args, name: &str, items: &[String], by: &str) -> Result<()> {
    let mut lib = open(args, OpenMode::MustExist)?;
    let mut list = Vec::with_capacity(items.len());
    for item in items {
        let (take, rev) = match item.rsplit_once('@') {
            Some((t, r)) => (
                t,
                Some(r.parse::<i64>().with_context(|| {
                    format!("`{item}`: the revision after @ must be a derived version id")
                })?),
            ),
            None => (item.as_str(), None),
        };
        list.push((lib.resolve_take(take)?, rev));
    }
    let event = lib.set_playlist(name, &list, by)?;
    println!("{name}: {} entries (event #{})", list.len(), event.seq);
    Ok(())
}

/// `takes report`: writes the HTML report of a scene or session.
fn report(
    args: &Args,
    scene: &Option<String>,
    session: &Option<String>,
    output: &Path,
) -> Result<()> {
    let mut lib = open(args, OpenMode::MustExist)?;
    let html = lib.report_html_for(
        scene.as_deref(),
        session.as_deref(),
        &format!("mocap {}", env!("CARGO_PKG_VERSION")),
    )?;
    std::fs::write(output, html).with_context(|| format!("cannot write {}", output.display()))?;
    println!("wrote {}", output.display());
    Ok(())
}

/// `takes member`: adds, changes or removes a review-team member.
fn member(args: &Args, name: &str, role: &Option<String>, remove: bool, by: &str) -> Result<()> {
    let mut lib = open(args, OpenMode::MustExist)?;
    let role = if remove { None } else { role.as_deref() };
    let event = lib.set_member(name, role, by)?;
    match role {
        Some(r) => println!("{name} is a {r} (event #{})", event.seq),
        None => println!("{name} left the review team (event #{})", event.seq),
    }
    Ok(())
}

/// `takes grant`: allows or denies a role a status.
fn grant(args: &Args, role: &str, status: &str, deny: bool, by: &str) -> Result<()> {
    let mut lib = open(args, OpenMode::MustExist)?;
    let st = TakeStatus::parse(status)?;
    let event = lib.set_grant(role, st, !deny, by)?;
    println!(
        "a {role} {} set `{status}` (event #{}); a {role} may set: {}",
        if deny { "may no longer" } else { "may" },
        event.seq,
        lib.grants(role)?.join(", ")
    );
    Ok(())
}

/// `takes migrate`: copies a library to another store and verifies both.
fn migrate(from: &Path, to: &Path, no_files: bool, json: bool) -> Result<()> {
    let source = Library::open(from, OpenMode::MustExist)?;
    let mut target = Library::open(to, OpenMode::CreateIfMissing)?;
    let r = take_library::migrate::copy_library(&source, &mut target, !no_files)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        for (table, n) in &r.rows {
            println!("{table}: {n} rows");
        }
        println!(
            "{} ledger events; head {} ({}), {} ({})",
            r.events, r.from_head, r.from, r.to_head, r.to
        );
        for p in &r.from_problems {
            println!("source: {p}");
        }
        for p in &r.to_problems {
            println!("target: {p}");
        }
    }
    if !r.is_ok() {
        bail!("the copy does not verify on both sides (see above)");
    }
    Ok(())
}

/// `takes demo`: generates the demo library.
fn demo(args: &Args) -> Result<()> {
    let db = db_path(args)?;
    if take_library::store::is_postgres_url(&db.to_string_lossy()) {
        bail!("the demo library is an SQLite file: pass --db FILE (a new path)");
    }
    let made = take_library::demo::generate(db)?;
    println!(
        "demo library {}: {} takes, {} ledger events, files in {}",
        made.db.display(),
        made.takes.len(),
        made.events,
        made.files_dir.display()
    );
    println!(
        "try: mocap takes list --db {0}; mocap takes verify --db {0}",
        made.db.display()
    );
    Ok(())
}

/// `takes keygen`: writes a new signing key.
fn keygen(output: &Path) -> Result<()> {
    let key = UserKey::generate()?;
    key.save(output)?;
    println!(
        "wrote {} (public key {})",
        output.display(),
        key.public_key_hex()
    );
    Ok(())
}
