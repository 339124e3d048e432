// One writer per run directory. A run holds `<dir>/run.lock` — a JSON record of its pid, host and
// start time — from before it writes anything until it ends. The file is created whole and
// atomically: written under a private name, then hard-linked to `run.lock`, which fails if another
// run got there first, so no reader ever sees half a record and two runs never both win.
//
// A lock whose holder is gone (same host, pid no longer alive) is stale: the next run takes it over
// and says so. Taking over goes through `run.lock.takeover`, itself created atomically, so two runs
// that find the same stale lock cannot both take it. A lock held on another host cannot be checked
// from here and is never taken over.
import { linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RunStateError } from './run-state-error.js';

export const LOCK_FILE = 'run.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder started the run. */
  started: string;
}

/** Another run holds the directory (or its lock file is unreadable, which is never guessed at). */
export class RunLockedError extends RunStateError {
  constructor(readonly dir: string, readonly holder: LockHolder | null) {
    const lock = join(dir, LOCK_FILE);
    super(
      holder === null
        ? `${dir} is locked, and its lock file ${lock} cannot be read`
        : `${dir} is being written by another gmn run: pid ${holder.pid} on ${holder.host}, started ${holder.started}`,
      holder === null
        ? `if no gmn run is using ${dir}, delete ${lock} and run again`
        : `wait for that run to finish, or pass another --out DIR${holder.host === hostname() ? '' : ` (if it is no longer running on ${holder.host}, delete ${lock})`}`,
    );
  }
}

export interface RunLock {
  readonly path: string;
  /** Set when the lock was taken over from a holder that is gone. */
  readonly tookOverFrom: LockHolder | null;
  release(): void;
}

/** Takes the lock of run directory `dir` (which must exist), or throws RunLockedError. */
export function acquireRunLock(dir: string, attempts = 3): RunLock {
  const path = join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  if (createExclusive(path, me)) return held(path, null);

  const holder = readHolder(path);
  // Released between our attempt and the read: try again (a few times, so a busy directory cannot spin us).
  if (holder === undefined) {
    if (attempts > 1) return acquireRunLock(dir, attempts - 1);
    throw new RunLockedError(dir, null);
  }
  if (holder === null || holderAlive(holder)) throw new RunLockedError(dir, holder);

  const takeover = `${path}.takeover`;
  if (!createExclusive(takeover, me)) {
    const other = readHolder(takeover);
    // A takeover abandoned by a dead process would block every later run: clear it once.
    if (other !== null && other !== undefined && !holderAlive(other)) rmSync(takeover, { force: true });
    throw new RunLockedError(dir, holder);
  }
  try {
    // Only the holder we judged stale may be removed: someone may have replaced it meanwhile.
    if (JSON.stringify(readHolder(path)) === JSON.stringify(holder)) rmSync(path, { force: true });
    if (!createExclusive(path, me)) throw new RunLockedError(dir, readHolder(path) ?? null);
  } finally {
    rmSync(takeover, { force: true });
  }
  return held(path, holder);
}

function held(path: string, tookOverFrom: LockHolder | null): RunLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Remove only our own lock: after a takeover by mistake the file may be someone else's.
    if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
  };
  // A run that ends by an exception or process.exit still frees its directory.
  process.on('exit', release);
  return { path, tookOverFrom, release };
}

/** Creates `path` holding `holder`, atomically; false when it exists. */
function createExclusive(path: string, holder: LockHolder): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(holder)}\n`);
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/** The holder recorded at `path`; undefined when there is no file, null when it is unreadable. */
function readHolder(path: string): LockHolder | null | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.started === 'string') {
      return { pid: h.pid, host: h.host, started: h.started };
    }
  } catch {
    // fall through: an unreadable lock is reported, not guessed at
  }
  return null;
}

/** Whether the holder may still be running: always true for another host, which cannot be checked. */
function holderAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
