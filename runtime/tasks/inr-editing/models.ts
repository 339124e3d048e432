// The editors of an INR-editing task, lowered and checked against what the task feeds them (θ, and
// optionally the gradient inputs, probes and per-block scales) and what it trains them on (render(...) on the 28×28
// grid); shared by a local run, a queue's submitter and its workers.
import { DiagnosticError, error } from '../../../compiler/diagnostics/diagnostic.js';
import { lowerNet } from '../../../compiler/ir/lower.js';
import type { ResolvedModule, ResolvedProgram } from '../../../compiler/resolve/resolve.js';
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import type { TaskDecl } from '../../../compiler/syntax/ast.js';
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../inr/images.js';
import { modelLabel, type ModelConfig } from '../task-config.js';
import type { InrEditingConfig } from './config.js';
import type { EditorModel } from './train.js';

/** What the editors are built from. */
export interface InrEditingSetup {
  program: ResolvedProgram;
  module: ResolvedModule;
  task: TaskDecl;
  config: InrEditingConfig;
  target: TargetLayout;
}

/** Every editor of the task; a diagnostic at the task or the model when one cannot be trained. */
export function inrEditingModels(setup: InrEditingSetup): EditorModel[] {
  checkTarget(setup);
  return setup.config.models.map((m, i) => lowerEditor(setup, m, setup.config.models, i));
}

function checkTarget(run: InrEditingSetup): void {
  const spec = run.target.spec;
  if (spec.kind !== 'mlp' || spec.widths[0] !== 2 || spec.widths.at(-1) !== 1) {
    throw new DiagnosticError([error('run/bad-target', `an INR-editing target draws grayscale images: an mlp with 2 inputs and 1 output, not ${run.target.name}`, run.task.name.span,
      'declare e.g. `target Inr = mlp(widths: [2, 32, 32, 1], activation: sine(omega0: 30.0), init: siren)`')]);
  }
}

/** Lowers an editor and checks it reads only what the task provides and returns render(...) on the 28×28 grid. */
function lowerEditor(run: InrEditingSetup, m: ModelConfig, all: readonly ModelConfig[], index: number): EditorModel {
  const lowered = lowerNet({ program: run.program, module: run.module, net: m.net, args: m.args, target: run.target, setSize: run.config.data.points });
  if (!lowered.ok) throw new DiagnosticError(lowered.diagnostics);
  const { graph } = lowered.value;
  const fail = (message: string, hint: string): never => { throw new DiagnosticError([error('run/bad-editor', `${m.net}: ${message}`, m.span, hint)]); };
  const inputs = new Map<string, number>();
  for (const [name, id] of graph.inputs) {
    const t = graph.nodes[id]!.type;
    const ok = name === 'theta' || name === 'block_scale' ? t.site?.kind === 'params' && t.set === null && t.channels === 1
      : name === 'grads' ? t.site?.kind === 'neurons' && t.set?.size === run.config.data.points && t.channels === 2
        : name === 'probes' ? t.site?.kind === 'neurons' && t.set === null
          : false;
    if (!ok) {
      fail(`the task cannot feed input \`${name}\``,
        'an editor reads `theta: weights(T)[1]`, and optionally `grads: grads(T, b)[2]` (the gradient inputs), `probes: neurons(T)[k]` (activations at k pixels) '
        + 'and `block_scale: weights(T)[1]` (per parameter block, the training INRs\' RMS of θ)');
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
