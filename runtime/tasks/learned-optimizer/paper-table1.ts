// The paper's Table 1 (= Table 6, with std) per base task: step-reduction factor vs Adam / best test
// NLL, by optimizer net, and which of its tasks each of ours is — the task itself (Fashion-MNIST)
// or a stand-in built from data that can be obtained offline (CIFAR and LM1B cannot).

export interface PaperTask {
  /** The paper's task, as its Table 1 names it. */
  task: string;
  /** What stands in for it here, or undefined when it is the paper's task itself. */
  standIn: string | undefined;
  rows: ReadonlyMap<string, string>;
}

const row = (adam: string, sgdm: string, ds: string, unf: string, dsGmn: string, unfGmn: string): ReadonlyMap<string, string> => new Map([
  ['adam', adam], ['sgdm', sgdm], ['ds_optimizer', ds], ['unf_optimizer', unf], ['ds_gradmetanet', dsGmn], ['unf_gradmetanet', unfGmn],
]);

/** By the base task's data name (`image_mlp(data: …)`, `language_model(data: …)`). */
const TABLE_1: ReadonlyMap<string, PaperTask> = new Map([
  ['fashion_mnist', {
    task: 'F-MNIST', standIn: undefined,
    rows: row('1.00 / 0.475±0.011', '1.13±0.17 / 0.463±0.019', '1.27±0.36 / 0.460±0.011', '1.16±0.18 / 0.451±0.015', '1.44±0.43 / 0.445±0.017', '1.51±0.59 / 0.447±0.011'),
  }],
  ['fashion_mnist_colour', {
    task: 'CIFAR-10', standIn: 'coloured Fashion-MNIST (8×8×3, 10 classes: each item in a random bright colour on a random dark background)',
    rows: row('1.00 / 1.616±0.039', '1.41±0.52 / 1.556±0.014', '2.32±0.42 / 1.494±0.015', '2.64±0.53 / 1.516±0.020', '4.63±1.11 / 1.427±0.018', '4.26±0.56 / 1.418±0.022'),
  }],
  ['mnist_pairs', {
    task: 'CIFAR-100', standIn: 'MNIST digit pairs (8×8×3, 100 classes: tens digit, units digit, their mean)',
    rows: row('1.00 / 3.449±0.021', '1.06±0.07 / 3.424±0.026', '1.79±0.40 / 3.356±0.027', '1.58±0.27 / 3.345±0.036', '3.15±0.56 / 3.253±0.019', '2.85±0.38 / 3.262±0.013'),
  }],
  ['common_licenses', {
    task: 'LM1B', standIn: 'the licence texts of Debian\'s base-files, byte-level (vocabulary 256; LM1B: 32k subwords)',
    rows: row('1.00 / 6.904±0.075', '1.01±0.03 / 7.045±0.031', '0.88±0.14 / 6.987±0.108', '1.48±0.16 / 6.702±0.080', '1.09±0.16 / 6.993±0.076', '1.82±0.39 / 6.557±0.061'),
  }],
]);

/** Nets of ours that stand in for a paper column: UNF-local (std/optimizers.gmn) where UNF's complete np layer is too large to build (the LM). */
const STANDS_FOR: ReadonlyMap<string, string> = new Map([['unf_local_optimizer', 'unf_optimizer'], ['unf_local_gradmetanet', 'unf_gradmetanet']]);

/** The key of `rows` whose figure sits beside an optimizer net of ours. */
export function paperColumn(net: string): string {
  return STANDS_FOR.get(net) ?? net;
}

/** The paper's task for a base-task label (`Cifar10Mlp/fashion_mnist_colour`), if Table 1 has one. */
export function paperTask(label: string): PaperTask | undefined {
  return TABLE_1.get(label.split('/')[1] ?? '');
}
