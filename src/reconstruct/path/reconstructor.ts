// TCP connections, ICMP errors matched to the flow they quote, and names from DNS answers.
// State is bounded and forgotten on capture time; a record is emitted as soon as it is final, so a
// live capture can use the same code.
import { EndpointSet, FlowTable, type Micros } from '../../core/index.js';
import { TcpFlag, type Arp, type Icmp, type Packet } from '../../decode/index.js';
import { Connection } from './connection.js';
import { InboundView } from './inbound-view.js';
import { NameMap } from './names.js';
import { NeighborTracker } from './neighbors.js';
import { DEFAULT_PATH_OPTIONS, type PathOptions } from './options.js';
import type { ConnectionEnd, ConnectionRecord, HandshakeOutcome, IcmpErrorRecord, IcmpRef, PathRecord, PathStats } from './records.js';

const PROTO_TCP = 6;
const PROTO_UDP = 17;
const ND_SOLICITATION = 135;
const ND_ADVERTISEMENT = 136;
const EXPIRE_EVERY: Micros = 1_000_000;
const MAX_SERVICES = 4096;
/**
 * Finished connections kept for reuse: enough for the churn of a busy link, as an expiry pass
 * finishes every connection whose linger ran out in the last second (the easy bench file up to
 * 414 at a time, the edge one 1,335), few enough to hold little (parked, ~3.5 kB each at most).
 * Edge 2 M: with room for 1,024, 21,975 connections were made new (2.1 kB each, which live for
 * seconds and are promoted), with room for 2,048 or more 4,963 (the most open at once).
 */
const MAX_SPARE_CONNECTIONS = 4096;

/** One key for both directions of a flow (the reconstructor itself uses a FlowTable, which builds no string). */
export function flowKey(src: string, srcPort: number, dst: string, dstPort: number): string {
  const a = `${src}|${srcPort}`;
  const b = `${dst}|${dstPort}`;
  return a < b ? `${a}>${b}` : `${b}>${a}`;
}

/** A UDP flow seen lately, for matching the ICMP errors that quote it. */
interface DatagramFlow {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  last: Micros;
}

const isErrorKind = (k: Icmp['kind']): boolean =>
  k === 'packet-too-big' || k === 'frag-needed' || k === 'unreachable' || k === 'time-exceeded' || k === 'parameter-problem';

export class PathReconstructor {
  readonly #o: PathOptions;
  readonly #emit: (r: PathRecord) => void;
  readonly #conns = new FlowTable<Connection>();
  /**
   * No open connection's deadline comes before this: expire() skips its scan of every open
   * connection, once per second of capture time, until one can be due (with 100 k connections
   * open for minutes that scan would cost more than the packets).
   */
  #nextDeadline: Micros = Number.POSITIVE_INFINITY;
  readonly #udp = new FlowTable<DatagramFlow>();
  /**
   * No UDP flow was last seen before this: expire() skips its scan of up to maxDatagramFlows flows
   * until one can be idle (the scan every second was ~15 % of the stage on a capture of short
   * DNS flows).
   */
  #udpOldestLast: Micros = Number.POSITIVE_INFINITY;
  /** Address and port seen serving TCP (answering a SYN): to tell a PTB for another server's flow. */
  readonly #services = new EndpointSet(MAX_SERVICES);
  readonly #names: NameMap;
  readonly #neighbors: NeighborTracker;
  /** Whose inbound traffic the capture holds (hosts of a merge whose trace held only what they sent). */
  readonly #inbound: InboundView;
  /**
   * The last two destinations handed to InboundView.addressed, which does nothing for one it has
   * seen: a flow's packets go back and forth between two ends, so most packets skip its Set lookup
   * (easy 300 k: 22 M instructions of the path stage). An address from the decoder's cache is the
   * slot's same string object on a hit, so most of these comparisons end at the pointer.
   */
  #addressedLast = '';
  #addressedBefore = '';
  /**
   * Finished connections, to be reused (Connection.init): new ones lived long enough after their
   * FIN to be copied and promoted by V8's young-generation collector (bench, 5 M packets, every
   * stage: 6.2 → 5.75 s).
   */
  readonly #spare: Connection[] = [];
  #nextId = 1;
  #nextExpire: Micros = Number.NEGATIVE_INFINITY;
  #lastTime: Micros = 0;
  #tcpPackets = 0;
  #emitted = 0;
  #midstream = 0;
  #retransmissions = 0;
  #synRetransmissions = 0;
  #offloaded = 0;
  #evicted = 0;
  #forwardedCopies = 0;
  #mirroredCopies = 0;
  #icmpMatched = 0;
  #icmpUnmatched = 0;
  readonly #icmpErrors: Record<string, number> = {};
  readonly #byHandshake: Record<HandshakeOutcome, number> = { established: 0, refused: 0, unreachable: 0, unanswered: 0, 'syn-ack-only': 0, 'not-seen': 0 };
  readonly #byEnd: Record<ConnectionEnd, number> = { fin: 0, rst: 0, idle: 0, 'capture-end': 0 };

