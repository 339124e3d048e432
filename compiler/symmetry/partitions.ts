// Set partitions of a few slots (UNF's `valid_partitions`): each term of an equivariant basis is a
// way of saying which index slots are equal. Enumerated as restricted growth strings.

/** All partitions of n items into at most `maxBlocks` blocks, as block numbers per item (first use in order). */
export function partitions(n: number, maxBlocks: number): number[][] {
  const out: number[][] = [];
  const current: number[] = [];
  const grow = (i: number, blocks: number): void => {
    if (i === n) {
      out.push([...current]);
      return;
    }
    for (let b = 0; b <= blocks && b < maxBlocks; b++) {
      current.push(b);
      grow(i + 1, Math.max(blocks, b + 1));
      current.pop();
    }
  };
  grow(0, 0);
  return out;
}
