//! Review report: one self-contained HTML page per library or scene (takes, statuses, notes with
//! timecodes). Every text from the library is HTML-escaped.

use crate::error::{LibraryError, Result};
use crate::library::{Library, normalize_scene};
use crate::model::{TakeDetail, TakeQuery};
use crate::util::format_utc_ms;
use mocap_data::{Timecode, TimecodeFormat};
use std::fmt::Write as _;

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Timecode of `frame` (0-based) in a take, offset by its start timecode when known.
fn timecode(t: &TakeDetail, frame: u64) -> Option<String> {
    let rate = t.summary.rate?;
    let format = TimecodeFormat::for_rate(rate);
    let start = t
        .start_timecode
        .as_deref()
        .and_then(|s| Timecode::parse(s, format.nominal_fps).ok())
        .map(|tc| tc.to_frame_count())
        .unwrap_or(0);
    let frame = start.checked_add(i64::try_from(frame).ok()?)?;
    Some(Timecode::from_frame_count(frame, format).to_string())
}

impl Library {
    /// The review report as a self-contained HTML document, for one scene or (with `None`) all.
    pub fn report_html(&mut self, scene: Option<&str>, generator: &str) -> Result<String> {
        self.report_html_for(scene, None, generator)
    }

    /// The review report of one scene and/or one capture session (day); `None`, `None`: all.
    pub fn report_html_for(
        &mut self,
        scene: Option<&str>,
        session: Option<&str>,
        generator: &str,
    ) -> Result<String> {
        let ids = self.take_ids(scene, session)?;
        if let Some(s) = session
            && ids.is_empty()
        {
            return Err(LibraryError::invalid(
                "session",
                format!("no takes in capture session `{s}` (with this scene filter)"),
            ));
        }
        if let Some(s) = scene
            && ids.is_empty()
        {
            return Err(LibraryError::invalid(
                "scene",
                format!(
                    "no takes in scene `{}`; list scenes with `mocap takes list`",
                    normalize_scene(s)
                ),
            ));
        }
        let (count, head) = self.ledger_head()?;
        let mut takes = ids
            .into_iter()
            .map(|id| self.take(id))
            .collect::<Result<Vec<_>>>()?;
        takes.sort_by(|a, b| {
            (&a.summary.scene, a.summary.number, &a.summary.name).cmp(&(
                &b.summary.scene,
                b.summary.number,
                &b.summary.name,
            ))
        });
        let title = match (scene, session) {
            (Some(s), Some(d)) => format!("Review report: {d}, scene {}", normalize_scene(s)),
            (Some(s), None) => format!("Review report: scene {}", normalize_scene(s)),
            (None, Some(d)) => format!("Review report: session {d}"),
            (None, None) => "Review report: all scenes".to_string(),
        };
        let mut h = String::new();
        let e = escape_html;
        // Writing to a String cannot fail; the results are ignored on purpose.
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>\
body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:.5em 0 1.5em}}\
td,th{{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}}th{{background:#eee}}\
.approved{{color:#080;font-weight:bold}}.rejected{{color:#a00}}.needs-fix{{color:#b60}}.circled{{color:#06a}}\
.resolved{{color:#888;text-decoration:line-through}}code{{font-size:.85em}}</style></head><body>\n<h1>{}</h1>\n\
<p>Generated {} by {}. Ledger: {} events, head <code>{}</code>.</p>\n",
            e(&title),
            e(&title),
            e(&format_utc_ms(crate::util::now_utc_ms())),
            e(generator),
            count,
            e(&head)
        );
        let mut current_scene: Option<&str> = None;
        for t in &takes {
            if current_scene != Some(t.summary.scene.as_str()) {
                if current_scene.is_some() {
                    h.push_str("</table>\n");
                }
                current_scene = Some(&t.summary.scene);
                let _ = write!(
                    h,
                    "<h2>Scene {}</h2>\n<table><tr><th>Take</th><th>Status</th><th>Duration</th><th>Actors</th><th>Files (SHA-256)</th><th>Notes</th></tr>\n",
                    e(&t.summary.scene)
                );
            }
            take_row_html(&mut h, t);
        }
        if current_scene.is_some() {
            h.push_str("</table>\n");
        } else {
            h.push_str("<p>No takes.</p>\n");
        }
        h.push_str("</body></html>\n");
        Ok(h)
    }

    /// The ids of every take of `scene` and/or `session` (`None`: any), read page by page.
    fn take_ids(&mut self, scene: Option<&str>, session: Option<&str>) -> Result<Vec<i64>> {
        let mut ids = Vec::new();
        let mut offset = 0;
        loop {
            let page = self.search(&TakeQuery {
                scene: scene.map(str::to_owned),
                session: session.map(str::to_owned),
                limit: 5000,
                offset,
                ..Default::default()
            })?;
            let n = page.takes.len();
            ids.extend(page.takes.into_iter().map(|t| t.id));
            offset += n;
            if n == 0 || offset as u64 >= page.total {
                break;
            }
        }
        Ok(ids)
    }
}

/// Appends the report table row of take `t` to `h`.
fn take_row_html(h: &mut String, t: &TakeDetail) {
    let e = escape_html;
    let duration = match (t.summary.duration_frames, t.summary.rate) {
        (Some(d), Some(r)) => {
            let secs = r.frames_to_seconds(i64::try_from(d).unwrap_or(i64::MAX));
            format!(
                "{d} frames @ {} fps ({secs:.2} s)",
                crate::model::rate_text(r)
            )
        }
        _ => "unknown".into(),
    };
    let files: Vec<String> = t
        .files
        .iter()
        .map(|f| {
            let name = std::path::Path::new(&f.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| f.path.clone());
            format!(
                "{} <code title=\"{}\">{}…</code>",
                e(&name),
                e(&f.sha256),
                e(f.sha256.get(..12).unwrap_or(&f.sha256))
            )
        })
        .collect();
    let notes: Vec<String> = t
        .notes
        .iter()
        .map(|n| {
            let at = match (timecode(t, n.frame_start), timecode(t, n.frame_end)) {
                (Some(a), Some(b)) if n.frame_end != n.frame_start => format!("{a}–{b}"),
                (Some(a), _) => a,
                _ if n.frame_end != n.frame_start => {
                    format!("frames {}–{}", n.frame_start, n.frame_end)
                }
                _ => format!("frame {}", n.frame_start),
            };
            let reply = n
                .reply_to
                .map(|r| format!(" (reply to #{r})"))
                .unwrap_or_default();
            format!(
                "<div class=\"{}\">#{} [{}] <b>{}</b>{}: {} <small>{}</small></div>",
                if n.resolved { "resolved" } else { "open" },
                n.id,
                e(&at),
                e(&n.author),
                e(&reply),
                e(&n.text),
                e(&format_utc_ms(n.created_utc_ms))
            )
        })
        .collect();
    let status = t.summary.status.as_str();
    let _ = writeln!(
        h,
        "<tr><td>{}</td><td class=\"{status}\">{status}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        e(&t.summary.name),
        e(&duration),
        e(&t.actors.join(", ")),
        files.join("<br>"),
        notes.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html(r#"<script>alert("x&y's")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;y&#39;s&quot;)&lt;/script&gt;"
        );
    }
}
