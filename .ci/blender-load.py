# Loads a GLB in Blender (headless) with its own glTF importer and prints what it sees as one
# JSON line prefixed "JSON": armatures, meshes, skinned meshes, bone names, scene fps, the
# action's frame range, and every pose bone's head in world space (Blender's metres, Z-up) at the
# first and last frame of that range.
#
# Usage: blender -b --factory-startup --python .ci/blender-load.py -- FILE.glb
import json
import sys

import bpy
import numpy

# Debian 12 ships Blender 3.4 with numpy 1.24, which dropped the `numpy.bool` alias the glTF
# add-on still uses; restore the alias (it was plain `bool`).
if not hasattr(numpy, "bool"):
    numpy.bool = bool

path = sys.argv[sys.argv.index("--") + 1]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.gltf(filepath=path)
arms = [o for o in bpy.data.objects if o.type == "ARMATURE"]
meshes = [o for o in bpy.data.objects if o.type == "MESH"]
if not arms:
    print("error: no armature imported", file=sys.stderr)
    sys.exit(1)
arm = arms[0]
action = arm.animation_data.action if arm.animation_data else None
frames = list(action.frame_range) if action else [0.0, 0.0]
scene = bpy.context.scene
out = {
    "armatures": len(arms),
    "meshes": len(meshes),
    "skinned": sum(1 for m in meshes if any(md.type == "ARMATURE" for md in m.modifiers)),
    "bones": [b.name for b in arm.data.bones],
    "fps": scene.render.fps / scene.render.fps_base,
    "frame_range": frames,
    "positions": [],
}
for f in frames:
    scene.frame_set(int(f), subframe=f - int(f))
    bpy.context.view_layer.update()
    out["positions"].append(
        {b.name: list(arm.matrix_world @ arm.pose.bones[b.name].head) for b in arm.data.bones}
    )
print("JSON" + json.dumps(out))
