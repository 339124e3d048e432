// Where the module loader reads `.gmn` files from, and how it treats their paths: the file system
// with Node's path rules for the CLI and the language server (node-files.ts), or texts held in
// memory with POSIX paths for the browser playground (memory-files.ts). The loader itself
// (load.ts) touches neither, so the compiler's front end runs in both places.
export interface ModuleFiles {
  /** The file's text, or undefined when it cannot be read. */
  read(path: string): string | undefined;
  /** The names of the entries of folder `dir` ([] when it cannot be listed). */
  list(dir: string): string[];
  /** The folder relative paths are resolved against, and spans are named relative to. */
  cwd(): string;
  resolve(...segments: string[]): string;
  join(...segments: string[]): string;
  dirname(path: string): string;
  relative(from: string, to: string): string;
  isAbsolute(path: string): boolean;
}
