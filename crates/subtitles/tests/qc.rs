//! QC fixes on hand-written English, Japanese and Chinese tracks with known expected results.

use mocap_data::FrameRate;
use subtitles::qc::{self, Field, QcOptions, Rule};
use subtitles::{Time, Track, profile};

fn opts(lang: &str, rate: FrameRate, shots: Vec<i64>) -> QcOptions {
    QcOptions {
        profile: profile::for_language(lang).expect("built-in profile"),
        rate,
        children: false,
        shot_changes: shots,
    }
}

fn rules_for(issues: &[qc::Issue], id: &str) -> Vec<Rule> {
    let mut r: Vec<Rule> = issues
        .iter()
        .filter(|i| i.cue_id == id)
        .map(|i| i.rule)
        .collect();
    r.sort_by_key(|r| format!("{r:?}"));
    r.dedup();
    r
}

const EN: &str = "1
00:00:01,000 --> 00:00:01,520
Hi.

2
00:00:05,000 --> 00:00:06,000
I told you already, we can't stay here any longer tonight

3
00:00:12,000 --> 00:00:13,000
Wait.

4
00:00:13,200 --> 00:00:15,000
What?

5
00:00:20,000 --> 00:00:22,000
Stop.

6
00:00:21,520 --> 00:00:24,000
No.

7
00:00:30,000 --> 00:00:39,000
Long.

8
00:00:40,000 --> 00:00:42,000
Ok then.

9
00:00:42,040 --> 00:00:44,000
Sure.

10
00:00:50,013 --> 00:00:52,000
Snap me.
";

#[test]
fn english_track_fixes() {
    let mut t = subtitles::srt::parse(EN);
    let original = t.clone();
    let o = opts("en", FrameRate::FPS_25, vec![]);
    let report = qc::check_and_fix(&mut t, &o);
    let i = &report.issues;
    assert_eq!(rules_for(i, "1"), [Rule::MinDuration]);
    assert_eq!(rules_for(i, "2"), [Rule::LineLength, Rule::ReadingSpeed]);
    assert_eq!(rules_for(i, "3"), [Rule::ChainGap]);
    assert_eq!(rules_for(i, "5"), [Rule::Overlap]);
    assert_eq!(rules_for(i, "7"), [Rule::MaxDuration]);
    assert_eq!(rules_for(i, "8"), [Rule::MinGap]);
    assert_eq!(rules_for(i, "10"), [Rule::FrameSnap]);
    let ms: Vec<(i64, i64)> = t.cues.iter().map(|c| (c.start_ms(), c.end_ms())).collect();
    assert_eq!(
        ms,
        [
            (1000, 1840),   // extended to 21 frames (≥ 5/6 s)
            (5000, 8320),   // 56 characters at 17 cps need 83 frames
            (12000, 13120), // 5-frame gap chained to 2 frames
            (13200, 15000),
            (20000, 21440), // overlap removed, 2 frames before the next cue
            (21520, 24000),
            (30000, 37000), // capped at 7 s
            (40000, 41960), // 1-frame gap opened to 2 frames
            (42040, 44000),
            (50000, 52000), // 50 013 ms snapped to frame 1250
        ]
    );
    assert_eq!(
        t.cues[1].text,
        "I told you already,\nwe can't stay here any longer tonight"
    );
    assert!(report.remaining.is_empty(), "{:#?}", report.remaining);
    // Every fix is a reversible record.
    let fx = &report.fixes;
    assert!(
        fx.iter()
            .any(|f| f.cue_id == "2" && f.field == Field::Text && f.rule == Rule::LineLength)
    );
    let mut undone = t.clone();
    qc::revert(&mut undone, fx).expect("revert");
    assert_eq!(undone, original);
    qc::apply(&mut undone, fx).expect("apply");
    assert_eq!(undone, t);
    // A stale fix list is refused and leaves the track as it was.
    let mut edited = original.clone();
    edited.cues[0].end = Time::Ms(1234);
    assert!(qc::apply(&mut edited, fx).is_err());
    assert_eq!(edited.cues[1], original.cues[1]);
}

#[test]
fn shot_change_snapping() {
    // 24 fps; shot changes at frames 100 and 300.
    let mut t = Track::new(subtitles::Format::Srt);
    let r = FrameRate::FPS_24;
    let mut cue = subtitles::Cue::new("a", 0, 0, "Hello there.");
    // Start frame 96 (4 frames before the cut at 100); end frame 245 (5 before the cut at 250).
    cue.start = Time::Frames { frame: 96, rate: r };
    cue.end = Time::Frames {
        frame: 245,
        rate: r,
    };
    t.cues.push(cue);
    let o = opts("en", r, vec![100, 250]);
    let report = qc::check_and_fix(&mut t, &o);
    assert_eq!(
        report
            .issues
            .iter()
            .filter(|i| i.rule == Rule::ShotChange)
            .count(),
        2
    );
    assert_eq!(
        t.cues[0].start,
        Time::Frames {
            frame: 100,
            rate: FrameRate::FPS_24
        }
    );
    assert_eq!(
        t.cues[0].end,
        Time::Frames {
            frame: 248,
            rate: FrameRate::FPS_24
        }
    );
    assert!(report.remaining.iter().all(|i| i.rule != Rule::ShotChange));
}

