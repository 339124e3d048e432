// Module loading: reads the files the user named and, transitively, every module they `use`,
// parsing each once. `use std/x` is `<stdRoot>/x.gmn`; `use ./x` and `use ../x` are relative to the
// file that says it. A missing module is an error at its `use` (with the std modules as a hint);
// an import cycle is an error at the `use` that closes it, naming the whole cycle. The files and
// their path rules come from `options.files` (module-files.ts), so the loader runs in a browser too.
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Program, UseDecl } from '../syntax/ast.js';
import { parseSource } from '../syntax/parse.js';
import type { ModuleFiles } from './module-files.js';
import { suggest } from './suggest.js';

export interface LoadOptions {
  stdRoot: string;
  /** Where the files are read from (node-files.ts: the file system). */
  files: ModuleFiles;
}

export interface ModuleImport {
  decl: UseDecl;
  /** Absolute path of the imported module (it is in `modules`). */
  path: string;
}

export interface LoadedModule {
  /** Absolute path: the module's identity. */
  path: string;
  /** The name used in spans and messages: relative to the working directory when inside it. */
  file: string;
  source: string;
  program: Program;
  /** The modules this one `use`s directly and that could be loaded, in order. */
  imports: ModuleImport[];
  /** Whether the file had lexical or syntax errors (its semantic checks are then skipped). */
  hasSyntaxErrors: boolean;
}

export interface LoadResult {
  modules: Map<string, LoadedModule>;
  /** Absolute paths of the files the user named (those that could be read). */
  roots: string[];
  diagnostics: Diagnostic[];
}

export function loadModules(paths: readonly string[], options: LoadOptions): LoadResult {
  return new Loader(options).load(paths);
}

class Loader {
  private readonly modules = new Map<string, LoadedModule>();
  private readonly diagnostics: Diagnostic[] = [];
  private readonly files: ModuleFiles;

  constructor(private readonly options: LoadOptions) {
    this.files = options.files;
  }

  load(paths: readonly string[]): LoadResult {
    const roots: string[] = [];
    for (const p of paths) {
      const abs = this.files.resolve(p);
      if (this.module(abs) !== undefined) roots.push(abs);
      else this.diagnostics.push(error('io/unreadable', `cannot read \`${p}\``, emptySpan(this.displayName(abs)), 'check the path'));
    }
    this.findCycles(roots);
    return { modules: this.modules, roots: [...new Set(roots)], diagnostics: this.diagnostics };
  }

  /** Loads (once) the module at `abs` and everything it uses; undefined when it cannot be read. */
  private module(abs: string): LoadedModule | undefined {
    const known = this.modules.get(abs);
    if (known !== undefined) return known;
    const source = this.files.read(abs);
    if (source === undefined) return undefined;
    const file = this.displayName(abs);
    const parsed = parseSource(source, file);
    const mod: LoadedModule = { path: abs, file, source, program: parsed.program, imports: [], hasSyntaxErrors: parsed.diagnostics.length > 0 };
    this.modules.set(abs, mod);
    this.diagnostics.push(...parsed.diagnostics);
    for (const decl of parsed.program.declarations) {
      if (decl.kind !== 'use' || decl.path === '') continue;
      const target = this.modulePath(decl.path, abs);
      if (this.module(target) !== undefined) mod.imports.push({ decl, path: target });
      else this.diagnostics.push(this.missingModule(decl));
    }
    return mod;
  }

  private modulePath(path: string, from: string): string {
    const { resolve, dirname, join, isAbsolute } = this.files;
    if (path.startsWith('./') || path.startsWith('../')) return resolve(dirname(from), `${path}.gmn`);
    if (path.startsWith('std/')) return join(this.options.stdRoot, `${path.slice(4)}.gmn`);
    return isAbsolute(path) ? `${path}.gmn` : resolve(dirname(from), `${path}.gmn`);
  }

  /** The name used in spans: relative to the working directory when inside it. */
  private displayName(abs: string): string {
    const rel = this.files.relative(this.files.cwd(), abs);
    return rel !== '' && !rel.startsWith('..') && !this.files.isAbsolute(rel) ? rel : abs;
  }

  private missingModule(decl: UseDecl): Diagnostic {
    const std = this.stdModules();
    if (decl.path.startsWith('std/')) {
      const near = suggest(decl.path.slice(4), std);
      const hint = near !== undefined ? `did you mean \`std/${near}\`? ` : '';
      return error('resolve/missing-module', `module \`${decl.path}\` not found`, decl.span,
        `${hint}std modules: ${std.map((m) => `std/${m}`).join(', ')}`);
    }
    return error('resolve/missing-module', `module \`${decl.path}\` not found`, decl.span,
      `local modules are written relative to this file, e.g. \`use ./other\` for ./other.gmn; std modules: ${std.map((m) => `std/${m}`).join(', ')}`);
  }

  private stdModules(): string[] {
    return this.files.list(this.options.stdRoot).filter((f) => f.endsWith('.gmn')).map((f) => f.slice(0, -4)).sort();
  }

  /** Depth-first search over imports from each root; a back edge closes a cycle. */
  private findCycles(roots: string[]): void {
    const done = new Set<string>();
    const stack: string[] = [];
    const reported = new Set<string>();
    const visit = (path: string): void => {
      if (done.has(path)) return;
      stack.push(path);
      const mod = this.modules.get(path)!;
      for (const imp of mod.imports) {
        const at = stack.indexOf(imp.path);
        if (at >= 0) {
          const cycle = [...stack.slice(at), imp.path];
          // Reported at the `use` that enters the cycle from its first module: for the file being
          // checked, that is a line in that file.
          const key = [...cycle].sort().join('|');
          if (!reported.has(key)) {
            reported.add(key);
            const first = this.modules.get(cycle[0]!)!;
            const entry = first.imports.find((i) => i.path === cycle[1])!;
            const names = cycle.map((p) => this.modules.get(p)!.file).join(' → ');
            this.diagnostics.push(error('resolve/import-cycle', `import cycle: ${names}`, entry.decl.span,
              'modules cannot use each other in a circle: move the shared declarations into a module both can use'));
          }
        } else {
          visit(imp.path);
        }
      }
      stack.pop();
      done.add(path);
    };
    for (const r of roots) visit(r);
  }
}

function emptySpan(file: string): Diagnostic['span'] {
  const at = { offset: 0, line: 1, column: 1 };
  return { file, start: at, end: at };
}
