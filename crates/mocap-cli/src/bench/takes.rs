//! `mocap bench takes`: take-library search latency on a generated library, and note-write latency
//! with concurrent writers. `--db` may name a PostgreSQL database (`postgres://…`, empty) to
//! measure the team store instead of SQLite; `--pg URL` measures SQLite and then PostgreSQL in one
//! run and prints their figures side by side.

use anyhow::{Context, Result};
use std::path::PathBuf;
use std::time::Instant;
use take_library::{Library, OpenMode, TakeQuery, TakeStatus};

/// Arguments of `mocap bench takes`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of generated takes.
    #[arg(long, default_value_t = 100_000)]
    takes: usize,
    /// Timed runs of each query.
    #[arg(long, default_value_t = 30)]
    repeats: usize,
    /// Rows fetched per query (a UI page); the total match count is always computed.
    #[arg(long, default_value_t = 200)]
    page: usize,
    /// Keep the generated library at this path, or generate it in this empty PostgreSQL
    /// database (`postgres://…`) (default: a temporary SQLite file, deleted after).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Concurrent writers (one connection each) for the note-write latency figures; 0 skips.
    #[arg(long, default_value_t = 16)]
    writers: usize,
    /// Notes each writer adds.
    #[arg(long, default_value_t = 50)]
    writes: usize,
    /// Also run the same bench on this empty PostgreSQL database (`postgres://…`) after the
    /// SQLite one (`--db` then names the SQLite file, or is left out), and print both side by
    /// side.
    #[arg(long, value_name = "URL")]
    pg: Option<String>,
    /// Measure the libraries as they are (made by an earlier run with --db / --pg): no
    /// generation (a generated PostgreSQL library of a million takes takes long to build).
    #[arg(long)]
    existing: bool,
    /// Target: median latency of every query at most this many milliseconds.
    #[arg(long, default_value_t = 20.0)]
    target_ms: f64,
}

/// What one store measured.
struct Figures {
    store: &'static str,
    /// (query, matches, median ms, p95 ms, Takes panel page median ms).
    queries: Vec<(String, u64, f64, f64, f64)>,
    /// Note writes: (p50 ms, p99 ms, notes/s).
    writes: Option<(f64, f64, f64)>,
}

/// Runs `mocap bench takes`.
pub fn run(args: Args) -> Result<()> {
    if args.pg.is_some()
        && args
            .db
            .as_deref()
            .is_some_and(|d| take_library::store::is_postgres_url(&d.to_string_lossy()))
    {
        anyhow::bail!("with --pg, --db names the SQLite file (or is left out)");
    }
    let lite = run_one(&args, args.db.clone())?;
    let Some(url) = &args.pg else {
        return Ok(());
    };
    println!();
    let pg = run_one(&args, Some(PathBuf::from(url)))?;
    println!();
    println!("medians in ms (p95)");
    println!("{:<28} {:>18} {:>18}", "query", lite.store, pg.store);
    for ((name, _, lm, lp, _), (_, _, pm, pp, _)) in lite.queries.iter().zip(&pg.queries) {
        println!(
            "{name:<28} {:>18} {:>18}",
            format!("{lm:.2} ({lp:.2})"),
            format!("{pm:.2} ({pp:.2})")
        );
    }
    println!("Takes panel page (search_rows) medians in ms");
    for ((name, _, _, _, l), (_, _, _, _, p)) in lite.queries.iter().zip(&pg.queries) {
        println!(
            "{name:<28} {:>18} {:>18}",
            format!("{l:.2}"),
            format!("{p:.2}")
        );
    }
    if let (Some((l50, l99, lr)), Some((p50, p99, pr))) = (lite.writes, pg.writes) {
        println!(
            "{:<28} {:>18} {:>18}",
            format!("note write p50/p99, {}w", args.writers),
            format!("{l50:.1}/{l99:.1}"),
            format!("{p50:.1}/{p99:.1}")
        );
        println!(
            "{:<28} {:>18} {:>18}",
            "notes/s",
            format!("{lr:.0}"),
            format!("{pr:.0}")
        );
    }
    Ok(())
}

