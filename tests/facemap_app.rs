//! Face maps in the studio, headless (`MinimalPlugins` + `CorePlugins`): a character's morphing
//! mesh is bound by its target names, a morph target is reassigned to another ARKit channel
//! (an undoable `EditCommand::SetMorph`) and the driven weight follows; undo and redo restore
//! it; "Save map" writes `CHARACTER.facemap.json` beside the character, which reads back with
//! the format's reader (what `mocap export-glb --face-map` uses) and is the map the studio binds
//! the character with the next time it is opened. The mannequin's face has a map too.

mod common;

use bevy::mesh::morph::MorphWeights;
use bevy::prelude::*;
use mocap_data::face::{ARKIT_BLENDSHAPES, arkit_index};
use mocap_data::{FaceCurves, FrameRate, MorphPreset};
use mocap_studio::face::FaceMorphs;
use mocap_studio::model::bonemap::MapSource;
use mocap_studio::model::commands::PlaybackCommand;
use mocap_studio::model::edit::{EditCommand, HistoryCommand};
use mocap_studio::model::facemap::{CharacterFaceMaps, FaceMapCommand, MANNEQUIN, sidecar_path};
use mocap_studio::model::scene::CharacterModel;
use mocap_studio::model::session::SessionCommand;
use std::path::{Path, PathBuf};

use common::{app, errors, send};

fn idx(name: &str) -> usize {
    arkit_index(name).unwrap_or_else(|| panic!("{name} is no ARKit name"))
}

/// 3 s at 60 Hz: jawOpen ramps 0 → 1, mouthSmileRight and eyeBlinkLeft oscillate out of step.
fn generated_face() -> FaceCurves {
    let frames = 180;
    let mut face = FaceCurves::zeros_arkit(FrameRate::FPS_60, frames);
    for f in 0..frames {
        let t = f as f32 / 60.0;
        face.blendshapes[idx("jawOpen")].values[f] = f as f32 / (frames - 1) as f32;
        face.blendshapes[idx("mouthSmileRight")].values[f] = 0.5 + 0.4 * (t * 3.0).cos();
        face.blendshapes[idx("eyeBlinkLeft")].values[f] = 0.5 + 0.5 * (t * 7.0).sin();
    }
    face.check().expect("consistent curves");
    face
}

/// An app with the face take open at face frame 90 and a character `glb` whose one mesh has the
/// targets `JawOpen`, `Wrinkles`, `head_eyeBlink_L`; returns the app and the mesh entity.
fn stage(csv: &Path, glb: &Path) -> (App, Entity) {
    let mut app = app();
    app.add_plugins(bevy::asset::AssetPlugin::default())
        .init_asset::<Mesh>();
    let mut mesh = Mesh::new(
        bevy::mesh::PrimitiveTopology::TriangleList,
        bevy::asset::RenderAssetUsages::default(),
    );
    mesh.set_morph_target_names(vec![
        "JawOpen".into(),
        "Wrinkles".into(),
        "head_eyeBlink_L".into(),
    ]);
    let handle = app.world_mut().resource_mut::<Assets<Mesh>>().add(mesh);
    let character = app
        .world_mut()
        .spawn((
            CharacterModel {
                path: glb.to_path_buf(),
                actor: 0,
            },
            Transform::default(),
        ))
        .id();
    let node = app
        .world_mut()
        .spawn((
            MorphWeights::new(vec![0.0; 3], Some(handle)).expect("weights"),
            ChildOf(character),
        ))
        .id();
    send(&mut app, SessionCommand::Open(vec![csv.to_path_buf()]));
    assert!(
        mocap_studio::session::wait_until_opened(&mut app, 10_000),
        "the face CSV never opened"
    );
    send(&mut app, PlaybackCommand::Seek(90));
    app.update();
    app.update();
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    (app, node)
}

fn weights(app: &App, e: Entity) -> Vec<f32> {
    app.world()
        .get::<MorphWeights>(e)
        .expect("morph weights")
        .weights()
        .to_vec()
}

fn at(face: &FaceCurves, name: &str) -> f32 {
    face.curve(name).expect(name).values[90]
}

