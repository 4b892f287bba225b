// What the HTML timeline draws, collected from packets as they pass: one lane per DNS
// client↔server pair and per TCP connection, ICMP errors placed on the flow they quote, and an
// overview of packets per time bucket. Everything is bounded: lanes, marks per lane and overview
// buckets have caps, and what does not fit is counted, never silently lost.
//
// Where it belongs: here in reconstruct/, beside the DNS and TCP trackers, because like them it is a
// tracker fed packet by packet during the one pass over the capture (it reads only decode/ and the
// DNS names' helpers) and it must stay bounded the same way. What it produces is report-neutral:
// lanes of marks. Joining lanes to findings (which lane shows which finding) needs the findings and
// the report's shapes, so that step lives in src/report/timeline-lanes.ts; the mark types both sides
// share are defined once below.
import { FlowTable, type Micros } from '../core/index.js';
import { TcpFlag, type DnsMessage, type Packet } from '../decode/index.js';
import { qtypeName } from './dns/index.js';

/**
 * How the timeline draws a packet a finding cites (a detector sets it on each piece of evidence):
 * the lane mark types evidence can take, and 'evidence' for a packet that is none of them.
 */
export const EVIDENCE_MARKS = ['dns-query', 'dns-answer', 'tcp-syn', 'tcp-synack', 'tcp-retransmission', 'tcp-rst', 'tcp-fin', 'icmp-ptb', 'icmp-unreach', 'evidence'] as const;
export type EvidenceMark = (typeof EVIDENCE_MARKS)[number];
/** Every type of lane mark: the evidence marks and those only the collector draws. */
export type MarkType = EvidenceMark | 'tcp-data' | 'icmp-other';

export interface LaneMark {
  t0: Micros;
  t1: Micros | null;
  type: MarkType;
  frame: number;
  frames: number[];
  label: string;
  detail: string;
  outcome: string;
}

export interface Lane {
  id: string;
  kind: 'dns' | 'tcp' | 'icmp';
  label: string;
  /** Endpoints as text, so findings can be matched to lanes. */
  a: string;
  b: string;
  marks: LaneMark[];
  omittedMarks: number;
  packets: number;
  lastTime: Micros;
}

export interface TimelineOptions {
  /** Lanes kept; packets of later flows are counted in `packetsWithoutLane`. */
  maxLanes: number;
  /** Marks kept per lane; later ones are counted in the lane's `omittedMarks`. */
  maxMarksPerLane: number;
  /**
   * Marks kept in all: the memory bound of the whole timeline (a mark holds ~0.3 kB of text). The
   * HTML draws a few thousand at most; findings whose lane ran out get lanes from their evidence.
   */
  maxMarks: number;
  /** Overview buckets; the bucket width doubles when the capture outgrows them. */
  maxBuckets: number;
  /** Data segments closer than this in one direction are drawn as one bar. */
  dataCoalesceMicros: Micros;
  /**
   * Where the overview's first bucket starts; undefined: at the first packet. A piece of a file
   * split across threads takes the whole file's, so that the pieces' buckets add up.
   */
  origin: Micros | undefined;
}

export const DEFAULT_TIMELINE_OPTIONS: TimelineOptions = {
  maxLanes: 1000,
  maxMarksPerLane: 200,
  maxMarks: 30_000,
  maxBuckets: 600,
  dataCoalesceMicros: 50_000,
  origin: undefined,
};

/**
 * A DNS query's mark, and its answer's when one comes. Its texts and frame list are built when
 * read (by the report, for the lanes it shows) from the numbers kept here: an incident-rich capture
 * fills the timeline's 30 k marks with queries, kept for the whole capture, and the texts built per
 * query (template strings held as trees of pieces, a frame list grown for 16) took ~800 B a mark,
 * most of the collector's memory; this takes ~150 B.
 */
