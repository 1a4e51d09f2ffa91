"""Reads C3D files with a peer reader and dumps what it reads, for c3d_peer_roundtrip.rs.

usage: c3d_dump.py PEER OUT_DIR ORIGINAL COPY [ORIGINAL COPY ...]

PEER is `ezc3d` or `c3d` (py-c3d). For each pair, the peer first reads ORIGINAL (only to know
whether it reads the file at all), then COPY. Per pair index i it writes OUT_DIR/i.json
({"original": "ok"|error, "copy": "ok"|error, "rate", "labels", "frames", "points", "channels",
"samples"}) and, when the copy was read, OUT_DIR/i.pts (little-endian f32, frames × points × 3,
NaN for a sample the peer marks invalid), OUT_DIR/i.res (little-endian f32, frames × points × 2:
residual in the file unit and camera mask as an integer, as the peer decodes the fourth word)
and OUT_DIR/i.ana (little-endian f64, samples × channels, calibrated as the peer calibrates).
"""
import json
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def read_ezc3d(path):
    import ezc3d
    c = ezc3d.c3d(path, extract_forceplat_data=False)
    p = c["data"]["points"]  # 4 × points × frames, NaN for gaps
    pts = np.transpose(p[:3], (2, 1, 0)).astype(np.float32)
    a = c["data"]["analogs"]  # 1 × channels × samples
    ana = np.transpose(a[0], (1, 0)).astype(np.float64) if a.size else np.zeros((0, 0))
    meta = c["data"]["meta_points"]
    cams = meta["camera_masks"]  # 7 × points × frames, booleans
    mask = sum(cams[k].astype(np.int64) << k for k in range(cams.shape[0])) if cams.size else 0
    res = np.stack([np.transpose(meta["residuals"][0], (1, 0)),
                    np.transpose(mask * np.ones_like(meta["residuals"][0]), (1, 0))], axis=-1)
    params = c["parameters"]
    labels = list(params["POINT"]["LABELS"]["value"]) if "LABELS" in params["POINT"] else []
    for k in range(2, 10):
        key = "LABELS%d" % k
        if key in params["POINT"]:
            labels += list(params["POINT"][key]["value"])
    rate = float(params["POINT"]["RATE"]["value"][0])
    return rate, labels[: pts.shape[1]], pts, ana, res


def read_py_c3d(path):
    import c3d
    with open(path, "rb") as h:
        r = c3d.Reader(h)
        frames, analog, res = [], [], []
        for _, points, an in r.read_frames():
            res.append(points[:, 3:5].astype(np.float32).copy())
            xyz = points[:, :3].astype(np.float32).copy()
            xyz[points[:, 3] < 0] = np.nan
            frames.append(xyz)
            if an is not None and np.size(an):
                analog.append(np.asarray(an, dtype=np.float64).T)
        n = r.point_used
        pts = np.stack(frames) if frames else np.zeros((0, n, 3), np.float32)
        ana = np.concatenate(analog) if analog else np.zeros((0, 0))
        labels = [s.strip() for s in r.point_labels][:n]
        res = np.stack(res) if res else np.zeros((0, n, 2), np.float32)
        return float(r.point_rate), labels, pts, ana, res


def main():
    peer, out = sys.argv[1], sys.argv[2]
    read = {"ezc3d": read_ezc3d, "c3d": read_py_c3d}[peer]
    files = sys.argv[3:]
    for i in range(0, len(files), 2):
        rec = {}
        try:
            read(files[i])
            rec["original"] = "ok"
        except Exception as e:  # the peer cannot read the original: nothing to compare
            rec["original"] = "%s: %s" % (type(e).__name__, e)
        try:
            rate, labels, pts, ana, res = read(files[i + 1])
            rec.update(copy="ok", rate=rate, labels=[str(s).strip() for s in labels],
                       frames=pts.shape[0], points=pts.shape[1],
                       samples=ana.shape[0], channels=ana.shape[1] if ana.ndim == 2 else 0)
            np.ascontiguousarray(pts, dtype="<f4").tofile("%s/%d.pts" % (out, i // 2))
            np.ascontiguousarray(ana, dtype="<f8").tofile("%s/%d.ana" % (out, i // 2))
            np.ascontiguousarray(res, dtype="<f4").tofile("%s/%d.res" % (out, i // 2))
        except Exception as e:
            rec["copy"] = "%s: %s" % (type(e).__name__, e)
        with open("%s/%d.json" % (out, i // 2), "w") as f:
            json.dump(rec, f)


main()
