// The group a net must respect, described for messages and certificates: S_b on set axes, and on a
// target's sites its true group (one S_d per permuted segment group; fixed segments untouched).
import type { Site, TensorType } from '../ir/types.js';
import type { NeuronSegment, TargetLayout } from '../spaces/target.js';

/** The permuted segment groups of a target, once each (tied segments share one). */
export function permutedGroups(layout: TargetLayout): NeuronSegment[] {
  const seen = new Set<string>();
  return layout.segments.filter((s) => s.group !== null && !seen.has(s.group) && seen.add(s.group) !== undefined);
}

/** `S_32×S_32`, or `trivial` when the target has no permuted segment. */
export function groupName(layout: TargetLayout): string {
  const gs = permutedGroups(layout);
  return gs.length === 0 ? 'trivial' : gs.map((s) => `S_${s.size}`).join('×');
}

/** `layer1` → `layer 1` (MLP segment names read better spaced in messages). */
export function segmentName(seg: NeuronSegment): string {
  return seg.name.replace(/^layer(\d+)$/, 'layer $1');
}

/** The first permuted segment a site axis carries, if any (what a position-specific op breaks). */
export function firstPermuted(site: Site | null, layouts: ReadonlyMap<string, TargetLayout>): { layout: TargetLayout; seg: NeuronSegment } | null {
  if (site === null || site.kind === 'fixed') return null;
  const layout = layouts.get(site.target)!;
  const seg = permutedGroups(layout)[0];
  return seg === undefined ? null : { layout, seg };
}

export const siteTarget = (t: TensorType): string | null => (t.site !== null && t.site.kind !== 'fixed' ? t.site.target : null);
