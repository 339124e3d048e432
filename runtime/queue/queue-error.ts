// A job queue that cannot be used: Redis unreachable or refusing the credentials, a bad queue URL
// or credentials file, a task that cannot travel, a job that failed on a worker. Like a
// RunStateError it has no source span: the CLI prints the message and the hint, and exits 1.
import { HintedError } from '../util/hinted-error.js';

export class QueueError extends HintedError {}
