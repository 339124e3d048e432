// The registry of target families: the only place that lists them. Every stage that needs
// something of a target's kind asks here (familyOf) instead of branching on `spec.kind`.
import { CNN_FAMILY } from './cnn-family.js';
import type { TargetFamily } from './family.js';
import { MLP_FAMILY } from './mlp-family.js';
import type { TargetSpec } from './target.js';
import { TRANSFORMER_FAMILY } from './transformer-family.js';

/**
 * Every family, in the order editors list them. A family's methods take its own spec; the list
 * widens them to TargetSpec (method parameters are bivariant), which is sound because familyOf
 * hands a spec only to the family whose name is its kind.
 */
export const TARGET_FAMILIES: readonly TargetFamily<TargetSpec>[] = [MLP_FAMILY, TRANSFORMER_FAMILY, CNN_FAMILY];

export function findFamily(name: string): TargetFamily<TargetSpec> | undefined {
  return TARGET_FAMILIES.find((f) => f.name === name);
}

/** The family a spec was elaborated by. */
export function familyOf(spec: TargetSpec): TargetFamily<TargetSpec> {
  const family = findFamily(spec.kind);
  if (family === undefined) throw new Error(`internal: no target family registers '${spec.kind}'`);
  return family;
}
