//! `mocap bench subs`: SRT and WebVTT parse/write throughput on a generated track.
//!
//! Generates `--cues` cues (100 000 by default, about 8.3 MB of SRT) of realistic dialogue
//! (one or two lines, punctuation, some italics, non-ASCII names), then times each operation
//! `--runs` times (≥ 3) and prints the median in cues/s and MB/s. Parsing is measured from
//! the file's bytes (decoding included); writing produces the full file text.

use super::median;
use std::time::Instant;

/// Arguments of `mocap bench subs`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of cues to generate.
    #[arg(long, default_value_t = 100_000)]
    cues: usize,
    /// Timed runs per operation (the median is reported; at least 3).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

const WORDS: &[&str] = &[
    "the",
    "you",
    "I",
    "we",
    "they",
    "know",
    "think",
    "going",
    "right",
    "here",
    "there",
    "now",
    "never",
    "always",
    "wait",
    "listen",
    "look",
    "tonight",
    "tomorrow",
    "really",
    "just",
    "believe",
    "remember",
    "captain",
    "doctor",
    "José",
    "Zoë",
    "Müller",
    "station",
    "ship",
    "signal",
    "run",
    "stay",
    "come",
    "back",
    "home",
    "together",
    "already",
    "something",
    "nothing",
    "everything",
    "anyone",
    "because",
    "but",
    "and",
    "if",
    "when",
    "where",
    "why",
    "how",
    "what",
    "can't",
    "won't",
    "don't",
    "it's",
    "that's",
    "let's",
    "please",
    "okay",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn line(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        let w = WORDS[rng.below(WORDS.len())];
        if i == 0 {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                s.extend(f.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push_str(w);
        }
    }
    s.push(['.', '?', '!', ',', '.'][rng.below(5)]);
    s
}

/// A generated track in SRT markup.
fn generate(n: usize) -> subtitles::Track {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut t = subtitles::Track::new(subtitles::Format::Srt);
    let mut ms: i64 = 1000;
    for i in 0..n {
        let dur = 1200 + rng.below(4000) as i64;
        let mut text = if rng.below(10) < 4 {
            let (a, b) = (3 + rng.below(3), 3 + rng.below(3));
            let first = line(&mut rng, a);
            format!("{first}\n{}", line(&mut rng, b))
        } else {
            let a = 5 + rng.below(4);
            line(&mut rng, a)
        };
        if rng.below(12) == 0 {
            text = format!("<i>{text}</i>");
        }
        t.cues
            .push(subtitles::Cue::new((i + 1).to_string(), ms, ms + dur, text));
        ms += dur + 80 + rng.below(1500) as i64;
    }
    t
}

/// On-CPU time of this thread in nanoseconds (Linux `/proc/thread-self/schedstat`), which
/// leaves out time spent waiting for a core on a loaded machine.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Median wall-clock seconds, median on-CPU seconds (when the OS reports them) and the last
/// result of `runs` timed runs after one warm-up run.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, Option<f64>, T) {
    let mut secs = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    // One untimed warm-up run (caches, allocator, page faults of first use).
    let mut last = Some(std::hint::black_box(f()));
    for _ in 0..runs {
        let c0 = thread_cpu_ns();
        let t0 = Instant::now();
        let out = std::hint::black_box(f());
        secs.push(t0.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c0, thread_cpu_ns()) {
            cpu.push(b.saturating_sub(a) as f64 / 1e9);
        }
        last = Some(out);
    }
    let out = last.unwrap_or_else(f);
    let cpu = (cpu.len() == runs && runs > 0).then(|| median(cpu));
    (median(secs), cpu, out)
}

/// Runs `mocap bench subs`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let runs = args.runs.max(3);
    let n = args.cues.max(1);
    let track = generate(n);
    let srt = subtitles::srt::write(&track);
    let vtt = subtitles::vtt::write(&track);
    let mut rows = Vec::new();
    let mut measure = |name: &str, bytes: usize, secs: f64, cpu: Option<f64>, cues: usize| {
        let cps = cues as f64 / secs;
        let mbs = bytes as f64 / secs / 1e6;
        rows.push(serde_json::json!({
            "operation": name, "cues": cues, "bytes": bytes,
            "median_s": secs, "cues_per_s": cps.round(), "mb_per_s": (mbs * 10.0).round() / 10.0,
            "median_cpu_s": cpu,
            "cues_per_cpu_s": cpu.map(|c| (cues as f64 / c).round()),
        }));
    };
    let (s, c, parsed) = time(runs, || {
        subtitles::read_bytes(srt.as_bytes(), Some(subtitles::Format::Srt), None)
    });
    let parsed = parsed?;
    anyhow::ensure!(
        parsed.cues == track.cues,
        "SRT parse does not reproduce the generated cues"
    );
    measure("srt parse", srt.len(), s, c, parsed.cues.len());
    let (s, c, out) = time(runs, || subtitles::srt::write(&track));
    anyhow::ensure!(out == srt, "SRT write is not deterministic");
    measure("srt write", out.len(), s, c, n);
    let (s, c, parsed) = time(runs, || {
        subtitles::read_bytes(vtt.as_bytes(), Some(subtitles::Format::WebVtt), None)
    });
    let parsed = parsed?;
    anyhow::ensure!(parsed.cues.len() == n, "WebVTT parse lost cues");
    measure("webvtt parse", vtt.len(), s, c, parsed.cues.len());
    let (s, c, out) = time(runs, || subtitles::vtt::write(&parsed));
    anyhow::ensure!(out == vtt, "WebVTT write does not reproduce the file");
    measure("webvtt write", out.len(), s, c, n);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "runs": runs, "results": rows }))?
        );
    } else {
        println!(
            "subtitles: {n} cues, SRT {:.1} MB, WebVTT {:.1} MB, median of {runs} runs{}",
            srt.len() as f64 / 1e6,
            vtt.len() as f64 / 1e6,
            if cfg!(debug_assertions) {
                " (DEBUG build: use --release for real figures)"
            } else {
                ""
            }
        );
        for r in &rows {
            println!(
                "  {:<13} {:>10} cues/s wall  {:>6} MB/s  ({:.4} s)  {:>10} cues/s on-CPU",
                r["operation"].as_str().unwrap_or(""),
                r["cues_per_s"],
                r["mb_per_s"],
                r["median_s"].as_f64().unwrap_or(0.0),
                r["cues_per_cpu_s"]
            );
        }
        println!(
            "  (on-CPU = this thread's CPU time: excludes waiting for a core on a loaded machine)"
        );
        println!(
            "  reference (reported, other machines): pysubs2 48 000 cues/s, Rust `srt` crate 79 000 cues/s"
        );
    }
    Ok(())
}
