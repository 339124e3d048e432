// `gmn worker --queue URL`: takes jobs from a BullMQ queue and runs them with the same code as a
// local run (runtime/tasks/curvature.ts, runtime/tasks/learned-optimizer/jobs.ts: worker-tasks.ts
// picks by the task's kind), on this machine's adapter.
//
// Every payload is size-checked and schema-checked first (payload.ts) and rejected, once, with a
// logged reason when it fails. The task is rebuilt from the payload's text alone; the data is
// generated or found in this worker's own cache folder, the only place it writes. A training or
// meta-training job's checkpoints go to Redis (redis-store.ts, redis-meta-store.ts), so when this process dies the job's lock expires,
// BullMQ's stalled-job check hands it to another worker, and that worker resumes it.
//
// A job fails once, without retries, when the task itself is wrong (a diagnostic, a data error,
// training that diverges): another try would fail the same way. On SIGINT or SIGTERM the worker
// takes no new job, lets a running training job finish its epoch and save its checkpoint, puts the
// job back in the queue and exits; a second signal exits at once (the job is then handed over as a
// stalled one).
import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import { DiagnosticError } from '../../compiler/diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../compiler/diagnostics/render.js';
import { DataError } from '../targets/errors.js';
import type { BackendChoice } from '../tasks/backend.js';
import { JobHandedBack } from '../tasks/job-store.js';
import { probeRedis, QUEUE_PREFIX, type QueueEndpoint } from './connection.js';
import { checkPayload, taskHash, type TaskPayload } from './payload.js';
import { JobLostError } from './redis-store.js';
import { prepareTask, queuedJobName, TaskSourceError, type PreparedTask } from './worker-tasks.js';

export interface WorkerOptions {
  endpoint: QueueEndpoint;
  concurrency: number;
  /** The worker's own folder: datasets are cached under it, and it writes nowhere else. */
  cacheDir: string;
  backend: BackendChoice;
  /** How long a job's lock lives without renewal: how soon a dead worker's job is handed over. */
  lockMs: number;
  log: (line: string) => void;
}

/** How often one job may be found stalled (its worker gone) before it fails. */
const MAX_STALLS = 3;
/** The lock a job holds while its task is prepared (data generated), which blocks this process. */
const PREPARE_LOCK_MS = 15 * 60_000;
/** Tasks whose data a worker keeps in memory at once. */
const TASKS_KEPT = 2;

