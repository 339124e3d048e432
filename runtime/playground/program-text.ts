// A `.gmn` text checked as the CLI checks a file, with no file system: the text is a file at the
// root of an in-memory tree that also holds the embedded std/ and dsl-examples/ (the package root's
// layout), so `use std/...` resolves and spans name files as `gmn check` run from the package root
// names them. The analysis is the language server's (compiler/ide/analysis.ts).
import { analyzeFile, type Analysis } from '../../compiler/ide/analysis.js';
import { memoryModuleFiles } from '../../compiler/resolve/memory-files.js';
import { normalisePath } from '../../compiler/resolve/posix-path.js';
import { EMBEDDED_SOURCES } from './embedded-sources.js';

export const DEFAULT_FILE_NAME = 'playground.gmn';

export interface AnalysedText {
  analysis: Analysis;
  /** The name spans give the text (`playground.gmn`). */
  file: string;
  /** Source text by span file name, for rendering diagnostics. */
  sources: Map<string, string>;
}

export function analyseText(source: string, fileName = DEFAULT_FILE_NAME): AnalysedText {
  const path = normalisePath(fileName);
  const files = new Map([...EMBEDDED_SOURCES].map(([name, text]) => [`/${name}`, text]));
  files.set(path, source);
  const analysis = analyzeFile(path, { stdRoot: '/std', files: memoryModuleFiles(files) });
  const sources = new Map([...analysis.program.modules.values()].map((m) => [m.file, m.source]));
  return { analysis, file: path.slice(1), sources };
}

export function hasErrors(analysis: Analysis): boolean {
  return analysis.diagnostics.some((d) => d.severity === 'error');
}
