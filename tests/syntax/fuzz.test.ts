// Mutations of every std and example file (deleted, duplicated and swapped tokens, random bytes,
// truncation) must never make `checkFiles` throw, and no file may hang the checker (a per-file
// guard of five seconds — a hang detector with room for a loaded machine, not a benchmark).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { Rng } from '../../runtime/util/rng.js';

const repo = join(import.meta.dirname, '..', '..');
const specimens = ['std', 'dsl-examples'].flatMap((d) =>
  readdirSync(join(repo, d)).filter((f) => f.endsWith('.gmn')).map((f) => readFileSync(join(repo, d, f), 'utf8')));

const BYTES = '(){}[]<>,:;=+-*/@#"\\.$%&|!?~`\'\n\t 0123456789eE_abcxyz\u00e9\u03b8\u0000';

function mutate(text: string, rng: Rng): string {
  const tokens = text.match(/\s+|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"[^"\n]*"|\/\/[^\n]*|./gs) ?? [];
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits && tokens.length > 1; e++) {
    const i = rng.int(tokens.length);
    const j = rng.int(tokens.length);
    switch (rng.int(5)) {
      case 0: tokens.splice(i, 1); break;
      case 1: tokens.splice(i, 0, tokens[i]!); break;
      case 2: [tokens[i], tokens[j]] = [tokens[j]!, tokens[i]!]; break;
      case 3: tokens.splice(i, 0, Array.from({ length: 1 + rng.int(3) }, () => BYTES[rng.int(BYTES.length)]).join('')); break;
      default: tokens.length = Math.max(1, i); break;
    }
  }
  return tokens.join('');
}

it('checkFiles never throws and never hangs on 1200 mutated specimens', () => {
  const rng = new Rng(20240701);
  const virtual = join(repo, 'fuzz-input.gmn');
  let withErrors = 0;
  for (let n = 0; n < 1200; n++) {
    const text = mutate(specimens[n % specimens.length]!, rng);
    const started = performance.now();
    const result = checkFiles([virtual], {
      readFile: (p) => {
        if (p === virtual) return text;
        try {
          return readFileSync(p, 'utf8');
        } catch {
          return undefined;
        }
      },
    });
    const elapsed = performance.now() - started;
    expect(elapsed, `mutation ${n} took ${elapsed} ms:\n${text}`).toBeLessThan(5000);
    for (const d of result.diagnostics) {
      expect(d.span.start.line).toBeGreaterThanOrEqual(1);
      expect(d.message.length).toBeGreaterThan(0);
    }
    if (result.diagnostics.length > 0) withErrors++;
  }
  // Most mutations break the file; the fuzzer must actually be exercising error paths.
  expect(withErrors).toBeGreaterThan(600);
});
