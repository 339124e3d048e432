// `gmn predict CKPT --weights W --inputs X.npy --out OUT`: a curvature model trained by `gmn run`
// applied to the user's own MLP (runtime/predict/curvature.ts), its estimate written beside the
// standard estimator's on the same samples.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DiagnosticError } from '../../../compiler/diagnostics/diagnostic.js';
import { encodeSafetensors } from '../../export/safetensors.js';
import { predict } from '../../api/trained.js';
import type { CurvaturePrediction } from '../../predict/curvature.js';
import { stateDictNames } from '../../predict/state-dict.js';
import { writeNpy } from '../../targets/npy.js';
import { HintedError } from '../../util/hinted-error.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';
import { reportFailure } from '../failure.js';

export const predictCommand: Command = {
  name: 'predict',
  summary: 'apply a trained curvature model to your own MLP: its Fisher estimate beside the standard estimator\'s',
  usage: [
    'usage: gmn predict CKPT --weights W --inputs X.npy --out OUT [--file SPEC.gmn] [--task NAME] [--net NAME] [--preset NAME] [--data-cache DIR]',
    '',
    'CKPT is a checkpoint folder written by `gmn run` on a curvature task (<run>/trained/<model>-n<size>-s<seed>.ckpt),',
    'or the run directory when it holds one trained model. W is your network\'s weights in PyTorch\'s',
    'state_dict naming for an nn.Sequential MLP (0.weight, 0.bias, 2.weight, ...: the Linear layers at even',
    'positions, activations between them), as a .safetensors file or a folder of <name>.npy files; its',
    'widths must be the task\'s target\'s, and its activation is taken to be the target\'s. X.npy holds',
    'the b input samples, [b, d_0] (or [b] for one input). The model sees the rank-1 factors of ∇θ f at',
    'those samples, as in training (docs/predict.md).',
    '',
    'OUT: a .safetensors file (tensors predicted.<name> and standard_estimator.<name>, shaped as the',
    'weights; `predicted` and `standard_estimator` for a trace), or a folder that gets predicted.npy and',
    'standard_estimator.npy, [P] in state_dict order (or [1] for a trace), float64.',
    '',
    'options:',
    '  --file SPEC      the .gmn file whose task trained CKPT (default: the one recorded in <run>/config.json)',
    '  --task NAME      which task of it (default: the recorded one, or the file\'s only task)',
    '  --net NAME       which model, when CKPT is a run directory with several trained models',
    '  --preset NAME    the preset it was trained with (default: the one recorded in <run>/config.json)',
    '  --data-cache DIR the curvature data cache holding the task\'s dataset, whose training-set statistics',
    '                   normalise the inputs (default: .cache/gmn/curvature; regenerated when absent)',
    '',
    'exit codes: 0 ok, 1 errors in the input, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      weights: { type: 'string' }, inputs: { type: 'string' }, out: { type: 'string' }, file: { type: 'string' },
      task: { type: 'string' }, net: { type: 'string' }, preset: { type: 'string' }, 'data-cache': { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one checkpoint folder or run directory', this);
    for (const flag of ['weights', 'inputs', 'out'] as const) if (values[flag] === undefined) throw new UsageError(`--${flag} is required`, this);
    try {
      const checkpoint = checkpointFolder(positionals[0]!, values.net);
      const result = await predict({
        checkpoint, weights: values.weights!, samples: values.inputs!,
        ...(values.file === undefined ? {} : { file: values.file }), ...(values.task === undefined ? {} : { task: values.task }),
        ...(values.preset === undefined ? {} : { preset: values.preset }), ...(values['data-cache'] === undefined ? {} : { dataCache: values['data-cache'] }),
      });
      const out = resolve(values.out!);
      writePrediction(out, result);
      process.stdout.write(summary(result, out));
      return EXIT.ok;
    } catch (e) {
      if (e instanceof DiagnosticError) process.stderr.write(`gmn predict: the .gmn file that trained the checkpoint has errors:\n`);
      return reportFailure(e, this.name);
    }
  },
};

/** CKPT itself, or the one trained model of a run directory (the one --net names when there are several). */
function checkpointFolder(path: string, net: string | undefined): string {
  if (existsSync(join(path, 'checkpoint.json'))) return path;
  const trained = join(path, 'trained');
  if (!existsSync(trained) || !statSync(trained).isDirectory()) {
    throw new HintedError(`${path} is neither a checkpoint folder (no checkpoint.json) nor a run directory (no trained/)`,
      'pass <run>/trained/<model>-n<size>-s<seed>.ckpt, written by gmn run on a curvature task');
  }
  const all = readdirSync(trained).filter((f) => f.endsWith('.ckpt')).sort();
  const picked = net === undefined ? all : all.filter((f) => f.startsWith(`${net}-n`));
  if (picked.length === 1) return join(trained, picked[0]!);
  throw new HintedError(picked.length === 0 ? `${trained} holds no trained model${net === undefined ? '' : ` \`${net}\``}` : `${trained} holds ${picked.length} trained models`,
    all.length === 0 ? 'let gmn run finish training first' : `pass one of them as CKPT: ${all.map((f) => join(trained, f)).join(', ')}`);
}

function writePrediction(out: string, r: CurvaturePrediction): void {
  if (out.endsWith('.safetensors')) {
    const names = stateDictNames(r.target);
    const tensors = r.label === 'fisher_trace'
      ? [{ name: 'predicted', shape: [1], values: r.predicted }, { name: 'standard_estimator', shape: [1], values: r.estimator }]
      : (['predicted', 'standard_estimator'] as const).flatMap((kind) => names.map((n) => ({
        name: `${kind}.${n.name}`, shape: n.shape,
        values: (kind === 'predicted' ? r.predicted : r.estimator).subarray(n.block.offset, n.block.offset + n.shape.reduce((a, b) => a * b, 1)),
      })));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, encodeSafetensors(tensors, 'F64', { format: 'gmn-predict', 'gmn.label': r.label, 'gmn.model': r.model, 'gmn.target': r.target.name, 'gmn.samples': String(r.setSize) }));
    return;
  }
  if (existsSync(out) && !statSync(out).isDirectory()) throw new HintedError(`cannot write into ${out}: it is a file`, 'give --out a folder, or a path ending in .safetensors');
  mkdirSync(out, { recursive: true });
  writeNpy(join(out, 'predicted.npy'), r.predicted, [r.predicted.length], 'float64');
  writeNpy(join(out, 'standard_estimator.npy'), r.estimator, [r.estimator.length], 'float64');
}

function summary(r: CurvaturePrediction, out: string): string {
  const sum = (v: Float64Array): string => v.reduce((a, b) => a + b, 0).toPrecision(5);
  const note = r.setSize === r.trainedSetSize ? '' : ` (note: the model was trained on sets of ${r.trainedSetSize})`;
  return [
    `${r.model} on ${r.setSize} samples${note}: ${r.label} of ${r.target.name} (${r.target.paramCount} parameters)`,
    `  sum of the estimate: ${sum(r.predicted)}   standard estimator: ${sum(r.estimator)}`,
    `written to ${out}`, '',
  ].join('\n');
}
