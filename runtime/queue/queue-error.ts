// A job queue that cannot be used: Redis unreachable or refusing the credentials, a bad queue URL
// or credentials file, a task that cannot travel, a job that failed on a worker. Like a
// RunStateError it has no source span: the CLI prints the message and the hint, and exits 1.
export class QueueError extends Error {
  constructor(message: string, /** One line that tells the user the way out. */ readonly hint: string) {
    super(message);
    this.name = 'QueueError';
  }
}
