//! The Review panel: the open take's notes as threads at timecodes, replies, resolve, status with a comment.

#[allow(unused_imports)]
use super::*;

/// What the Review panel shows.
#[derive(Debug, Clone)]
pub struct ReviewView<'a> {
    /// The reviewed take (in the library), if any.
    pub take: Option<&'a TakeDetail>,
    /// Whether a library is open.
    pub has_library: bool,
    /// Current frame.
    pub frame: FrameIndex,
    /// The in/out range, when either is set.
    pub range: Option<(FrameIndex, FrameIndex)>,
    /// Rate of the loaded take (for timecodes).
    pub rate: FrameRate,
    /// Timecode of frame 0.
    pub start_timecode: Timecode,
    /// Display rate of timecodes.
    pub display_rate: DisplayRate,
    /// Author of edits.
    pub author: &'a str,
    /// Focus the note field (the N hotkey was pressed).
    pub focus_note: bool,
    /// The note draft as the app knows it (unsaved work; a recovered one waits in `restore`).
    pub draft: &'a crate::model::recovery::NoteDraft,
}

impl ReviewView<'_> {
    fn tc(&self, frame: u64) -> String {
        timecode_at(
            frame as usize,
            self.rate,
            self.start_timecode,
            self.display_rate,
        )
        .to_string()
    }

    /// The frames a new note covers: the I/O range when set, else the current frame.
    pub fn note_range(&self) -> (u64, u64) {
        match self.range {
            Some((a, b)) => (a as u64, b as u64),
            None => (self.frame as u64, self.frame as u64),
        }
    }
}

/// Id of the note draft text in egui's memory.
pub fn note_draft_id() -> egui::Id {
    egui::Id::new("review_note_draft")
}

/// The Review panel: status with a comment, the note composer, the notes of the take.
pub fn review_ui(ui: &mut egui::Ui, v: &ReviewView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let Some(t) = v.take else {
        ui.add_space(8.0);
        ui.weak(if v.has_library {
            "The loaded take is not in the library. Double-click a take in the Takes panel to \
             review it."
        } else {
            "Open a take library in the Takes panel, then double-click a take to review it."
        });
        return out;
    };
    let id = t.summary.id;
    ui.horizontal(|ui| {
        ui.heading(&t.summary.name);
        badge(ui, t.summary.status);
        ui.weak(format!("scene {}", t.summary.scene));
        if !t.actors.is_empty() {
            ui.weak(t.actors.join(", "));
        }
    });
    // Status with a comment.
    let comment_id = egui::Id::new(("review_status_comment", id));
    let mut comment: String = ui.data_mut(|d| d.get_temp(comment_id)).unwrap_or_default();
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut comment)
                .hint_text("Comment for the status change (optional)")
                .desired_width(240.0),
        );
        for (s, label, key) in [
            (TakeStatus::Circled, "Circle", "C"),
            (TakeStatus::Approved, "Approve", "A"),
            (TakeStatus::Rejected, "Reject", "R"),
            (TakeStatus::NeedsFix, "Needs fix", ""),
        ] {
            let b = egui::Button::new(egui::RichText::new(label).color(status_colour(s)))
                .selected(t.summary.status == s);
            let hover = if key.is_empty() {
                format!("Set status to {s} (recorded in the ledger)")
            } else {
                format!("Set status to {s} ({key}; recorded in the ledger)")
            };
            if ui.add(b).on_hover_text(hover).clicked() {
                let c = Some(comment.trim().to_string()).filter(|c| !c.is_empty());
                out.push(status_edit(id, s, v.author, c));
                comment.clear();
            }
        }
    });
    ui.data_mut(|d| d.insert_temp(comment_id, comment));
    ui.separator();
    // New note at the current frame or I/O range.
    let (a, b) = v.note_range();
    let where_ = if b > a {
        format!("{} – {} (frames {a}–{b}, I/O range)", v.tc(a), v.tc(b))
    } else {
        format!("{} (frame {a})", v.tc(a))
    };
    ui.label(format!("New note at {where_}   ·   N to write one"));
    let mut draft: String = ui
        .data_mut(|d| d.get_temp(note_draft_id()))
        .unwrap_or_default();
    // A recovered draft for this take comes back into an empty field.
    let this_take = v.draft.take.as_ref().is_some_and(|(k, _)| *k == id);
    let restoring = this_take && v.draft.restore.is_some();
    if restoring
        && draft.is_empty()
        && let Some(r) = &v.draft.restore
    {
        draft = r.clone();
    }
    let mut submit = false;
    ui.horizontal(|ui| {
        let r = ui.add(
            egui::TextEdit::singleline(&mut draft)
                .id(note_draft_id())
                .hint_text("Type a note, Enter to add")
                .desired_width(ui.available_width() - 60.0),
        );
        if v.focus_note {
            r.request_focus();
        }
        if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            submit = true;
        }
        if ui.button("Add").clicked() {
            submit = true;
        }
    });
    if submit && !draft.trim().is_empty() {
        out.push(UiCommand::Edit(EditCommand::Library(Command::AddNote(
            NewNote {
                take_id: id,
                reply_to: None,
                frame_start: Some(a),
                frame_end: Some(b),
                author: v.author.to_string(),
                text: draft.trim().to_string(),
            },
        ))));
        draft.clear();
    }
    // The app tracks the draft as unsaved work.
    if restoring || (this_take && v.draft.text != draft) || (!this_take && !draft.is_empty()) {
        out.push(UiCommand::NoteDraft {
            take_id: id,
            take_name: t.summary.name.clone(),
            text: draft.clone(),
        });
    }
    ui.data_mut(|d| d.insert_temp(note_draft_id(), draft));
    ui.separator();
    // Notes, threaded.
    let show_resolved_id = egui::Id::new("review_show_resolved");
    let mut show_resolved: bool = ui
        .data_mut(|d| d.get_temp(show_resolved_id))
        .unwrap_or(true);
    ui.horizontal(|ui| {
        let open = t.notes.iter().filter(|n| !n.resolved).count();
        ui.label(egui::RichText::new(format!("{} notes, {open} open", t.notes.len())).strong());
        ui.checkbox(&mut show_resolved, "Show resolved");
    });
    ui.data_mut(|d| d.insert_temp(show_resolved_id, show_resolved));
    egui::ScrollArea::vertical()
        .id_salt("review_notes")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for n in t.notes.iter().filter(|n| n.reply_to.is_none()) {
                if n.resolved && !show_resolved {
                    continue;
                }
                out.extend(note_ui(ui, v, n, 0));
                let mut replies: Vec<&Note> = Vec::new();
                collect_replies(&t.notes, n.id, &mut replies);
                for r in replies {
                    out.extend(note_ui(ui, v, r, 1));
                }
                out.extend(reply_box(ui, v, n));
                ui.separator();
            }
            if t.notes.is_empty() {
                ui.weak("No notes yet.");
            }
        });
    out
}

