// A resumable state kept as one JSON file (the learned-optimizer task's meta-training state), with
// the same guarantees as a training checkpoint (training-checkpoint.ts): two generations, `X` and
// `X.prev`, each written atomically; loading takes the latest generation that parses and passes the
// caller's check, names a damaged one on stderr and removes it, and returns null — start from
// scratch — when neither is usable.
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { writeAtomic } from './run-directory.js';

export function saveStateFile(path: string, text: string): void {
  if (existsSync(path)) renameSync(path, `${path}.prev`);
  writeAtomic(path, text);
}

export function removeStateFile(path: string): void {
  for (const file of [path, `${path}.prev`]) rmSync(file, { force: true });
}

/**
 * The latest usable generation at `path` read by `parse` (which throws, with what is wrong, on a
 * state it cannot use), or null. `warn` hears every fallback; `what` names the state in warnings.
 */
export function loadStateFile<T>(path: string, what: string, parse: (text: string) => T, warn: (line: string) => void): T | null {
  const problems: string[] = [];
  for (const file of [path, `${path}.prev`].filter((f) => existsSync(f))) {
    try {
      const state = parse(readFileSync(file, 'utf8'));
      if (problems.length > 0) warn(`warning: ${problems.join('; ')}; resuming from the previous ${what} ${file}`);
      return state;
    } catch (e) {
      problems.push(`${what} ${file} is damaged (${e instanceof Error ? e.message : String(e)})`);
      rmSync(file, { force: true });
    }
  }
  if (problems.length > 0) warn(`warning: ${problems.join('; ')}; nothing usable is left, so it starts from scratch`);
  return null;
}
