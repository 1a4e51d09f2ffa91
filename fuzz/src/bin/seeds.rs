//! Writes the starting inputs of every fuzz target into `OUT/<target>/`: small files made by our
//! own writers (so they exercise the readers' whole path), plus a few hand-written text files.
//! Not a fuzz target; `.ci/fuzz.sh` runs it before fuzzing.
//!
//! Usage: `seeds OUT`
use mocap_data::{
    AnalogData, Channel, DVec3, FrameRate, Joint, LengthUnit, MarkerSample, MarkerTrajectories,
    Motion, RotationOrder, Skeleton, UpAxis,
};
use mocap_formats::c3d::{self, C3dFile, Processor, Storage, WriteOptions};
use mocap_formats::{bvh, trc};
use std::path::Path;
use subtitles::{Cue, Format, Track};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: seeds OUT (the folder to write OUT/<target>/ seed files into)")?;
    let out = Path::new(&out);
    let put = |target: &str, name: &str, bytes: &[u8]| -> std::io::Result<()> {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes)
    };

    // C3D: a small take with gaps and analog, in every number format and storage.
    let take = markers();
    let mut file = C3dFile::from_trajectories(take.clone());
    file.analog = AnalogData {
        labels: vec!["FX".into()],
        units: vec!["N".into()],
        rate_hz: 60.0,
        values: (0..8).map(|i| i as f32 * 1.5).collect(),
    };
    for processor in [Processor::Intel, Processor::Dec, Processor::Mips] {
        for storage in [Storage::Float, Storage::Integer { scale: 0.1 }] {
            let mut b = Vec::new();
            c3d::write_with(&file, &mut b, WriteOptions { processor, storage })?;
            let float = matches!(storage, Storage::Float);
            put("c3d", &format!("{processor:?}-float{float}.c3d"), &b)?;
        }
    }

    // BVH (and the GLB round trip, which reads a BVH first).
    let (sk, motion) = skeleton_and_motion();
    let mut b = Vec::new();
    bvh::write(&sk, &motion, &mut b)?;
    put("bvh", "small.bvh", &b)?;
    put("glb_roundtrip", "small.bvh", &b)?;

    // TRC.
    let mut b = Vec::new();
    trc::write(&take, &mut b)?;
    put("trc", "small.trc", &b)?;

    // ASF, NUL, AMC.
    put(
        "asf_amc",
        "small.asf_amc",
        format!("{ASF}\0{AMC}").as_bytes(),
    )?;

    // Subtitles: the first byte picks the reader (0 SRT, 1 WebVTT, 2 ASS, 3 SSA, 4 TTML, 5 sniff).
    let mut track = Track::new(Format::Srt);
    for (i, text) in ["Hello, <i>world</i>.", "Two\nlines — ünïcode 字幕", "مرحبا"]
        .iter()
        .enumerate()
    {
        let s = 500 + i as i64 * 2000;
        track
            .cues
            .push(Cue::new((i + 1).to_string(), s, s + 1500, *text));
    }
    for (pick, f, ext) in [
        (0u8, Format::Srt, "srt"),
        (1, Format::WebVtt, "vtt"),
        (2, Format::Ass, "ass"),
        (4, Format::Ttml, "ttml"),
    ] {
        let mut b = vec![pick];
        b.extend_from_slice(subtitles::write_text(&track, f).as_bytes());
        put("subtitles", &format!("small.{ext}"), &b)?;
    }

    // WAV: a short 16-bit file and a hand-made 2-channel float one.
    let audio = subtitles::vad::Audio {
        sample_rate: 8000,
        samples: (0..64).map(|i| ((i as f32) * 0.3).sin() * 0.8).collect(),
    };
    put(
        "wav",
        "mono16.wav",
        &subtitles::vad::write_wav_bytes(&audio)?,
    )?;
    put("wav", "stereo_float.wav", &float_wav())?;

    // EDL: the first byte is the nominal rate.
    let mut b = vec![30u8];
    b.extend_from_slice(EDL.as_bytes());
    put("edl", "small.edl", &b)?;
    let mut b = vec![30u8];
    b.extend_from_slice(b"01:00:00:00\n01:00:02;10\n");
    put("edl", "list.txt", &b)?;

    // Face takes (Live Link Face CSV) and Live Link Face UDP packets (issue 18).
    put(
        "face",
        "llf.csv",
        b"Timecode,BlendShapeCount,EyeBlinkLeft,JawOpen,HeadYaw\n\
          01:00:00:00.000,61,0.1,0.5,0.01\n01:00:00:01.000,61,0.9,0.2,-0.02\n",
    )?;
    let mut values = [0.0f32; mocap_formats::livelink::VALUE_COUNT];
    values[17] = 0.5;
    let packet = mocap_formats::livelink::LiveLinkPacket::new(
        "$0123456789abcdef0123456789abcdef0123",
        "iPhone",
        Some(mocap_formats::livelink::FaceFrame {
            frame_number: 216_000,
            subframe: 0.0,
            rate_num: 60,
            rate_den: 1,
            values,
        }),
    );
    put("livelink", "frame.bin", &packet.encode())?;
    live_link_seeds(&put)?;
    natnet_seeds(&put)?;
    vmc_seeds(&put)?;
    Ok(())
}

