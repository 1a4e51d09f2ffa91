//! Any bytes read as a BVH give a skeleton and a motion; the GLB writer (with a small mesh skinned
//! to every joint) returns Ok or an InvalidData error, never panics, and what it writes reads back
//! with the `gltf` crate: one node per joint (plus the mesh node) with the joints' names, one key
//! per frame at `frame × frame_time`, and the world position of every joint at the first and last
//! key equal to our forward kinematics of the source (metres, +Y up).
use glam::{DMat4, DQuat, DVec3};
use mocap_data::{LengthUnit, Motion, Skeleton, fk};
use mocap_formats::glb::{self, SkinnedMesh};

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Ok(file) = mocap_formats::bvh::parse(data) else {
            return;
        };
        let (sk, motion) = (&file.skeleton, &file.motion);
        let mesh = mesh(sk);
        let Ok(bytes) = glb::to_vec(sk, motion, &mesh, "Take") else {
            return;
        };
        check(sk, motion, !mesh.positions.is_empty(), &bytes);
    });
}

/// Three vertices per joint at its rest position, weighted to it and its parent.
fn mesh(sk: &Skeleton) -> SkinnedMesh {
    let mut m = SkinnedMesh {
        base_color: [0.3, 0.32, 0.35, 1.0],
        ..Default::default()
    };
    if sk.validate().is_err() || sk.joints.len() > usize::from(u16::MAX) {
        return m;
    }
    let rest = fk::pose(sk, &vec![0.0; sk.channel_count()]);
    for (j, t) in rest.iter().enumerate() {
        let base = m.positions.len() as u32;
        let p = sk.joints[j].parent.unwrap_or(j) as u16;
        for d in [DVec3::X, DVec3::Y, DVec3::Z] {
            m.positions.push((t.translation + d).as_vec3().to_array());
            m.normals.push(d.as_vec3().to_array());
            m.joints.push([j as u16, p, 0, 0]);
            m.weights.push([0.7, 0.3, 0.0, 0.0]);
        }
        m.indices.extend([base, base + 1, base + 2]);
    }
    m
}

fn check(sk: &Skeleton, motion: &Motion, with_mesh: bool, bytes: &[u8]) {
    let g = gltf::Gltf::from_slice(bytes).expect("the GLB we wrote parses");
    let nodes: Vec<_> = g.nodes().collect();
    assert_eq!(nodes.len(), sk.joints.len() + usize::from(with_mesh));
    for (j, joint) in sk.joints.iter().enumerate() {
        assert_eq!(nodes[j].name(), Some(joint.name.as_str()));
    }
    let frames = motion.frame_count();
    let Some(anim) = g.animations().next() else {
        return;
    };
    let blob = g.blob.as_deref().expect("BIN chunk");
    let Some(ch) = anim.channels().next() else {
        return;
    };
    let times: Vec<f32> = ch
        .reader(|_| Some(blob))
        .read_inputs()
        .expect("key times")
        .collect();
    assert_eq!(times.len(), frames);
    if frames == 0 {
        return;
    }
    for (k, t) in times.iter().enumerate() {
        let want = (k as f64 * motion.frame_time_s) as f32;
        assert!(
            (t - want).abs() <= want.abs() * 1e-6,
            "key {k}: {t} vs {want}"
        );
    }
    let scale = sk.unit.factor_to(LengthUnit::Metre);
    let up = glb::to_y_up(sk.up_axis);
    for k in [0, frames - 1] {
        let world = world_at_key(&g, blob, k);
        let src = fk::pose(sk, motion.frame(k));
        // f32 storage: the error grows with the lengths along the chain.
        let reach: f64 = src.iter().map(|t| t.translation.length() * scale).sum();
        let tol = 1e-4 * (1.0 + reach);
        for (j, t) in src.iter().enumerate() {
            let want = up * (t.translation * scale);
            let got = world[j].w_axis.truncate();
            assert!(
                (got - want).length() <= tol,
                "key {k}, joint {j}: {got} vs {want} (tolerance {tol})"
            );
        }
    }
}

/// World transform of every node at key `k`, from the nodes' rest TRS and the samplers.
fn world_at_key(g: &gltf::Gltf, blob: &[u8], k: usize) -> Vec<DMat4> {
    let nodes: Vec<_> = g.nodes().collect();
    let mut local: Vec<(DVec3, DQuat)> = nodes
        .iter()
        .map(|n| {
            let (t, r, _) = n.transform().decomposed();
            (
                DVec3::from(t.map(f64::from)),
                DQuat::from_array(r.map(f64::from)),
            )
        })
        .collect();
    let anim = g.animations().next().expect("one animation");
    for ch in anim.channels() {
        let node = ch.target().node().index();
        let reader = ch.reader(|_| Some(blob));
        match reader.read_outputs().expect("outputs") {
            gltf::animation::util::ReadOutputs::Rotations(r) => {
                let q = r.into_f32().nth(k).expect("rotation key");
                local[node].1 = DQuat::from_array(q.map(f64::from));
            }
            gltf::animation::util::ReadOutputs::Translations(t) => {
                let v = t.into_iter().nth(k).expect("translation key");
                local[node].0 = DVec3::from(v.map(f64::from));
            }
            _ => panic!("unexpected channel"),
        }
    }
    let mut parent = vec![None; nodes.len()];
    for n in &nodes {
        for c in n.children() {
            parent[c.index()] = Some(n.index());
        }
    }
    let mut world = vec![DMat4::IDENTITY; nodes.len()];
    // Joints are written parents first.
    for i in 0..nodes.len() {
        let l = DMat4::from_rotation_translation(local[i].1, local[i].0);
        world[i] = match parent[i] {
            Some(p) => world[p] * l,
            None => l,
        };
    }
    world
}
