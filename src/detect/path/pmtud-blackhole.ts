// path.pmtud_blackhole: segments above some size never arrive while smaller ones do, and no Packet
// Too Big (or ICMP 3/4) quoting the flow comes back (INCIDENTS.md §3).
//
// Sender side (and any capture point the large segments pass): a range sent ≥ minSends times with
// backoff and never acknowledged, every lost transmission larger than anything delivered in that
// direction and larger than the family minimum MTU, and the receiver evidently alive (it SACKs or
// ACKs smaller segments sent meanwhile, or talks after the loss). Receiver side: bytes missing before
// the capture point (the sequence jumps), never acknowledged, the receiver waiting ≥ minStall, and
// the lost segments (the gap, cut to the MSS) larger than every segment that did arrive; when the
// bytes do arrive later, in pieces larger than anything before the gap (the sender learnt a smaller
// MTU). Without a handshake or a run of equal segments the lost size is a guess from a 1500-byte
// link: the confidence drops a level and the finding says so.
// Not this: a slow server (nothing retransmitted), loss of all sizes (a lost size was delivered, or
// the missing bytes came in pieces no larger than segments that got through before the gap),
// a capture that ends mid-transfer (too few sends / too short a wait), IPv4 without DF.
import { type Micros } from '../../core/index.js';
import type { ConnectionRecord, DirectionSummary, PathRecord, RetransmittedRange } from '../../reconstruct/path/index.js';
import { defineDetector, NO_FINDINGS, type Detector } from '../detector.js';
import type { Evidence, Finding } from '../finding.js';
import { IPV6_MIN_MTU, REMEDY, genuinePtb, connectionFilter, endpoint, ev, familyMinMtu, formatDuration, senderRole, sortEvidence } from './common.js';

export interface PmtudBlackholeOptions {
  /** Transmissions of one range (original included) before it counts as lost. */
  readonly minSends: number;
  /** First to last transmission of a lost range at least this long (backoff, not one burst). */
  readonly minLossSpanMicros: Micros;
  /** Receiver side: the hole stays open at least this long. */
  readonly minStallMicros: Micros;
}

export const DEFAULT_PMTUD_BLACKHOLE_OPTIONS: PmtudBlackholeOptions = {
  minSends: 3,
  minLossSpanMicros: 300_000,
  minStallMicros: 1_000_000,
};

const MAX_EVIDENCE_SENDS = 8;

export function createPmtudBlackhole(options: Partial<PmtudBlackholeOptions> = {}): Detector<PathRecord> {
  const o = { ...DEFAULT_PMTUD_BLACKHOLE_OPTIONS, ...options };
  return {
    name: 'pmtud-blackhole',
    observe(r: PathRecord): readonly Finding[] {
      if (r.type !== 'connection') return NO_FINDINGS;
      // Most connections lost nothing and have no gap: no list and no pair of directions for them.
      const toClient = inDirection(r, r.toClient, o);
      const toServer = inDirection(r, r.toServer, o);
      if (toClient === undefined) return toServer === undefined ? NO_FINDINGS : [toServer];
      return toServer === undefined ? [toClient] : [toClient, toServer];
    },
    finish: () => [],
  };
}

/**
 * The blackhole seen in direction `d`, from its sender's side or its receiver's. The usual case, no
 * retransmitted range left unacknowledged and no gap, is decided here: the sides' closures (over
 * their arguments) make a context object on every call.
 */
function inDirection(c: ConnectionRecord, d: DirectionSummary, o: PmtudBlackholeOptions): Finding | undefined {
  if (d.unacked.length === 0 && d.gaps.length === 0) return undefined;
  return senderSide(c, d, o) ?? receiverSide(c, d, o);
}

// A PTB from a source no router can have (forged; path.ptb_problem reports it) neither proves that
// PMTUD works nor counts as a PTB without effect: the verdict is made as if it were absent.
function ptbsFor(c: ConnectionRecord, d: DirectionSummary) {
  const quotes = d === c.toServer ? 'to-server' : 'to-client';
  return c.icmp.filter((i) => i.quotes === quotes && genuinePtb(c, i));
}

