// tshark as the independent reader of what dualscope writes: Wireshark is where these files end up.
import { spawnSync } from 'node:child_process';

export const tsharkPresent: boolean = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;

/** Separates a field's occurrences (several comments on one frame); never in our comments. */
const AGGREGATOR = '\x1f';

/**
 * One row per frame (after the display filter, if any): the fields asked for, each a list of its
 * occurrences. `frame.comment` is tshark 4.0's field for packet comments (pkt_comment is the tree).
 */
export function tsharkFields(file: string, fields: readonly string[], filter?: string, options: readonly string[] = []): string[][][] {
  const args = [...options, '-r', file, '-T', 'fields', '-E', `aggregator=${AGGREGATOR}`, '-E', 'occurrence=a'];
  for (const f of fields) args.push('-e', f);
  if (filter !== undefined) args.push('-Y', filter);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`tshark -r ${file} failed (${r.status}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => line.split('\t').map((v) => (v === '' ? [] : v.split(AGGREGATOR))));
}

/** The capture comments (SHB opt_comment) and frame count Wireshark's library sees, via capinfos. */
export function captureInfo(file: string): { comments: string[]; frames: number } {
  const r = spawnSync('capinfos', ['-k', '-c', '-M', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`capinfos ${file} failed: ${r.stderr.trim()}`);
  const lines = r.stdout.split('\n');
  const count = lines.find((l) => l.startsWith('Number of packets:'));
  return {
    comments: lines.filter((l) => l.startsWith('Capture comment:')).map((l) => l.slice('Capture comment:'.length).trim()),
    frames: Number(count?.slice('Number of packets:'.length).trim() ?? Number.NaN),
  };
}

export const captureComments = (file: string): string[] => captureInfo(file).comments;