#[test]
fn a_reassigned_morph_target_drives_undoes_saves_and_reloads() {
    let face = generated_face();
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("actor_face.csv");
    mocap_formats::face::write_csv_path(&face, &csv).expect("write face CSV");
    let glb: PathBuf = dir.path().join("Head.glb");
    let (mut app, node) = stage(&csv, &glb);

    // Bound by name: JawOpen and the prefixed blink driven, Wrinkles still.
    {
        let maps = app.world().resource::<CharacterFaceMaps>();
        let m = &maps.maps[&glb];
        assert_eq!(m.targets, ["JawOpen", "Wrinkles", "head_eyeBlink_L"]);
        assert_eq!(m.detected, MorphPreset::Prefixed);
        assert_eq!(m.map.unmapped, ["Wrinkles"]);
        assert_eq!(m.map.unused_channels().len(), 50);
        assert!(!m.saved);
    }
    let w = weights(&app, node);
    assert!((w[0] - at(&face, "jawOpen")).abs() < 1e-4, "{w:?}");
    assert_eq!(w[1], 0.0);
    assert!((w[2] - at(&face, "eyeBlinkLeft")).abs() < 1e-4, "{w:?}");

    // Wrinkles follows the right smile.
    let smile = idx("mouthSmileRight");
    send(
        &mut app,
        EditCommand::SetMorph {
            character: glb.clone(),
            target: "Wrinkles".into(),
            terms: vec![(smile, 1.0)],
        },
    );
    app.update();
    let want = at(&face, "mouthSmileRight");
    assert!(want > 0.1);
    let w = weights(&app, node);
    assert!((w[1] - want).abs() < 1e-4, "{w:?} vs {want}");
    assert_eq!(
        app.world().resource::<CharacterFaceMaps>().maps[&glb].sources["Wrinkles"],
        MapSource::Edited
    );
    // The jaw target now follows the blink instead.
    send(
        &mut app,
        EditCommand::SetMorph {
            character: glb.clone(),
            target: "JawOpen".into(),
            terms: vec![(idx("eyeBlinkLeft"), 1.0)],
        },
    );
    app.update();
    let w = weights(&app, node);
    assert!((w[0] - at(&face, "eyeBlinkLeft")).abs() < 1e-4, "{w:?}");
    assert!((at(&face, "eyeBlinkLeft") - at(&face, "jawOpen")).abs() > 0.05);

    // Undo restores the jaw, then the still wrinkles; redo brings the smile back.
    send(&mut app, HistoryCommand::Undo);
    app.update();
    let w = weights(&app, node);
    assert!((w[0] - at(&face, "jawOpen")).abs() < 1e-4, "{w:?}");
    assert!((w[1] - want).abs() < 1e-4);
    send(&mut app, HistoryCommand::Undo);
    app.update();
    assert_eq!(weights(&app, node)[1], 0.0);
    assert_eq!(
        app.world().resource::<CharacterFaceMaps>().maps[&glb]
            .map
            .unmapped,
        ["Wrinkles"]
    );
    send(&mut app, HistoryCommand::Redo);
    app.update();
    assert!((weights(&app, node)[1] - want).abs() < 1e-4);
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));

    // Save: the file beside the character, in the format `export-glb --face-map` reads.
    send(&mut app, FaceMapCommand::Save(glb.clone()));
    app.update();
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    let file = sidecar_path(&glb);
    assert_eq!(file, dir.path().join("Head.facemap.json"));
    let saved = mocap_formats::face_map_file::read_face_map(&file).expect("reads back");
    assert_eq!(saved.terms_of("Wrinkles"), Some(&[(smile, 1.0)][..]));
    assert_eq!(
        saved.terms_of("JawOpen"),
        Some(&[(idx("jawOpen"), 1.0)][..])
    );
    assert!(app.world().resource::<CharacterFaceMaps>().maps[&glb].saved);

    // Opened again: the studio binds the character with the saved map.
    let (app2, node2) = stage(&csv, &glb);
    let m = &app2.world().resource::<CharacterFaceMaps>().maps[&glb];
    assert!(m.saved);
    assert_eq!(m.sources["Wrinkles"], MapSource::File);
    assert_eq!(m.map.terms_of("Wrinkles"), Some(&[(smile, 1.0)][..]));
    let w = weights(&app2, node2);
    assert!((w[1] - want).abs() < 1e-4, "{w:?}");
    assert!((w[0] - at(&face, "jawOpen")).abs() < 1e-4, "{w:?}");
}

#[test]
fn the_mannequins_face_has_an_editable_map_without_a_file() {
    let face = generated_face();
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("actor_face.csv");
    mocap_formats::face::write_csv_path(&face, &csv).expect("write face CSV");
    let mut app = app();
    let morphs = app
        .world_mut()
        .spawn((
            FaceMorphs::arkit(0),
            MorphWeights::new(vec![0.0; 52], None).expect("52 weights"),
        ))
        .id();
    send(&mut app, SessionCommand::Open(vec![csv]));
    app.update();
    send(&mut app, PlaybackCommand::Seek(90));
    app.update();
    let key = PathBuf::from(MANNEQUIN);
    {
        let m = &app.world().resource::<CharacterFaceMaps>().maps[&key];
        assert_eq!(m.targets.len(), 52);
        assert_eq!(m.map.bindings.len(), 52);
        assert!(m.map.unused_channels().is_empty());
        assert_eq!(m.targets[0], ARKIT_BLENDSHAPES[0]);
    }
    let jaw = idx("jawOpen");
    assert!((weights(&app, morphs)[jaw] - at(&face, "jawOpen")).abs() < 1e-4);
    send(
        &mut app,
        EditCommand::SetMorph {
            character: key.clone(),
            target: "jawOpen".into(),
            terms: vec![],
        },
    );
    app.update();
    assert_eq!(weights(&app, morphs)[jaw], 0.0);
    send(&mut app, HistoryCommand::Undo);
    app.update();
    assert!((weights(&app, morphs)[jaw] - at(&face, "jawOpen")).abs() < 1e-4);
    // No file to save beside: an error in the log, not a panic or a stray file.
    send(&mut app, FaceMapCommand::Save(key));
    app.update();
    assert!(
        errors(&app)
            .iter()
            .any(|e| e.contains("built-in mannequin has no file")),
        "{:?}",
        errors(&app)
    );
}
