// Loads a GLB with three.js's GLTFLoader (npm package `three`) the way a three.js app does, and
// prints what three.js sees as one JSON line:
//   {"skinnedMeshes": N, "bones": N, "boneNames": [...],
//    "clips": [{"name": ..., "duration": s, "tracks": N}, ...],
//    "times": [0, duration / 2],
//    "positions": [[[x, y, z] per bone at times[0]], [... at times[1]]]}
// Bones are those of the first SkinnedMesh's skeleton, in skin joint order; positions are world
// positions (metres, glTF's +Y up) after playing the first clip with an AnimationMixer at each
// time and `scene.updateMatrixWorld(true)`. Exits 1 with a message on any load error.
//
// With extra arguments T1 T2 … (seconds), it also reports the first morphing mesh's weights as
// three.js plays the first clip: "morph": {"mesh": name, "times": [T…],
// "weights": [{targetName: weight, …} per time]} (names from morphTargetDictionary).
//
// Usage: NODE_PATH=<node_modules dir holding three> node .ci/threejs-load.mjs FILE.glb [T…]
// (ES modules ignore NODE_PATH, so the script looks `three` up in its entries itself.)
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

function fail(message) {
  console.error(`threejs-load: ${message}`);
  process.exit(1);
}

const file = process.argv[2];
if (!file) fail('usage: node threejs-load.mjs FILE.glb');

const dirs = (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);
const modules = dirs.find((d) => fs.existsSync(path.join(d, 'three', 'package.json')));
if (!modules) fail(`npm package three not found in NODE_PATH (${process.env.NODE_PATH || 'unset'})`);
const threeDir = path.join(modules, 'three');
const pkg = JSON.parse(fs.readFileSync(path.join(threeDir, 'package.json'), 'utf8'));
const main = pkg.exports?.['.'];
const entry = typeof main === 'string' ? main : main?.import || main?.default || pkg.module;
// The same file GLTFLoader's own `import 'three'` resolves to, so both share one instance.
const THREE = await import(pathToFileURL(path.join(threeDir, entry)).href);
const { GLTFLoader } = await import(
  pathToFileURL(path.join(threeDir, 'examples', 'jsm', 'loaders', 'GLTFLoader.js')).href
);

// Globals a browser has and Node lacks (only touched on texture paths; our files have none).
globalThis.self ??= globalThis;

let bytes;
try {
  bytes = fs.readFileSync(file);
} catch (e) {
  fail(`${file}: ${e.message}`);
}
const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);

const gltf = await new Promise((resolve) => {
  new GLTFLoader().parse(arrayBuffer, '', resolve, (e) => fail(`${file}: ${e?.message || e}`));
}).catch((e) => fail(`${file}: ${e?.message || e}`));

const scene = gltf.scene;
const skinned = [];
scene.traverse((o) => {
  if (o.isSkinnedMesh) skinned.push(o);
});
const bones = skinned.length > 0 ? skinned[0].skeleton.bones : [];
const clips = gltf.animations.map((c) => ({ name: c.name, duration: c.duration, tracks: c.tracks.length }));

const world = () => {
  scene.updateMatrixWorld(true);
  const v = new THREE.Vector3();
  return bones.map((b) => b.getWorldPosition(v).toArray());
};
const times = [];
const positions = [];
if (gltf.animations.length > 0) {
  const clip = gltf.animations[0];
  const mixer = new THREE.AnimationMixer(scene);
  mixer.clipAction(clip).play();
  for (const t of [0, clip.duration / 2]) {
    mixer.setTime(t);
    times.push(t);
    positions.push(world());
  }
}

let morph = null;
const morphTimes = process.argv.slice(3).map(Number);
if (morphTimes.length > 0) {
  let target = null;
  scene.traverse((o) => {
    if (!target && o.morphTargetInfluences && o.morphTargetDictionary) target = o;
  });
  if (!target) fail(`${file}: no mesh with morph targets`);
  if (gltf.animations.length === 0) fail(`${file}: no animation to play`);
  const mixer = new THREE.AnimationMixer(scene);
  mixer.clipAction(gltf.animations[0]).play();
  const weights = morphTimes.map((t) => {
    mixer.setTime(t);
    const w = {};
    for (const [name, i] of Object.entries(target.morphTargetDictionary)) {
      w[name] = target.morphTargetInfluences[i];
    }
    return w;
  });
  morph = { mesh: target.name, times: morphTimes, weights };
}

console.log(
  JSON.stringify({
    morph,
    skinnedMeshes: skinned.length,
    bones: bones.length,
    boneNames: bones.map((b) => b.name),
    clips,
    times,
    positions,
  }),
);
