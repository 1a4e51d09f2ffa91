"""OptiTrack's Python sample client (PyPI natnetsdk 4.1.1) receiving from a NatNet server over
unicast on 127.0.0.1. Writes one JSON object: the frames it decoded, each with its frame
number and labeled markers [id, x, y, z] exactly as natnetsdk unpacked them.

Usage: python natnetsdk_client.py COMMAND_PORT FRAMES TIMEOUT_S OUT.json
"""
import contextlib
import io
import json
import os
import sys
import time

from natnetsdk.NatNetClient import NatNetClient

port, wanted, timeout, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
frames = []
orig = NatNetClient._NatNetClient__unpack_mocap_data


def capture(self, data, packet_size, major, minor):
    offset, mocap = orig(self, data, packet_size, major, minor)
    frames.append(
        {
            "frame": mocap.prefix_data.frame_number,
            "version": [major, minor],
            "markers": [
                [m.id_num, m.pos[0], m.pos[1], m.pos[2]]
                for m in mocap.labeled_marker_data.labeled_marker_list
            ],
            "timecode": mocap.suffix_data.timecode,
        }
    )
    return offset, mocap


NatNetClient._NatNetClient__unpack_mocap_data = capture
client = NatNetClient()
client.set_client_address("127.0.0.1")
client.set_server_address("127.0.0.1")
client.set_use_multicast(False)
client.command_port = port
client.set_print_level(0)
# The sample prints every frame: silence it.
with contextlib.redirect_stdout(io.StringIO()):
    if not client.run():
        sys.exit("natnetsdk could not open its sockets")
    end = time.time() + timeout
    while len(frames) < wanted and time.time() < end:
        time.sleep(0.01)
    client.stop_threads = True
with open(out, "w") as f:
    json.dump({"app": client.get_application_name(), "frames": frames[:wanted]}, f)
# The sample's shutdown() joins a data thread blocked in recvfrom without a timeout: leave
# without it.
os._exit(0)