type Put<'a> = dyn Fn(&str, &str, &[u8]) -> std::io::Result<()> + 'a;

/// More Live Link Face packets: a subject announcement (no frame), NTSC rate with a subframe and
/// out-of-range/NaN values, a long non-ASCII subject.
fn live_link_seeds(put: &Put<'_>) -> Result<(), Box<dyn std::error::Error>> {
    use mocap_formats::livelink::{FaceFrame, LiveLinkPacket, VALUE_COUNT};
    put(
        "livelink",
        "announce.bin",
        &LiveLinkPacket::new("$announce", "iPhone", None).encode(),
    )?;
    let mut values = [0.0f32; VALUE_COUNT];
    for (i, v) in values.iter_mut().enumerate() {
        *v = (i as f32 * 0.37).sin() * 1.2;
    }
    values[3] = f32::NAN;
    values[55] = f32::INFINITY;
    let frame = FaceFrame {
        frame_number: -1,
        subframe: 0.5,
        rate_num: 30_000,
        rate_den: 1001,
        values,
    };
    put(
        "livelink",
        "ntsc.bin",
        &LiveLinkPacket::new("$ntsc", "Gesicht — 顔", Some(frame)).encode(),
    )?;
    Ok(())
}

/// NatNet datagrams from the `natnet` codec and our message helpers: frames (marker sets,
/// unlabeled markers, rigid bodies, skeletons, labeled markers, timecode) in the 3.0, 3.1, 4.0
/// and 4.1 layouts, a model definition, server info, connect, request, keep-alive.
fn natnet_seeds(put: &Put<'_>) -> Result<(), Box<dyn std::error::Error>> {
    use mocap_live::natnet::{self as nn, ConnectForm, Version};
    let body = |id: i32, x: f32| nn::RigidBody {
        id,
        position: [x, 1.2, -0.3],
        orientation: [0.0, 0.0, 0.0, 1.0],
        mean_marker_error: 0.0004,
        params: 1,
    };
    let skeletons = nn::RawSection::from_skeletons(&[nn::Skeleton {
        id: 1,
        rigid_bodies: vec![body(65_537, 0.1), body(65_538, 0.2)],
    }])?;
    let empty = || nn::RawSection {
        count: 0,
        payload: Vec::new(),
    };
    let tc = mocap_data::Timecode::parse("10:00:00:12", 120).ok();
    let frame = nn::FrameOfData {
        frame_number: 4242,
        marker_sets: vec![nn::MarkerSet {
            name: "Wand".into(),
            markers: vec![[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]],
        }],
        other_markers: vec![[1.0, 2.0, 3.0]],
        rigid_bodies: vec![body(1, 0.5)],
        skeletons,
        assets: empty(),
        labeled_markers: vec![nn::LabeledMarker {
            id: nn::marker_id(1, 2),
            position: [0.1, 0.2, 0.3],
            size: 0.014,
            params: 0,
            residual: 0.0002,
        }],
        force_plates: empty(),
        devices: empty(),
        timing: nn::FrameTiming {
            timecode: tc.as_ref().and_then(nn::pack_timecode).unwrap_or(0),
            timecode_subframe: 0,
            timestamp: 35.35,
            camera_mid_exposure: 1_000_000,
            camera_data_received: 1_000_100,
            transmit: 1_000_200,
            precision_timestamp_secs: 0,
            precision_timestamp_fractional_secs: 0,
        },
        params: 0,
    };
    let versions = [
        Version::new(3, 0, 0, 0),
        Version::new(3, 1, 0, 0),
        Version::new(4, 0, 0, 0),
        Version::V4_1,
    ];
    for v in versions {
        put("natnet", &format!("frame-{v}.bin"), &frame.to_datagram(v)?)?;
    }
    let model = nn::model_def(vec![nn::MarkerSetDef {
        name: "Wand".into(),
        marker_names: vec!["A".into(), "B".into()],
    }]);
    put("natnet", "modeldef.bin", &model.to_datagram(Version::V4_1)?)?;
    let info = nn::ServerInfo {
        application_name: "Mocap Studio".into(),
        server_version: Version::new(0, 1, 0, 0),
        protocol_version: Version::V4_1,
        high_res_clock_frequency: 10_000_000,
        connection: nn::ConnectionInfo {
            data_port: 1511,
            multicast: true,
            multicast_group: [239, 255, 42, 99],
        },
    };
    put("natnet", "serverinfo.bin", &info.to_datagram_lossy())?;
    put(
        "natnet",
        "connect.bin",
        &nn::connect_datagram(ConnectForm::Sdk, Version::V4_1),
    )?;
    put("natnet", "request.bin", &nn::request_datagram("FrameRate"))?;
    put(
        "natnet",
        "keepalive.bin",
        &nn::empty_datagram(nn::NAT_KEEPALIVE),
    )?;
    Ok(())
}

