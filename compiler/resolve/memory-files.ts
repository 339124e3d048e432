// The module loader's files held in memory (the browser playground: the editor's text and the
// embedded std/), under POSIX paths rooted at `/` — the working directory — so spans name a file
// `playground.gmn` or `std/layers.gmn` as the CLI names them from the package root.
import type { ModuleFiles } from './module-files.js';
import { normalisePath, parentPath, relativePath, resolvePath } from './posix-path.js';

/** `files`: text by absolute path (`/std/layers.gmn`). */
export function memoryModuleFiles(files: ReadonlyMap<string, string>): ModuleFiles {
  return {
    read: (path) => files.get(normalisePath(path)),
    list: (dir) => {
      const prefix = normalisePath(dir) === '/' ? '/' : `${normalisePath(dir)}/`;
      return [...files.keys()].filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/')).map((p) => p.slice(prefix.length));
    },
    cwd: () => '/',
    resolve: (...segments) => resolvePath('/', ...segments),
    join: (...segments) => normalisePath(segments.join('/')),
    dirname: parentPath,
    relative: relativePath,
    isAbsolute: (path) => path.startsWith('/'),
  };
}
