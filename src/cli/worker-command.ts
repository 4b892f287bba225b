// `dualscope worker --queue redis://HOST:PORT [--jobs N]`: runs a batch's jobs from the queue on N
// threads, on any machine that sees the captures at the same paths. See docs/batch.md.
import type { Command } from 'commander';
import { z } from 'zod';
import { terminalSafe } from '../report/index.js';
import { defaultJobs, runQueueWorker } from '../batch/index.js';
import { parseOptions } from './options.js';

export const WorkerCliOptions = z.object({
  queue: z.string({ error: '--queue redis://HOST:PORT is required' }).min(1),
  jobs: z.coerce.number().int('--jobs must be a whole number').min(1, '--jobs must be at least 1').max(256, '--jobs must be at most 256').optional(),
  quiet: z.boolean().default(false),
});

export function registerWorkerCommand(cmd: Command): void {
  cmd
    .command('worker')
    .description('run the jobs of `dualscope batch --queue` (BullMQ on Redis) until SIGINT/SIGTERM')
    .option('--queue <url>', 'the Redis the coordinator uses: redis://HOST:PORT')
    .option('-j, --jobs <n>', 'jobs at once, each on its own thread (default: the number of cores)')
    .option('-q, --quiet', 'no line per job')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(WorkerCliOptions, raw);
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const log = (line: string): void => {
        if (!o.quiet) process.stderr.write(`dualscope worker: ${terminalSafe(line)}\n`);
      };
      try {
        await runQueueWorker(o.queue, o.jobs ?? defaultJobs(), stop.signal, log);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