/// VMC datagrams (datagrams joined by the target's `|VMC` separator): one bundle as our
/// `VmcSender` frames it (root, bones, blendshapes staged and applied), and the same messages
/// sent bare, as senders without bundles do.
fn vmc_seeds(put: &Put<'_>) -> Result<(), Box<dyn std::error::Error>> {
    use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType};
    let msg = |addr: &str, args: Vec<OscType>| {
        OscPacket::Message(OscMessage {
            addr: addr.into(),
            args,
        })
    };
    let pose = |name: &str, y: f32| {
        let mut a = vec![OscType::String(name.into())];
        a.extend([0.0, y, 0.0, 0.0, 0.0, 0.0, 1.0].map(OscType::Float));
        a
    };
    let content = vec![
        msg("/VMC/Ext/OK", vec![OscType::Int(1)]),
        msg("/VMC/Ext/T", vec![OscType::Float(12.5)]),
        msg("/VMC/Ext/Root/Pos", pose("root", 0.0)),
        msg("/VMC/Ext/Bone/Pos", pose("Hips", 0.95)),
        msg("/VMC/Ext/Bone/Pos", pose("Spine", 0.1)),
        msg("/VMC/Ext/Bone/Pos", pose("LeftHand", 0.25)),
        msg(
            "/VMC/Ext/Blend/Val",
            vec![OscType::String("A".into()), OscType::Float(0.7)],
        ),
        msg(
            "/VMC/Ext/Blend/Val",
            vec![OscType::String("Blink_L".into()), OscType::Double(0.2)],
        ),
        msg("/VMC/Ext/Blend/Apply", vec![]),
    ];
    let bundle = OscPacket::Bundle(OscBundle {
        timetag: OscTime::from((1, 0)),
        content: content.clone(),
    });
    put("vmc_in", "bundle.osc", &rosc::encoder::encode(&bundle)?)?;
    let mut bare = Vec::new();
    for (i, m) in content.iter().chain(&content[..2]).enumerate() {
        if i > 0 {
            bare.extend_from_slice(b"|VMC");
        }
        bare.extend(rosc::encoder::encode(m)?);
    }
    put("vmc_in", "bare.osc", &bare)?;
    Ok(())
}

