// The `mlp(widths: [...], activation: ..., init: ...)` target family (layout: target.ts, mlpLayout).
import type { CallExpr } from '../syntax/ast.js';
import { argsByName, fail, parseActivation, positiveInts, type Elaborated } from './arguments.js';
import type { TargetFamily } from './family.js';
import { mlpLayout, type Init, type MlpSpec } from './target.js';

const INITS: readonly Init[] = ['gaussian', 'siren', 'kaiming'];

export const MLP_FAMILY: TargetFamily<MlpSpec> = {
  name: 'mlp',
  doc: 'a multilayer perceptron',
  params: [
    { name: 'widths', type: { kind: 'int_list' } },
    { name: 'activation', type: { kind: 'activation' } },
    { name: 'init', type: { kind: 'enum', values: INITS }, optional: true },
  ],
  spec: mlpSpec,
  layout: mlpLayout,
  itemsPerExample: () => 1,
  describe: (spec) => `mlp[${spec.widths.join(',')}]`,
};

function mlpSpec(call: CallExpr): Elaborated<MlpSpec> {
  const args = argsByName(call, ['widths', 'activation', 'init']);
  const widthsArg = args.get('widths');
  if (widthsArg === undefined) return fail('spaces/missing-argument', 'mlp needs `widths: [d0, ..., dL]`', call.span);
  if (widthsArg.value.kind !== 'list') return fail('spaces/bad-size', '`widths` must be a list of positive integers', widthsArg.value.span);
  if (widthsArg.value.items.length < 2) {
    return fail('spaces/bad-size', 'an mlp needs at least an input and an output width', widthsArg.value.span);
  }
  const widths = positiveInts(widthsArg.value, 'a layer width');
  if (!widths.ok) return widths;
  const actArg = args.get('activation');
  if (actArg === undefined) return fail('spaces/missing-argument', 'mlp needs `activation: relu | gelu | tanh | sine(...)`', call.span);
  const activation = parseActivation(actArg.value);
  if (!activation.ok) return activation;
  const initArg = args.get('init');
  let init: Init = activation.value.kind === 'sine' ? 'siren' : 'kaiming';
  if (initArg !== undefined) {
    const v = initArg.value;
    const named = v.kind === 'name' ? INITS.find((i) => i === v.name) : undefined;
    if (named === undefined) return fail('spaces/bad-init', '`init` must be one of gaussian, siren, kaiming', v.span);
    init = named;
  }
  return { ok: true, value: { kind: 'mlp', widths: widths.value, activation: activation.value, init } };
}
