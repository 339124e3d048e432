// `gmn verify --params DIR`: a net verified on the trained parameters that `gmn run` keeps in
// <run>/trained/, instantiated as the file's task trains it — and clear errors when the folder does
// not fit the net. The run: tests/fixtures/verify-trained.gmn, preset `narrow` (two GradMetaNets,
// 2 epochs of 2 steps each, float64 reference executor).
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../runtime/cli/commands/run.js';
import { capture } from '../cli/capture.js';
import { verifyCommand } from '../../runtime/cli/commands/verify.js';
import { GpuDevice } from '../../runtime/device/index.js';
import { loadCheckpoint } from '../../runtime/train/checkpoint.js';

const FIXTURE = 'tests/fixtures/verify-trained.gmn';
const work = mkdtempSync(join(tmpdir(), 'gmn-verify-trained-'));
const run = join(work, 'run');
const trained = (model: string): string => join(run, 'trained', `${model}-n8-s1.ckpt`);
// Whether a WebGPU adapter exists (lavapipe here); the device is closed again at once.
const probe = await GpuDevice.open();
const hasGpu = probe !== null;
probe?.destroy();

interface NetJson { net: string; instance: string; verified: boolean; equivariance: number; invariance: number; sensitivityMargin: number }

async function verifyJson(...argv: string[]): Promise<{ code: number; net: NetJson; tolerance: number }> {
  const out = await capture(verifyCommand, '--json', FIXTURE, ...argv);
  const json = JSON.parse(out.stdout) as { tolerance: number; nets: NetJson[] };
  expect(json.nets).toHaveLength(1);
  return { code: out.code, net: json.nets[0]!, tolerance: json.tolerance };
}

