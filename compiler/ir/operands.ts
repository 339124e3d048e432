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
    case 'contract': return [op.a, op.b];
    case 'bias': return [op.x, op.b];
    case 'concat': return [...op.xs];
    case 'select': return [op.mask, op.a, op.b];
    case 'attention': return [op.q, op.k, op.v];
    case 'attention_vjp': return [op.q, op.k, op.v, op.dy];
    case 'layernorm_vjp': return [op.x, op.dy];
  }
}