#[test]
fn japanese_track_fixes() {
    let src = "WEBVTT\n\nj1\n00:00:00.000 --> 00:00:02.002\n「今日はとても寒いですね」と彼は言った。\n\nj2\n00:00:10.010 --> 00:00:16.016\nﾃｽﾄﾃｽﾄﾃｽﾄﾃｽﾄﾃｽﾄﾃｽﾄﾃｽﾄﾃｽﾄﾃｽ\n\nj3\n00:00:20.020 --> 00:00:26.026\nﾃｽﾄﾃｽﾄﾃｽﾄﾃｽﾄﾃｽﾄﾃｽﾄﾃｽﾄﾃｽﾄﾃｽﾄ\n";
    let mut t = subtitles::vtt::parse(src).expect("valid");
    let o = opts("ja", FrameRate::FPS_23_976, vec![]);
    let report = qc::check_and_fix(&mut t, &o);
    assert_eq!(
        rules_for(&report.issues, "j1"),
        [Rule::LineLength, Rule::ReadingSpeed]
    );
    // 26 half-width katakana = 13 full-width units: allowed; 27 = 13.5: too long.
    assert!(
        rules_for(&report.issues, "j2").is_empty(),
        "{:?}",
        report.issues
    );
    assert_eq!(rules_for(&report.issues, "j3"), [Rule::LineLength]);
    // Kinsoku: the break goes after 」, never before 。 or 」.
    assert_eq!(t.cues[0].text, "「今日はとても寒いですね」\nと彼は言った。");
    // 20 characters at 4 characters/s = 5 s → 120 frames at 23.976 (5005 ms).
    assert_eq!(
        t.cues[0].end,
        Time::Frames {
            frame: 120,
            rate: FrameRate::FPS_23_976
        }
    );
    assert_eq!(t.cues[0].end_ms(), 5005);
    // The unbreakable half-width run cannot be fixed without splitting it: a break between
    // katakana is allowed for Japanese, so it is re-broken within the limit.
    assert!(
        t.cues[2]
            .text
            .split('\n')
            .all(
                |l| subtitles::width::length_halves(l, subtitles::width::CountMode::Fullwidth)
                    <= 26
            )
    );
}

#[test]
fn chinese_track_fixes() {
    let src = "1\n00:00:01,000 --> 00:00:02,000\n我们明天去Starbucks喝咖啡然后去看电影吧\n";
    let mut t = subtitles::srt::parse(src);
    let o = opts("zh-Hans", FrameRate::FPS_25, vec![]);
    let report = qc::check_and_fix(&mut t, &o);
    assert_eq!(
        rules_for(&report.issues, "1"),
        [Rule::LineLength, Rule::ReadingSpeed]
    );
    let lines: Vec<&str> = t.cues[0].text.split('\n').collect();
    assert_eq!(lines.len(), 2);
    assert!(
        t.cues[0].text.contains("Starbucks"),
        "never inside a Latin word"
    );
    // 19.5 units at 9 cps = 2.1667 s → 55 frames at 25 fps = 2200 ms.
    assert_eq!(t.cues[0].end_ms(), 3200);
    assert!(report.remaining.is_empty(), "{:#?}", report.remaining);
}

#[test]
fn ass_override_tags_are_never_lost() {
    let src = "[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:09.00,Default,,0,0,0,,{\\pos(320,50)}This line is much too long for the forty-two character limit\nDialogue: 0,0:00:10.00,0:00:18.00,Default,,0,0,0,,{\\i1}This line is much too long for the forty-two character limit{\\i0}\n";
    let mut t = subtitles::ass::parse(src);
    let o = opts("en", FrameRate::FPS_25, vec![]);
    let report = qc::check_and_fix(&mut t, &o);
    assert!(
        report
            .issues
            .iter()
            .filter(|i| i.rule == Rule::LineLength)
            .count()
            == 2
    );
    // Override tags: reported, not re-broken.
    assert!(t.cues[0].text.starts_with("{\\pos(320,50)}This line"));
    assert!(t.cues[1].text.contains("{\\i1}"));
    assert_eq!(
        report
            .remaining
            .iter()
            .filter(|i| i.rule == Rule::LineLength)
            .count(),
        2
    );
}

#[test]
fn japanese_kinsoku_violations_are_fixed() {
    let src = "WEBVTT\n\nk1\n00:00:00.000 --> 00:00:06.006\n今日は寒いですね\n。本当に\n\nk2\n00:00:10.010 --> 00:00:16.016\n「今日はとても寒いですね\n」と彼は言った。\n\nk3\n00:00:20.020 --> 00:00:26.026\n今日は寒いですね。\n本当に\n";
    let mut t = subtitles::vtt::parse(src).expect("valid");
    let o = opts("ja", FrameRate::FPS_23_976, vec![]);
    let report = qc::check_and_fix(&mut t, &o);
    assert_eq!(rules_for(&report.issues, "k1"), [Rule::Kinsoku]);
    assert_eq!(rules_for(&report.issues, "k2"), [Rule::Kinsoku]);
    assert!(
        rules_for(&report.issues, "k3").is_empty(),
        "a legal break is left alone"
    );
    assert_eq!(
        t.cues[0].text, "今日は寒いですね。本当に",
        "fits on one line"
    );
    assert_eq!(t.cues[1].text, "「今日はとても寒いですね」\nと彼は言った。");
    assert_eq!(t.cues[2].text, "今日は寒いですね。\n本当に");
    assert!(
        report
            .fixes
            .iter()
            .any(|f| f.cue_id == "k2" && f.rule == Rule::Kinsoku)
    );
    assert!(report.remaining.is_empty(), "{:#?}", report.remaining);
}