function handshakeEvidence(c: ConnectionRecord): Evidence[] {
  const e: Evidence[] = [];
  const syn = c.syns[0];
  if (syn !== undefined) e.push(ev(syn, 'tcp-syn', 'SYN', c.client, c.server, `MSS ${c.clientOptions?.mss ?? 'none'}`));
  if (c.synAck !== undefined) e.push(ev(c.synAck, 'tcp-synack', 'SYN-ACK', c.server, c.client, `MSS ${c.serverOptions?.mss ?? 'none'}`));
  return e;
}

function endEvidence(c: ConnectionRecord): Evidence[] {
  const e: Evidence[] = [];
  for (const [d, who] of [[c.toServer, 'client'], [c.toClient, 'server']] as const) {
    if (d.rst !== undefined) e.push(ev(d.rst, 'tcp-rst', `RST from ${who}`, d.from, d.to));
    else if (d.fin !== undefined) e.push(ev(d.fin, 'tcp-fin', `FIN from ${who}`, d.from, d.to));
  }
  return e;
}

function senderSide(c: ConnectionRecord, d: DirectionSummary, o: PmtudBlackholeOptions): Finding | undefined {
  if (d.unacked.length === 0) return undefined; // the usual case, without a filter per record
  const lost = d.unacked.filter((x) => x.sends >= o.minSends && !x.fragmentable && x.times[x.times.length - 1]! - x.times[0]! >= o.minLossSpanMicros);
  if (lost.length === 0) return undefined;
  const smallestLost = Math.min(...lost.map((x) => x.minWireLength));
  if (smallestLost <= familyMinMtu(c.version)) return undefined; // too small to be too big
  const delivered = d.maxDelivered?.wireLength;
  if (delivered !== undefined && delivered >= smallestLost) return undefined; // that size got through: plain loss
  // A PTB naming an MTU below the lost size passed the capture point: unless the sender went on
  // sending above it (the PTB never reached its stack: ptb_problem reports that too), PMTUD works.
  const ptbs = ptbsFor(c, d).filter((p) => p.mtu !== undefined && p.mtu > 0 && p.mtu < smallestLost);
  if (ptbs.length > 0 && !ptbs.some((p) => p.largerAfter >= 2)) return undefined;

  const peer = d === c.toServer ? c.toClient : c.toServer;
  const firstLoss = Math.min(...lost.map((x) => x.times[0]!));
  const lastSend = Math.max(...lost.map((x) => x.times[x.times.length - 1]!));
  const smallerAfterLoss = d.deliveredAfterFirstLoss !== undefined && d.deliveredAfterFirstLoss < smallestLost;
  const peerReacted = d.sackAcks > 0 || d.dupAcks > 0;
  const peerTalkedAfter = peer.last !== undefined && peer.last.time > firstLoss;
  const deliveredSmaller = delivered !== undefined;
  let level: 'high' | 'medium';
  let reason: string;
  if (smallerAfterLoss || (peerReacted && peerTalkedAfter)) {
    level = 'high';
    reason = smallerAfterLoss
      ? `smaller segments sent after the loss began were acknowledged (up to ${d.deliveredAfterFirstLoss} bytes) while ${smallestLost}-byte ones never were`
      : `the receiver kept acknowledging (duplicate ACKs / SACK) while every ${smallestLost}-byte transmission went unanswered`;
  } else if (deliveredSmaller && peerTalkedAfter) {
    level = 'high';
    reason = `segments up to ${delivered} bytes were delivered, every one of ${smallestLost}+ bytes was lost, and the receiver was still alive afterwards`;
  } else if (deliveredSmaller || peerTalkedAfter) {
    level = 'medium';
    reason = deliveredSmaller
      ? `segments up to ${delivered} bytes were delivered before the larger ones were lost; nothing shows the receiver alive afterwards`
      : 'the receiver was alive after the loss, but no smaller data segment shows what size does get through';
  } else return undefined; // nothing distinguishes a blackhole from a receiver that went away

  const sender = d.from;
  const receiver = d.to;
  const role = senderRole(c, d);
  const pathMtuMin = Math.max(delivered ?? 0, c.version === 6 ? IPV6_MIN_MTU : 0) || undefined;
  const pathMtuMax = smallestLost - 1;
  const senderMss = role === 'client' ? c.clientOptions?.mss : c.serverOptions?.mss;
  const receiverMss = role === 'client' ? c.serverOptions?.mss : c.clientOptions?.mss;
  const senderAtCapture = c.capturePoint === role;
  const stallEnd = c.last.time;
  const stalledFor = stallEnd - firstLoss;

  const evidence: Evidence[] = handshakeEvidence(c);
  if (d.maxDelivered !== undefined) evidence.push(ev(d.maxDelivered, 'evidence', 'largest delivered segment', sender, receiver, `${d.maxDelivered.wireLength} bytes on the wire, acknowledged`));
  let n = 0;
  for (const x of lost) {
    for (let i = 0; i < x.frames.length && n < MAX_EVIDENCE_SENDS; i++, n++) {
      evidence.push(ev({ frame: x.frames[i]!, time: x.times[i]! }, i === 0 ? 'evidence' : 'tcp-retransmission', i === 0 ? 'large segment (lost)' : `retransmission ${i} (lost)`, sender, receiver, `${x.maxWireLength === x.minWireLength ? x.minWireLength : `${x.minWireLength}–${x.maxWireLength}`} bytes, seq ${x.start}, never acknowledged`));
    }
  }
  evidence.push(...endEvidence(c));
  const sorted = sortEvidence(evidence);
  const first = sorted[0]!;
  const worst = lost[0]!;
  const rto = rtoSeries(worst);
  const ptbMtus = [...new Set(ptbs.map((p) => p.mtu!))].sort((a, b) => a - b);
  // An IPv6 sender may discard a PTB naming less than 1280 (Linux does): the router is at fault.
  const belowMinimum = c.version === 6 && ptbMtus.some((m) => m < IPV6_MIN_MTU);
  const ptbText = ptbs.length === 0 ? 'no Packet Too Big' : `${ptbs.length} Packet Too Big (MTU ${ptbMtus.join('/')}) without effect`;
  return {
    id: `path.pmtud_blackhole:${first.frame}:${role === 'client' ? 'c2s' : 's2c'}`,
    kind: 'path.pmtud_blackhole',
    severity: 'error',
    summary: `PMTUD blackhole ${endpoint(sender, role === 'client' ? c.clientPort : c.serverPort)} → ${endpoint(receiver, role === 'client' ? c.serverPort : c.clientPort)}: ${smallestLost}-byte segments sent ${worst.sends}× and never acknowledged, ${delivered !== undefined ? `${delivered}-byte ones delivered` : 'handshake delivered'}, ${ptbText} (path MTU ${pathMtuMin ?? '?'}–${pathMtuMax})`,
    start: sorted[0]!.time,
    end: Math.max(...sorted.map((e) => e.time)),
    client: c.client,
    server: c.server,
    names: [...c.names],
    evidence: sorted,
    impact: {
      description: `the ${role} could not deliver ${d.unackedBytes} bytes for ${formatDuration(stalledFor)}${c.ended === 'rst' || c.ended === 'fin' ? ` (connection ended by ${c.endedBy ?? 'a side'} with ${c.ended.toUpperCase()})` : c.ended === 'capture-end' ? ' (still stalled at the end of the capture)' : ' (then the connection went idle)'}`,
      delayMicros: Math.max(0, stalledFor),
      stalledBytes: d.unackedBytes,
    },
    confidence: { level, reason },
    remedy: REMEDY.blackhole,
    displayFilter: connectionFilter(c),
    details: {
      side: 'sender',
      direction: role === 'client' ? 'client-to-server' : 'server-to-client',
      sender,
      receiver,
      pathMtuMin: pathMtuMin ?? null,
      pathMtuMax,
      largestDelivered: delivered ?? null,
      smallestLost,
      mssClient: c.clientOptions?.mss ?? null,
      mssServer: c.serverOptions?.mss ?? null,
      mssSender: senderMss ?? null,
      mssReceiver: receiverMss ?? null,
      lostRanges: lost.length,
      sends: worst.sends,
      rtoSeriesMicros: rto,
      lastSend,
      capturePoint: c.capturePoint,
      ptbSeen: ptbs.length,
      ptbVisible: true,
      ptbVisibility: ptbs.length > 0
        ? `${ptbs.length} PTB(s) quoting the flow passed this capture point, yet the sender kept sending larger segments: they never took effect (${belowMinimum ? 'they name an MTU below the IPv6 minimum of 1280, which senders such as Linux discard' : 'dropped after the capture point or ignored'})`
        : senderAtCapture
        ? 'captured at the sender: a PTB addressed to it would have been seen here'
        : 'the large segments passed this capture point, so the dropping link lies beyond it and a PTB back to the sender would normally pass here too',
      ipVersion: c.version,
    },
  };
}