beforeAll(async () => {
  const out = await capture(runCommand, FIXTURE, '--preset', 'narrow', '--out', run, '--backend', 'reference');
  expect(out.stderr).not.toMatch(/error/);
  expect(out.code).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('gmn run keeps the trained parameters', () => {
  it('one checkpoint folder per finished training run in <run>/trained/, after 2 epochs × 2 steps; the resumable checkpoints are gone', () => {
    expect(readdirSync(join(run, 'trained')).sort()).toEqual(['gradmetanet_1-n8-s1.ckpt', 'gradmetanet_2-n8-s1.ckpt']);
    expect(readdirSync(join(run, 'checkpoints'))).toEqual([]);
    const state = loadCheckpoint(trained('gradmetanet_1')).state;
    expect(state.step).toBe(4);
    // width 5 (the `narrow` preset): the first set layer maps 2 gradient + 4 posenc channels to 5
    expect(state.params.get('set_layer.eqlinear1.t0')).toHaveLength(6 * 5);
  });
});

describe('gmn verify --params', () => {
  it('the trained GradMetaNet is equivariant on its trained weights in float64, and clearly sensitive', async () => {
    const { code, net, tolerance } = await verifyJson('--params', trained('gradmetanet_1'));
    expect(code).toBe(0);
    expect(net.net).toBe('gradmetanet#1');
    // the preset recorded in the run's config.json decides the instantiation
    expect(net.instance).toBe(`task verify_trained, preset narrow, params ${trained('gradmetanet_1')}`);
    expect(net.verified).toBe(true);
    expect(tolerance).toBe(1e-8);
    expect(net.equivariance).toBeLessThan(1e-12);
    expect(net.invariance).toBeLessThan(1e-12);
    expect(net.sensitivityMargin).toBeGreaterThan(1e-3);
  });
  it.skipIf(!hasGpu)('and in float32 on WebGPU, within 1e-4', async () => {
    const { code, net, tolerance } = await verifyJson('--params', trained('gradmetanet_1'), '--backend', 'webgpu');
    expect(code).toBe(0);
    expect(tolerance).toBe(1e-4);
    expect(net.verified).toBe(true);
    expect(net.equivariance).toBeLessThan(1e-4);
    expect(net.sensitivityMargin).toBeGreaterThan(1e-3);
  });
  it('--net picks the model when the folder name does not say it', async () => {
    const renamed = join(work, 'renamed.ckpt');
    cpSync(trained('gradmetanet_2'), renamed, { recursive: true });
    const { code, net } = await verifyJson('--params', renamed, '--net', 'gradmetanet#2', '--preset', 'narrow');
    expect(code).toBe(0);
    expect(net.net).toBe('gradmetanet#2');
    const unnamed = await capture(verifyCommand, FIXTURE, '--params', renamed);
    expect(unnamed.code).toBe(1);
    expect(unnamed.stderr).toBe(`gmn verify: error: cannot tell which model of the task ${renamed} holds: its name is not <model>-n<size>-s<seed>.ckpt for a model of the task\n`
      + '  hint: pass --net with one of: gradmetanet#1, gradmetanet#2\n');
    const ambiguous = await capture(verifyCommand, FIXTURE, '--params', renamed, '--net', 'gradmetanet');
    expect(ambiguous.stderr).toMatch(/^gmn verify: error: the task trains `gradmetanet` 2 times\n/);
  });
});

describe('gmn verify --params: parameters that do not fit the net', () => {
  it('another preset (another width): each mismatched parameter named with both shapes, at the model in the task', async () => {
    const out = await capture(verifyCommand, FIXTURE, '--params', trained('gradmetanet_1'), '--preset', 'default');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`${FIXTURE}:14:12: error: gradmetanet#1: parameter \`set_layer.eqlinear1.t0\`: the net expects shape [6, 4] (24 values), the checkpoint holds shape [30] (30 values)\n`);
    expect(out.stderr).toContain('parameter `pair_readout.linear4.w`: the net expects shape [4, 1] (4 values), the checkpoint holds shape [5] (5 values)');
    expect(out.stderr).toContain(`hint: ${trained('gradmetanet_1')} was not trained for this model as the file declares it now (another model, preset or argument?)`);
    expect(out.stdout).toBe('');
  });
  it('a renamed parameter: missing from the checkpoint, and one the net does not have', async () => {
    const dir = join(work, 'renamed-param', 'gradmetanet_1-n8-s1.ckpt');
    cpSync(trained('gradmetanet_1'), dir, { recursive: true });
    const manifest = join(dir, 'checkpoint.json');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"name": "pool.eqlinear1.b"', '"name": "pool.bias"'));
    const out = await capture(verifyCommand, FIXTURE, '--params', dir, '--preset', 'narrow');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('error: gradmetanet#1: parameter `pool.eqlinear1.b` (shape [5]) is missing from the checkpoint\n');
    expect(out.stderr).toContain('error: gradmetanet#1: the checkpoint holds parameter `pool.bias` (shape [5]), which the net does not have\n');
  });
  it('a damaged folder: cut-short tensors, no checkpoint.json', async () => {
    const dir = join(work, 'damaged', 'gradmetanet_1-n8-s1.ckpt');
    cpSync(trained('gradmetanet_1'), dir, { recursive: true });
    truncateSync(join(dir, 'tensors.f64'), 100);
    const cut = await capture(verifyCommand, FIXTURE, '--params', dir, '--preset', 'narrow');
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(new RegExp(`^gmn verify: error: cannot read the checkpoint in ${dir}: .+\n  hint: the folder is damaged; re-run the training \\(gmn run\\) that wrote it\n$`));
    rmSync(join(dir, 'checkpoint.json'));
    const none = await capture(verifyCommand, FIXTURE, '--params', dir, '--preset', 'narrow');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(new RegExp(`^gmn verify: error: ${dir} is not a checkpoint folder: it has no checkpoint.json\n`));
  });
  it('--net without --params, and --params on a file without a task, are usage errors', async () => {
    await expect(verifyCommand.run([FIXTURE, '--net', 'gradmetanet'])).rejects.toThrow('--net only applies with --params DIR');
    await expect(verifyCommand.run(['std/gradmetanet.gmn', '--params', trained('gradmetanet_1')]))
      .rejects.toThrow('--params needs a task: std/gradmetanet.gmn declares none, so nothing says how the net was trained');
  });
});
