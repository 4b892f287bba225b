// The local worker pool: N worker threads, one job each at a time. A thread that dies (out of
// memory, a bug that escapes runJob) fails its job with the reason and is replaced; the batch goes on.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Job, JobResult } from './jobs.js';

export interface JobRunner {
  /** Runs a job; resolves with its result (never rejects for a file's problem). */
  run(job: Job, onPackets?: (packets: number) => void): Promise<JobResult>;
  readonly concurrency: number;
  close(): Promise<void>;
}

export const defaultJobs = (): number => Math.max(1, availableParallelism());

/** Heap limit per worker thread: an analysis keeps bounded state, so this is a safety net, not a budget. */
const WORKER_HEAP_MB = 1024;

interface Slot {
  worker: Worker;
  busy: boolean;
}

/** A job was still running when the pool closed: nothing is known about the file. */
export class PoolClosedError extends Error {
  constructor() {
    super('the worker pool was closed');
  }
}

export class ThreadPool implements JobRunner {
  readonly concurrency: number;
  readonly #slots: Slot[] = [];
  readonly #waiting: (() => void)[] = [];
  #closed = false;

  constructor(jobs: number) {
    this.concurrency = jobs;
    for (let i = 0; i < jobs; i++) this.#slots.push({ worker: this.#spawn(), busy: false });
  }

  #spawn(): Worker {
    const w = new Worker(new URL('./worker-thread.js', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    w.unref();
    return w;
  }

  async #acquire(): Promise<Slot> {
    for (;;) {
      if (this.#closed) throw new PoolClosedError();
      const free = this.#slots.find((s) => !s.busy);
      if (free) {
        free.busy = true;
        return free;
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  #release(slot: Slot): void {
    slot.busy = false;
    this.#waiting.shift()?.();
  }

  async run(job: Job, onPackets?: (packets: number) => void): Promise<JobResult> {
    if (this.#closed) throw new Error('the pool is closed');
    const slot = await this.#acquire();
    const w = slot.worker;
    try {
      return await new Promise<JobResult>((resolve, reject) => {
        const onMessage = (m: { result?: JobResult; progress?: number }): void => {
          if (m.progress !== undefined) return onPackets?.(m.progress);
          cleanup();
          resolve(m.result!);
        };
        const onDeath = (e: unknown): void => {
          cleanup();
          // Stopped by close() (an interrupted batch): the job did not fail, it was not finished.
          if (this.#closed) return reject(new PoolClosedError());
          slot.worker = this.#spawn();
          const why = e instanceof Error ? e.message.split('\n')[0] : `the worker exited (${String(e)})`;
          resolve({ ok: false, type: job.type, path: job.path, error: `${job.path}: analysis failed: ${why}` });
        };
        const onExit = (code: number): void => onDeath(`code ${code}`);
        const cleanup = (): void => {
          w.off('message', onMessage);
          w.off('error', onDeath);
          w.off('exit', onExit);
        };
        w.on('message', onMessage);
        w.on('error', onDeath);
        w.on('exit', onExit);
        w.postMessage(job);
      });
    } finally {
      this.#release(slot);
    }
  }

  /** Stops: jobs under way and waiting reject with PoolClosedError (their files are left as they were). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#waiting.splice(0)) wake();
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
