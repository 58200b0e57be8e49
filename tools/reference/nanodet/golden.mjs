// Golden outputs of NanoDet-g computed by an independent implementation: the published TensorFlow.js
// graph executed by @tensorflow/tfjs (pure JavaScript CPU backend) in Node. logoscope's own libtorch
// NanoDetNet (src/model/nanodet_net.cpp) must reproduce them (tests/model/test_nanodet.cpp).
//
// Usage (README.md here): npm ci && node golden.mjs WEIGHTS_DIR > ../../../tests/model/data/nanodet_golden.json
// WEIGHTS_DIR holds nanodet.json and nanodet.bin (scripts/fetch-pretrained.sh puts them in
// ~/.cache/logoscope/pretrained/nanodet-g).
import * as tf from '@tensorflow/tfjs';
import fs from 'fs';
import crypto from 'crypto';

const dir = process.argv[2];
if (!dir) { console.error('usage: node golden.mjs WEIGHTS_DIR'); process.exit(2); }
const jsonBytes = fs.readFileSync(dir + '/nanodet.json');
const bin = fs.readFileSync(dir + '/nanodet.bin');
const model = JSON.parse(jsonBytes);
await tf.setBackend('cpu');
const handler = tf.io.fromMemory({
  modelTopology: model.modelTopology,
  weightSpecs: model.weightsManifest[0].weights,
  weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
});
const graph = await tf.loadGraphModel(handler);

// The input, already normalised as NanoDet expects (BGR planes): a smooth pattern plus a checkerboard,
// so that every layer sees structure. test_nanodet.cpp computes the same formula.
const S = 416;
const input = new Float32Array(3 * S * S);
for (let c = 0; c < 3; ++c) {
  for (let y = 0; y < S; ++y) {
    for (let x = 0; x < S; ++x) {
      input[(c * S + y) * S + x] =
          Math.fround(1.5 * Math.sin(0.05 * x + 0.07 * y + c) + ((((x >> 5) + (y >> 5)) & 1) ? 0.5 : -0.5));
    }
  }
}
// Outputs: class scores (sigmoid applied) and box distribution logits at strides 8, 16, 32.
const outputs = [
  ['Identity:0', 'scores', 8], ['Identity_1:0', 'scores', 16], ['Identity_2:0', 'scores', 32],
  ['Identity_3:0', 'bins', 8], ['Identity_4:0', 'bins', 16], ['Identity_5:0', 'bins', 32],
];
const results = graph.execute(tf.tensor4d(input, [1, 3, S, S]), outputs.map((o) => o[0]));
const golden = {
  generator: 'tools/reference/nanodet/golden.mjs',
  tfjs: tf.version.tfjs,
  weights_sha256: crypto.createHash('sha256').update(bin).digest('hex'),
  input: {size: S, formula: '1.5*sin(0.05x+0.07y+c) + (((x>>5)+(y>>5))&1 ? 0.5 : -0.5), planes B,G,R'},
  outputs: [],
};
const kSamples = 300;
outputs.forEach(([name, kind, stride], i) => {
  const values = results[i].dataSync();
  const [, locations, channels] = results[i].shape;
  const samples = [];
  for (let j = 0; j < kSamples; ++j) {
    const index = (j * 7919 + 13) % values.length;
    samples.push([Math.floor(index / channels), index % channels, values[index]]);
  }
  let sum = 0;
  for (const v of values) sum += v;
  golden.outputs.push({name, kind, stride, locations, channels, sum, samples});
});
console.log(JSON.stringify(golden));
