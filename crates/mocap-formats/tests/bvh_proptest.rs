//! Property tests: random skeleton + motion → write → read is lossless; the streaming reader
//! agrees with the in-memory parser; mutated or truncated files never panic.

use mocap_data::{
    Channel, DVec3, FrameRate, Joint, LengthUnit, Motion, RotationOrder, Skeleton, UpAxis,
};
use mocap_formats::bvh;
use proptest::prelude::*;

/// The order the reader infers: rotation axes in channel order, then the missing axes
/// ascending; no rotation channels → the default.
fn inferred_order(ch: &[Channel]) -> RotationOrder {
    let mut axes: Vec<usize> = ch
        .iter()
        .filter(|c| c.is_rotation())
        .map(|c| c.axis())
        .collect();
    if axes.is_empty() {
        return RotationOrder::default();
    }
    for a in 0..3 {
        if !axes.contains(&a) {
            axes.push(a);
        }
    }
    RotationOrder::from_axes([axes[0], axes[1], axes[2]]).expect("permutation")
}

#[derive(Debug, Clone)]
struct JointSpec {
    depth_pick: usize,
    name: String,
    offset: [f64; 3],
    channels: Vec<Channel>,
    end_site: Option<[f64; 3]>,
}

fn channel_list() -> impl Strategy<Value = Vec<Channel>> {
    let all = vec![
        Channel::Xposition,
        Channel::Yposition,
        Channel::Zposition,
        Channel::Xrotation,
        Channel::Yrotation,
        Channel::Zrotation,
    ];
    (proptest::sample::subsequence(all, 0..=6), any::<u64>()).prop_map(|(mut v, seed)| {
        // Shuffle deterministically from the seed.
        let mut s = seed | 1;
        for i in (1..v.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            v.swap(i, (s % (i as u64 + 1)) as usize);
        }
        v
    })
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1.0e4f64..1.0e4,
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        Just(-0.0),
    ]
}

fn joint_spec() -> impl Strategy<Value = JointSpec> {
    (
        any::<usize>(),
        "[A-Za-z_][A-Za-z0-9_:]{0,10}",
        [finite_f64(), finite_f64(), finite_f64()],
        channel_list(),
        proptest::option::of([finite_f64(), finite_f64(), finite_f64()]),
    )
        .prop_map(|(depth_pick, name, offset, channels, end_site)| JointSpec {
            depth_pick,
            name,
            offset,
            channels,
            end_site,
        })
}

/// A skeleton in depth-first order (as a BVH file lists joints), possibly several roots.
fn skeleton() -> impl Strategy<Value = Skeleton> {
    proptest::collection::vec(joint_spec(), 1..12).prop_map(|specs| {
        let mut joints: Vec<Joint> = Vec::new();
        let mut path: Vec<usize> = Vec::new();
        for (i, s) in specs.into_iter().enumerate() {
            let depth = if i == 0 {
                0
            } else {
                s.depth_pick % (path.len() + 1)
            };
            path.truncate(depth);
            let parent = path.last().copied();
            let mut j = Joint::new(
                format!("{}_{i}", s.name),
                parent,
                DVec3::from_array(s.offset),
            );
            j.rotation_order = inferred_order(&s.channels);
            j.channels = s.channels;
            j.end_site = s.end_site.map(DVec3::from_array);
            joints.push(j);
            path.push(i);
        }
        Skeleton {
            joints,
            unit: LengthUnit::Centimetre,
            up_axis: UpAxis::Y,
        }
    })
}

fn case() -> impl Strategy<Value = (Skeleton, Motion)> {
    (skeleton(), 0usize..8, any::<u64>(), 0usize..4).prop_map(|(sk, frames, seed, r)| {
        let rate = [
            FrameRate::FPS_120,
            FrameRate::FPS_29_97,
            FrameRate::FPS_30,
            FrameRate::FPS_23_976,
        ][r];
        let mut m = Motion::zeros(&sk, frames, rate).expect("motion");
        let mut s = seed | 1;
        for v in &mut m.values {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let bits = (s as u32) & 0xFF7F_FFFF; // clears the top exponent bit: always finite
            *v = f32::from_bits(bits);
        }
        (sk, m)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn write_read_is_lossless((sk, m) in case()) {
        let mut bytes = Vec::new();
        bvh::write(&sk, &m, &mut bytes).expect("write");
        let back = bvh::parse(&bytes).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&bytes)));
        prop_assert_eq!(&back.skeleton, &sk);
        prop_assert_eq!(back.motion.rate, m.rate);
        prop_assert_eq!(back.motion.channels_per_frame, m.channels_per_frame);
        let a: Vec<u32> = back.motion.values.iter().map(|v| v.to_bits()).collect();
        let b: Vec<u32> = m.values.iter().map(|v| v.to_bits()).collect();
        prop_assert_eq!(a, b);
        // Streaming reader gives the same.
        let streamed = bvh::read(&bytes[..], std::path::Path::new("<memory>")).expect("read");
        prop_assert_eq!(streamed, back);
    }

    #[test]
    fn mutated_files_never_panic((sk, m) in case(), edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 1..6)) {
        let mut bytes = Vec::new();
        bvh::write(&sk, &m, &mut bytes).expect("write");
        for (pos, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let p = pos % bytes.len();
            match op {
                0 => bytes[p] = byte,
                1 => bytes.insert(p, byte),
                2 => { bytes.remove(p); }
                _ => bytes.truncate(p),
            }
        }
        let a = bvh::parse(&bytes);
        let b = bvh::read(&bytes[..], std::path::Path::new("<memory>"));
        // Both readers agree on success, and on the error message when failing.
        match (a, b) {
            (Ok(x), Ok(y)) => prop_assert_eq!(x, y),
            (Err(x), Err(y)) => prop_assert_eq!(x.to_string(), y.to_string()),
            (x, y) => prop_assert!(false, "parse {:?} vs read {:?}", x.is_ok(), y.is_ok()),
        }
    }
}
