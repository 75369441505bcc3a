// The ONNX Runtime peer: CRATE inference speed with onnxruntime-node's CPU
// build, on a model written by onnx_export.py.
//
//   node bench/peers/ort_bench.mjs MODEL.onnx [--batch B] [--threads T] [--seconds S]
//   node bench/peers/ort_bench.mjs MODEL.onnx --check
//
// Prints, as the compiled executables' `bench` does (contract §3),
// `throughput: X images/s` and `latency: Y ms` (per batch, the median).
// --check runs the two images of MODEL.onnx.check/ and compares ONNX
// Runtime's logits with PyTorch's; exit 1 if they differ beyond float32
// rounding.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ort = createRequire(join(here, 'package.json'))('onnxruntime-node');

// Different summation orders (fused LayerNorm, MLAS GEMM blocking) over 12
// layers: a correct float32 graph is within 1e-4 of PyTorch on logits of
// magnitude ~1; a wrong one is off by far more.
const CHECK_BOUND = 1e-3;

function fail(message) {
  console.error(`ort_bench: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { batch: 1, threads: 1, seconds: 3, check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') args.check = true;
    else if (['--batch', '--threads', '--seconds'].includes(a)) {
      const v = Number(argv[++i]);
      if (!(v > 0) || (a !== '--seconds' && !Number.isInteger(v))) fail(`${a} needs a positive number`);
      args[a.slice(2)] = v;
    } else if (!a.startsWith('--') && !args.model) args.model = a;
    else fail(`unknown argument ${a}`);
  }
  if (!args.model) fail('usage: ort_bench.mjs MODEL.onnx [--batch B] [--threads T] [--seconds S] [--check]');
  return args;
}

function readF32(path) {
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

async function check(session, model) {
  const dir = `${model}.check`;
  const shapes = JSON.parse(readFileSync(join(dir, 'shapes.json'), 'utf8'));
  const images = new ort.Tensor('float32', readF32(join(dir, 'images.f32')), shapes.images);
  const want = readF32(join(dir, 'logits.f32'));
  const got = (await session.run({ images })).logits.data;
  if (got.length !== want.length) fail(`logits have ${got.length} values, PyTorch's ${want.length}`);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  console.log(`onnxruntime vs pytorch logits max |err|: ${worst.toExponential(3)} (bound ${CHECK_BOUND})`);
  if (!(worst <= CHECK_BOUND)) process.exit(1);
}

async function timedCalls(step, seconds, minCalls) {
  const times = [];
  const start = performance.now();
  while (times.length < minCalls || performance.now() - start < seconds * 1e3) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  return times;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let session;
  try {
    session = await ort.InferenceSession.create(args.model, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: args.threads,
      interOpNumThreads: 1,
    });
  } catch (e) {
    fail(`cannot load ${args.model}: ${e.message}`);
  }
  if (args.check) return check(session, args.model);

  const [, c, h, w] = session.inputMetadata?.[0]?.shape ?? [];
  const dims = [c, h, w].every(Number.isInteger) ? [c, h, w]
    : JSON.parse(readFileSync(`${args.model}.check/shapes.json`, 'utf8')).images.slice(1);
  const data = new Float32Array(args.batch * dims[0] * dims[1] * dims[2]);
  for (let i = 0; i < data.length; i++) data[i] = Math.random() * 2 - 1;
  const feeds = { images: new ort.Tensor('float32', data, [args.batch, ...dims]) };
  const step = () => session.run(feeds);

  await timedCalls(step, Math.min(1, args.seconds), 3); // warm-up
  const latency = median(await timedCalls(step, args.seconds, 5));
  console.log(`peer: onnxruntime-node ${ort.env.versions?.common ?? ''} threads ${args.threads}`);
  console.log(`throughput: ${(args.batch / (latency / 1e3)).toFixed(2)} images/s`);
  console.log(`latency: ${latency.toFixed(3)} ms`);
}

main().catch((e) => fail(e.message));
