// Lowers nets from .gmn source text (with the real std/) for the IR and symmetry tests.
import { resolve } from 'node:path';
import { loadModules } from '../../compiler/resolve/load.js';
import { nodeModuleFiles } from '../../compiler/resolve/node-files.js';
import { resolveProgram } from '../../compiler/resolve/resolve.js';
import { mlpLayout, type TargetLayout } from '../../compiler/spaces/target.js';
import { lowerNet, type LowerResult, type ScalarArg } from '../../compiler/ir/lower.js';

export const STD = resolve(import.meta.dirname, '../../std');

export const probe = (widths: number[] = [2, 3, 4, 2], name = 'T'): TargetLayout =>
  mlpLayout(name, { kind: 'mlp', widths, activation: { kind: 'relu' }, init: 'kaiming' });

/** Lowers `net` of the given source (file name `test.gmn`); the program must resolve cleanly. */
export function lowerSource(source: string, net: string, opts: { target?: TargetLayout; b?: number; args?: Record<string, ScalarArg> } = {}): LowerResult {
  const file = resolve('/virtual/test.gmn');
  const loaded = loadModules([file], { stdRoot: STD, files: nodeModuleFiles((p) => (p === file ? source : readStd(p))) });
  const resolved = resolveProgram(loaded);
  const errors = [...loaded.diagnostics, ...resolved.diagnostics].filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`test source does not resolve: ${errors.map((d) => d.message).join('; ')}`);
  const module = resolved.program.roots[0]!;
  return lowerNet({
    program: resolved.program, module, net, target: opts.target ?? probe(), setSize: opts.b ?? 4,
    args: new Map(Object.entries(opts.args ?? {})),
  });
}

import { readFileSync } from 'node:fs';
function readStd(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}
