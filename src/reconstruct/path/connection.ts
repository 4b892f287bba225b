// One TCP connection: handshake, both directions, ICMP errors quoting it, and how it ended.
import type { Micros } from '../../core/index.js';
import { TcpFlag, type Ip, type Tcp } from '../../decode/index.js';
import { Direction, NONE, sackSignature, small, unwrapSeq } from './direction.js';
import type { PathOptions } from './options.js';
import type { ConnectionEnd, ConnectionRecord, HandshakeOutcome, IcmpRef, Mark, Role, SideOptions } from './records.js';

const INITIAL_HOP_LIMITS = new Set([32, 64, 128, 255]);
const TCP_BASE_HEADER = 20;
const IPV6_MIN_MTU = 1280;

export class Connection {
  readonly toServer: Direction;
  readonly toClient: Direction;
  /** The last packet: numbers rather than a Mark per packet. */
  lastFrame: number;
  /** The last packet's time as an offset from the start (a small integer; see Direction). */
  #lastAt = 0;
  syns: Mark[] = NONE;
  synCount = 0;
  synAck: Mark | undefined = undefined;
  synAckCount = 0;
  established: Mark | undefined = undefined;
  handshakeRtt: number | undefined = undefined;
  failure: { mark: Mark; kind: 'refused' | 'unreachable' } | undefined = undefined;
  clientOptions: SideOptions | undefined = undefined;
  serverOptions: SideOptions | undefined = undefined;
  /** Capture time the connection closed (RST, or FIN both ways). */
  closedAt: Micros | undefined = undefined;
  endKind: 'fin' | 'rst' | undefined = undefined;
  endedBy: Role | undefined = undefined;
  icmp: IcmpRef[] = NONE;
  names: readonly string[] = [];
  lookup: ConnectionRecord['lookup'] = undefined;

  constructor(
    readonly id: number,
    readonly version: 4 | 6,
    readonly client: string,
    readonly clientPort: number,
    readonly server: string,
    readonly serverPort: number,
    readonly rolesFrom: 'syn' | 'syn-ack' | 'port',
    readonly start: Mark,
    private readonly o: PathOptions,
  ) {
    this.toServer = new Direction(client, clientPort, server, serverPort, o.maxSegmentsPerDirection, start.time);
    this.toClient = new Direction(server, serverPort, client, clientPort, o.maxSegmentsPerDirection, start.time);
    this.lastFrame = start.frame;
  }