class DnsQueryMark implements LaneMark {
  t1: Micros | null = null;
  outcome = 'unanswered';
  #answerFrame = 0;
  #answers = 0;
  constructor(
    readonly t0: Micros,
    readonly frame: number,
    /** The question's type as a number (its name is looked up when the label is read); -1 without a question. */
    readonly qtype: number,
    readonly qname: string,
    readonly id: number,
    readonly clientPort: number,
    readonly transport: DnsMessage['transport'],
  ) {}

  get type(): 'dns-query' {
    return 'dns-query';
  }

  get frames(): number[] {
    return this.#answerFrame > 0 ? [this.frame, this.#answerFrame] : [this.frame];
  }

  get label(): string {
    return `${qtypeText(this.qtype)} ${this.qname}`;
  }

  get detail(): string {
    const asked = `id 0x${this.id.toString(16).padStart(4, '0')} port ${this.clientPort} ${this.transport}`;
    return this.#answerFrame > 0 ? `${asked}; answer frame ${this.#answerFrame}, ${this.#answers} answers` : asked;
  }

  answered(t: Micros, frame: number, outcome: string, answers: number): void {
    this.t1 = t;
    this.#answerFrame = frame;
    this.outcome = outcome;
    this.#answers = answers;
  }
}

interface TcpLaneState {
  lane: Lane;
  /** The endpoint that spoke first (the client when the SYN was seen). */
  aAddr: string;
  aPort: number;
  openBytes: number;
  /** Highest sequence end sent per direction (forward = from `a`). */
  nextSeqA: number | undefined;
  nextSeqB: number | undefined;
  openData: LaneMark | undefined;
  openDataForward: boolean;
  /**
   * `a → b` and `b → a` as marks show them: made once per lane and shared by its marks (built per
   * mark, these strings were most of what 30 k marks keep alive).
   */
  forwardText: string;
  backwardText: string;
}

/**
 * A DNS lane with its open queries, found by DNS id and then compared field by field (client port,
 * question type and name): a key string per message (lane, port, id, type and name) was the
 * collector's largest allocation on an incident-rich capture.
 */
interface DnsLane {
  readonly lane: Lane;
  /** Open queries by DNS id, chained on `next`. */
  readonly open: Map<number, OpenQuery>;
  /** How many: a full lane with none open needs no work at all. */
  openCount: number;
}

interface OpenQuery {
  mark: DnsQueryMark;
  readonly lane: DnsLane;
  readonly clientPort: number;
  readonly id: number;
  readonly qtype: number;
  readonly qname: string;
  next: OpenQuery | undefined;
}

export class TimelineCollector {
  readonly #options: TimelineOptions;
  readonly #lanes = new Map<string, Lane>();
  /** TCP lanes by flow (no per-packet key strings; remembers the flow it found last). */
  readonly #tcp = new FlowTable<TcpLaneState>();
  /**
   * 1 for each port a TCP lane's endpoints use. Lanes are never dropped, so once the lane bound is
   * reached the flows with lanes are fixed, and a segment with a port no TCP lane uses has none:
   * it is counted without a flow lookup. On an incident-rich capture most packets are such segments
   * (edge 400 k: 282 k of 289 k TCP segments came after the bound).
   */
  readonly #tcpLanePorts = new Uint8Array(65536);
  /** Open DNS queries of every lane, oldest first (a query asked again keeps its place): the bound. */
  readonly #openQueries = new Set<OpenQuery>();
  /**
   * DNS lanes by client → server (no per-message lane-id string once the lane exists). Two Map
   * lookups, not a chain of a client's lanes: a resolver seen at its own interface is one client
   * with up to a lane per authoritative server (maxLanes), and a chain walked per message grew with them.
   */
  readonly #dnsLanes = new Map<string, Map<string, DnsLane>>();
  /** Packets of flows that came after the lane bound: counted, not drawn. */
  packetsWithoutLane = 0;
  #marks = 0;
  #start: Micros | undefined;
  /** NaN before the first packet (a number field is updated in place; see Analysis#last). */
  #end: Micros = Number.NaN;
  #bucketMicros: Micros = 1_000_000;
  /** The bucket the last packet fell in, and the times it covers. */
  #bucketIndex = 0;
  #bucketFrom: Micros = Number.POSITIVE_INFINITY;
  #bucketTo: Micros = Number.NEGATIVE_INFINITY;

