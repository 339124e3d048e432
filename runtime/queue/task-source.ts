// A task as it travels to a worker: the text of one .gmn file. The submitter refuses a file that
// `use`s modules of its own (only the file's text travels, and a worker reads no path a job names);
// the worker checks the text as `gmn check` would, reading nothing but its own standard library.
import { readFileSync } from 'node:fs';
import { basename, resolve, sep } from 'node:path';
import { checkFiles, type CheckResult } from '../../compiler/check.js';
import { defaultStdRoot } from '../../compiler/resolve/package-root.js';
import type { ResolvedProgram } from '../../compiler/resolve/resolve.js';
import { MAX_SOURCE_CHARS, type TaskPayload } from './payload.js';
import { QueueError } from './queue-error.js';

/** The payload part that names the task: FILE's text, checked to be all a worker needs. */
export function taskPayload(file: string, program: ResolvedProgram, task: string, preset: string): TaskPayload {
  const root = program.roots[0]!;
  const stdRoot = resolve(defaultStdRoot()) + sep;
  const local = [...program.modules.values()].filter((m) => m !== root && !m.path.startsWith(stdRoot));
  if (local.length > 0) {
    throw new QueueError(`${root.file} uses ${local.map((m) => m.file).join(', ')}, which a worker cannot read: only ${root.file}'s own text is sent`,
      `put what it needs into ${root.file}, or run without --queue`);
  }
  if (root.source.length > MAX_SOURCE_CHARS) {
    throw new QueueError(`${root.file} has ${root.source.length} characters, over the ${MAX_SOURCE_CHARS} a queued job may carry`, 'run it without --queue');
  }
  return { file: safeName(basename(file)), source: root.source, task, preset };
}

/**
 * Checks a payload's task text. The file is placed, in name only, in the working directory (so
 * diagnostics show its name); reads of any other path than the standard library's find nothing.
 */
export function checkTaskSource(task: TaskPayload): CheckResult {
  const virtual = resolve(task.file);
  const stdRoot = resolve(defaultStdRoot()) + sep;
  return checkFiles([virtual], {
    readFile: (path) => {
      if (path === virtual) return task.source;
      if (!path.startsWith(stdRoot)) return undefined;
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
  });
}

/** A file name the payload schema accepts (it is only ever shown, never opened). */
function safeName(name: string): string {
  const stem = name.replace(/\.gmn$/, '').replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9_]/, '_').slice(0, 96);
  return `${stem === '' ? 'task' : stem}.gmn`;
}
