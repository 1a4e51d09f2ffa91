"""python-osc 1.10.2 as a VMC receiver: collects /VMC/Ext/Bone/Pos per bundle (keyed by the
bundle's /VMC/Ext/T time) and writes them as JSON.

Usage: python python_osc_vmc.py PORT BUNDLES TIMEOUT_S OUT.json
"""
import json
import sys
import time

from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer

port, wanted, timeout, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
frames = []
ok = []


def on_time(_addr, t):
    frames.append({"t": t, "bones": {}})


def on_bone(_addr, name, *values):
    if frames:
        frames[-1]["bones"][name] = list(values)


def on_ok(_addr, value):
    ok.append(value)


d = Dispatcher()
d.map("/VMC/Ext/T", on_time)
d.map("/VMC/Ext/Bone/Pos", on_bone)
d.map("/VMC/Ext/OK", on_ok)
server = BlockingOSCUDPServer(("127.0.0.1", port), d)
server.timeout = 0.2
end = time.time() + timeout
while len(frames) < wanted + 1 and time.time() < end:
    server.handle_request()
server.server_close()
# The last bundle may still be arriving: keep the complete ones.
with open(out, "w") as f:
    json.dump({"ok": ok[:wanted], "frames": frames[:wanted]}, f)