  #buckets: number[] = [];

  constructor(options: Partial<TimelineOptions> = {}) {
    this.#options = { ...DEFAULT_TIMELINE_OPTIONS, ...options };
    this.#start = this.#options.origin;
  }

  packet(p: Packet): void {
    this.#count(p);
    const ip = p.ip;
    if (!ip) return;
    if (p.dns.length > 0) {
      for (const m of p.dns) this.#dns(p, m);
      return;
    }
    if (p.tcp) return this.#tcpSegment(p);
    if (p.icmp && p.icmp.quoted) this.#icmpError(p);
  }

  /**
   * Takes the packet, not its time: V8 does not inline this into packet(), and a capture time passed
   * to a call it does not inline is a heap number made for the call (edge bench: 16 B a packet).
   */
  #count(p: Packet): void {
    const t = p.time;
    // Most packets fall in the bucket of the one before: one comparison and an increment.
    if (t >= this.#bucketFrom && t < this.#bucketTo) {
      this.#buckets[this.#bucketIndex]! += 1;
      if (t > this.#end) this.#end = t;
      return;
    }
    if (this.#start === undefined) this.#start = t;
    if (t > this.#end || Number.isNaN(this.#end)) this.#end = t;
    let i = Math.floor((t - this.#start) / this.#bucketMicros);
    if (i < 0) i = 0; // out-of-order timestamps land in the first bucket
    while (i >= this.#options.maxBuckets) {
      // Double the width: merge pairs of buckets.
      const merged: number[] = [];
      for (let j = 0; j < this.#buckets.length; j += 2) merged.push((this.#buckets[j] ?? 0) + (this.#buckets[j + 1] ?? 0));
      this.#buckets = merged;
      this.#bucketMicros *= 2;
      i = Math.floor((t - this.#start) / this.#bucketMicros);
    }
    while (this.#buckets.length <= i) this.#buckets.push(0);
    this.#buckets[i]! += 1;
    this.#bucketIndex = i;
    this.#bucketFrom = this.#start + i * this.#bucketMicros;
    this.#bucketTo = this.#bucketFrom + this.#bucketMicros;
    // The first bucket also takes everything before the start.
    if (i === 0) this.#bucketFrom = Number.NEGATIVE_INFINITY;
  }

  #lane(id: string, kind: Lane['kind'], a: string, b: string, label: string, t: Micros): Lane | undefined {
    let lane = this.#lanes.get(id);
    if (!lane) {
      if (this.#lanes.size >= this.#options.maxLanes) {
        this.packetsWithoutLane++;
        return undefined;
      }
      lane = { id, kind, label, a, b, marks: [], omittedMarks: 0, packets: 0, lastTime: t };
      this.#lanes.set(id, lane);
    }
    lane.packets++;
    lane.lastTime = t;
    return lane;
  }

  #push(lane: Lane, mark: LaneMark): boolean {
    if (lane.marks.length >= this.#options.maxMarksPerLane || this.#marks >= this.#options.maxMarks) {
      lane.omittedMarks++;
      return false;
    }
    lane.marks.push(mark);
    this.#marks++;
    return true;
  }

  #dns(p: Packet, m: DnsMessage): void {
    const ip = p.ip!;
    const clientPort = m.qr ? (p.udp?.dstPort ?? p.tcp?.dstPort ?? 0) : (p.udp?.srcPort ?? p.tcp?.srcPort ?? 0);
    const client = m.qr ? ip.dst : ip.src;
    const server = m.qr ? ip.src : ip.dst;
    let dns = this.#dnsLanes.get(client)?.get(server);
    if (dns === undefined) {
      if (this.#lanes.size >= this.#options.maxLanes) {
        this.packetsWithoutLane++; // before building the lane's strings, as for TCP: a busy capture's per-packet path
        return;
      }
      const lane = this.#lane(`dns ${client} ${server}`, 'dns', client, server, `DNS ${client} → ${server}`, p.time);
      if (!lane) return;
      let byServer = this.#dnsLanes.get(client);
      if (!byServer) this.#dnsLanes.set(client, (byServer = new Map()));
      byServer.set(server, (dns = { lane, open: new Map(), openCount: 0 }));
    } else {
      dns.lane.packets++;
      dns.lane.lastTime = p.time;
    }
    const lane = dns.lane;
    // A full lane with no open query gains nothing from this message: count it and stop early.
    if (!this.#hasRoom(lane) && (m.qr ? dns.openCount === 0 : true)) {
      lane.omittedMarks++;
      return;
    }
    const qname = m.question?.name ?? '';
    const qtype = m.question?.type ?? -1;
    const open = this.#openQuery(dns, clientPort, m.id, qtype, qname);
    if (!m.qr) {
      const mark = new DnsQueryMark(p.time, p.frame, qtype, qname, m.id, clientPort, m.transport);
      if (this.#push(lane, mark)) {
        if (open !== undefined) {
          open.mark = mark; // asked again: the newer mark waits for the answer, in the older's place
          return;
        }
        const q: OpenQuery = { mark, lane: dns, clientPort, id: m.id, qtype, qname, next: dns.open.get(m.id) };
        dns.open.set(m.id, q);
        dns.openCount++;
        this.#openQueries.add(q);
        this.#trimOpenQueries();
      }
      return;
    }
    const outcome = m.rcode === 0 ? (m.ancount > 0 ? 'answered' : 'nodata') : `rcode-${m.rcode}`;
    if (open !== undefined && open.mark.t1 === null) {
      open.mark.answered(p.time, p.frame, outcome, m.ancount);
      this.#forgetQuery(open);
      return;
    }
    this.#push(lane, {
      t0: p.time, t1: null, type: 'dns-answer', frame: p.frame, frames: [p.frame],
      label: `${qtypeText(qtype)} ${qname}`, detail: `response without a matching query, id 0x${m.id.toString(16).padStart(4, '0')}`, outcome,
    });
  }

  /** The lane's open query from `clientPort` under `id` with this question, if there is one. */
  #openQuery(dns: DnsLane, clientPort: number, id: number, qtype: number, qname: string): OpenQuery | undefined {
    for (let q = dns.open.get(id); q !== undefined; q = q.next) if (q.clientPort === clientPort && q.qtype === qtype && q.qname === qname) return q;
    return undefined;
  }

  /** Open queries are bounded too: the oldest are forgotten (they stay marked unanswered). */
  #trimOpenQueries(): void {
    if (this.#openQueries.size <= 4 * this.#options.maxLanes) return;
    const oldest = this.#openQueries.values().next().value;
    if (oldest !== undefined) this.#forgetQuery(oldest);
  }

  #forgetQuery(q: OpenQuery): void {
    if (!this.#openQueries.delete(q)) return;
    const dns = q.lane;
    dns.openCount--;
    // Out of its chain of queries under the same id.
    const head = dns.open.get(q.id)!;
    if (head === q) {
      if (q.next === undefined) dns.open.delete(q.id);
      else dns.open.set(q.id, q.next);
    } else {
      let before = head;
      while (before.next !== q) before = before.next!;
      before.next = q.next;
    }
  }

  #hasRoom(lane: Lane): boolean {
    return lane.marks.length < this.#options.maxMarksPerLane && this.#marks < this.#options.maxMarks;
  }


  #tcpSegment(p: Packet): void {
    const ip = p.ip!;
    const tcp = p.tcp!;
    const lanesFull = this.#lanes.size >= this.#options.maxLanes;
    if (lanesFull && (this.#tcpLanePorts[tcp.srcPort] === 0 || this.#tcpLanePorts[tcp.dstPort] === 0)) {
      this.packetsWithoutLane++;
      return;
    }
    let state = this.#tcp.get(ip.src, tcp.srcPort, ip.dst, tcp.dstPort);
    if (!state) {
      if (lanesFull) {
        this.packetsWithoutLane++; // before building any string: this is the per-packet path of a busy capture
        return;
      }
      // The SYN sender is the client when we see it; otherwise whoever spoke first is `a`.
      const src = `${ip.src} ${tcp.srcPort}`;
      const dst = `${ip.dst} ${tcp.dstPort}`;
      const id = src < dst ? `tcp ${src} ${dst}` : `tcp ${dst} ${src}`;
      const forwardText = `${endpoint(src)} → ${endpoint(dst)}`;
      const lane = this.#lane(id, 'tcp', src, dst, `TCP ${forwardText}`, p.time);
      if (!lane) return;
      state = {
        lane, aAddr: ip.src, aPort: tcp.srcPort, nextSeqA: undefined, nextSeqB: undefined, openData: undefined, openDataForward: true, openBytes: 0,
        forwardText, backwardText: `${endpoint(dst)} → ${endpoint(src)}`,
      };
      this.#tcp.add(ip.src, tcp.srcPort, ip.dst, tcp.dstPort, state);
      this.#tcpLanePorts[tcp.srcPort] = 1;
      this.#tcpLanePorts[tcp.dstPort] = 1;
    } else {
      state.lane.packets++;
      state.lane.lastTime = p.time;
    }
    const lane = state.lane;
    const forward = ip.src === state.aAddr && tcp.srcPort === state.aPort;
    const flow = forward ? state.forwardText : state.backwardText;
    const f = tcp.flags;
    if (f & TcpFlag.SYN) {
      const type = f & TcpFlag.ACK ? 'tcp-synack' : 'tcp-syn';
      this.#push(lane, { t0: p.time, t1: null, type, frame: p.frame, frames: [p.frame], label: type === 'tcp-syn' ? 'SYN' : 'SYN-ACK', detail: `${flow}${tcp.mss !== undefined ? ` mss ${tcp.mss}` : ''}`, outcome: 'ok' });
      const end = (tcp.seq + 1) >>> 0;
      if (forward) state.nextSeqA = end; else state.nextSeqB = end;
      return;
    }
    if (f & TcpFlag.RST) {
      this.#closeData(state);
      this.#push(lane, { t0: p.time, t1: null, type: 'tcp-rst', frame: p.frame, frames: [p.frame], label: 'RST', detail: flow, outcome: 'reset' });
      return;
    }
    const len = tcp.payloadLength;
    if (len > 0) {
      const next = forward ? state.nextSeqA : state.nextSeqB;
      const end = (tcp.seq + len) >>> 0;
      // A segment that ends at or before what was already sent is a retransmission (mod 2^32).
      const retransmission = next !== undefined && ((end - next) | 0) <= 0;
      if (!retransmission) {
        if (forward) state.nextSeqA = end; else state.nextSeqB = end;
      }
      if (retransmission) {
        this.#closeData(state);
        this.#push(lane, { t0: p.time, t1: null, type: 'tcp-retransmission', frame: p.frame, frames: [p.frame], label: `retransmission ${len} B`, detail: `${flow} seq ${tcp.seq} len ${len} ip ${ip.length} B`, outcome: 'retransmission' });
      } else {
        const open = state.openData;
        if (open && state.openDataForward === forward && p.time - (open.t1 ?? open.t0) <= this.#options.dataCoalesceMicros) {
          open.t1 = p.time;
          if (open.frames.length < 64) open.frames.push(p.frame);
          state.openBytes += len;
        } else {
          this.#closeData(state);
          const mark: LaneMark = { t0: p.time, t1: p.time, type: 'tcp-data', frame: p.frame, frames: [p.frame], label: '', detail: `${flow}, first segment ip ${ip.length} B`, outcome: 'ok' };
          if (this.#push(lane, mark)) {
            state.openData = mark;
            state.openDataForward = forward;
            state.openBytes = len;
          }
        }
      }
    }
    if (f & TcpFlag.FIN) {
      this.#closeData(state);
      this.#push(lane, { t0: p.time, t1: null, type: 'tcp-fin', frame: p.frame, frames: [p.frame], label: 'FIN', detail: flow, outcome: 'ok' });
    }
  }

  /** A data bar is labelled when it closes: counting bytes per segment must not build strings. */
  #closeData(state: TcpLaneState): void {
    if (state.openData) state.openData.label = `${state.openBytes} B in ${state.openData.frames.length}${state.openData.frames.length >= 64 ? '+' : ''} segments`;
    state.openData = undefined;
  }

