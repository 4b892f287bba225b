// correlate/collect.ts: one pass over one capture point. Every frame goes to the single-capture
// analysis (its findings are this point's view) and, decoded once more by a decoder of its own, to
// the point's packet list (signatures for the join).
import { Anomalies, type Micros } from '../core/index.js';
import { PacketDecoder } from '../decode/index.js';
import { readCapture, type Frame } from '../readers/index.js';
import { Analysis, type AnalyzeOptions } from '../analyze.js';
import type { Report } from '../report/index.js';
import { pointPacket, type PointPacket } from './signature.js';

export interface CollectOptions {
  /** A second copy of a signature this close is the same packet recorded twice (router `-i any`). */
  readonly doubleWindow: Micros;
  /** Packets kept per point for matching; beyond, the point's packets are analysed but not matched. */
  readonly maxPackets: number;
}

export interface CollectedPoint {
  readonly report: Report;
  /** IP packets in capture order, second copies left out. */
  readonly packets: PointPacket[];
  /** Frame number of a second copy → index of the first copy in `packets`. */
  readonly doubles: Map<number, number>;
  /** Packets this point recorded twice (in and out: it forwarded them). */
  readonly forwarded: Set<PointPacket>;
  readonly ipPackets: number;
  /** Packets beyond maxPackets: analysed, not matched. */
  readonly unmatchedBeyondLimit: number;
}

const EXPIRE_STEP: Micros = 1_000_000;
const SAME_MOMENT: Micros = 1000;

export async function collectPoint(point: number, file: string, analyze: Partial<AnalyzeOptions>, o: CollectOptions): Promise<CollectedPoint> {
  const analysis = new Analysis(analyze);
  const decoder = new PacketDecoder(new Anomalies(), { reusePackets: true });
  const packets: PointPacket[] = [];
  const doubles = new Map<number, number>();
  const forwarded = new Set<PointPacket>();
  const recent = new Map<number, number>(); // signature → index of its latest first copy
  let ipPackets = 0;
  let beyond = 0;
  let nextExpire = Number.NEGATIVE_INFINITY;
  const onFrame = (f: Frame): void => {
    analysis.frame(f);
    let p;
    try {
      p = decoder.decode(f);
    } catch {
      return; // the analysis above has counted it (analyze.decode_exception)
    }
    if (f.time >= nextExpire) {
      nextExpire = f.time + EXPIRE_STEP;
      decoder.expire(f.time);
      for (const [sig, i] of recent) if (f.time - packets[i]!.time > o.doubleWindow) recent.delete(sig);
    }
    if (p === undefined) return;
    const pp = pointPacket(point, f, p);
    if (pp === undefined) return;
    ipPackets++;
    const prior = recent.get(pp.sig);
    // A router's `-i any` copy leaves with the hop limit one lower; a mirror's copy follows within
    // microseconds. A retransmission without timestamps is neither, and stays a packet.
    const gap = prior === undefined ? Infinity : pp.time - packets[prior]!.time;
    if (prior !== undefined && gap <= o.doubleWindow && (pp.hopLimit !== packets[prior]!.hopLimit || gap <= SAME_MOMENT)) {
      doubles.set(pp.frame, prior);
      forwarded.add(packets[prior]!);
      return;
    }
    if (packets.length >= o.maxPackets) {
      beyond++;
      return;
    }
    recent.set(pp.sig, packets.length);
    packets.push(pp);
  };
  const info = await readCapture(file, onFrame, analysis.anomalies);
  return { report: analysis.finish(file, info), packets, doubles, forwarded, ipPackets, unmatchedBeyondLimit: beyond };
}

/** The index in `packets` of a frame (its first copy for a second copy), or undefined. */
export function packetOfFrame(c: CollectedPoint, frame: number): number | undefined {
  const d = c.doubles.get(frame);
  if (d !== undefined) return d;
  let lo = 0;
  let hi = c.packets.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = c.packets[mid]!.frame;
    if (f === frame) return mid;
    if (f < frame) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
