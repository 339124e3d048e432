// The `transformer(vocab:, d_model:, heads:, blocks:, ffn:, seq:, head_dim?, norm?)` target family
// (layout: transformer.ts, paper appendix B.2).
import type { CallExpr } from '../syntax/ast.js';
import { argsByName, fail, positiveInt, type Elaborated } from './arguments.js';
import type { TargetFamily } from './family.js';
import type { TransformerSpec } from './target.js';
import { transformerLayout } from './transformer.js';

const int = { kind: 'int' } as const;

export const TRANSFORMER_FAMILY: TargetFamily<TransformerSpec> = {
  name: 'transformer',
  doc: 'a decoder-only transformer language model',
  params: [
    { name: 'vocab', type: int },
    { name: 'd_model', type: int },
    { name: 'heads', type: int },
    { name: 'blocks', type: int },
    { name: 'ffn', type: int },
    { name: 'seq', type: int },
    { name: 'head_dim', type: int, optional: true },
    { name: 'norm', type: { kind: 'enum', values: ['pre', 'post'] }, optional: true },
  ],
  spec: transformerSpec,
  layout: transformerLayout,
  // Every token of a sequence is one element of Γ's set (docs/grad-format.md).
  itemsPerExample: (spec) => spec.seq,
  describe: () => 'transformer',
};

function transformerSpec(call: CallExpr): Elaborated<TransformerSpec> {
  const order = ['vocab', 'd_model', 'heads', 'blocks', 'ffn', 'seq', 'head_dim', 'norm'];
  const args = argsByName(call, order);
  const sizes = new Map<string, number>();
  for (const key of order.slice(0, 7)) {
    const arg = args.get(key);
    if (arg === undefined) {
      if (key === 'head_dim') continue;
      return fail('spaces/missing-argument', `transformer needs \`${key}\``, call.span);
    }
    const v = positiveInt(arg.value, `\`${key}\``);
    if (!v.ok) return v;
    sizes.set(key, v.value);
  }
  const dModel = sizes.get('d_model')!;
  const heads = sizes.get('heads')!;
  let headDim = sizes.get('head_dim');
  if (headDim === undefined) {
    if (dModel % heads !== 0) {
      return fail('spaces/bad-size', `d_model (${dModel}) is not divisible by heads (${heads})`, call.span, 'give `head_dim` explicitly');
    }
    headDim = dModel / heads;
  }
  let norm: 'pre' | 'post' = 'pre';
  const normArg = args.get('norm');
  if (normArg !== undefined) {
    const v = normArg.value;
    if (v.kind !== 'name' || (v.name !== 'pre' && v.name !== 'post')) return fail('spaces/bad-norm', '`norm` must be pre or post', v.span);
    norm = v.name;
  }
  return {
    ok: true,
    value: {
      kind: 'transformer', vocab: sizes.get('vocab')!, dModel, heads, headDim,
      blocks: sizes.get('blocks')!, ffn: sizes.get('ffn')!, seq: sizes.get('seq')!, norm,
    },
  };
}
