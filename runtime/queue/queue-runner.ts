// The submitter's side of `gmn run FILE --queue URL`: a task's jobs (the curvature sweep's, the
// learned-optimization run's) go to a BullMQ queue, and each finished job's outcome comes back into
// the run directory as if it had run here.
//
// Job ids are derived from the task text and the job (payload.ts), so a restarted submitter finds
// the jobs of its previous life — waiting, running, finished or failed — instead of queuing them
// again; the run directory records each result once whichever life collects it. A recorded job is
// removed from Redis with its checkpoint. A job that failed for good is retried once when the
// submitter is started again (the user asked again); it is never retried forever.
import type { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobName, jobResultKeys, jobUnits, type CurvatureModel, type CurvatureSetup, type JobRunner } from '../tasks/curvature.js';
import type { JobDescription, Runner } from '../tasks/job-runner.js';
import type { Progress } from '../tasks/progress.js';
import { connectionError, probeRedis, QUEUE_PREFIX, type QueueEndpoint } from './connection.js';
import { decodeOutcome } from './outcome.js';
import { jobId, jobPayload, type QueuedJob, type TaskPayload } from './payload.js';
import { QueueError } from './queue-error.js';
import { checkpointKey } from './redis-store.js';

/** Tries per job: a second one for a failure that is not the job's own (a worker's device lost). */
const ATTEMPTS = 2;
const RETRY_DELAY_MS = 5000;
/** How long the submitter stays silent when no job finishes before saying what the queue holds. */
const QUIET_MS = 60_000;

/** The curvature sweep's runner: its jobs on the queue. */
export function queueRunner(endpoint: QueueEndpoint, task: TaskPayload): (setup: CurvatureSetup, models: readonly CurvatureModel[]) => JobRunner {
  return (setup, models) => queueJobs(endpoint, task, {
    name: jobName,
    units: (job) => jobUnits(setup.config, job),
    // Largest training sets first.
    cost: (job) => (job.kind === 'train' ? job.trainSize : 0),
    decode: (job, value) => decodeOutcome(job, value, jobResultKeys(setup.config, models, job)),
    device: (outcome) => outcome.results[0]?.device ?? 'a worker',
  }, setup.progress);
}

/** Runs a task's jobs on the queue's workers: any task whose jobs the payload schema knows. */
export function queueJobs<J extends QueuedJob, O>(endpoint: QueueEndpoint, task: TaskPayload, description: JobDescription<J, O>, progress: Progress): Runner<J, O> {
  let queue: Queue | null = null;
  let events: QueueEvents | null = null;
  let client: Redis | null = null;

  /** Records a finished job, then clears it (and its checkpoint) from Redis. */
  const collect = async (job: J, queued: Job, value: unknown, deliver: (outcome: O) => void): Promise<void> => {
    let outcome: O;
    try {
      outcome = await description.decode(job, value);
    } catch (e) {
      throw new QueueError(`job ${queued.id} (${description.name(job)}) came back unusable: ${e instanceof Error ? e.message : String(e)}`,
        'check that every worker runs the same gmn version as the submitter (gmn --version)');
    }
    deliver(outcome);
    progress.advance(description.units(job), `${description.name(job)}: done on ${description.device(outcome)}`);
    await forget(queued);
  };
  const forget = async (queued: Job): Promise<void> => {
    await queued.remove();
    await client!.del(checkpointKey(QUEUE_PREFIX, endpoint.name, queued.id!));
  };

  return {
    device: `the workers of ${endpoint.display} (each result names its own device)`,
    prepare: async () => {
      await probeRedis(endpoint);
      const [{ Queue, QueueEvents }, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
      const connection = { ...endpoint.redis };
      queue = new Queue(endpoint.name, { connection, prefix: QUEUE_PREFIX });
      events = new QueueEvents(endpoint.name, { connection, prefix: QUEUE_PREFIX });
      client = new Redis({ ...endpoint.redis, maxRetriesPerRequest: 3 });
      const warn = (e: Error): void => progress.log(`warning: ${endpoint.redact(e.message)}`);
      queue.on('error', warn);
      events.on('error', warn);
      client.on('error', warn);
      events.setMaxListeners(0);
      try {
        await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      } catch (e) {
        throw connectionError(endpoint, e);
      }
    },
    run: async (jobs, finished, deliver) => {
      const q = queue!;
      for (const job of finished) {
        const leftover = await q.getJob(jobId(task, job));
        if (leftover !== undefined) await forget(leftover);
      }
      // Costliest first: workers take jobs in queue order, and a sweep ends with its longest job,
      // so starting the long ones early shortens it (the order changes no result).
      const byCost = [...jobs].sort((x, y) => description.cost(y) - description.cost(x));
      const queued = new Map<J, { job: Job; fresh: boolean }>();
      for (const job of byCost) queued.set(job, await enqueue(q, task, job));
      const fresh = [...queued.values()].filter((e) => e.fresh).length;
      progress.log(`queue: ${fresh} jobs queued on ${endpoint.display}${fresh < jobs.length ? `, ${jobs.length - fresh} found there from an earlier submission` : ''}`);
      let lastFinished = performance.now();
      const quiet = setInterval(() => {
        if (performance.now() - lastFinished < QUIET_MS) return;
        void q.getJobCounts('waiting', 'active', 'delayed').then((c) => progress.log(
          `queue: ${c['waiting'] ?? 0} waiting, ${c['active'] ?? 0} running, ${c['delayed'] ?? 0} delayed; no job finished in the last ${QUIET_MS / 1000} s (start workers with: gmn worker --queue URL)`));
      }, QUIET_MS);
      try {
        await Promise.all(jobs.map(async (job) => {
          const entry = queued.get(job)!.job;
          let value: unknown;
          try {
            value = await entry.waitUntilFinished(events!);
          } catch (e) {
            const reason = endpoint.redact(e instanceof Error ? e.message : String(e));
            throw new QueueError(`job ${entry.id} (${description.name(job)}) failed on a worker:\n${reason.trimEnd()}`,
              'fix the cause and run the same command again: the finished jobs are kept, the failed one is tried once more');
          }
          lastFinished = performance.now();
          await collect(job, entry, value, deliver);
        }));
      } finally {
        clearInterval(quiet);
      }
    },
    close: async () => {
      await Promise.all([events?.close(), queue?.close(), client?.quit()]);
    },
  };
}

/** Queues `job` unless an earlier submission did; a job of that submission that failed for good is retried. */
async function enqueue(queue: Queue, task: TaskPayload, job: QueuedJob): Promise<{ job: Job; fresh: boolean }> {
  const id = jobId(task, job);
  const existing = await queue.getJob(id);
  if (existing !== undefined) {
    if (await existing.isFailed()) await existing.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return { job: existing, fresh: false };
  }
  const added = await queue.add(job.kind, jobPayload(task, job), {
    jobId: id, attempts: ATTEMPTS, backoff: { type: 'fixed', delay: RETRY_DELAY_MS }, removeOnComplete: false, removeOnFail: false,
  });
  return { job: added, fresh: true };
}
