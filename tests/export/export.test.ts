// `gmn export CKPT --out FILE.safetensors`: a trained net read back by Python with json + numpy
// alone (an independent reader of the safetensors spec), compared with the checkpoint's values; and
// clear errors, never a stack trace, for what is not a usable checkpoint. The run:
// tests/fixtures/verify-trained.gmn, preset `narrow` (2 epochs of 2 steps, float64 reference executor).
import { cpSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportCommand } from '../../runtime/cli/commands/export.js';
import { runCommand } from '../../runtime/cli/commands/run.js';
import { loadCheckpoint } from '../../runtime/train/checkpoint.js';
import { capture } from '../cli/capture.js';
import { numpyMissing, runPython } from '../fixtures/python.js';

const FIXTURE = 'tests/fixtures/verify-trained.gmn';
const work = mkdtempSync(join(tmpdir(), 'gmn-export-'));
const run = join(work, 'run');
const trained = join(run, 'trained', 'gradmetanet_1-n8-s1.ckpt');

const missing = numpyMissing('reading exports back in Python is skipped');

// The reader: the header by its length prefix, each tensor by its offsets; prints everything as JSON.
const READER = String.raw`
import json, struct, sys, numpy as np
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n])
meta = header.pop('__metadata__')
data = raw[8 + n:]
ends = sorted(t['data_offsets'][1] for t in header.values())
tensors = {}
for name, t in header.items():
    begin, end = t['data_offsets']
    a = np.frombuffer(data[begin:end], dtype={'F64': '<f8', 'F32': '<f4'}[t['dtype']]).reshape(t['shape'])
    tensors[name] = {'dtype': t['dtype'], 'shape': list(a.shape), 'values': a.astype(np.float64).ravel().tolist()}
print(json.dumps({'aligned': (8 + n) % 8 == 0, 'covered': ends[-1] == len(data), 'meta': meta, 'tensors': tensors}))
`;

interface ReadBack {
  aligned: boolean;
  covered: boolean;
  meta: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
}

const readBack = (file: string): ReadBack => runPython<ReadBack>(READER, file);

beforeAll(async () => {
  const out = await capture(runCommand, FIXTURE, '--preset', 'narrow', '--out', run, '--backend', 'reference');
  expect(out.code).toBe(0);
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(missing !== null)('gmn export, read back by Python', () => {
  it('float64: every parameter with its name and shape from gmn explain, bit-exact; the spec and certificate in the metadata', async () => {
    const file = join(work, 'gmn1.safetensors');
    const out = await capture(exportCommand, trained, '--out', file);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const back = readBack(file);
    expect(back.aligned).toBe(true);
    expect(back.covered).toBe(true);
    const params = loadCheckpoint(trained).state.params;
    expect(Object.keys(back.tensors).sort()).toEqual([...params.keys()].sort());
    for (const [name, values] of params) {
      expect(back.tensors[name]!.dtype).toBe('F64');
      expect(back.tensors[name]!.values).toEqual(Array.from(values));
    }
    // width 5 (the `narrow` preset): 2 gradient + 4 posenc channels → 5, as `gmn explain` shapes it
    expect(back.tensors['set_layer.eqlinear1.t0']!.shape).toEqual([6, 5]);
    expect(back.meta['gmn.model']).toBe('gradmetanet#1');
    expect(back.meta['gmn.task']).toBe('verify_trained');
    expect(back.meta['gmn.instance']).toBe(`task verify_trained, preset narrow, params ${trained}`);
    expect(back.meta['gmn.certificate']).toBe('S_8-invariant and S_4×S_4-equivariant: grads(Tiny, b=8)[2] → weights(Tiny)[1]');
    expect(back.meta['gmn.spec']).toContain('preset narrow { models: [gradmetanet(width: 5');
    expect(back.meta['gmn.step']).toBe('4');
  });

  it('float32: the values rounded to float32', async () => {
    const file = join(work, 'gmn1-f32.safetensors');
    expect((await capture(exportCommand, trained, '--out', file, '--dtype', 'float32')).code).toBe(0);
    const back = readBack(file);
    for (const [name, values] of loadCheckpoint(trained).state.params) {
      expect(back.tensors[name]!.dtype).toBe('F32');
      expect(back.tensors[name]!.values).toEqual(Array.from(Float32Array.from(values)));
    }
  });
});

describe('gmn export: input it cannot use is an error with a hint, exit 1', () => {
  it('not a checkpoint folder', async () => {
    const out = await capture(exportCommand, run, '--out', join(work, 'x.safetensors'));
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(`gmn export: error: ${run} is not a checkpoint folder: it has no checkpoint.json\n`
      + '  hint: pass a folder written by gmn run: <run>/trained/<model>-n<size>-s<seed>.ckpt\n');
  });
  it('a .gmn file without a task', async () => {
    const out = await capture(exportCommand, trained, '--out', join(work, 'x.safetensors'), '--file', 'std/gradmetanet.gmn');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^gmn export: error: std\/gradmetanet.gmn declares no task, so nothing says how the net in .+ was trained\n  hint: /);
  });
  it('a checkpoint outside a run directory, without --file', async () => {
    const dir = join(work, 'loose', 'gradmetanet_1-n8-s1.ckpt');
    cpSync(trained, dir, { recursive: true });
    const out = await capture(exportCommand, dir, '--out', join(work, 'x.safetensors'));
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('hint: pass the file with --file SPEC.gmn');
  });
  it('a damaged checkpoint (cut-short tensors)', async () => {
    const dir = join(work, 'damaged', 'trained', 'gradmetanet_1-n8-s1.ckpt');
    cpSync(trained, dir, { recursive: true });
    truncateSync(join(dir, 'tensors.f64'), 100);
    const out = await capture(exportCommand, dir, '--out', join(work, 'x.safetensors'), '--file', FIXTURE, '--preset', 'narrow');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(new RegExp(`^gmn export: error: cannot read the checkpoint in ${dir}: .+\n  hint: the folder is damaged; re-run the training \\(gmn run\\) that wrote it\n$`));
  });
});
