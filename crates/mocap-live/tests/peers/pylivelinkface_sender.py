"""Sends Live Link Face packets encoded by PyPI `pylivelinkface` 0.1 to 127.0.0.1:PORT.

Usage: python -c "$(cat this)" PORT OFFSETS

pylivelinkface stamps each packet with the wall clock's timecode at whole-second resolution
(its frame number only changes once a second), so the clock it reads is replaced by one that
stands at 10:00:00 + k seconds for packet offset k, at fps=1: frame number 36001 + k (the
`timecode` package counts frames from 1). Weights: ((7k + i) % 64) / 64; rotations:
-(k + i - 51) / 16 (exact in binary and in 6 decimals). Between the recorded subject's packets
it sends another phone's packets, one of its packets cut short, and noise.
"""
import datetime as _real
import socket
import sys

import pylivelinkface.pylivelinkface as llf_module
from pylivelinkface import FaceBlendShape, PyLiveLinkFace


class _Clock:
    now_value = _real.datetime(2026, 1, 1, 10, 0, 0)

    @classmethod
    def now(cls):
        return cls.now_value


class _FakeDatetimeModule:
    datetime = _Clock


llf_module.datetime = _FakeDatetimeModule

port = int(sys.argv[1])
offsets = [int(k) for k in sys.argv[2].split(",")]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
face = PyLiveLinkFace(name="PeerFace", uuid="$11111111-2222-3333-4444-555555555555", fps=1)
other = PyLiveLinkFace(name="OtherPhone", uuid="$99999999-8888-7777-6666-555555555555", fps=1)
sent = 0
for j, k in enumerate(offsets):
    _Clock.now_value = _real.datetime(2026, 1, 1, 10, 0, 0) + _real.timedelta(seconds=k)
    for i in range(61):
        v = ((7 * k + i) % 64) / 64.0 if i < 52 else -(k + i - 51) / 16.0
        face.set_blendshape(FaceBlendShape(i), v, no_filter=True)
        other.set_blendshape(FaceBlendShape(i), 0.5, no_filter=True)
    packet = face.encode()
    sock.sendto(packet, ("127.0.0.1", port))
    sock.sendto(other.encode(), ("127.0.0.1", port))
    sent += 2
    if j == 1:
        sock.sendto(packet[:-5], ("127.0.0.1", port))
        sock.sendto(b"\x06\x00\x00\x00not a face", ("127.0.0.1", port))
        sent += 2
print(sent)
