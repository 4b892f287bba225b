// Hand-built captures for the path tests, each a list of Packets, and a runner.
import { FindingSet } from '../../../src/detect/index.js';
import type { Packet } from '../../../src/decode/index.js';
import { createPathDetectors } from '../../../src/detect/index.js';
import type { Finding } from '../../../src/detect/index.js';
import { PathReconstructor, type ConnectionRecord, type PathRecord } from '../../../src/reconstruct/path/index.js';
import { resetFrames, tcp4, tcp6, type TcpSpec } from '../../support/tcp-packets.js';

export const C6 = '2001:db8:1::10';
export const S6 = '2001:db8:2::80';
export const C4 = '192.0.2.10';
export const S4 = '198.51.100.80';
export const MS = 1000; // µs

export function run(packets: readonly Packet[]): { records: PathRecord[]; findings: Finding[]; connections: ConnectionRecord[] } {
  const records: PathRecord[] = [];
  const findings: Finding[] = [];
  const detectors = createPathDetectors();
  const merged = new FindingSet(); // the analysis' merge rule: latest version per id, restated at finish
  const r = new PathReconstructor({}, (x) => {
    records.push(x);
    for (const d of detectors) merged.add(d, d.observe(x));
  });
  for (const p of packets) r.packet(p);
  r.finish();
  for (const d of detectors) merged.finish(d);
  findings.push(...merged.values());
  return { records, findings, connections: records.filter((x): x is ConnectionRecord => x.type === 'connection') };
}

export interface Transfer {
  v: 4 | 6;
  /** Server's first large segment is sent at these offsets (ms after 40 ms); empty: none sent. */
  largeSends: number[];
  largeLen?: number;
  /** A small tail segment after the large one, SACKed by the client. */
  sackedTail?: boolean;
  /** The small header segment is delivered (ACKed). */
  header?: boolean;
  /** Client resets the connection at this time (ms); undefined: the capture just ends. */
  clientRstAt?: number;
  df?: boolean;
  clientHop?: number;
  serverHop?: number;
}

/** Client connects, asks, the server answers with a small header and then large segments. */
export function transfer(t: Transfer): Packet[] {
  resetFrames();
  const tcp = t.v === 6 ? tcp6 : tcp4;
  const c = t.v === 6 ? C6 : C4;
  const s = t.v === 6 ? S6 : S4;
  const mss = t.v === 6 ? 1440 : 1460;
  const large = t.largeLen ?? mss;
  const ch = t.clientHop ?? 62;
  const sh = t.serverHop ?? 64;
  const cs = (x: Omit<TcpSpec, 'src' | 'dst'>) => tcp({ src: c, dst: s, sport: 40000, dport: 80, hopLimit: ch, df: t.df, ...x });
  const sc = (x: Omit<TcpSpec, 'src' | 'dst'>) => tcp({ src: s, dst: c, sport: 80, dport: 40000, hopLimit: sh, df: t.df, ...x });
  const out: Packet[] = [
    cs({ flags: 'S', seq: 1000, mss, time: 0 }),
    sc({ flags: 'SA', seq: 5000, ack: 1001, mss, time: 10 * MS }),
    cs({ flags: 'A', seq: 1001, ack: 5001, time: 20 * MS }),
    cs({ flags: 'PA', seq: 1001, ack: 5001, len: 100, time: 21 * MS }),
    sc({ flags: 'A', seq: 5001, ack: 1101, time: 22 * MS }),
  ];
  let next = 5001;
  if (t.header ?? true) {
    out.push(sc({ flags: 'PA', seq: 5001, ack: 1101, len: 200, time: 25 * MS }));
    out.push(cs({ flags: 'A', seq: 1101, ack: 5201, time: 35 * MS }));
    next = 5201;
  }
  const largeSeq = next;
  if (t.largeSends.length > 0) out.push(sc({ flags: 'A', seq: largeSeq, ack: 1101, len: large, time: 40 * MS }));
  if (t.sackedTail) {
    out.push(sc({ flags: 'PA', seq: largeSeq + large, ack: 1101, len: 100, time: 41 * MS }));
    out.push(cs({ flags: 'A', seq: 1101, ack: largeSeq, sack: [largeSeq + large, largeSeq + large + 100], time: 51 * MS }));
  }
  for (const at of t.largeSends.slice(1)) out.push(sc({ flags: 'A', seq: largeSeq, ack: 1101, len: large, time: (40 + at) * MS }));
  if (t.clientRstAt !== undefined) out.push(cs({ flags: 'R', seq: 1101, time: t.clientRstAt * MS }));
  out.sort((a, b) => a.time - b.time);
  return out;
}
