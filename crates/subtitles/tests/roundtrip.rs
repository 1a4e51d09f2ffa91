//! Property tests: every writer's output reads back to the same cues.

use proptest::prelude::*;
use subtitles::markup::{Node, to_vtt};
use subtitles::{Align, Cue, CueSettings, Format, LineAlign, PositionAlign, Time, Track, Vertical};

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "hello",
        "World",
        "café",
        "naïve",
        "日本語",
        "字幕",
        "привет",
        "مرحبا",
        "สวัสดี",
        "it's",
        "a,b",
        "Q?",
        "yes!",
        "x&y",
        "1<2",
        "50%",
        "\"quoted\"",
        "—",
        "😀",
        "tab\there",
    ])
    .prop_map(str::to_string)
}

fn line() -> impl Strategy<Value = String> {
    prop::collection::vec(word(), 1..6).prop_map(|w| w.join(" "))
}

fn lines() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(line(), 1..4)
}

/// Sorted cue times in ms, multiples of `step`.
fn times(n: usize, step: i64) -> impl Strategy<Value = Vec<(i64, i64)>> {
    prop::collection::vec((0i64..5_000, 1i64..700), n).prop_map(move |v| {
        let mut t = 0;
        v.into_iter()
            .map(|(gap, dur)| {
                t += gap * step;
                let s = t;
                t += dur * step;
                (s, t)
            })
            .collect()
    })
}

fn cues_and_lines(step: i64) -> impl Strategy<Value = (Vec<(i64, i64)>, Vec<Vec<String>>)> {
    (1usize..12).prop_flat_map(move |n| (times(n, step), prop::collection::vec(lines(), n)))
}