pub(crate) fn collect_replies<'a>(notes: &'a [Note], parent: i64, out: &mut Vec<&'a Note>) {
    for n in notes.iter().filter(|n| n.reply_to == Some(parent)) {
        out.push(n);
        collect_replies(notes, n.id, out);
    }
}

pub(crate) fn note_ui(
    ui: &mut egui::Ui,
    v: &ReviewView<'_>,
    n: &Note,
    depth: usize,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ui.horizontal(|ui| {
        ui.add_space(18.0 * depth as f32);
        if depth == 0 {
            let at = if n.frame_end > n.frame_start {
                format!("{} – {}", v.tc(n.frame_start), v.tc(n.frame_end))
            } else {
                v.tc(n.frame_start)
            };
            if ui
                .link(egui::RichText::new(at).monospace())
                .on_hover_text(format!("Jump to frame {}", n.frame_start))
                .clicked()
            {
                out.push(UiCommand::Playback(PlaybackCommand::Seek(
                    n.frame_start as usize,
                )));
            }
        } else {
            ui.weak("↳");
        }
        ui.label(egui::RichText::new(&n.author).strong());
        ui.weak(take_library::util::format_utc_ms(n.created_utc_ms));
        let mut resolved = n.resolved;
        if depth == 0 && ui.checkbox(&mut resolved, "resolved").changed() {
            out.push(UiCommand::Edit(EditCommand::Library(
                Command::SetNoteResolved {
                    note_id: n.id,
                    resolved,
                    author: v.author.to_string(),
                },
            )));
        }
        if ui
            .small_button("🗑")
            .on_hover_text("Remove the note (undoable; the ledger keeps it)")
            .clicked()
        {
            out.push(UiCommand::Edit(EditCommand::Library(
                Command::SetNoteRetracted {
                    note_id: n.id,
                    retracted: true,
                    author: v.author.to_string(),
                },
            )));
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.add_space(18.0 * depth as f32 + 6.0);
        let text = egui::RichText::new(&n.text);
        ui.label(if n.resolved { text.weak() } else { text });
    });
    out
}

pub(crate) fn reply_box(ui: &mut egui::Ui, v: &ReviewView<'_>, parent: &Note) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let id = egui::Id::new(("review_reply", parent.id));
    let mut text: String = ui.data_mut(|d| d.get_temp(id)).unwrap_or_default();
    let mut submit = false;
    ui.horizontal(|ui| {
        ui.add_space(18.0);
        let r = ui.add(
            egui::TextEdit::singleline(&mut text)
                .hint_text("Reply…")
                .desired_width(ui.available_width() - 60.0),
        );
        if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            submit = true;
        }
        if ui.small_button("Reply").clicked() {
            submit = true;
        }
    });
    if submit && !text.trim().is_empty() {
        out.push(UiCommand::Edit(EditCommand::Library(Command::AddNote(
            NewNote {
                take_id: parent.take_id,
                reply_to: Some(parent.id),
                frame_start: None,
                frame_end: None,
                author: v.author.to_string(),
                text: text.trim().to_string(),
            },
        ))));
        text.clear();
    }
    ui.data_mut(|d| d.insert_temp(id, text));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::recovery::NoteDraft;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use take_library::TakeSummary;

    fn detail() -> TakeDetail {
        TakeDetail {
            summary: TakeSummary {
                id: 7,
                name: "walk_03".into(),
                scene: "walk".into(),
                number: Some(3),
                status: TakeStatus::None,
                duration_frames: Some(600),
                rate: Some(FrameRate::integer(120).expect("rate")),
                captured_utc_ms: None,
            },
            session: None,
            description: String::new(),
            actors: vec![],
            marker_set: None,
            character: None,
            tags: vec![],
            start_timecode: None,
            files: vec![],
            notes: vec![],
        }
    }

    fn harness(draft: NoteDraft) -> Harness<'static, Vec<UiCommand>> {
        let take = detail();
        Harness::new_ui_state(
            move |ui, out: &mut Vec<UiCommand>| {
                let view = ReviewView {
                    take: Some(&take),
                    has_library: true,
                    frame: 12,
                    range: None,
                    rate: FrameRate::integer(120).expect("rate"),
                    start_timecode: Timecode::from_frame_count(0, DisplayRate::Fps30.format()),
                    display_rate: DisplayRate::Fps30,
                    author: "director",
                    focus_note: false,
                    draft: &draft,
                };
                out.extend(review_ui(ui, &view));
            },
            Vec::new(),
        )
    }

    /// The note field: the second text input (after the status comment).
    fn note_field<'h>(h: &'h Harness<'static, Vec<UiCommand>>) -> egui_kittest::Node<'h> {
        h.get_all_by_role(egui::accesskit::Role::TextInput)
            .nth(1)
            .expect("the note field")
    }

    fn drafts(out: &[UiCommand]) -> Vec<(i64, String)> {
        out.iter()
            .filter_map(|c| match c {
                UiCommand::NoteDraft { take_id, text, .. } => Some((*take_id, text.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn typing_a_note_reports_the_draft_as_unsaved_work() {
        let mut h = harness(NoteDraft::default());
        note_field(&h).focus();
        h.run();
        note_field(&h).type_text("raise the left arm");
        h.run();
        let d = drafts(h.state());
        assert_eq!(
            d.last(),
            Some(&(7, "raise the left arm".to_string())),
            "{d:?}"
        );
    }

    #[test]
    fn a_recovered_draft_comes_back_into_the_note_field_of_its_take() {
        let mut h = harness(NoteDraft {
            take: Some((7, "walk_03".into())),
            text: String::new(),
            restore: Some("fix the foot slide at 01:02".into()),
        });
        h.run();
        assert_eq!(
            drafts(h.state()).first(),
            Some(&(7, "fix the foot slide at 01:02".to_string()))
        );
        let field = note_field(&h);
        assert_eq!(
            field.value().as_deref(),
            Some("fix the foot slide at 01:02")
        );
    }

    #[test]
    fn a_draft_for_another_take_waits() {
        let mut h = harness(NoteDraft {
            take: Some((99, "other".into())),
            text: String::new(),
            restore: Some("later".into()),
        });
        h.run();
        assert!(drafts(h.state()).is_empty());
    }
}
