// Where a job queue lives and how to log in to it. `--queue redis://HOST[:PORT][/DB]` (or `rediss://`
// for TLS) names the server; the credentials never travel on the command line, where process lists
// and shell histories would show them: a URL that carries a user or password is refused. They come
// from the environment (GMN_REDIS_USER for an ACL user, GMN_REDIS_PASSWORD) or from a file
// (--password-file FILE or GMN_REDIS_PASSWORD_FILE: the password on its first line), and
// GMN_REDIS_CA_FILE names a CA certificate for a server whose certificate is not publicly trusted.
// Before anything is queued the server is probed once, so a wrong password or an unreachable host
// is one clear error instead of a client that retries forever. The Redis and BullMQ clients are
// loaded only by the commands that use a queue (they would slow every other command's start).
import { readFileSync, statSync } from 'node:fs';
import type { RedisOptions } from 'ioredis';
import { QueueError } from './queue-error.js';

export interface QueueEndpoint {
  /** The server's URL without credentials: what messages show. */
  readonly display: string;
  /** The BullMQ queue's name. */
  readonly name: string;
  /** ioredis options, credentials included: never print these. */
  readonly redis: RedisOptions;
  /** Replaces the secret in a message from the client library, should it ever appear there. */
  redact(text: string): string;
}

export const DEFAULT_QUEUE_NAME = 'gmn';
/** The prefix of every Redis key gmn's queues use (BullMQ's own default is `bull`). */
export const QUEUE_PREFIX = 'gmn';
const DEFAULT_PORT = 6379;
const PROBE_TIMEOUT_MS = 5000;
const HINT_CREDENTIALS = 'set GMN_REDIS_PASSWORD (and GMN_REDIS_USER for an ACL user), or pass --password-file FILE (docs/distributed.md)';

/** Parses the queue URL and gathers the credentials; throws a QueueError naming what is wrong. */
export function queueEndpoint(url: string, queueName: string, env: NodeJS.ProcessEnv, passwordFile?: string): QueueEndpoint {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(queueName)) {
    throw new QueueError(`queue name \`${queueName}\` is not 1–64 letters, digits, \`_\` or \`-\``, 'pass another --queue-name');
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueError(`\`${url}\` is not a URL`, 'write the queue as redis://HOST:PORT (or rediss://HOST:PORT for TLS)');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new QueueError('the queue URL carries credentials, which would show in process lists and logs', HINT_CREDENTIALS);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new QueueError(`queue URL scheme \`${parsed.protocol}\` is not redis: or rediss:`, 'write the queue as redis://HOST:PORT (or rediss://HOST:PORT for TLS)');
  }
  const db = parsed.pathname === '' || parsed.pathname === '/' ? 0 : Number(parsed.pathname.slice(1));
  if (!Number.isInteger(db) || db < 0 || parsed.search !== '' || parsed.hash !== '' || parsed.hostname === '') {
    throw new QueueError(`\`${url}\` is not redis://HOST[:PORT][/DB]`, 'the path may only be a database number, e.g. redis://localhost:6379/0');
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? DEFAULT_PORT : Number(parsed.port);
  const tls = parsed.protocol === 'rediss:';
  const password = readPassword(env, passwordFile);
  const user = env['GMN_REDIS_USER'];
  const caFile = env['GMN_REDIS_CA_FILE'];
  const redis: RedisOptions = {
    host, port, db,
    ...(user === undefined || user === '' ? {} : { username: user }),
    ...(password === undefined ? {} : { password }),
    ...(tls ? { tls: { servername: host, ...(caFile === undefined || caFile === '' ? {} : { ca: readSecretFile(caFile, 'GMN_REDIS_CA_FILE') }) } } : {}),
  };
  return {
    display: `${parsed.protocol}//${parsed.host}/${db} queue ${queueName}`,
    name: queueName,
    redis,
    redact: (text) => (password === undefined || password === '' ? text : text.split(password).join('***')),
  };
}

/** Connects once and pings: a refused login or an unreachable server becomes a QueueError. */
export async function probeRedis(endpoint: QueueEndpoint): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis({
    ...endpoint.redis, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: PROBE_TIMEOUT_MS,
  });
  // connect() rejects with only "Connection is closed": the cause comes as an error event first.
  let cause: unknown = null;
  client.on('error', (e: unknown) => {
    cause ??= e;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw connectionError(endpoint, cause ?? e);
  } finally {
    client.disconnect();
  }
}

/** A QueueError for a failure to talk to Redis, with what to do about it. */
export function connectionError(endpoint: QueueEndpoint, e: unknown): QueueError {
  const message = endpoint.redact(e instanceof Error ? e.message : String(e));
  if (/WRONGPASS|NOAUTH|invalid password|AUTH/i.test(message)) {
    return new QueueError(`Redis at ${endpoint.display} refused the login: ${message}`, HINT_CREDENTIALS);
  }
  return new QueueError(`cannot talk to Redis at ${endpoint.display}: ${message}`,
    'start redis-server there (docs/distributed.md), or check the host, the port and, for rediss://, the certificate (GMN_REDIS_CA_FILE)');
}

function readPassword(env: NodeJS.ProcessEnv, flagFile: string | undefined): string | undefined {
  const file = flagFile ?? env['GMN_REDIS_PASSWORD_FILE'];
  if (file !== undefined && file !== '') {
    const text = readSecretFile(file, flagFile === undefined ? 'GMN_REDIS_PASSWORD_FILE' : '--password-file');
    const line = text.split(/\r?\n/)[0] ?? '';
    if (line === '') throw new QueueError(`the password file ${file} is empty`, 'write the Redis password on its first line');
    if ((statSync(file).mode & 0o077) !== 0) {
      process.stderr.write(`warning: the password file ${file} is readable by other users; chmod 600 it\n`);
    }
    return line;
  }
  const password = env['GMN_REDIS_PASSWORD'];
  return password === undefined || password === '' ? undefined : password;
}

function readSecretFile(file: string, source: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new QueueError(`cannot read ${file} (from ${source}): ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'check the path and its permissions');
  }
}