  get lastTime(): Micros { return this.start.time + this.#lastAt; }
  set lastTime(t: Micros) { this.#lastAt = small(t - this.start.time); }

  /** Both SYNs offered SACK (RFC 2018): duplicate ACKs then carry SACK blocks. */
  sackNegotiated(): boolean {
    return this.clientOptions?.sackPermitted === true && this.serverOptions?.sackPermitted === true;
  }

  /** True when `src:srcPort` is the client. */
  isClient(src: string, srcPort: number): boolean {
    return src === this.client && srcPort === this.clientPort;
  }

  /** Capture time after which, with no further packet, the record is final. */
  deadline(): Micros {
    if (this.closedAt !== undefined) return this.lastTime + this.o.closeLingerMicros;
    if (this.established === undefined && this.synCount > 0) return this.lastTime + this.o.handshakeIdleMicros;
    return this.lastTime + this.o.idleMicros;
  }

  packet(frame: number, time: Micros, ip: Ip, tcp: Tcp, fromClient: boolean): void {
    const d = fromClient ? this.toServer : this.toClient;
    const peer = fromClient ? this.toClient : this.toServer;
    // What could prompt the same packet to be sent again (see Direction.forwardCopy): new data from
    // the peer for a pure ACK, duplicate ACKs and SACKs from the peer for anything else.
    const pureAck = tcp.payloadLength === 0 && (tcp.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) === 0;
    const trigger = pureAck ? peer.payloadPackets : d.dupAcks + d.sackAcks;
    if (d.forwardCopy(tcp.seq, tcp.ack, tcp.flags, tcp.payloadLength, tcp.window, tcp.tsVal, tcp.tsEcr, sackSignature(tcp.sack), ip.id ?? -1, ip.hopLimit, time, trigger, peer.packets > 0, this.sackNegotiated())) return;
    this.lastFrame = frame;
    this.lastTime = time;
    d.seen(frame, time, ip.hopLimit);
    const flags = tcp.flags;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const hasAck = (flags & TcpFlag.ACK) !== 0;
    const payload = tcp.payloadLength;

    if (syn) this.synSegment(d, peer, tcp, { frame, time }, fromClient, hasAck);
    else if (rst) this.reset(d, { frame, time }, fromClient);
    else this.segment(d, ip, tcp, frame, time, payload, fin);

    if (hasAck && !rst && peer.base !== undefined) {
      const a = unwrapSeq(tcp.ack, peer.base, peer.highestEnd);
      peer.ack(a, frame, time, payload === 0 && !syn && !fin, this.o.stallMicros);
      if (tcp.sack !== undefined) peer.sack(tcp.sack, frame, time);
    }
    if (this.established === undefined && hasAck && !syn && !rst) {
      if (fromClient && this.synAck !== undefined) {
        this.established = { frame, time };
        // As tshark's first RTT: the last SYN to the ACK that completes the handshake.
        const lastSyn = this.syns[this.syns.length - 1];
        this.handshakeRtt = time - (lastSyn !== undefined ? lastSyn.time : this.synAck.time);
      } else if (!fromClient && this.synCount > 0 && payload > 0) {
        this.established = { frame, time }; // the SYN-ACK was not captured but the server talks
      }
    }
    if (fin && d.fin === undefined) {
      d.fin = { frame, time };
      if (this.endedBy === undefined) this.endedBy = fromClient ? 'client' : 'server';
      if (peer.fin !== undefined) this.close('fin', time);
    }
  }

  private synSegment(d: Direction, peer: Direction, tcp: Tcp, mark: Mark, fromClient: boolean, hasAck: boolean): void {
    const opts: SideOptions = { mss: tcp.mss, windowScale: tcp.windowScale, sackPermitted: tcp.sackPermitted, timestamps: tcp.tsVal !== undefined };
    if (d.isn === (tcp.seq | 0)) {
      d.noteRetransmission(mark.frame, 0);
    } else {
      d.isn = tcp.seq | 0;
      d.base = tcp.seq | 0;
      d.highestEnd = 1;
      d.highestEndTime = mark.time;
    }
    if (hasAck) {
      this.synAckCount++;
      if (this.synAck === undefined) this.synAck = mark;
      this.serverOptions = opts;
    } else {
      this.synCount++;
      if (this.syns.length < this.o.maxSynsPerConnection) {
        if (this.syns === NONE) this.syns = [mark];
        else this.syns.push(mark);
      }
      this.clientOptions = opts;
    }
    // Each direction's segments are bounded by the MSS the other side announced (RFC 9293 §3.7.1)
    // and, in practice, by the sender's own (its interface MTU).
    const own = tcp.mss;
    const theirs = fromClient ? this.serverOptions?.mss : this.clientOptions?.mss;
    d.mssCap = minDefined(own, theirs);
    peer.mssCap = minDefined(own, theirs);
  }

  private reset(d: Direction, mark: Mark, fromClient: boolean): void {
    d.rst ??= mark;
    if (!fromClient && this.established === undefined && this.synAck === undefined && this.synCount > 0 && this.failure === undefined) {
      this.failure = { mark, kind: 'refused' };
    }
    this.endedBy ??= fromClient ? 'client' : 'server';
    this.close('rst', mark.time);
  }

  private segment(d: Direction, ip: Ip, tcp: Tcp, frame: number, time: Micros, payload: number, fin: boolean): void {
    const seqLen = payload + (fin ? 1 : 0);
    if (d.base === undefined) {
      d.base = tcp.seq | 0;
      d.highestEnd = 0;
      d.highestEndTime = time;
    }
    const rel = unwrapSeq(tcp.seq, d.base, d.highestEnd);
    if (seqLen === 0) {
      // A bare ACK whose sequence number is beyond everything seen: its sender sent bytes that never
      // passed the capture point (tshark: "previous segment not captured").
      if (rel > d.highestEnd && rel - d.highestEnd < 0x40000000 && d.packets > 1) d.gapTo(rel, frame, time);
      return;
    }
    const end = rel + seqLen;
    let wire = ip.length;
    const fragmentable = ip.version === 4 && !ip.dontFragment;
    if (payload > 0) {
      d.payloadPackets++;
      d.payloadBytes += payload;
      const headers = ip.headerLength + tcp.headerLength;
      wire = d.wireLength(ip.length, headers, payload, tcp.headerLength - TCP_BASE_HEADER, this.o.linkMtu);
      const offloaded = wire < ip.length;
      if (offloaded) {
        d.offloaded++;
        if (ip.length > d.maxOffloadedIpLength) d.maxOffloadedIpLength = ip.length;
      } else if (d.ptbs.length > 0 && !fragmentable) d.watchSize(frame, time, wire); // without DF a router may fragment it: no PTB to obey
      d.sized(frame, time, payload, ip.length, wire);
    }
    // A FIN beyond everything seen: bytes before it never passed here (a server giving up on a
    // stalled response closes with its FIN after them), as for a bare ACK above.
    if (payload === 0 && rel > d.highestEnd && rel - d.highestEnd < 0x40000000 && d.packets > 1) d.gapTo(rel, frame, time);
    if (rel >= d.highestEnd) {
      if (payload > 0) d.newData(rel, end, frame, time, wire, fragmentable);
      else {
        d.highestEnd = end;
        d.highestEndTime = time;
      }
      return;
    }
    // RFC 9293 §3.8.4 keep-alive: one byte (or none) just below the next sequence number.
    if (payload <= 1 && !fin && rel === d.highestEnd - 1) return;
    // As tshark: within the handshake RTT of the highest segment, not ending there, it is reordering.
    const reorder = this.handshakeRtt ?? this.o.reorderMicros;
    const outOfOrder = payload > 0 && time - d.highestEndTime < reorder && end !== d.highestEnd;
    if (!outOfOrder) d.noteRetransmission(frame, payload);
    if (payload > 0) d.oldData(rel, end, frame, time, wire, fragmentable);
  }

  /** An ICMP error quoting this connection. `quotesClient`: it quotes a packet the client sent. */
  icmpError(ref: IcmpRef, quotesClient: boolean): void {
    if (this.icmp.length < this.o.maxIcmpPerConnection) {
      if (this.icmp === NONE) this.icmp = [ref];
      else this.icmp.push(ref);
    }
    const d = quotesClient ? this.toServer : this.toClient;
    if ((ref.kind === 'packet-too-big' || ref.kind === 'frag-needed') && ref.mtu !== undefined && ref.mtu > 0 && d.ptbs.length < 4) {
      // RFC 8201 §4: an IPv6 sender told of an MTU below 1280 keeps sending 1280-byte packets, so
      // only what exceeds max(MTU, 1280) disobeys it. The sender gets the grace, or the round trip
      // seen here when longer (a capture away from the sender sees its segments that were already
      // in flight when the PTB passed).
      const floor = this.version === 6 ? IPV6_MIN_MTU : 0;
      const grace = Math.max(this.o.ptbGraceMicros, this.handshakeRtt ?? 0);
      d.watchPtb({ ref: ref as IcmpRef & { largerAfter: number; smallerAfter: number; firstLargerAfter: Mark | undefined }, mtu: Math.max(ref.mtu, floor), from: ref.time + grace });
    }
    if (ref.kind === 'unreachable' && quotesClient && this.synAck === undefined && this.established === undefined && this.failure === undefined && this.synCount > 0) {
      this.failure = { mark: { frame: ref.frame, time: ref.time }, kind: 'unreachable' };
    }
  }

  private close(kind: 'fin' | 'rst', time: Micros): void {
    if (this.closedAt !== undefined) return;
    this.closedAt = time;
    this.endKind = kind;
  }

  /** The final record. `endTime`: when it was made final (capture end for 'capture-end'). */
  toRecord(ended: ConnectionEnd, finalAt: Micros): ConnectionRecord {
    // Stalls are measured to the connection's own last packet: a capture that goes on with other
    // traffic (or pieces merged into one file) must not stretch them.
    const stallEnd = this.lastTime;
    const toServer = this.toServer.summary(stallEnd);
    const toClient = this.toClient.summary(stallEnd);
    let handshake: HandshakeOutcome;
    if (this.established !== undefined) handshake = 'established';
    else if (this.failure !== undefined) handshake = this.failure.kind;
    else if (this.synAck !== undefined) handshake = 'syn-ack-only';
    else if (this.synCount > 0) handshake = 'unanswered';
    else handshake = 'not-seen';
    if (handshake === 'established' && this.synCount === 0 && this.synAck === undefined) handshake = 'not-seen';
    const first = this.syns[0];
    const cInit = toServer.firstHopLimit !== undefined && INITIAL_HOP_LIMITS.has(toServer.firstHopLimit);
    const sInit = toClient.firstHopLimit !== undefined && INITIAL_HOP_LIMITS.has(toClient.firstHopLimit);
    const capturePoint = cInit && !sInit ? 'client' : sInit && !cInit ? 'server' : !cInit && !sInit && toServer.packets > 0 && toClient.packets > 0 ? 'middle' : 'unknown';
    return {
      type: 'connection',
      id: this.id,
      version: this.version,
      client: this.client,
      clientPort: this.clientPort,
      server: this.server,
      serverPort: this.serverPort,
      rolesFrom: this.rolesFrom,
      start: this.start,
      last: { frame: this.lastFrame, time: this.lastTime },
      syns: this.syns,
      synCount: this.synCount,
      synAck: this.synAck,
      synAckCount: this.synAckCount,
      handshake,
      established: this.established,
      establishMicros: first !== undefined && this.established !== undefined ? this.established.time - first.time : undefined,
      handshakeRttMicros: this.handshakeRtt,
      handshakeFailure: this.failure?.mark,
      clientOptions: this.clientOptions,
      serverOptions: this.serverOptions,
      toServer,
      toClient,
      ended: this.endKind ?? ended,
      endedBy: this.endKind !== undefined ? this.endedBy : undefined,
      icmp: this.icmp === NONE ? NONE : this.icmp.map((r) => ({ ...r })),
      names: this.names,
      lookup: this.lookup,
      capturePoint,
      finalAt,
    };
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}
