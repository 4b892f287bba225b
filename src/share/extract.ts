// `dualscope extract`: only the packets that show the chosen findings, small enough to attach to a
// ticket. Kept: every evidence packet (and the other fragments of a datagram it completed), the
// query of every DNS reply in the evidence (with the same flow and id), the
// handshake of every TCP connection an evidence packet belongs to or an ICMP error quotes, every
// segment of a DNS-over-TCP connection in the evidence (its messages span segments), the capture's
// last packet (so the extract ends when the capture did), and the packets within --context seconds
// of any evidence packet. Each packet is commented with the file
// and frame it came from, since Wireshark numbers the extract's frames afresh.
//
// Two passes over the capture: the first decodes it to learn the evidence's flows and fragments,
// the second copies. Memory is what the findings name (frames, flows), never the capture.
import { basename } from 'node:path';
import { Anomalies, type Micros } from '../core/index.js';
import { DNS_PORT, IpProtocol, PacketDecoder, TcpFlag, type Packet } from '../decode/index.js';
import { severityRank } from '../detect/index.js';
import type { Finding } from '../report/index.js';
import { readCapture } from '../readers/index.js';
import { BlockFile } from '../writers/index.js';
import { allEvidence, COMMENT_PREFIX, evidenceComments, findingComments, type SharedFinding } from './annotate.js';
import { rewriteCapture, type RewriteResult } from './rewrite.js';

export interface ExtractOptions {
  /** Packets this close in time to any evidence packet are kept too. */
  contextMicros: Micros;
  /** The name the origin comments give the capture (default: its file name). */
  sourceName?: string;
}

export interface ExtractResult extends RewriteResult {
  /** Evidence frames the capture does not hold, or holds at another time. */
  mismatched: number[];
}

/** The findings an extract holds by default: everything at warning or above. */
export const defaultExtractFindings = <F extends Finding>(findings: readonly F[]): F[] =>
  findings.filter((f) => severityRank(f.severity) >= severityRank('warning'));

/** `dualscope: from NAME frame N`: the comment that maps an extract's packet back to the original. */
export const originComment = (source: string, frame: number): string => `${COMMENT_PREFIX} from ${source} frame ${frame}`;

/** Reads an origin comment back: the original frame number, or undefined. */
export function originFrame(comment: string): number | undefined {
  if (!comment.startsWith(`${COMMENT_PREFIX} from `)) return undefined;
  const at = comment.lastIndexOf(' frame ');
  const n = Number(comment.slice(at + ' frame '.length));
  return at > 0 && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** The decoder's reassembly state is expired as the analysis does it: each second of capture time. */
const EXPIRE_STEP: Micros = 1_000_000;

/** One key for both directions of a transport flow. */
function flowKey(protocol: number, a: string, aPort: number, b: string, bPort: number): string {
  const x = `${a}|${aPort}`;
  const y = `${b}|${bPort}`;
  return x < y ? `${protocol} ${x} ${y}` : `${protocol} ${y} ${x}`;
}

function packetFlow(p: Packet): string | undefined {
  if (p.ip === undefined) return undefined;
  if (p.tcp !== undefined) return flowKey(IpProtocol.TCP, p.ip.src, p.tcp.srcPort, p.ip.dst, p.tcp.dstPort);
  if (p.udp !== undefined) return flowKey(IpProtocol.UDP, p.ip.src, p.udp.srcPort, p.ip.dst, p.udp.dstPort);
  return undefined;
}

/** The flow an ICMP error quotes, when the quote reaches the ports. */
function quotedFlow(p: Packet): string | undefined {
  const q = p.icmp?.quoted;
  if (q === undefined || q.srcPort === undefined || q.dstPort === undefined) return undefined;
  return flowKey(q.protocol, q.src, q.srcPort, q.dst, q.dstPort);
}

interface EvidenceScope {
  /** Evidence frames and the fragments of the datagrams they completed. */
  frames: Set<number>;
  /** TCP flows whose handshake is kept. */
  tcpFlows: Set<string>;
  /** DNS-over-TCP flows kept whole. */
  dnsTcpFlows: Set<string>;
  /** `flow#id` of every DNS reply in the evidence: its query is kept (a reply alone is an orphan). */
  dnsQueries: Set<string>;
  /** The capture's last frame: kept so the extract ends when the capture did (see below). */
  lastFrame: number;
}

/** Pass one: what the evidence packets are (their flows, their fragments). */
async function evidenceScope(capture: string, evidence: ReadonlySet<number>): Promise<EvidenceScope> {
  const anomalies = new Anomalies();
  const decoder = new PacketDecoder(anomalies, { reusePackets: true });
  const scope: EvidenceScope = { frames: new Set(evidence), tcpFlows: new Set(), dnsTcpFlows: new Set(), dnsQueries: new Set(), lastFrame: 0 };
  let nextExpire = Number.NEGATIVE_INFINITY;
  await readCapture(capture, (frame) => {
    scope.lastFrame = frame.index;
    // Every frame is decoded: reassembly (IP fragments, DNS over TCP) needs the ones before.
    const p = decoder.decode(frame);
    if (frame.time >= nextExpire) {
      nextExpire = frame.time + EXPIRE_STEP;
      decoder.expire(frame.time);
    }
    if (p === undefined || !evidence.has(frame.index)) return;
    for (const f of p.ip?.fragmentFrames ?? []) scope.frames.add(f);
    const flow = packetFlow(p);
    if (flow !== undefined) for (const m of p.dns) if (m.qr) scope.dnsQueries.add(`${flow}#${m.id}`);
    if (p.tcp !== undefined) {
      const key = packetFlow(p)!;
      scope.tcpFlows.add(key);
      if (p.tcp.srcPort === DNS_PORT || p.tcp.dstPort === DNS_PORT) scope.dnsTcpFlows.add(key);
    }
    const quoted = quotedFlow(p);
    if (quoted !== undefined && p.icmp?.quoted?.protocol === IpProtocol.TCP) scope.tcpFlows.add(quoted);
  }, anomalies);
  // The last packet is kept: how long the capture ran after the evidence is itself evidence (a
  // re-ask that stayed unanswered while the capture went on; a wait that outlasted a timeout), and
  // an extract that stopped at its last evidence packet could no longer show it.
  if (scope.lastFrame > 0) scope.frames.add(scope.lastFrame);
  return scope;
}

/** Sorted evidence times, for "is this packet within the context window" by binary search. */
function nearEvidence(sortedTimes: readonly Micros[], t: Micros, window: Micros): boolean {
  let lo = 0;
  let hi = sortedTimes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sortedTimes[mid]! < t - window) lo = mid + 1;
    else hi = mid;
  }
  return lo < sortedTimes.length && sortedTimes[lo]! <= t + window;
}