fn run_one(args: &Args, db: Option<PathBuf>) -> Result<Figures> {
    let (db, temporary) = match &db {
        Some(p) => (p.clone(), false),
        None => (
            std::env::temp_dir().join(format!("mocap-bench-takes-{}.db", std::process::id())),
            true,
        ),
    };
    if args.existing && temporary {
        anyhow::bail!("--existing needs --db (or --pg) naming a library made by an earlier run");
    }
    if !args.existing && db.exists() && !take_library::store::is_postgres_url(&db.to_string_lossy())
    {
        anyhow::bail!("{} exists; pass a new --db path", db.display());
    }
    let result = bench(args, &db);
    if temporary {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
        }
    }
    result
}

fn bench(args: &Args, db: &std::path::Path) -> Result<Figures> {
    let t0 = Instant::now();
    let mode = if args.existing {
        OpenMode::MustExist
    } else {
        OpenMode::CreateIfMissing
    };
    let mut lib = Library::open(db, mode)?;
    let n = if args.existing {
        lib.search(&TakeQuery {
            limit: 1,
            ..Default::default()
        })?
        .total as usize
    } else {
        take_library::synth::generate(&mut lib, args.takes, 0x7a4e)
            .context("generating the library")?
    };
    let gen_s = t0.elapsed().as_secs_f64();
    // Planner statistics (and on PostgreSQL the visibility map) as after a real import.
    lib.optimize().context("optimising the generated library")?;
    let store = if lib.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    drop(lib); // closing checkpoints the WAL into the database file
    let size = std::fs::metadata(db).map(|m| m.len()).unwrap_or(0);
    println!("store: {store}");
    if args.existing {
        println!(
            "existing library: {n} takes, database {:.1} MiB",
            size as f64 / (1 << 20) as f64
        );
    } else {
        println!(
            "generated {n} takes in {gen_s:.1} s ({:.0} takes/s), database {:.1} MiB",
            n as f64 / gen_s.max(1e-9),
            size as f64 / (1 << 20) as f64
        );
    }

    // Fresh connection, as a UI or CLI would have.
    let mut lib = Library::open(db, OpenMode::MustExist)?;
    let day = 86_400_000_i64;
    let jan1 = 1_767_225_600_000_i64;
    let page = args.page;
    let q = |f: &dyn Fn(&mut TakeQuery)| {
        let mut q = TakeQuery {
            limit: page,
            ..Default::default()
        };
        f(&mut q);
        q
    };
    let queries: Vec<(&str, TakeQuery)> = vec![
        ("text 'parry'", q(&|q| q.text = Some("parry".into()))),
        (
            "text 'sword stairs' (AND)",
            q(&|q| q.text = Some("sword stairs".into())),
        ),
        ("text prefix 'emb'", q(&|q| q.text = Some("emb".into()))),
        ("scene 1234", q(&|q| q.scene = Some("1234".into()))),
        ("actor Alice", q(&|q| q.actor = Some("Alice".into()))),
        (
            "status approved",
            q(&|q| q.status = Some(TakeStatus::Approved)),
        ),
        ("tag stunt", q(&|q| q.tag = Some("stunt".into()))),
        (
            "captured on one day",
            q(&|q| {
                q.captured_from_utc_ms = Some(jan1 + 10 * day);
                q.captured_before_utc_ms = Some(jan1 + 11 * day);
            }),
        ),
        (
            "actor+tag+status",
            q(&|q| {
                q.actor = Some("Chen".into());
                q.tag = Some("fight".into());
                q.status = Some(TakeStatus::NeedsFix);
            }),
        ),
        (
            "text+actor+date range",
            q(&|q| {
                q.text = Some("door".into());
                q.actor = Some("Dana".into());
                q.captured_from_utc_ms = Some(jan1);
                q.captured_before_utc_ms = Some(jan1 + 30 * day);
            }),
        ),
        ("no filter (first page)", q(&|_| {})),
    ];
    println!(
        "{:<28} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "query", "matches", "rows", "median ms", "p95 ms", "max ms", "panel ms"
    );
    let mut worst = 0.0f64;
    let mut figures = Figures {
        store,
        queries: Vec::new(),
        writes: None,
    };
    for (name, query) in &queries {
        let warm = lib.search(query)?;
        let mut times = Vec::with_capacity(args.repeats);
        for _ in 0..args.repeats.max(1) {
            let t = Instant::now();
            let r = lib.search(query)?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(r);
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let p95 = times[((times.len() as f64 * 0.95) as usize).min(times.len() - 1)];
        let max = times[times.len() - 1];
        // The Takes panel's read: the page with each row's session, actors and note counts.
        let panel_median = median_ms(args.repeats, || {
            std::hint::black_box(lib.search_rows(query)?);
            Ok(())
        })?;
        worst = worst.max(median).max(panel_median);
        figures
            .queries
            .push((name.to_string(), warm.total, median, p95, panel_median));
        println!(
            "{name:<28} {:>8} {:>8} {median:>9.2} {p95:>9.2} {max:>9.2} {panel_median:>9.2}",
            warm.total,
            warm.takes.len()
        );
    }
    filter_lists(&mut lib, args.repeats)?;
    if args.writers > 0 {
        figures.writes = Some(write_latency(args, db)?);
    }
    verify(&mut lib)?;
    println!(
        "worst median {worst:.2} ms vs target {:.0} ms: {}",
        args.target_ms,
        if worst <= args.target_ms {
            "PASS"
        } else {
            "FAIL"
        }
    );
    Ok(figures)
}

/// `--writers` threads, each with its own connection, add `--writes` notes at once; prints the
/// per-note commit latency (each note is its own transaction with its ledger event).
fn write_latency(args: &Args, db: &std::path::Path) -> Result<(f64, f64, f64)> {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(args.writers));
    let t0 = Instant::now();
    let handles: Vec<_> = (0..args.writers)
        .map(|w| {
            let db = db.to_path_buf();
            let barrier = barrier.clone();
            let writes = args.writes;
            std::thread::spawn(move || -> Result<Vec<f64>> {
                let mut lib = Library::open(&db, OpenMode::MustExist)?;
                barrier.wait();
                let mut times = Vec::with_capacity(writes);
                for i in 0..writes {
                    let note = take_library::NewNote {
                        take_id: 1 + ((w * 7919 + i * 104_729) % 1000) as i64,
                        reply_to: None,
                        frame_start: Some(0),
                        frame_end: None,
                        author: format!("bench{w}"),
                        text: format!("bench note {i} from writer {w}"),
                    };
                    let t = Instant::now();
                    lib.add_note(&note, None)?;
                    times.push(t.elapsed().as_secs_f64() * 1e3);
                }
                Ok(times)
            })
        })
        .collect();
    let mut times = Vec::new();
    for h in handles {
        times.extend(
            h.join()
                .map_err(|_| anyhow::anyhow!("a writer thread panicked"))??,
        );
    }
    let wall = t0.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "note writes, {} concurrent writers x {}: {:.0} notes/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 <= {:.0} ms: {})",
        args.writers,
        args.writes,
        times.len() as f64 / wall.max(1e-9),
        at(0.5),
        at(0.99),
        times[times.len() - 1],
        args.target_ms,
        if at(0.99) <= args.target_ms {
            "PASS"
        } else {
            "FAIL"
        }
    );
    Ok((at(0.5), at(0.99), times.len() as f64 / wall.max(1e-9)))
}

/// Median wall time in ms of `repeats` (at least one) runs of `f`.
fn median_ms(repeats: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut times = Vec::with_capacity(repeats.max(1));
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// Times the rest of a Takes panel refresh: the scene and session lists of its filters.
fn filter_lists(lib: &mut Library, repeats: usize) -> Result<()> {
    let mut counts = (0, 0);
    let median = median_ms(repeats, || {
        counts = (lib.scenes()?.len(), lib.sessions()?.len());
        Ok(())
    })?;
    println!(
        "panel filter lists: {} scenes + {} sessions, median {median:.2} ms",
        counts.0, counts.1
    );
    Ok(())
}

/// Verifies the ledger and tables (no file re-hash) and prints how long it took.
fn verify(lib: &mut Library) -> Result<()> {
    let t = Instant::now();
    let report = lib.verify(false)?;
    println!(
        "verify (ledger + tables, no file re-hash): {} events in {:.2} s, intact: {}",
        report.events_checked,
        t.elapsed().as_secs_f64(),
        report.is_intact()
    );
    Ok(())
}