fn settings() -> impl Strategy<Value = Option<Box<CueSettings>>> {
    prop::option::of(
        (
            0usize..3,
            prop::option::of((-5i32..100, any::<bool>())),
            0usize..3,
            prop::option::of(0u32..=100),
            0usize..4,
            0u32..=100,
            0usize..5,
        )
            .prop_map(|(v, line, la, pos, pa, size, al)| {
                let mut s = CueSettings::new();
                s.vertical = [Vertical::Horizontal, Vertical::Rl, Vertical::Lr][v];
                if let Some((l, snap)) = line {
                    s.snap_to_lines = snap;
                    s.line = Some(if snap { l as f64 } else { l.max(0) as f64 });
                    s.line_align = [LineAlign::Start, LineAlign::Center, LineAlign::End][la];
                }
                if let Some(p) = pos {
                    s.position = Some(p as f64);
                    s.position_align = [
                        PositionAlign::Auto,
                        PositionAlign::LineLeft,
                        PositionAlign::Center,
                        PositionAlign::LineRight,
                    ][pa];
                }
                s.size = size as f64;
                s.align = [
                    Align::Start,
                    Align::Center,
                    Align::End,
                    Align::Left,
                    Align::Right,
                ][al];
                Box::new(s)
            }),
    )
    .prop_map(|s| s.filter(|s| !s.is_default()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn srt_round_trip((ts, ls) in cues_and_lines(1)) {
        let mut t = Track::new(Format::Srt);
        for (i, ((s, e), l)) in ts.iter().zip(&ls).enumerate() {
            t.cues.push(Cue::new((i + 1).to_string(), *s, *e, l.join("\n")));
        }
        let back = subtitles::srt::parse(&subtitles::srt::write(&t));
        prop_assert_eq!(back.cues, t.cues);
    }

    #[test]
    fn vtt_round_trip((ts, ls) in cues_and_lines(1), sets in prop::collection::vec(settings(), 12), ids in prop::collection::vec(prop::option::of(line()), 12)) {
        let mut t = Track::new(Format::WebVtt);
        for (i, ((s, e), l)) in ts.iter().zip(&ls).enumerate() {
            let mut c = Cue::new(ids[i].clone().unwrap_or_default(), *s, *e, to_vtt(&[Node::Text(l.join("\n"))]));
            c.settings = sets[i].clone();
            t.cues.push(c);
        }
        let back = subtitles::vtt::parse(&subtitles::vtt::write(&t)).expect("own output");
        prop_assert_eq!(back.cues, t.cues);
    }

    #[test]
    fn ass_round_trip((ts, ls) in cues_and_lines(10)) {
        let mut t = Track::new(Format::Ass);
        for ((s, e), l) in ts.iter().zip(&ls) {
            t.cues.push(Cue::new("", *s, *e, format!("{{\\i1}}{}", l.join("\\N"))));
        }
        let back = subtitles::ass::parse(&subtitles::ass::write(&t, false));
        prop_assert_eq!(back.cues.len(), t.cues.len());
        for (a, b) in back.cues.iter().zip(&t.cues) {
            prop_assert_eq!((a.start_ms(), a.end_ms(), &a.text), (b.start_ms(), b.end_ms(), &b.text));
        }
    }

    #[test]
    fn ttml_round_trip((ts, ls) in cues_and_lines(1), frames in any::<bool>()) {
        let mut t = Track::new(Format::Ttml);
        let rate = mocap_data::FrameRate::FPS_23_976;
        for (i, ((s, e), l)) in ts.iter().zip(&ls).enumerate() {
            // Whitespace collapses in XML: use single spaces.
            let text: Vec<String> = l.iter().map(|x| x.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
            let mut c = Cue::new(format!("c{}", i + 1), *s, *e, to_vtt(&[Node::Text(text.join("\n"))]));
            if frames {
                c.start = Time::Frames { frame: *s / 10, rate };
                c.end = Time::Frames { frame: *e / 10, rate };
            }
            t.cues.push(c);
        }
        let back = subtitles::ttml::parse(&subtitles::ttml::write(&t)).expect("own output");
        prop_assert_eq!(back.cues.len(), t.cues.len());
        for (a, b) in back.cues.iter().zip(&t.cues) {
            prop_assert_eq!(a.start, b.start);
            prop_assert_eq!(a.end, b.end);
            prop_assert_eq!(&a.text, &b.text);
            prop_assert_eq!(&a.id, &b.id);
        }
    }

    #[test]
    fn srt_to_vtt_to_srt_keeps_text((ts, ls) in cues_and_lines(1)) {
        let mut t = Track::new(Format::Srt);
        for (i, ((s, e), l)) in ts.iter().zip(&ls).enumerate() {
            t.cues.push(Cue::new((i + 1).to_string(), *s, *e, format!("<i>{}</i>", l.join("\n").replace(['<', '&', '{'], "_"))));
        }
        let vtt = subtitles::vtt::parse(&subtitles::vtt::write(&t)).expect("own output");
        let srt = subtitles::srt::parse(&subtitles::srt::write(&vtt));
        prop_assert_eq!(srt.cues, t.cues);
    }

    #[test]
    fn readers_never_panic(s in ".{0,400}") {
        let _ = subtitles::srt::parse(&s);
        let _ = subtitles::vtt::parse(&s);
        let _ = subtitles::ass::parse(&s);
        let _ = subtitles::ttml::parse(&s);
        let _ = subtitles::markup::parse_vtt(&s);
        let _ = subtitles::markup::parse_srt(&s);
        let _ = subtitles::markup::parse_ass(&s);
        let _ = subtitles::read_bytes(s.as_bytes(), None, None);
    }

    #[test]
    fn vtt_reader_never_panics_on_vtt_like_input(body in "(WEBVTT|WEBVTT FOO)\n\n([0-9:.\\- >a-z%,\n]{0,200})") {
        if let Ok(t) = subtitles::vtt::parse(&body) {
            let _ = subtitles::vtt::write(&t);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ttml_time_expressions_never_panic(b in "\\PC{0,30}", e in "[0-9:.hmsft]{0,40}", rate in "[0-9 :]{0,12}") {
        let doc = format!(
            "<tt xmlns=\"http://www.w3.org/ns/ttml\" xmlns:ttp=\"http://www.w3.org/ns/ttml#parameter\" ttp:frameRate=\"{rate}\" ttp:tickRate=\"{rate}\" ttp:subFrameRate=\"{rate}\"><body><div begin=\"{e}\"><p begin=\"{}\" end=\"{e}\" dur=\"{e}\">x</p></div></body></tt>",
            b.replace(['"', '<', '&'], "")
        );
        let _ = subtitles::ttml::parse(&doc);
    }

    #[test]
    fn qc_never_panics(times in prop::collection::vec((any::<i64>(), any::<i64>()), 0..8), shots in prop::collection::vec(any::<i64>(), 0..4), lang in prop::sample::select(vec!["en", "ja", "zh-Hant", "th", "ar"]), text in ".{0,60}") {
        let mut t = Track::new(Format::Srt);
        for (i, (s, e)) in times.iter().enumerate() {
            let mut c = Cue::new(i.to_string(), *s, *e, text.clone());
            if i % 2 == 1 {
                c.start = Time::Frames { frame: *s, rate: mocap_data::FrameRate::FPS_29_97 };
            }
            t.cues.push(c);
        }
        let o = subtitles::qc::QcOptions {
            profile: subtitles::profile::for_language(lang).expect("profile"),
            rate: mocap_data::FrameRate::FPS_23_976,
            children: false,
            shot_changes: shots,
        };
        let before = t.clone();
        let r = subtitles::qc::check_and_fix(&mut t, &o);
        subtitles::qc::revert(&mut t, &r.fixes).expect("own fixes revert");
        prop_assert_eq!(t, before);
    }
}
