// The INR-editing protocol (paper §6.3, Table 2): for every edit (one benchmark: its own INRs
// fitted to its image collection), every model, learning rate and seed, train an editor
// (train.ts); per edit and model, the learning rate with the best mean validation MSE is reported
// with its test MSE over seeds, next to the paper's figures. Also reported: "no edit" (Δθ = 0, the
// fitted INR against the edited image), the fits' PSNR, and an image grid of test INRs.
import { DiagnosticError, error } from '../../../compiler/diagnostics/diagnostic.js';
import { lowerNet } from '../../../compiler/ir/lower.js';
import type { ResolvedModule, ResolvedProgram } from '../../../compiler/resolve/resolve.js';
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import type { TaskDecl } from '../../../compiler/syntax/ast.js';
import type { GpuDevice } from '../../device/index.js';
import { pixelGrid } from '../../inr/fit.js';
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../inr/images.js';
import { mlpForward } from '../../targets/mlp.js';
import type { ExecutorFactory } from '../../train/executor.js';
import type { Progress } from '../progress.js';
import { RunDirectory } from '../run-directory.js';
import { modelLabel, type ModelConfig } from '../task-config.js';
import type { InrEditingConfig } from './config.js';
import { loadEditDataset, splitsOf, type EditDataset } from './data.js';
import { writeInrEditingReport, type EditSummary } from './report.js';
import { runLabel, trainEditor, type EditorModel, type EditRunResult } from './train.js';

export interface InrEditingRun {
  program: ResolvedProgram;
  module: ResolvedModule;
  task: TaskDecl;
  config: InrEditingConfig;
  target: TargetLayout;
  outDir: string;
  gpu: GpuDevice;
  executor: ExecutorFactory;
  device: string;
  progress: Progress;
}

export async function runInrEditingTask(run: InrEditingRun): Promise<void> {
  const started = performance.now();
  const { config } = run;
  checkTarget(run);
  const models = config.models.map((m, i) => lowerEditor(run, m, config.models, i));
  const dir = RunDirectory.open(run.outDir, config, (line) => run.progress.log(line));
  try {
    const summaries: EditSummary[] = [];
    const total = config.edits.length * models.length * config.learningRates.length * config.seeds.length * config.steps;
    const datasets: EditDataset[] = [];
    for (const edit of config.edits) {
      run.progress.stage(`data: ${config.data.count} ${run.target.name} INRs fitted to ${edit.images} (${config.data.fitSteps} Adam steps, ${config.data.fitBatch} per dispatch), edit ${edit.edit}`);
      const data = await loadEditDataset(run.gpu, run.target, config, edit, (done, all) => run.progress.data(done, all));
      run.progress.log(`data: ${data.cache}`);
      datasets.push(data);
    }
    run.progress.startTraining(total);
    for (const data of datasets) {
      const results: EditRunResult[] = [];
      for (const model of models) {
        for (const lr of config.learningRates) {
          for (const seed of config.seeds) {
            const done = dir.result(runLabel(data.edit.label, model.label, lr), splitsOf(config).train.count, seed) as EditRunResult | undefined;
            if (done !== undefined) {
              run.progress.advance(config.steps, `${runLabel(data.edit.label, model.label, lr)} seed=${seed}: done earlier`);
              results.push(done);
              continue;
            }
            const result = await trainEditor({ config, dir, executor: run.executor, progress: run.progress }, data, model, lr, seed);
            dir.recordResult(result);
            results.push(result);
          }
        }
      }
      summaries.push({ data, results, noEdit: noEditError(data, config) });
    }
    run.progress.stop();
    writeInrEditingReport(run.outDir, {
      config, target: run.target, device: run.device, models: models.map((m) => ({ label: m.label, net: m.config.net, params: m.params })),
      seconds: (performance.now() - started) / 1000,
    }, summaries);
  } finally {
    dir.close();
  }
}

function checkTarget(run: InrEditingRun): void {
  const spec = run.target.spec;
  if (spec.kind !== 'mlp' || spec.widths[0] !== 2 || spec.widths.at(-1) !== 1) {
    throw new DiagnosticError([error('run/bad-target', `an INR-editing target draws grayscale images: an mlp with 2 inputs and 1 output, not ${run.target.name}`, run.task.name.span,
      'declare e.g. `target Inr = mlp(widths: [2, 32, 32, 1], activation: sine(omega0: 30.0), init: siren)`')]);
  }
}

/** Lowers an editor and checks it reads only what the task provides and returns render(...) on the 28×28 grid. */
function lowerEditor(run: InrEditingRun, m: ModelConfig, all: readonly ModelConfig[], index: number): EditorModel {
  const lowered = lowerNet({ program: run.program, module: run.module, net: m.net, args: m.args, target: run.target, setSize: run.config.data.points });
  if (!lowered.ok) throw new DiagnosticError(lowered.diagnostics);
  const { graph } = lowered.value;
  const fail = (message: string, hint: string): never => { throw new DiagnosticError([error('run/bad-editor', `${m.net}: ${message}`, m.span, hint)]); };
  const inputs = new Map<string, number>();
  for (const [name, id] of graph.inputs) {
    const t = graph.nodes[id]!.type;
    const ok = name === 'theta' ? t.site?.kind === 'params' && t.set === null && t.channels === 1
      : name === 'grads' ? t.site?.kind === 'neurons' && t.set?.size === run.config.data.points && t.channels === 2
        : name === 'probes' ? t.site?.kind === 'neurons' && t.set === null
          : false;
    if (!ok) {
      fail(`the task cannot feed input \`${name}\``,
        'an editor reads `theta: weights(T)[1]`, and optionally `grads: grads(T, b)[2]` (the gradient inputs) and `probes: neurons(T)[k]` (activations at k pixels)');
    }
    inputs.set(name, t.channels);
  }
  if (!inputs.has('theta')) fail('it has no input `theta: weights(T)[1]`', 'the editor edits θ: it must read it');
  const out = graph.nodes[graph.output]!;
  if (out.op.op !== 'render' || out.type.site?.kind !== 'fixed' || out.type.site.size !== IMAGE_PIXELS) {
    fail(`it must return \`render(theta + ..., side: ${IMAGE_SIDE})\`, the edited INR drawn on the ${IMAGE_SIDE}×${IMAGE_SIDE} grid`,
      `end the net with \`return render(theta + delta, side: ${IMAGE_SIDE})\` and declare \`-> pixels(${IMAGE_SIDE})[1]\``);
  }
  let params = 0;
  for (const node of graph.nodes) if (node.op.op === 'param') params += node.op.shape.reduce((a, b) => a * b, 1);
  return { label: modelLabel(all, index), config: m, lowered: lowered.value, inputs, params };
}

/** Test MSE of leaving θ as fitted (Δθ = 0) against the edited images, in float64. */
function noEditError(data: EditDataset, config: InrEditingConfig): number {
  const test = splitsOf(config).test;
  const P = data.layout.paramCount;
  const grid = Float64Array.from(pixelGrid(IMAGE_SIDE));
  let sum = 0;
  for (let e = test.start; e < test.start + test.count; e++) {
    const { outputs } = mlpForward(data.layout, { count: IMAGE_PIXELS, inputs: grid, theta: Float64Array.from(data.theta.subarray(e * P, (e + 1) * P)) });
    for (let p = 0; p < IMAGE_PIXELS; p++) sum += (outputs[p]! - data.targets[e * IMAGE_PIXELS + p]!) ** 2;
  }
  return sum / (test.count * IMAGE_PIXELS);
}
