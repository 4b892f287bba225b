// Capture sets: files that continue each other, as a ring buffer writes them (tcpdump -C/-G/-W,
// dumpcap -b), are one trace. The rule, applied to scanned files:
//
//   B continues A when
//   - both are in the same folder and have the same name once digits and a `.gz` are removed;
//   - their names' numbers say B comes next: a number one above A's (a counter: tcpdump -C's
//     trace, trace1, trace2 …, dumpcap -b's ring_00001_…, ring_00002_…, editcap's out_00000_…),
//     or every number that differs has six digits or more and is larger in B (a time stamp:
//     tcpdump -G's trace-20260101-1200.pcap) — so lab-01.pcap and lab-03.pcap, or
//     run-v4.pcap and run-v6.pcap, are not one trace;
//   - both have the same link types;
//   - B's first packet is at most `maxGapMicros` after A's last one, and not before it by more
//     than `maxOverlapMicros` (1 ms by default: a capture's time stamps are not always in order —
//     several NIC queues, `-i any` — so a ring's next file may start a little before the last
//     packet of the previous one).
//
// Candidates are ordered by first packet time, and each file continues at most one file and is
// continued by at most one. Files captured at the same time (a client's and a server's capture)
// overlap in time and so never chain; a later capture with the same name pattern after a long
// pause does not chain either. Everything else stays an independent file.
import { basename, dirname } from 'node:path';
import type { Micros } from '../core/index.js';

export interface SetOptions {
  /** Longest pause between a file's last packet and the next file's first (µs). */
  maxGapMicros: Micros;
  /** How far a file's first packet may lie before the previous file's last (out-of-order time stamps, µs). */
  maxOverlapMicros: Micros;
}

export const DEFAULT_SET_OPTIONS: SetOptions = { maxGapMicros: 60_000_000, maxOverlapMicros: 1_000 };

export interface SetCandidate {
  readonly path: string;
  readonly linkTypes: readonly number[];
  readonly firstTime: Micros | null;
  readonly lastTime: Micros | null;
}

export interface SetMember {
  readonly path: string;
  /** The first file's path names the set. */
  readonly setId: string;
  /** 0-based position in the set. */
  readonly seq: number;
  readonly prev: string | null;
  readonly next: string | null;
}

/** The name a ring buffer gives all its files: digits and a `.gz` removed. */
export const ringStem = (path: string): string => `${dirname(path)}/${basename(path).replace(/\.gz$/i, '').replace(/\d+/g, '')}`;

/** Groups files into sets; a file alone is a set of one (setId null, no neighbours). */
export function groupCaptureSets(files: readonly SetCandidate[], partial: Partial<SetOptions> = {}): Map<string, SetMember> {
  const options = { ...DEFAULT_SET_OPTIONS, ...partial };
  const out = new Map<string, SetMember>();
  const byStem = new Map<string, SetCandidate[]>();
  for (const f of files) {
    if (f.firstTime === null || f.lastTime === null) {
      out.set(f.path, { path: f.path, setId: f.path, seq: 0, prev: null, next: null });
      continue;
    }
    const key = `${ringStem(f.path)}\u0000${[...f.linkTypes].sort((a, b) => a - b).join(',')}`;
    const list = byStem.get(key) ?? [];
    list.push(f);
    byStem.set(key, list);
  }
  for (const list of byStem.values()) {
    list.sort((a, b) => a.firstTime! - b.firstTime! || a.lastTime! - b.lastTime! || (a.path < b.path ? -1 : 1));
    let chain: SetCandidate[] = [];
    const flush = (): void => {
      chain.forEach((f, i) =>
        out.set(f.path, { path: f.path, setId: chain[0]!.path, seq: i, prev: i > 0 ? chain[i - 1]!.path : null, next: i < chain.length - 1 ? chain[i + 1]!.path : null }),
      );
      chain = [];
    };
    for (const f of list) {
      const last = chain[chain.length - 1];
      const continues = last !== undefined && f.firstTime! >= last.lastTime! - options.maxOverlapMicros && f.firstTime! - last.lastTime! <= options.maxGapMicros && namesContinue(last.path, f.path);
      if (last !== undefined && !continues) flush();
      chain.push(f);
    }
    flush();
  }
  return out;
}

/**
 * The files that may belong to a capture set by their names alone, so that only they need a scan
 * (their first and last packet times) before grouping. A file can continue another, or be continued,
 * only when another file of its folder has the same ring-buffer stem and one of the two names holds
 * a number (namesContinue needs one); every other file is a set of one whatever its times, and its
 * analysis alone tells its facts. Linear in the number of files.
 */
export function nameChainCandidates(paths: readonly string[]): Set<string> {
  const byStem = new Map<string, { paths: string[]; numbered: number }>();
  for (const p of paths) {
    const group = byStem.get(ringStem(p)) ?? { paths: [], numbered: 0 };
    group.paths.push(p);
    if (numbersIn(p).length > 0) group.numbered++;
    byStem.set(ringStem(p), group);
  }
  const out = new Set<string>();
  for (const g of byStem.values()) if (g.paths.length > 1 && g.numbered > 0) for (const p of g.paths) out.add(p);
  return out;
}

/** The numbers in a file name, in order (`.gz` ignored). */
const numbersIn = (path: string): string[] => basename(path).replace(/\.gz$/i, '').match(/\d+/g) ?? [];

/** Whether b's name is the next one after a's in a ring buffer (see the rule at the top). */
export function namesContinue(a: string, b: string): boolean {
  let na = numbersIn(a);
  const nb = numbersIn(b);
  // tcpdump -C: the first file has no number (trace.pcap), the next ones do (trace.pcap1).
  if (na.length === nb.length - 1) {
    const bare = basename(b).replace(/\.gz$/i, '').replace(/\d+$/, '');
    if (bare !== basename(a).replace(/\.gz$/i, '')) return false;
    na = [...na, '0'];
  }
  if (na.length !== nb.length) return false;
  let differs = false;
  let allStamps = true;
  for (let i = 0; i < na.length; i++) {
    if (na[i] === nb[i]) continue;
    differs = true;
    const x = BigInt(na[i]!);
    const y = BigInt(nb[i]!);
    if (y === x + 1n) return true;
    if (na[i]!.length < 6 || nb[i]!.length < 6 || y <= x) allStamps = false;
  }
  return differs && allStamps;
}
