// Reports written by batch workers: to a temporary name, then renamed, so a worker killed mid-write
// never leaves half a report under the real name.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeTextThenRename, type TextContent } from '../writers/index.js';

/**
 * The temporary name is the same for every writer of one report (no process id in it): a worker
 * killed mid-write (SIGKILL, OOM) leaves its temporary file behind, and the retried job overwrites
 * and renames that same file, so nothing is left over. One job holds a report at a time (the local
 * pool hands each file to one thread; the queue locks a job to one worker until it stalls), so two
 * live writers of one report are not expected; if a stalled worker wakes up and races its
 * successor, one rename fails and that attempt is retried. `content` may come in parts (a report
 * rendered in chunks): they are written as they come, and a part that throws leaves no file.
 */
export function writeFileAtomically(path: string, content: TextContent): void {
  mkdirSync(dirname(path), { recursive: true });
  // Not exclusive: the temporary file a killed attempt left is this attempt's to overwrite.
  writeTextThenRename(`${path}.tmp-dualscope`, path, content, { exclusive: false });
}
