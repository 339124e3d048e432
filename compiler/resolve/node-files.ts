// The module loader's files on this machine: the file system (or a caller's `readFile`, e.g. an
// editor's unsaved text) with Node's path rules and the process's working directory.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { ModuleFiles } from './module-files.js';

export function nodeModuleFiles(readFile: (path: string) => string | undefined = readFileOrUndefined): ModuleFiles {
  return {
    read: readFile,
    list: (dir) => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
    cwd: () => process.cwd(),
    resolve,
    join,
    dirname,
    relative,
    isAbsolute,
  };
}

function readFileOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
