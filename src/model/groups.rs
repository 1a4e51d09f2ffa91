//! Marker groups: what the viewport and the marker tables show. A take's markers fall into
//! reconstructed markers and modelled (virtual) points (Vicon's joint centres and segment axes,
//! [`mocap_data::MarkerTrajectories::modelled_markers`]), each per actor prefix (`SteveWalk` of
//! `SteveWalk:LFHD`). Modelled points are hidden by default, as in Shōgun and Nexus.

use bevy::prelude::*;
use std::collections::BTreeSet;

/// A group of markers the user shows or hides.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MarkerGroup {
    /// Modelled (virtual) points, every actor.
    Modelled,
    /// One actor's markers (its label prefix; `""` for labels without one).
    Actor(String),
}

/// The open take's groups and which are shown (a view setting: not undoable, kept across takes).
#[derive(Resource, Debug, Clone, Default)]
pub struct MarkerGroups {
    /// The session generation the classification belongs to.
    pub generation: Option<u64>,
    /// Per marker: a modelled point.
    pub modelled: Vec<bool>,
    /// Per marker: its actor prefix.
    pub prefix: Vec<String>,
    /// Show modelled points (off by default).
    pub show_modelled: bool,
    /// Actor prefixes whose markers are hidden.
    pub hidden_actors: BTreeSet<String>,
}

impl MarkerGroups {
    /// Classifies `labels` (and `modelled`, one flag per label) for session `generation`.
    pub fn classify(&mut self, generation: u64, labels: &[String], modelled: Vec<bool>) {
        self.generation = Some(generation);
        self.prefix = labels.iter().map(|l| actor_prefix(l).to_string()).collect();
        self.modelled = modelled;
        self.modelled.resize(labels.len(), false);
    }

    /// Whether marker `k` is drawn and listed.
    pub fn visible(&self, k: usize) -> bool {
        if self.modelled.get(k).copied().unwrap_or(false) && !self.show_modelled {
            return false;
        }
        self.prefix
            .get(k)
            .is_none_or(|p| !self.hidden_actors.contains(p))
    }

    /// Shows or hides a group.
    pub fn set_shown(&mut self, group: &MarkerGroup, shown: bool) {
        match group {
            MarkerGroup::Modelled => self.show_modelled = shown,
            MarkerGroup::Actor(a) if shown => {
                self.hidden_actors.remove(a);
            }
            MarkerGroup::Actor(a) => {
                self.hidden_actors.insert(a.clone());
            }
        }
    }

    /// Counts for the group list: each actor prefix with its reconstructed and modelled
    /// markers, in label order of first appearance.
    pub fn actors(&self) -> Vec<(String, usize, usize)> {
        let mut out: Vec<(String, usize, usize)> = Vec::new();
        for (k, p) in self.prefix.iter().enumerate() {
            let modelled = self.modelled.get(k).copied().unwrap_or(false);
            match out.iter_mut().find(|(a, _, _)| a == p) {
                Some(e) => {
                    if modelled {
                        e.2 += 1;
                    } else {
                        e.1 += 1;
                    }
                }
                None => out.push((p.clone(), usize::from(!modelled), usize::from(modelled))),
            }
        }
        out
    }

    /// How many modelled points the take has.
    pub fn modelled_count(&self) -> usize {
        self.modelled.iter().filter(|m| **m).count()
    }
}

/// The actor prefix of a label (`SteveWalk` of `SteveWalk:LFHD`; `""` without a colon).
pub fn actor_prefix(label: &str) -> &str {
    label.rsplit_once(':').map_or("", |(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modelled_points_are_hidden_by_default_and_actors_toggle() {
        let labels: Vec<String> = ["A:LFHD", "A:PEL0", "B:LFHD", "loose"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut g = MarkerGroups::default();
        g.classify(7, &labels, vec![false, true, false, false]);
        assert_eq!(
            (0..4).map(|k| g.visible(k)).collect::<Vec<_>>(),
            [true, false, true, true]
        );
        g.set_shown(&MarkerGroup::Modelled, true);
        assert!(g.visible(1));
        g.set_shown(&MarkerGroup::Actor("A".into()), false);
        assert_eq!(
            (0..4).map(|k| g.visible(k)).collect::<Vec<_>>(),
            [false, false, true, true]
        );
        assert_eq!(
            g.actors(),
            [("A".into(), 1, 1), ("B".into(), 1, 0), ("".into(), 1, 0)]
        );
        g.set_shown(&MarkerGroup::Actor("A".into()), true);
        assert!(g.visible(0));
    }
}
