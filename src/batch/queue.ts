// Scale-out on BullMQ/Redis: the coordinator (`batch --queue redis://HOST:PORT`) puts one job per
// scan or analysis on a queue, `dualscope worker --queue …` processes on any number of machines run
// them on their own worker-thread pools, and the results come back to the coordinator, which alone
// writes the index. The workers must see the captures (and the report folder) at the same paths:
// shared storage.
//
// A job's id is derived from what it is (type, path, the file's fingerprint, its context files and
// the analysis options), so a coordinator restarted mid-batch finds the jobs it had queued — running,
// waiting or done — instead of queueing them twice. A worker that dies mid-job stops renewing the
// job's lock; after LOCK_MS another worker's stalled-job check puts the job back in the queue and it
// runs again. Since the coordinator records each file's result in one transaction that replaces
// any earlier one, a job run twice is still counted once.
import { createHash } from 'node:crypto';
import type { ConnectionOptions, Job as BullJob, Queue, QueueEvents } from 'bullmq';
// bullmq and ioredis are loaded on first use: every other command starts without them.
const loadBullmq = (): Promise<typeof import('bullmq')> => import('bullmq');
import { UsageError } from '../core/index.js';
import type { Job, JobResult } from './jobs.js';
import { PoolClosedError, ThreadPool, type JobRunner } from './pool.js';

export const QUEUE_NAME = 'dualscope-batch';
/** A job's lock lasts this long and is renewed at half of it while the job runs. */
export const LOCK_MS = 10_000;
/** How often each worker looks for jobs whose worker died. */
export const STALLED_CHECK_MS = 5_000;
/** A job found stalled this many times (its workers died each time) fails. */
const MAX_STALLED = 5;

/** `redis://HOST:PORT[/DB]` → ioredis options; anything else is a usage error. */
export function parseQueueUrl(url: string): { host: string; port: number; db: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--queue: ${url} is not a URL such as redis://127.0.0.1:6379`);
  }
  if (u.protocol !== 'redis:') throw new UsageError(`--queue: ${url}: only redis://HOST:PORT is supported`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new UsageError(`--queue: ${url}: the database must be a number`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port, db };
}

/** Connects once with a short timeout: an unreachable Redis is one line (exit 2), not endless retries. */
export async function checkRedis(url: string): Promise<void> {
  const o = parseQueueUrl(url);
  const { Redis } = await import('ioredis');
  const client = new Redis({ ...o, lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let cause: NodeJS.ErrnoException | undefined;
  client.on('error', (e: NodeJS.ErrnoException) => (cause ??= e)); // the socket's error (ECONNREFUSED …), reported below once
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    const err = cause ?? (e as NodeJS.ErrnoException);
    const why = err.code ?? (err instanceof Error ? err.message.split('\n')[0] : String(err));
    throw new UsageError(`cannot reach Redis at ${url} (${why})`);
  } finally {
    client.disconnect();
  }
}

const connection = (url: string): ConnectionOptions => ({ ...parseQueueUrl(url), maxRetriesPerRequest: null });

/** What identifies a job: the same work gets the same id, so it is queued once. */
export function jobId(job: Job, fingerprint: string): string {
  const h = createHash('sha256').update(JSON.stringify({ job, fingerprint })).digest('hex').slice(0, 32);
  return `${job.type}-${h}`;
}

/** The coordinator's side: runs jobs by queueing them and waiting for their results. */
export class QueueRunner implements JobRunner {
  readonly concurrency = Number.POSITIVE_INFINITY;
  readonly #queue: Queue;
  readonly #events: QueueEvents;
  readonly #fingerprints: (path: string) => string;
  #closed = false;

  private constructor(bull: typeof import('bullmq'), url: string, fingerprints: (path: string) => string) {
    this.#queue = new bull.Queue(QUEUE_NAME, { connection: connection(url) });
    this.#events = new bull.QueueEvents(QUEUE_NAME, { connection: connection(url) });
    this.#fingerprints = fingerprints;
  }

  static async open(url: string, fingerprints: (path: string) => string): Promise<QueueRunner> {
    await checkRedis(url);
    const r = new QueueRunner(await loadBullmq(), url, fingerprints);
    await r.#events.waitUntilReady();
    return r;
  }

  async run(job: Job): Promise<JobResult> {
    if (this.#closed) throw new PoolClosedError();
    const id = jobId(job, this.#fingerprints(job.path));
    // Kept for a day once done, so that a restarted coordinator collects instead of re-running.
    const queued = await this.#queue.add(job.type, job, { jobId: id, attempts: 3, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 86_400 } });
    try {
      return (await queued.waitUntilFinished(this.#events)) as JobResult;
    } catch (e) {
      if (this.#closed) throw new PoolClosedError();
      // Failed after every attempt (a worker bug, not a bad file: runJob reports those as results).
      await this.#queue.remove(id).catch(() => undefined);
      return { ok: false, type: job.type, path: job.path, error: `${job.path}: analysis failed on the workers: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#events.close();
    await this.#queue.close();
  }
}

/** `dualscope worker`: takes jobs from the queue and runs them on a pool of `jobs` threads until the signal aborts. */
export async function runQueueWorker(url: string, jobs: number, signal: AbortSignal, log: (line: string) => void): Promise<void> {
  await checkRedis(url);
  const { Worker } = await loadBullmq();
  const pool = new ThreadPool(jobs);
  const worker = new Worker(
    QUEUE_NAME,
    async (j: BullJob) => {
      const result = await pool.run(j.data as Job);
      log(`${result.ok ? 'done' : 'failed'} ${result.type} ${result.path}`);
      return result;
    },
    { connection: connection(url), concurrency: jobs, lockDuration: LOCK_MS, stalledInterval: STALLED_CHECK_MS, maxStalledCount: MAX_STALLED },
  );
  worker.on('error', (e) => log(`queue error: ${e.message.split('\n')[0]}`));
  await worker.waitUntilReady();
  log(`waiting for jobs on ${url} (${jobs} thread${jobs === 1 ? '' : 's'})`);
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  // Jobs under way are left to their locks: another worker takes them once the locks expire.
  await worker.close(true);
  await pool.close();
}