/**
 * The TCP handshake of a connection, as far as it is seen: SYN, SYN-ACK, and the first ACK from
 * the SYN's sender after the SYN-ACK. Tracked only for the evidence's flows.
 */
class HandshakeTracker {
  /** flow → the SYN-ACK's receiver, once seen, until its ACK is kept. */
  readonly #awaitingAck = new Map<string, string>();

  isHandshake(p: Packet, flow: string): boolean {
    const tcp = p.tcp!;
    const from = `${p.ip!.src}|${tcp.srcPort}`;
    if ((tcp.flags & TcpFlag.SYN) !== 0) {
      if ((tcp.flags & TcpFlag.ACK) !== 0) this.#awaitingAck.set(flow, `${p.ip!.dst}|${tcp.dstPort}`);
      return true;
    }
    if ((tcp.flags & TcpFlag.ACK) !== 0 && this.#awaitingAck.get(flow) === from) {
      this.#awaitingAck.delete(flow);
      return true;
    }
    return false;
  }
}

/** Writes the extract of `findings` from `capture` to `outPath`. */
export async function extractEvidence(capture: string, findings: readonly SharedFinding[], outPath: string, opts: ExtractOptions): Promise<ExtractResult> {
  const source = opts.sourceName ?? (capture === '-' ? 'stdin' : basename(capture));
  const comments = evidenceComments(findings);
  const expectedTimes = new Map<number, number>();
  for (const f of findings) for (const e of allEvidence(f)) expectedTimes.set(e.frame, e.time);
  const sortedTimes = [...new Set(expectedTimes.values())].sort((a, b) => a - b);
  const scope = await evidenceScope(capture, new Set(comments.keys()));

  const anomalies = new Anomalies();
  const decoder = new PacketDecoder(anomalies, { reusePackets: true });
  const handshakes = new HandshakeTracker();
  let nextExpire = Number.NEGATIVE_INFINITY;
  const mismatched: number[] = [];
  const seen = new Set<number>();
  const out = new BlockFile(outPath);
  let result: RewriteResult;
  try {
    result = await rewriteCapture(capture, out, {
      sectionComments: findingComments(findings, source),
      otherBlocks: 'drop',
      packet(frame) {
        const own = comments.get(frame.index);
        if (own !== undefined) {
          seen.add(frame.index);
          if (expectedTimes.get(frame.index) !== frame.time) mismatched.push(frame.index);
        }
        let keep = scope.frames.has(frame.index) || nearEvidence(sortedTimes, frame.time, opts.contextMicros);
        if (scope.tcpFlows.size > 0 || scope.dnsQueries.size > 0) {
          // Decoded even when kept already: the handshake tracker must see every SYN-ACK.
          const p = decoder.decode(frame);
          if (frame.time >= nextExpire) {
            nextExpire = frame.time + EXPIRE_STEP;
            decoder.expire(frame.time);
          }
          const flow = p === undefined ? undefined : packetFlow(p);
          if (flow !== undefined) {
            if (p!.tcp !== undefined && scope.tcpFlows.has(flow) && handshakes.isHandshake(p!, flow)) keep = true;
            if (scope.dnsTcpFlows.has(flow)) keep = true;
            for (const m of p!.dns) if (!m.qr && scope.dnsQueries.has(`${flow}#${m.id}`)) keep = true;
          }
        }
        if (!keep) return undefined;
        const origin = originComment(source, frame.index);
        return own === undefined ? [origin] : [origin, ...own];
      },
    });
    out.close();
  } catch (e) {
    out.abort();
    throw e;
  }
  for (const n of comments.keys()) if (!seen.has(n)) mismatched.push(n);
  mismatched.sort((a, b) => a - b);
  return { ...result, mismatched };
}