/** Runs until SIGINT or SIGTERM; resolves to the exit code. */
export async function runWorker(opts: WorkerOptions): Promise<number> {
  const { endpoint, log } = opts;
  await probeRedis(endpoint);
  const [{ DelayedError, UnrecoverableError, WaitingError, Worker }, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
  const client = new Redis({ ...endpoint.redis, maxRetriesPerRequest: null });
  client.on('error', (e: Error) => log(`warning: ${endpoint.redact(e.message)}`));
  const device = `${opts.backend.device} on ${hostname()}`;
  const tasks = new Map<string, Promise<PreparedTask>>();
  let stopping = false;

  const prepare = (task: TaskPayload, job: Job, token: string): Promise<PreparedTask> => {
    const key = taskHash(task);
    const known = tasks.get(key);
    if (known !== undefined) return known;
    const prepared = (async () => {
      // Generating the data blocks this process, and with it the lock's renewal: hold a long lock meanwhile.
      await job.extendLock(token, PREPARE_LOCK_MS);
      return prepareTask(task, { ...opts, device, host: hostname() });
    })();
    tasks.set(key, prepared);
    prepared.catch(() => tasks.delete(key));
    while (tasks.size > TASKS_KEPT) tasks.delete(tasks.keys().next().value!);
    return prepared;
  };

  const processJob = async (job: Job, token?: string): Promise<unknown> => {
    const id = printableId(job.id);
    const checked = await checkPayload(job.data);
    if (!checked.ok) {
      log(`rejected job ${id}: ${checked.reason}`);
      throw new UnrecoverableError(`rejected by the worker on ${hostname()}: ${checked.reason}`);
    }
    const { task, job: work } = checked.payload;
    const prepared = await prepare(task, job, token!).catch((e: unknown) => {
      throw failure(e, undefined, UnrecoverableError);
    });
    // Back to the short lock: a long one left in place would keep a killed worker's job from being
    // handed over for PREPARE_LOCK_MS.
    await job.extendLock(token!, opts.lockMs);
    if (!prepared.jobs.some((j) => JSON.stringify(j) === JSON.stringify(work))) {
      const reason = `task \`${task.task}\` (preset ${task.preset}) has no job ${queuedJobName(work)}`;
      log(`rejected job ${id}: ${reason}`);
      throw new UnrecoverableError(`rejected by the worker on ${hostname()}: ${reason}`);
    }
    const hold = async <T>(work: () => Promise<T>): Promise<T> => {
      await job.extendLock(token!, PREPARE_LOCK_MS);
      try {
        return await work();
      } finally {
        await job.extendLock(token!, opts.lockMs);
      }
    };
    const handle = { client, keys: { prefix: QUEUE_PREFIX, queue: endpoint.name, jobId: job.id! }, token: token!, stopping: () => stopping, log, hold };
    log(`job ${id}: ${queuedJobName(work)}: started`);
    try {
      const outcome = await prepared.run(work, handle);
      log(`job ${id}: ${queuedJobName(work)}: done`);
      return outcome;
    } catch (e) {
      if (e instanceof JobHandedBack) {
        await job.moveToWait(token);
        log(`job ${id}: ${queuedJobName(work)}: ${e.message}, returned to the queue`);
        throw new WaitingError();
      }
      if (e instanceof JobLostError) log(`job ${id}: ${e.message}`);
      throw failure(e, prepared.sources, UnrecoverableError);
    }
  };

  const worker = new Worker(endpoint.name, processJob, {
    connection: { ...endpoint.redis },
    prefix: QUEUE_PREFIX,
    concurrency: opts.concurrency,
    lockDuration: opts.lockMs,
    stalledInterval: opts.lockMs,
    maxStalledCount: MAX_STALLS,
    autorun: false,
  });
  worker.on('error', (e: Error) => log(`warning: ${endpoint.redact(e.message)}`));
  worker.on('failed', (job, e) => {
    if (e instanceof DelayedError || e instanceof WaitingError) return;
    log(`job ${printableId(job?.id)}: failed: ${endpoint.redact(e.message).split('\n')[0]}`);
  });

  const stopped = new Promise<void>((resolveStop) => {
    const stop = (signal: string): void => {
      if (stopping) {
        log(`${signal} again: exiting now; a running job will be handed to another worker as a stalled one`);
        process.exit(130);
      }
      stopping = true;
      log(`${signal}: finishing the running jobs' current epoch, then returning them to the queue`);
      void worker.close().then(resolveStop);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  log(`gmn worker: taking jobs from ${endpoint.display} (concurrency ${opts.concurrency}, ${device}, cache ${opts.cacheDir})`);
  void worker.run();
  await stopped;
  await client.quit();
  log('gmn worker: stopped');
  return 0;
}

/** What a job's error becomes: the task's own errors fail once (UnrecoverableError), with their message; anything else is retried. */
function failure(e: unknown, sources: Map<string, string> | undefined, Unrecoverable: new (message: string) => Error): Error {
  if (e instanceof TaskSourceError) return new Unrecoverable(e.message);
  if (e instanceof DiagnosticError) return new Unrecoverable(renderDiagnostics(e.diagnostics, sources));
  if (e instanceof DataError) return new Unrecoverable(`error: ${e.message}\n  hint: ${e.hint}`);
  return e instanceof Error ? e : new Error(String(e));
}

/** A job id as logs may show it: a payload's id is anyone's string. */
function printableId(id: string | undefined): string {
  return JSON.stringify((id ?? '?').slice(0, 120));
}
