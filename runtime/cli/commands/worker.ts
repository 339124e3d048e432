// `gmn worker --queue URL`: run the jobs that `gmn run FILE --queue URL` puts on a Redis queue.
import { resolve } from 'node:path';
import { chooseBackend } from '../../tasks/backend.js';
import { DEFAULT_QUEUE_NAME, queueEndpoint } from '../../queue/connection.js';
import { runWorker } from '../../queue/worker.js';
import { UsageError, parseCommandArgs, type Command } from '../command.js';
import { reportFailure } from '../failure.js';

const DEFAULT_LOCK_SECONDS = 30;

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run the jobs of queued runs (gmn run FILE --queue URL) on this machine',
  usage: [
    'usage: gmn worker --queue redis://HOST[:PORT][/DB] [--queue-name NAME] [--concurrency N] [--cache DIR]',
    '                  [--backend auto|webgpu|reference] [--lock-seconds S] [--password-file FILE]',
    '',
    'Takes jobs from a BullMQ queue on Redis (a curvature training run or evaluation; a learned',
    'optimizer\'s meta-training or an Adam grid point; a batch of INR fits or an INR editor\'s training),',
    'runs each on this machine\'s adapter (learned optimization: float64 on the CPU) and returns its',
    'results; stops on SIGINT or SIGTERM after the running jobs\' current epoch (or outer step), which it',
    'checkpoints and puts back in the queue. Use rediss:// for TLS.',
    'Credentials come from GMN_REDIS_PASSWORD (and GMN_REDIS_USER), GMN_REDIS_PASSWORD_FILE or',
    '--password-file, never from the URL; GMN_REDIS_CA_FILE names a CA certificate (docs/distributed.md).',
    '',
    'options:',
    '  --queue URL        the Redis server holding the queue',
    `  --queue-name NAME  the queue (default: ${DEFAULT_QUEUE_NAME}); the submitter must use the same`,
    '  --concurrency N    jobs at once in this process (default 1)',
    '  --cache DIR        this worker\'s own folder, the only one it writes: generated datasets (default .cache/gmn)',
    '  --backend B        auto (WebGPU if an adapter exists, else the float64 reference), webgpu, reference',
    `  --lock-seconds S   how long a job's lock outlives this worker: how soon another worker resumes a job`,
    `                     of a worker that died (default ${DEFAULT_LOCK_SECONDS})`,
    '  --password-file F  read the Redis password from the first line of F',
    '',
    'exit codes: 0 stopped by a signal, 1 the queue cannot be used, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      queue: { type: 'string' },
      'queue-name': { type: 'string' },
      concurrency: { type: 'string' },
      cache: { type: 'string' },
      backend: { type: 'string' },
      'lock-seconds': { type: 'string' },
      'password-file': { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`gmn worker takes no file (the jobs carry their task): \`${positionals[0]}\``, this);
    if (values.queue === undefined) throw new UsageError('--queue URL is required', this);
    const concurrency = positiveInt(this, 'concurrency', values.concurrency ?? '1');
    const lockSeconds = positiveInt(this, 'lock-seconds', values['lock-seconds'] ?? String(DEFAULT_LOCK_SECONDS));
    const backend = values.backend ?? 'auto';
    if (backend !== 'auto' && backend !== 'webgpu' && backend !== 'reference') {
      throw new UsageError(`unknown backend \`${backend}\` (use auto, webgpu or reference)`, this);
    }
    try {
      const endpoint = queueEndpoint(values.queue, values['queue-name'] ?? DEFAULT_QUEUE_NAME, process.env, values['password-file']);
      return await runWorker({
        endpoint, concurrency, cacheDir: resolve(values.cache ?? '.cache/gmn'), backend: await chooseBackend(backend),
        lockMs: lockSeconds * 1000, log: (line) => process.stderr.write(`${line}\n`),
      });
    } catch (e) {
      return reportFailure(e, this.name);
    }
  },
};

function positiveInt(command: Command, flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive integer, not \`${text}\``, command);
  return n;
}