fn markers() -> MarkerTrajectories {
    MarkerTrajectories::from_fn(
        vec!["LFHD".into(), "RFHD".into()],
        4,
        FrameRate::FPS_30,
        LengthUnit::Millimetre,
        UpAxis::Z,
        |f, m| {
            if f == 2 && m == 1 {
                MarkerSample::GAP
            } else {
                MarkerSample {
                    position: [f as f32 * 10.0, m as f32 * 100.0, 1500.0],
                    residual: 0.5,
                    camera_mask: 3,
                    valid: true,
                }
            }
        },
    )
    .expect("consistent sizes")
}

fn skeleton_and_motion() -> (Skeleton, Motion) {
    let mut root = Joint::new("Hips", None, DVec3::new(0.0, 90.0, 0.0));
    root.channels = vec![
        Channel::Xposition,
        Channel::Yposition,
        Channel::Zposition,
        Channel::Zrotation,
        Channel::Yrotation,
        Channel::Xrotation,
    ];
    root.rotation_order = RotationOrder::Zyx;
    let mut spine = Joint::new("Spine", Some(0), DVec3::new(0.0, 10.0, 0.0));
    spine.channels = Channel::ROTATION_ZXY.to_vec();
    spine.end_site = Some(DVec3::new(0.0, 12.0, 0.0));
    let sk = Skeleton {
        joints: vec![root, spine],
        unit: LengthUnit::Centimetre,
        up_axis: UpAxis::Y,
    };
    let mut m = Motion::zeros(&sk, 3, FrameRate::FPS_30).expect("valid skeleton");
    for (i, v) in m.values.iter_mut().enumerate() {
        *v = (i as f32 * 0.7).sin() * 30.0;
    }
    (sk, m)
}

/// A 2-channel, 32-bit float WAV with 4 frames, written by hand.
fn float_wav() -> Vec<u8> {
    let samples: [f32; 8] = [0.0, 0.5, -0.5, 1.0, 0.25, -1.0, 0.125, 0.0];
    let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    b.extend_from_slice(&2u16.to_le_bytes()); // channels
    b.extend_from_slice(&8000u32.to_le_bytes());
    b.extend_from_slice(&(8000u32 * 8).to_le_bytes()); // byte rate
    b.extend_from_slice(&8u16.to_le_bytes()); // block align
    b.extend_from_slice(&32u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&data);
    b
}

const EDL: &str = "TITLE: SC012 EDIT\r\nFCM: NON-DROP FRAME\r\n\r\n\
001  AX       V     C        01:00:00:00 01:00:04:00 10:00:00:00 10:00:04:00\r\n\
* FROM CLIP NAME: A001_C003\r\n\
002  AX       V     C        02:10:00:12 02:10:03:00 10:00:04:00 10:00:06:12\r\n";

const ASF: &str = ":version 1.10
:name VICON
:units
  mass 1.0
  length 0.45
  angle deg
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
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
     id 2
     name lfoot
     direction 0.0626533 -0.172138 0.983078
     length 1.98929
     axis -90 0 20   XYZ
    dof rx rz
    limits (-45.0 90.0)
           (-70.0 20.0)
  end
:hierarchy
  begin
    root lfemur
    lfemur lfoot
  end
";

const AMC: &str = "#!OML:ASF test.asf
:FULLY-SPECIFIED
:DEGREES
1
root -0.48 16.41 -45.05 18.14 -0.28 0.35
lfemur -49.79 3.74 -22.88
lfoot -9.54 8.07
2
root -0.48 16.41 -44.84 18.20 -0.77 0.08
lfemur -49.7 3.7 -22.8
lfoot -9.5 8.0
";
