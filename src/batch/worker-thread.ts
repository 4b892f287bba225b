// The body of one worker thread of the local pool: takes a job message, runs it, posts the result.
// Progress (packets so far) is posted at most every half second.
import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './jobs.js';

const port = parentPort;
if (port === null) throw new Error('worker-thread.js runs as a worker thread');

port.on('message', (job: Job) => {
  let lastPost = 0;
  const onPackets = (packets: number): void => {
    const now = Date.now();
    if (now - lastPost < 500) return;
    lastPost = now;
    port.postMessage({ progress: packets });
  };
  void runJob(job, onPackets).then((result) => port.postMessage({ result }));
});