  constructor(options: Partial<PathOptions>, emit: (r: PathRecord) => void) {
    this.#o = { ...DEFAULT_PATH_OPTIONS, ...options };
    this.#emit = emit;
    this.#names = new NameMap(this.#o.maxNames, this.#o.nameMaxAgeMicros);
    this.#inbound = new InboundView(this.#o.maxInboundHosts, emit);
    this.#neighbors = new NeighborTracker({}, (r) => {
      const first = r.solicitations[0]?.time ?? this.#lastTime;
      const n = this.#names.lookup(r.address, first);
      this.#emit({ ...r, names: n?.names ?? [], lookup: n === undefined ? undefined : { frame: n.frame, time: n.time, asker: n.asker } });
    });
  }

  /** An ARP message (not IP, so not a Packet): neighbour discovery for IPv4. */
  arp(a: Arp, frame: number, time: Micros): void {
    if (time > this.#lastTime) this.#lastTime = time;
    this.#neighbors.arp(a, frame, time);
  }

  packet(p: Packet): void {
    const ip = p.ip;
    if (ip === undefined) return;
    if (p.time > this.#lastTime) this.#lastTime = p.time;
    const dst = ip.dst;
    if (dst !== this.#addressedLast && dst !== this.#addressedBefore) {
      this.#inbound.addressed(p);
      this.#addressedBefore = this.#addressedLast;
      this.#addressedLast = dst;
    }
    if (p.time >= this.#nextExpire) {
      this.expire(p.time);
      this.#nextExpire = p.time + EXPIRE_EVERY;
    }
    if (p.dns.length > 0) {
      for (const m of p.dns) if (m.qr) this.#names.response(m, ip.dst, p.frame, p.time);
    }
    if (p.tcp !== undefined) this.#tcp(p);
    else if (p.udp !== undefined) this.#datagram(p);
    else if (p.icmp !== undefined) {
      const icmp = p.icmp;
      if (isErrorKind(icmp.kind)) this.#icmp(p, icmp);
      else if (icmp.target !== undefined) {
        // RFC 4861: NS (135) asks for the target, NA (136) answers for it.
        if (icmp.type === ND_SOLICITATION) this.#neighbors.solicitation(6, ip.src, icmp.target, p.frame, p.time);
        else if (icmp.type === ND_ADVERTISEMENT) this.#neighbors.advertisement(icmp.target, p.frame, p.time);
      }
    }
  }

  /** Makes final every connection idle (or closed) long enough at capture time `now`. */
  expire(now: Micros): void {
    if (now > this.#nextDeadline) {
      let next = Number.POSITIVE_INFINITY;
      for (let n = this.#conns.first; n !== undefined; n = n.next) {
        const c = n.value;
        const due = c.deadline();
        if (now > due) {
          this.#forget(c);
          this.#final(c, 'idle', now);
        } else if (due < next) next = due;
      }
      this.#nextDeadline = next;
    }
    if (now - this.#udpOldestLast > this.#o.datagramIdleMicros) {
      let oldest = Number.POSITIVE_INFINITY;
      for (let n = this.#udp.first; n !== undefined; n = n.next) {
        const f = n.value;
        if (now - f.last > this.#o.datagramIdleMicros) this.#udp.delete(f.src, f.srcPort, f.dst, f.dstPort, f);
        else if (f.last < oldest) oldest = f.last;
      }
      this.#udpOldestLast = oldest;
    }
    this.#names.expire(now);
    this.#neighbors.expire(now);
  }

  /** End of input: everything still open is final (ended 'capture-end' unless it closed). */
  finish(): void {
    this.#neighbors.finish();
    for (let n = this.#conns.first; n !== undefined; n = n.next) this.#final(n.value, 'capture-end', this.#lastTime);
    this.#conns.clear();
    this.#udp.clear();
  }

  /** Hosts the capture showed receiving so far (see InboundView; a split capture's merge needs them). */
  receivingHosts(): readonly string[] {
    return this.#inbound.receivingHosts;
  }

  stats(): PathStats {
    return {
      tcpPackets: this.#tcpPackets,
      connections: this.#emitted,
      open: this.#conns.size,
      byHandshake: { ...this.#byHandshake },
      byEnd: { ...this.#byEnd },
      midstream: this.#midstream,
      retransmissions: this.#retransmissions,
      synRetransmissions: this.#synRetransmissions,
      offloadedSegments: this.#offloaded,
      icmpErrors: { ...this.#icmpErrors },
      icmpMatched: this.#icmpMatched,
      icmpUnmatched: this.#icmpUnmatched,
      namesKnown: this.#names.size,
      evicted: this.#evicted,
      forwardedCopies: this.#forwardedCopies,
      mirroredCopies: this.#mirroredCopies,
    };
  }

  #tcp(p: Packet): void {
    const ip = p.ip!;
    const tcp = p.tcp!;
    this.#tcpPackets++;
    let c = this.#conns.get(ip.src, tcp.srcPort, ip.dst, tcp.dstPort);
    const synOnly = (tcp.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
    if (c !== undefined && synOnly && this.#isNewConnection(c, ip.src, tcp.srcPort, tcp.seq)) {
      this.#forget(c);
      this.#final(c, 'idle', p.time);
      c = undefined;
    }
    if (c === undefined) {
      c = this.#open(p);
      this.#conns.add(c.client, c.clientPort, c.server, c.serverPort, c);
    }
    const fromClient = c.isClient(ip.src, tcp.srcPort);
    if (c.packet(p, fromClient)) this.#inbound.receivedUnseen(ip.src, ip.dst, p.frame, p.time);
    const due = c.deadline(); // a packet moves it, and closing brings it nearer
    if (due < this.#nextDeadline) this.#nextDeadline = due;
    if ((tcp.flags & 0x12) === 0x12 && !fromClient) this.#services.add(ip.src, tcp.srcPort);
  }

  /** A SYN on a known 4-tuple starts a new connection unless it retries the current handshake. */
  #isNewConnection(c: Connection, src: string, srcPort: number, seq: number): boolean {
    if (c.isClosed || c.rolesFrom === 'port') return true;
    if (!c.isClient(src, srcPort)) return false;
    return c.isEstablished && c.toServer.seq.isn !== (seq | 0);
  }

  #forget(c: Connection): void {
    this.#conns.delete(c.client, c.clientPort, c.server, c.serverPort, c);
  }

  /** A UDP packet (`p.ip` and `p.udp` set): the packet, not its time, as for InboundView.addressed. */
  #datagram(p: Packet): void {
    const src = p.ip!.src;
    const dst = p.ip!.dst;
    const srcPort = p.udp!.srcPort;
    const dstPort = p.udp!.dstPort;
    const time = p.time;
    if (time < this.#udpOldestLast) this.#udpOldestLast = time;
    const f = this.#udp.get(src, srcPort, dst, dstPort);
    if (f !== undefined) {
      f.last = time;
      return;
    }
    if (this.#udp.size >= this.#o.maxDatagramFlows && this.#udp.size > 0) {
      // Full (a busy resolver's queries, a new source port each): the oldest flow's object and its
      // node in the table become the new flow's, rather than new ones that would die old.
      const f = this.#udp.oldest()!;
      f.src = src;
      f.srcPort = srcPort;
      f.dst = dst;
      f.dstPort = dstPort;
      f.last = time;
      this.#udp.replaceOldest(src, srcPort, dst, dstPort, f);
      return;
    }
    this.#udp.add(src, srcPort, dst, dstPort, { src, srcPort, dst, dstPort, last: time });
  }

  #open(p: Packet): Connection {
    const ip = p.ip!;
    const tcp = p.tcp!;
    if (this.#conns.size >= this.#o.maxConnections) {
      let oldest: Connection | undefined;
      for (let n = this.#conns.first; n !== undefined; n = n.next) {
        const x = n.value;
        if (oldest === undefined || x.lastTime < oldest.lastTime) oldest = x;
        if (oldest.lastTime < p.time - this.#o.closeLingerMicros) break; // good enough: skip the full scan
      }
      if (oldest !== undefined) {
        this.#forget(oldest);
        this.#evicted++;
        this.#final(oldest, 'idle', p.time);
      }
    }
    const syn = (tcp.flags & 0x02) !== 0;
    const ackFlag = (tcp.flags & 0x10) !== 0;
    let fromClient: boolean;
    let rolesFrom: 'syn' | 'syn-ack' | 'port';
    if (syn && !ackFlag) {
      fromClient = true;
      rolesFrom = 'syn';
    } else if (syn) {
      fromClient = false;
      rolesFrom = 'syn-ack';
    } else {
      // Mid-stream: the lower port (or a known service) is the server's.
      this.#midstream++;
      const srcService = this.#services.has(ip.src, tcp.srcPort);
      const dstService = this.#services.has(ip.dst, tcp.dstPort);
      fromClient = dstService !== srcService ? dstService : tcp.srcPort > tcp.dstPort;
      rolesFrom = 'port';
    }
    const id = this.#nextId++;
    const client = fromClient ? ip.src : ip.dst;
    const clientPort = fromClient ? tcp.srcPort : tcp.dstPort;
    const server = fromClient ? ip.dst : ip.src;
    const serverPort = fromClient ? tcp.dstPort : tcp.srcPort;
    const spare = this.#spare.pop();
    const c = spare !== undefined
      ? spare.init(id, ip.version, client, clientPort, server, serverPort, rolesFrom, p.frame, p.time, this.#o)
      : new Connection(id, ip.version, client, clientPort, server, serverPort, rolesFrom, p.frame, p.time, this.#o);
    const n = this.#names.lookup(c.server, p.time);
    if (n !== undefined) {
      c.names = n.names; // never changed in place (names.ts)
      c.setLookup(n.names[0]!, n.frame, n.time, n.asker);
    }
    return c;
  }

  #icmp(p: Packet, icmp: Icmp): void {
    const ip = p.ip!;
    const statKey = `${icmp.version} ${icmp.type}/${icmp.code}`;
    this.#icmpErrors[statKey] = (this.#icmpErrors[statKey] ?? 0) + 1;
    const q = icmp.quoted;
    if (q === undefined) {
      this.#icmpUnmatched++;
      return;
    }
    // Address resolution failed (ICMPv6 1/3, RFC 4443 §3.1; ICMP 3/1, host unreachable).
    if (icmp.kind === 'unreachable' && ((icmp.version === 6 && icmp.code === 3) || (icmp.version === 4 && icmp.code === 1))) {
      this.#neighbors.unreachable(q.dst, ip.dst, q.protocol, q.dstPort, p.frame, p.time);
    }
    let match: IcmpErrorRecord['match'] = 'none';
    let connectionId: number | undefined;
    let quotes: IcmpErrorRecord['quotes'];
    let quotedSeqSent: boolean | undefined;
    let serviceSeen = false;
    if (q.protocol === PROTO_TCP && q.srcPort !== undefined && q.dstPort !== undefined) {
      serviceSeen = this.#services.has(q.src, q.srcPort);
      const c = this.#conns.get(q.src, q.srcPort, q.dst, q.dstPort);
      if (c !== undefined) {
        match = 'connection';
        connectionId = c.id;
        const quotesClient = c.isClient(q.src, q.srcPort);
        quotes = quotesClient ? 'to-server' : 'to-client';
        const d = quotesClient ? c.toServer : c.toClient;
        if (q.tcpSeq !== undefined && d.seq.base !== undefined) {
          const rel = d.relative(q.tcpSeq);
          quotedSeqSent = rel >= -65536 && rel < d.seq.highestEnd;
        }
        const ref: IcmpRef = {
          frame: p.frame,
          time: p.time,
          from: ip.src,
          to: ip.dst,
          kind: icmp.kind,
          type: icmp.type,
          code: icmp.code,
          mtu: icmp.mtu,
          icmpLength: ip.length,
          quotedLength: q.length,
          quotes,
          largerAfter: 0,
          smallerAfter: 0,
          firstLargerAfter: undefined,
        };
        c.icmpError(ref, quotesClient);
      }
    } else if (q.protocol === PROTO_UDP && q.srcPort !== undefined && q.dstPort !== undefined) {
      if (this.#udp.get(q.src, q.srcPort, q.dst, q.dstPort) !== undefined) match = 'datagram';
    }
    if (match === 'none') this.#icmpUnmatched++;
    else this.#icmpMatched++;
    this.#emit({
      type: 'icmp-error',
      frame: p.frame,
      time: p.time,
      version: icmp.version,
      kind: icmp.kind,
      icmpType: icmp.type,
      code: icmp.code,
      mtu: icmp.mtu,
      from: ip.src,
      to: ip.dst,
      hopLimit: ip.hopLimit,
      icmpLength: ip.length,
      quoted: { src: q.src, dst: q.dst, protocol: q.protocol, length: q.length, srcPort: q.srcPort, dstPort: q.dstPort, tcpSeq: q.tcpSeq },
      match,
      connectionId,
      quotes,
      quotedSeqSent,
      toQuotedSender: ip.dst === q.src,
      quotedServiceSeen: serviceSeen,
    });
  }

  #final(c: Connection, ended: ConnectionEnd, at: Micros): void {
    const r: ConnectionRecord = c.toRecord(ended, at);
    this.#emitted++;
    this.#byHandshake[r.handshake]++;
    this.#byEnd[r.ended]++;
    this.#retransmissions += r.toServer.retransmissions + r.toClient.retransmissions;
    this.#synRetransmissions += Math.max(0, r.synCount - 1);
    this.#offloaded += r.toServer.offloadedSegments + r.toClient.offloadedSegments;
    this.#forwardedCopies += c.toServer.copies.forwarded + c.toClient.copies.forwarded;
    this.#mirroredCopies += c.toServer.copies.mirrored + c.toClient.copies.mirrored;
    // The record holds copies, never the connection's own state: the object can be reused. Parked,
    // it lets go of its segments and lists, so spares hold no more than new connections would.
    if (this.#spare.length < MAX_SPARE_CONNECTIONS) {
      c.park();
      this.#spare.push(c);
    }
    this.#emit(r);
  }
}
