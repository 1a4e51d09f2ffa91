//! Mutated or truncated ASF and AMC text never panics the readers, and what parses is usable.

use mocap_data::{LengthUnit, fk};
use mocap_formats::asf;
use proptest::prelude::*;

const ASF: &str = ":version 1.10
:name VICON
:units
  mass 1.0
  length 0.45
  angle deg
:documentation
   generated for a test
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name lhipjoint
     direction 0.588788 -0.725889 0.355548
     length 2.37778
     axis 0 0 0  XYZ
  end
  begin
     id 2
     name lfemur
     direction 0.34202 -0.939693 0
     length 6.86393
     axis 0 0 20  XYZ
    dof rx ry rz
    limits (-160.0 20.0)
           (-70.0 70.0)
           (-60.0 70.0)
  end
  begin
     id 3
     name lfoot
     direction 0.0626533 -0.172138 0.983078
     length 1.98929
     axis -90 7.62852e-016 20   XYZ
    dof rx rz
    limits (-45.0 90.0)
           (-70.0 20.0)
  end
:hierarchy
  begin
    root lhipjoint
    lhipjoint lfemur
    lfemur lfoot
  end
";

const AMC: &str = "#!OML:ASF test.asf
:FULLY-SPECIFIED
:DEGREES
1
root -0.488549 16.4193 -45.0577 18.1425 -0.289334 0.359042
lfemur -49.7927 3.74033 -22.8878
lfoot -9.54342 8.07021
2
lfoot -9.5 8.0
root -0.482834 16.4196 -44.8452 18.2005 -0.772568 0.0832847
lhipjoint
lfemur -49.7 3.7 -22.8
";

fn mutate(text: &str, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    for &(pos, byte, op) in edits {
        if b.is_empty() {
            break;
        }
        let p = pos % b.len();
        match op {
            0 => b[p] = byte,
            1 => b.insert(p, byte),
            2 => {
                b.remove(p);
            }
            _ => b.truncate(p),
        }
    }
    b
}

#[test]
fn originals_parse() {
    let a = asf::parse_asf(ASF).expect("asf");
    let m = asf::parse_amc(AMC, &a).expect("amc");
    assert_eq!(m.frame_count(), 2);
    assert_eq!(m.channels_per_frame, 6 + 3 + 2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn mutated_asf_never_panics(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 1..6)) {
        let b = mutate(ASF, &edits);
        if let Ok(a) = asf::parse_asf(&String::from_utf8_lossy(&b)) {
            // Whatever parses converts to a valid skeleton and runs through FK.
            let sk = a.to_skeleton(LengthUnit::Centimetre);
            prop_assert!(sk.validate().is_ok());
            if let Ok(m) = asf::parse_amc(AMC, &a) {
                let mut out = Vec::new();
                fk::world_positions(&sk, &m, &mut out);
                prop_assert_eq!(out.len(), m.frame_count() * sk.joints.len());
                let _ = asf::amc_to_bvh(&a, &m, LengthUnit::Centimetre);
            }
        }
    }

    #[test]
    fn mutated_amc_never_panics(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 1..6)) {
        let a = asf::parse_asf(ASF).expect("asf");
        let b = mutate(AMC, &edits);
        if let Ok(m) = asf::parse_amc(&String::from_utf8_lossy(&b), &a) {
            prop_assert_eq!(m.values.len(), m.frame_count() * m.channels_per_frame);
        }
    }
}
