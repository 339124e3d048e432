// The registry of target families: the only place that lists them. Every stage that needs
// something of a target's kind asks here (familyOf) instead of branching on `spec.kind`.
import { CNN_FAMILY } from './cnn-family.js';
import type { TargetFamily } from './family.js';
import { MLP_FAMILY } from './mlp-family.js';
import type { TargetSpec } from './target.js';
import { TRANSFORMER_FAMILY } from './transformer-family.js';

/** One family per spec kind: a TargetSpec without its family here does not compile. */
const BY_KIND: { [K in TargetSpec['kind']]: TargetFamily<Extract<TargetSpec, { kind: K }>> } = {
  mlp: MLP_FAMILY,
  transformer: TRANSFORMER_FAMILY,
  cnn: CNN_FAMILY,
};

/**
 * Every family, in the order editors list them (BY_KIND's). A family's methods take its own spec;
 * the list and familyOf widen them to TargetSpec (method parameters are bivariant), which is sound
 * because a spec only ever reaches the family whose name is its kind.
 */
export const TARGET_FAMILIES: readonly TargetFamily<TargetSpec>[] = Object.values(BY_KIND);

export function findFamily(name: string): TargetFamily<TargetSpec> | undefined {
  return TARGET_FAMILIES.find((f) => f.name === name);
}

/** The family a spec was elaborated by. */
export function familyOf(spec: TargetSpec): TargetFamily<TargetSpec> {
  return BY_KIND[spec.kind];
}
