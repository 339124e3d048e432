// `gmn verify`'s progress on stderr, through the task runs' progress (runtime/tasks/progress.ts): a
// line per net, then a bar over its runs (f(x) and one per comparison) on a terminal, or a plain
// line every few seconds and at the net's end elsewhere. A float64 check of a large net takes
// minutes; this says which net and how far.
import type { Progress } from '../tasks/progress.js';
import type { VerifyProgress } from './program.js';

export function verifyConsoleProgress(progress: Progress): VerifyProgress & { stop(): void } {
  let current = '';
  return {
    net(index, count, net, instance) {
      current = net;
      progress.stage(`verify [${index}/${count}] net ${net} (${instance})`);
    },
    check(done, total, check) {
      // The total is known once the net's comparisons are drawn, i.e. by its first run.
      if (done === 1) progress.startTraining(total);
      progress.advance(1, `${current}: ${check}`);
    },
    stop: () => progress.stop(),
  };
}
