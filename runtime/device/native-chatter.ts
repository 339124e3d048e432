// Dawn prints diagnostics from C++ straight to file descriptor 2 while it discovers adapters — on
// lavapipe two lines (`Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced …`)
// that mean nothing to a user and cannot be turned off through its API. Node has no dup2, so while
// an adapter is found, fd 2 is pointed at /dev/null by the lowest-free-descriptor rule (close 2,
// open /dev/null) and then reopened from a saved descriptor of the original target.
//
// Reopening through /proc/self/fd works for terminals, pipes and files, not for sockets (a Node
// parent's `spawn` pipes): there, and under `--verbose`, the chatter is shown as it comes.
import { closeSync, fstatSync, openSync } from 'node:fs';

let verbose = false;

/** `--verbose`: show Dawn's own diagnostics. */
export function showNativeChatter(show: boolean): void {
  verbose = show;
}

/** Runs `discover` with Dawn's writes to stderr discarded where that can be undone safely. */
export async function withoutNativeChatter<T>(discover: () => Promise<T>): Promise<T> {
  const restore = verbose ? null : silenceStderr();
  try {
    return await discover();
  } finally {
    restore?.();
  }
}

/** Points fd 2 at /dev/null; returns what points it back, or null when that could not be made safe. */
function silenceStderr(): (() => void) | null {
  // Descriptors 0 and 1 must be open, so that a freed 2 is the lowest free descriptor.
  if (!isOpen(0) || !isOpen(1)) return null;
  let saved: number;
  try {
    saved = openSync('/proc/self/fd/2', 'a');
  } catch {
    return null; // a socket, or no /proc: leave stderr alone
  }
  // fd 1 sharing fd 2's file (`> log 2>&1`) must append too, or its writes would overwrite ours.
  const sharedLog = sameFile(1, 2) && fstatSync(2).isFile() ? openSync('/proc/self/fd/1', 'a') : null;
  closeSync(2);
  const devNull = openSync('/dev/null', 'w');
  return () => {
    closeSync(devNull);
    moveTo(saved, 2);
    if (sharedLog !== null) {
      closeSync(1);
      moveTo(sharedLog, 1);
    }
  };
}

/** Reopens `fd`'s target as descriptor `target` (which must be the lowest free one), closing `fd`. */
function moveTo(fd: number, target: number): void {
  const reopened = openSync(`/proc/self/fd/${fd}`, 'a');
  closeSync(fd);
  if (reopened !== target) throw new Error(`internal: stderr reopened as fd ${reopened}, not ${target}`);
}

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

function sameFile(a: number, b: number): boolean {
  try {
    const x = fstatSync(a);
    const y = fstatSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
