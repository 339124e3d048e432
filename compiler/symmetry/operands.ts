// The value ids an op reads (every field that names a value), for the checker's propagation.
import type { Op, ValueId } from '../ir/ops.js';

const VALUE_FIELDS = ['x', 'a', 'b', 'w', 'q', 'k', 'v', 'dy', 'mask', 'theta', 'coords'] as const;

export function operandIds(op: Op): ValueId[] {
  const rec = op as unknown as Record<string, unknown>;
  const ids: ValueId[] = [];
  for (const f of VALUE_FIELDS) if (typeof rec[f] === 'number') ids.push(rec[f] as number);
  if (op.op === 'concat') ids.push(...op.xs);
  return ids;
}
