// The values an op reads, in a fixed order (used by every pass that walks the graph).
import type { Op, ValueId } from './ops.js';

export function operandsOf(op: Op): ValueId[] {
  switch (op.op) {
    case 'input': case 'param': case 'const': return [];
    case 'unary': case 'scale': case 'reduce': case 'broadcast': case 'slice': case 'gather': case 'scatter':
    case 'segment_mean': case 'layernorm': case 'fold': case 'unfold': case 'batch_sum': case 'channel_sum':
    case 'pad': case 'site_term':
      return [op.x];
    case 'binary': return [op.a, op.b];
    case 'matmul': case 'dense': return [op.x, op.w];
    case 'site_terms': return op.w === null ? [op.x] : [op.x, op.w];
    case 'contract': return [op.a, op.b];
    case 'bias': return [op.x, op.b];
    case 'concat': return [...op.xs];
    case 'select': return [op.mask, op.a, op.b];
    case 'attention': return [op.q, op.k, op.v];
    case 'attention_vjp': return [op.q, op.k, op.v, op.dy];
    case 'layernorm_vjp': return [op.x, op.dy];
    case 'render': return [op.theta, op.coords];
    case 'render_vjp': return [op.theta, op.coords, op.dy];
  }
}

/** Operand fields of ops (every other field is an attribute; `xs` lists several). */
export const OPERAND_FIELDS = new Set(['x', 'a', 'b', 'w', 'mask', 'q', 'k', 'v', 'dy', 'theta', 'coords']);

/** `op` with every operand replaced by `f(operand)`. */
export function mapOperands(op: Op, f: (id: ValueId) => ValueId): Op {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(op)) {
    if (key === 'xs' && Array.isArray(value)) out[key] = value.map((id: ValueId) => f(id));
    else if (OPERAND_FIELDS.has(key) && typeof value === 'number') out[key] = f(value);
    else out[key] = value;
  }
  return out as unknown as Op;
}