function rtoSeries(x: RetransmittedRange): number[] {
  const out: number[] = [];
  for (let i = 1; i < x.times.length; i++) out.push(x.times[i]! - x.times[i - 1]!);
  return out;
}

function receiverSide(c: ConnectionRecord, d: DirectionSummary, o: PmtudBlackholeOptions): Finding | undefined {
  if (d.gaps.length === 0) return undefined;
  const stallEnd = c.last.time;
  const seg = d.maxSegment;
  const headers = seg !== undefined ? seg.ipLength - seg.payload : c.version === 6 ? 60 : 40;
  // MSS excludes TCP options (RFC 6691): a full segment carries MSS minus the option bytes.
  const optionBytes = Math.max(0, headers - (c.version === 6 ? 40 : 20) - 20);
  const cap = d.segmentCap ?? 1500 - headers + optionBytes;
  const arrived = seg?.wireLength ?? 0;
  // The missing segments were at most the gap, cut to the MSS, and no larger than the size the
  // sender was seen splitting its data at before the gap (back-to-back equal segments): a clamp or
  // a small link at the sender that the SYNs do not show, or an MTU learnt from PTBs earlier.
  const estimate = (g: DirectionSummary['gaps'][number]): number => Math.min(headers + Math.min(g.end - g.start, cap - optionBytes), g.segmentSizeBefore ?? Number.POSITIVE_INFINITY);
  const gap = d.gaps.find((g) => {
    if (g.ackedPast) return false; // the receiver had it: the capture missed it
    const waited = (g.filled?.time ?? stallEnd) - g.since;
    if (waited < o.minStallMicros) return false;
    const lostEstimate = estimate(g);
    if (g.filled !== undefined) {
      // The missing bytes came through at a size that was lost (plain loss), or in pieces no
      // larger than segments that got through before the gap: nothing shows size mattered.
      const fill = g.fillWireLength ?? 0;
      if (fill >= lostEstimate || fill <= g.largestBefore) return false;
    }
    return lostEstimate > arrived && lostEstimate > familyMinMtu(c.version);
  });
  if (gap === undefined) return undefined;
  const lostEstimate = estimate(gap);
  // The sender's segment size shown before the gap, or the MSS from the handshake, bounds the lost
  // size; without either it is a guess from a 1500-byte link.
  const sizeGuessed = gap.segmentSizeBefore === undefined && d.segmentCap === undefined;
  const role = senderRole(c, d);
  const waited = (gap.filled?.time ?? stallEnd) - gap.since;
  const receiverGaveUp = (role === 'server' ? c.toServer : c.toClient).rst !== undefined || (role === 'server' ? c.toServer : c.toClient).fin !== undefined;
  const signalled = d.dupAcks + d.sackAcks >= 2 && (receiverGaveUp || waited >= 3 * o.minStallMicros);
  const level = sizeGuessed ? (signalled ? 'medium' : 'low') : signalled ? 'high' : 'medium';
  const sizeText = !sizeGuessed
    ? `the missing ones ~${lostEstimate} (estimated from the gap and the MSS)`
    : `the missing ones ~${lostEstimate} only by estimate: the capture holds no handshake (MSS) and no run of equal segments, so a 1500-byte link is assumed and the lost size is not known`;
  const evidence: Evidence[] = handshakeEvidence(c);
  if (seg !== undefined) evidence.push(ev(seg, 'evidence', 'largest segment that arrived', d.from, d.to, `${seg.wireLength} bytes on the wire`));
  evidence.push(ev(gap.after, 'evidence', 'segment after the missing bytes', d.from, d.to, `${gap.end - gap.start} bytes before it never arrived`));
  if (gap.filled !== undefined) evidence.push(ev(gap.filled, 'evidence', 'missing bytes finally arrive', d.from, d.to, `${gap.fillWireLength} bytes on the wire`));
  evidence.push(...endEvidence(c));
  const sorted = sortEvidence(evidence);
  const pathMtuMin = Math.max(arrived, c.version === 6 ? IPV6_MIN_MTU : 0) || undefined;
  return {
    id: `path.pmtud_blackhole:${sorted[0]!.frame}:${role === 'client' ? 'c2s' : 's2c'}`,
    kind: 'path.pmtud_blackhole',
    severity: gap.filled === undefined ? 'error' : 'warning',
    summary: `PMTUD blackhole seen by the receiver ${endpoint(d.to, role === 'client' ? c.serverPort : c.clientPort)}: ${gap.end - gap.start} bytes from ${endpoint(d.from, role === 'client' ? c.clientPort : c.serverPort)} never arrived (segments of ~${lostEstimate} bytes${sizeGuessed ? ', estimated' : ''}) while ≤${arrived}-byte ones did${gap.filled === undefined ? '' : `, until smaller retransmissions after ${formatDuration(waited)}`}`,
    start: sorted[0]!.time,
    end: Math.max(...sorted.map((e) => e.time)),
    client: c.client,
    server: c.server,
    names: [...c.names],
    evidence: sorted,
    impact: {
      description: `the receiver waited ${formatDuration(waited)} for ${gap.end - gap.start} missing bytes${gap.filled === undefined ? ' that never came' : ''}`,
      delayMicros: waited,
      stalledBytes: gap.end - gap.start,
    },
    confidence: {
      level,
      reason: `bytes missing before the capture point were never acknowledged; every segment that arrived was at most ${arrived} bytes, ${sizeText}${signalled ? '; the receiver signalled the hole (duplicate ACKs / SACK)' : ''}`,
    },
    remedy: REMEDY.blackhole,
    displayFilter: connectionFilter(c),
    details: {
      side: 'receiver',
      direction: role === 'client' ? 'client-to-server' : 'server-to-client',
      sender: d.from,
      receiver: d.to,
      pathMtuMin: pathMtuMin ?? null,
      pathMtuMax: lostEstimate - 1,
      largestDelivered: arrived,
      smallestLost: lostEstimate,
      ...(sizeGuessed ? { lostSizeGuessed: true } : {}),
      mssClient: c.clientOptions?.mss ?? null,
      mssServer: c.serverOptions?.mss ?? null,
      missingBytes: gap.end - gap.start,
      recovered: gap.filled !== undefined,
      capturePoint: c.capturePoint,
      ptbVisible: false,
      ptbVisibility: 'captured downstream of the loss (at or near the receiver): PTBs go back to the sender and cannot be seen here',
      ipVersion: c.version,
    },
  };
}

/** The registry's entry (src/detect/registry.ts). */
export const pmtudBlackholeDetector = defineDetector({
  kind: 'path.pmtud_blackhole', records: 'path', lane: 'tcp', defaults: DEFAULT_PMTUD_BLACKHOLE_OPTIONS, create: createPmtudBlackhole,
  readme: { what: 'large segments retransmitted with backoff and never acknowledged while small ones pass, no Packet Too Big (or ICMP 3/4) arrives — seen from the sender or the receiver; brackets the path MTU', remedy: 'let PTB through; clamp MSS; fix LB/anycast PTB delivery' },
});
