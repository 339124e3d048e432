// One typing rule per IR op kind. The mapped type makes a missing op a compile error, and
// tests/symmetry/registry.test.ts checks the table at run time too.
import type { Op } from '../../ir/ops.js';
import * as attn from './attention.js';
import * as brk from './breaking.js';
import * as leaves from './leaves.js';
import * as lin from './linear.js';
import * as pw from './pointwise.js';
import type { Rule } from './rule.js';
import * as st from './structure.js';

export type RuleTable = { [K in Op['op']]: Rule<Extract<Op, { op: K }>> };

export const RULES: RuleTable = {
  input: leaves.input,
  param: leaves.param,
  const: leaves.constTable,
  unary: pw.unary,
  binary: pw.binary,
  scale: pw.scale,
  select: pw.select,
  bias: pw.bias,
  layernorm: pw.layernorm,
  layernorm_vjp: pw.layernorm_vjp,
  concat: pw.concat,
  slice: pw.slice,
  pad: pw.pad,
  channel_sum: pw.channel_sum,
  matmul: lin.matmul,
  contract: lin.contract,
  reduce: st.reduce,
  broadcast: st.broadcast,
  gather: st.gather,
  scatter: st.scatter,
  segment_mean: st.segment_mean,
  site_term: st.site_term,
  site_terms: st.site_terms,
  render: st.render,
  render_vjp: st.render_vjp,
  batch_sum: st.batch_sum,
  attention: attn.attention,
  attention_vjp: attn.attention_vjp,
  fold: brk.fold,
  unfold: brk.unfold,
  dense: brk.dense,
};

export function ruleFor<O extends Op>(op: O): Rule<O> {
  return RULES[op.op as O['op']] as unknown as Rule<O>;
}