  #icmpError(p: Packet): void {
    const icmp = p.icmp!;
    const q = icmp.quoted!;
    const type = icmp.kind === 'packet-too-big' || icmp.kind === 'frag-needed' ? 'icmp-ptb' : icmp.kind === 'unreachable' ? 'icmp-unreach' : 'icmp-other';
    const label = type === 'icmp-ptb' ? `${icmp.kind === 'frag-needed' ? 'frag needed' : 'PTB'} mtu ${icmp.mtu ?? '?'}` : `${icmp.kind} code ${icmp.code}`;
    const detail = `from ${p.ip!.src} quoting ${q.src}${q.srcPort !== undefined ? ` ${q.srcPort}` : ''} → ${q.dst}${q.dstPort !== undefined ? ` ${q.dstPort}` : ''}, icmp ${p.ip!.length} B`;
    let lane: Lane | undefined;
    if (q.protocol === 6 && q.srcPort !== undefined && q.dstPort !== undefined) {
      lane = this.#tcp.get(q.src, q.srcPort, q.dst, q.dstPort)?.lane;
    }
    if (!lane && q.protocol === 17 && (q.srcPort === 53 || q.dstPort === 53)) {
      const [client, server] = q.dstPort === 53 ? [q.src, q.dst] : [q.dst, q.src];
      lane = this.#lanes.get(`dns ${client} ${server}`);
    }
    lane ??= this.#lane(`icmp ${q.src} ${q.dst}`, 'icmp', q.src, q.dst, `ICMP about ${q.src} → ${q.dst}`, p.time);
    if (lane) this.#push(lane, { t0: p.time, t1: null, type, frame: p.frame, frames: [p.frame], label, detail, outcome: 'error' });
  }

  get start(): Micros | undefined { return this.#start; }
  get end(): Micros | undefined { return Number.isNaN(this.#end) ? undefined : this.#end; }
  get overview(): { bucketMicros: Micros; packets: number[] } {
    return { bucketMicros: this.#bucketMicros, packets: this.#buckets.slice() };
  }
  lanes(): Lane[] {
    for (let n = this.#tcp.first; n !== undefined; n = n.next) if (n.value.openData) this.#closeData(n.value);
    return [...this.#lanes.values()];
  }

  /**
   * The lanes with every mark as plain fields: to cross to another thread (a piece of a split
   * file), where a structured clone keeps an object's own fields but not a class's getters.
   */
  plainLanes(): Lane[] {
    return this.lanes().map((lane) => ({ ...lane, marks: lane.marks.map(({ t0, t1, type, frame, frames, label, detail, outcome }) => ({ t0, t1, type, frame, frames, label, detail, outcome })) }));
  }
}

/** A mark's question type as text ('?' without a question). */
const qtypeText = (qtype: number): string => (qtype < 0 ? '?' : qtypeName(qtype));

const endpoint = (e: string): string => {
  const sp = e.lastIndexOf(' ');
  const addr = e.slice(0, sp);
  return addr.includes(':') ? `[${addr}]:${e.slice(sp + 1)}` : `${addr}:${e.slice(sp + 1)}`;
};
