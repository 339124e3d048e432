// An editor on a cnn(...) target: hover names the CNN's group (conv channels, head neurons) and its
// parameter count, completion inside the constructor offers its arguments from the family's schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { nodeSources } from '../../compiler/check.js';
import { analyzeFile } from '../../compiler/ide/analysis.js';
import { completionsAt } from '../../compiler/ide/completion.js';
import { hoverAt } from '../../compiler/ide/hover.js';

const file = join(import.meta.dirname, '..', 'corpus', 'symmetry', 'accept', 'cnn-gradmetanet.gmn');
const analysis = analyzeFile(file, nodeSources());
const module = analysis.module!;

it('hover on a cnn target gives its group and parameter count', () => {
  const at = module.source.indexOf('target Conv') + 'target '.length;
  // 9·4·1 + 4 + 9·8·4 + 8 (convs) + 16·8 + 16 + 16 + 1 (head) parameters.
  expect(hoverAt(analysis, at)?.markdown).toContain('symmetry group of its neurons: S_4×S_8×S_16, 497 parameters');
});

it('completion inside cnn( offers the constructor\'s arguments not yet written', () => {
  const partial = join(import.meta.dirname, 'cnn-partial.gmn');
  const source = 'target Conv = cnn(channels: [1, 4], kernel: 3, )\n';
  const typing = analyzeFile(partial, nodeSources({ readFile: (p) => (p === partial ? source : readFileSync(p, 'utf8')) })).module!;
  const offered = completionsAt(typing, source.indexOf(', )') + 2).filter((c) => c.kind === 'property').map((c) => c.label);
  expect(offered).toEqual(['height', 'width', 'head', 'activation']);
});
