// Runs the Khronos glTF validator (npm package `gltf-validator`) on one file and prints its
// report's issue counts as one JSON line: {"numErrors": …, "numWarnings": …, "messages": [...]}.
// Usage: NODE_PATH=<node_modules dir> node gltf_validate.js FILE.glb
const fs = require('fs');
const validator = require('gltf-validator');

const file = process.argv[2];
validator
  .validateBytes(new Uint8Array(fs.readFileSync(file)), { maxIssues: 100 })
  .then((report) => {
    const i = report.issues;
    const messages = i.messages
      .filter((m) => m.severity <= 1)
      .map((m) => `${m.code} ${m.pointer || ''}: ${m.message}`);
    console.log(JSON.stringify({ numErrors: i.numErrors, numWarnings: i.numWarnings, messages }));
  })
  .catch((e) => {
    console.error(`validator failed: ${e}`);
    process.exit(2);
  });
