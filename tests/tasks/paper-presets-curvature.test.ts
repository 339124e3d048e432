// The `paper` preset of every curvature example (§6.1, and App. G.1's scaled-up study), instantiated
// as far as this machine allows without running it: the config it resolves to, the memory its
// dataset needs (the run's refusal logic, runtime/data/memory.ts), its data generated, cached and
// read back at the preset's shapes for a slice of its models, every model compiled for the preset's
// target, set size and batch, and one training step of every model on that slice.
import { freemem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { lowerNet, type Lowered } from '../../compiler/ir/lower.js';
import {
  batchInputs, batchLabels, checkSplitSizes, fitNormalisation, loadCurvatureData, splitCurvatureData, type CurvatureSplits,
} from '../../runtime/data/index.js';
import { setItems } from '../../runtime/data/curvature.js';
import { datasetMemory, datasetTooLarge, formatBytes } from '../../runtime/data/memory.js';
import { modelSetSize } from '../../runtime/tasks/model-set-size.js';
import { taskConfig } from '../../runtime/tasks/task-config.js';
import { taskTarget } from '../../runtime/tasks/task-target.js';
import { initParams } from '../../runtime/train/init.js';
import { initOptimizerState, type OptimizerConfig } from '../../runtime/train/optimizers.js';
import { referenceExecutor } from '../../runtime/train/reference-executor.js';
import { Rng } from '../../runtime/util/rng.js';
import { PAPER, compileModel, openCompiler, paperTasks } from '../fixtures/paper-presets.js';
import { tempDir } from '../fixtures/temp-dir.js';

const compiler = await openCompiler();

// The slice: 3 of the preset's models (one test, one validation, one training example), each at the
// preset's shapes (θ, sets of `points` gradients, the label's width). Only the label's point count is
// cut, to 128: it sets no shape, and 1024 points cost ~20 s per 1M-parameter model here.
const SLICE = { models: 3, splits: { test: 1, validation: 1 }, train: 1, labelPoints: 128 };

describe.each(paperTasks('curvature'))(`%s, preset ${PAPER}`, (_name, example) => {
  const config = taskConfig(example.task, PAPER);
  const target = taskTarget(example.module, example.task, config.target);
  const lowered = new Map<string, Lowered>();
  let slice: CurvatureSplits | undefined;

  it('resolves to the paper\'s protocol (§6.1: sets of 128 gradients, labels over 1024 points, Adam 1e-3, batch 32, 100 epochs, 5 seeds)', () => {
    expect(config.preset).toBe(PAPER);
    expect(config.data).toMatchObject({ points: 128, labelPoints: 1024 });
    expect(config.optimizer).toMatchObject({ kind: 'adam', lr: 1e-3 });
    expect({ batch: config.batch, epochs: config.epochs, seeds: config.seeds }).toEqual({ batch: 32, epochs: 100, seeds: [1, 2, 3, 4, 5] });
    expect(() => checkSplitSizes(config.data.models, config.splits, config.trainSizes)).not.toThrow();
    // App. G.1: the invariant trace of base models with over a million parameters.
    if (config.label === 'fisher_trace') expect(target.paramCount).toBeGreaterThan(1_000_000);
  });

  it('its dataset fits a machine with enough memory: only this machine\'s size may refuse it', () => {
    const need = datasetMemory(target, config.data, config.label);
    const inputs = 4 * config.data.models * (target.paramCount + setItems(target, config.data) * target.neuronCount * 2);
    expect(need.total).toBeGreaterThan(inputs);
    expect(datasetTooLarge(target, config.data, config.label, Number.POSITIVE_INFINITY)).toBeNull();
    const here = datasetTooLarge(target, config.data, config.label);
    console.log(`${config.name} --preset ${PAPER}: the dataset needs ${formatBytes(need.total)} `
      + `(${need.arrays.map((a) => `${a.name}: ${formatBytes(a.bytes)}`).join(', ')}, generation ${formatBytes(need.working)}); `
      + `here (${formatBytes(freemem())} free): ${here ?? 'it fits'}`);
  });

  it(`generates, caches and reads back its data at the preset's shapes (${SLICE.models} of its ${config.data.models} models)`, () => {
    const data = { ...config.data, models: SLICE.models, labelPoints: SLICE.labelPoints };
    const root = tempDir('gmn-paper-data-');
    const generated = loadCurvatureData(target, data, config.label, { root });
    expect(generated.outcome.kind).toBe('generated');
    const cached = loadCurvatureData(target, data, config.label, { root });
    expect(cached.outcome.kind).toBe('hit');
    const d = cached.data;
    expect(d.theta.length).toBe(SLICE.models * target.paramCount);
    expect(d.grads.length).toBe(SLICE.models * setItems(target, config.data) * target.neuronCount * 2);
    expect(d.labelWidth).toBe(config.label === 'fisher_trace' ? 1 : target.paramCount);
    expect(d.labels.every(Number.isFinite) && d.grads.every(Number.isFinite)).toBe(true);
    expect(Array.from(d.labels)).toEqual(Array.from(generated.data.labels));
    slice = splitCurvatureData(d, SLICE.splits, [SLICE.train]);
  });

  describe.each(config.models.map((m) => [m.net, m] as const))('%s', (net, model) => {
    it(`compiles its forward pass and training step for ${target.name}, sets of ${config.data.points} examples and batches of ${config.batch}`, async () => {
      const setSize = modelSetSize(example.module, model, config.data.points, target);
      if (!setSize.ok) throw new Error(`${net}: ${setSize.diagnostics.map((d) => d.message).join('; ')}`);
      const result = lowerNet({ program: example.checked.program, module: example.module, net: model.net, args: model.args, target, setSize: setSize.value });
      if (!result.ok) throw new Error(`${net}: ${result.diagnostics.map((d) => d.message).join('; ')}`);
      lowered.set(net, result.value);
      const compiled = await compileModel(compiler, result.value.graph, result.value.instantiation, config.loss, config.batch);
      console.log(`${config.name} --preset ${PAPER}, ${net}: ${compiled.kernels} kernels (${compiled.overGuaranteedBindings} over WebGPU's guaranteed 8 storage buffers, at most ${compiled.mostBindings}), `
        + `${compiled.dispatches} dispatches, largest buffer ${formatBytes(compiled.largestBuffer)}`);
    });

    it('takes one training step on the slice (float64 reference executor)', async () => {
      const { graph, instantiation } = lowered.get(net) ?? expect.fail('not compiled');
      const train = (slice ?? expect.fail('no data')).train;
      const inputs = [...graph.inputs.keys()];
      const norm = fitNormalisation(train, inputs);
      const params = initParams(graph, new Rng(1));
      const optimizer: OptimizerConfig = { kind: 'adam', lr: config.optimizer.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
      const executor = await referenceExecutor({ net: graph, inst: instantiation, loss: config.loss, optimizer }, { params, optimizer: initOptimizerState(optimizer, params), step: 0 });
      const batch = { inputs: batchInputs(train, [0], inputs, norm), target: batchLabels(train, [0], norm) };
      if (params.size === 0) {
        // The standard estimator learns nothing: its forward pass is what the run evaluates.
        const out = await executor.forward(batch.inputs);
        expect(out.data.length).toBe(batch.target.data.length);
        expect(Array.from(out.data).every(Number.isFinite)).toBe(true);
        return;
      }
      const loss = await executor.trainStep(batch);
      expect(Number.isFinite(loss) && loss > 0, `loss ${loss}`).toBe(true);
      const after = (await executor.readState()).params;
      expect([...params].some(([name, before]) => before.some((v, k) => v !== after.get(name)![k])), 'the step moved no parameter').toBe(true);
    });
  });
});
