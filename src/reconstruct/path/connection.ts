// One TCP connection: handshake, both directions, ICMP errors quoting it, and how it ended.
import type { Micros } from '../../core/index.js';
import { IPV6_MIN_MTU, TcpFlag, type Ip, type Packet, type Tcp } from '../../decode/index.js';
import { Direction, markAt, markOr, NONE, small } from './direction.js';
import type { PathOptions } from './options.js';
import type { ConnectionEnd, ConnectionRecord, HandshakeOutcome, IcmpRef, Mark, Role, SideOptions } from './records.js';

const INITIAL_HOP_LIMITS = new Set([32, 64, 128, 255]);

/**
 * A connection lingers for seconds of capture time after it closes (closeLingerMicros), long enough
 * for V8's young-generation collector to copy what it holds once or twice, at a cost per object.
 * So the handshake's moments, the SYN options and the lookup are kept as small-integer fields (a
 * frame number, and a time as an offset from the start; -1 for a frame means none) and made into
 * objects only for the record (some 18 objects fewer per connection), and the reconstructor reuses
 * finished connections through init() instead of making new ones.
 */
export class Connection {
  readonly toServer: Direction;
  readonly toClient: Direction;
  /** The last packet: numbers rather than a Mark per packet. */
  lastFrame!: number;
  /** The last packet's time as an offset from the start (a small integer; see Direction). */
  private _lastAt!: number;
  /** The first SYN; SYNs after it in `#moreSyns` (rare: retries). */
  private _synFrame!: number;
  private _synAt!: number;
  private _moreSyns!: Mark[];
  /** The last SYN listed (the list is capped), for the handshake RTT. */
  private _lastSynAt!: number;
  synCount!: number;
  private _synAckFrame!: number;
  private _synAckAt!: number;
  synAckCount!: number;
  private _establishedFrame!: number;
  private _establishedAt!: number;
  handshakeRtt!: number | undefined;
  private _failureFrame!: number;
  private _failureAt!: number;
  private _failureKind!: 'refused' | 'unreachable';
  /** Each side's SYN options, packed by packOptions (NO_OPTIONS until its SYN is seen). */
  private _clientOptions!: number;
  private _serverOptions!: number;
  endKind!: 'fin' | 'rst' | undefined;
  endedBy!: Role | undefined;
  icmp!: IcmpRef[];
  names!: readonly string[];
  private _lookupName!: string | undefined;
  private _lookupFrame!: number;
  private _lookupAt!: number;
  private _lookupAsker!: string;

  id!: number;
  version!: 4 | 6;
  client!: string;
  clientPort!: number;
  server!: string;
  serverPort!: number;
  rolesFrom!: 'syn' | 'syn-ack' | 'port';
  /** The first packet: frame and capture time (every other time here is an offset from it). */
  startFrame!: number;
  startTime!: Micros;
  private o!: PathOptions;

  constructor(id: number, version: 4 | 6, client: string, clientPort: number, server: string, serverPort: number, rolesFrom: 'syn' | 'syn-ack' | 'port', startFrame: number, startTime: Micros, o: PathOptions) {
    this.toServer = new Direction(client, clientPort, server, serverPort, o.maxSegmentsPerDirection, startTime);
    this.toClient = new Direction(server, serverPort, client, clientPort, o.maxSegmentsPerDirection, startTime);
    this.init(id, version, client, clientPort, server, serverPort, rolesFrom, startFrame, startTime, o);
  }

  /**
   * Sets every field (and the directions') as for a new connection. The reconstructor reuses the
   * objects of connections it has finished: a connection lingers for seconds after it closes, so
   * new ones were copied and promoted by V8's young-generation collector, and freed only by full
   * collections; reused ones stay put in the old generation. Every field is assigned here, the lists
   * and strings in #dropLists(), and nowhere else (test/reconstruct/path/connection-reuse.test.ts
   * compares a reused one with a new one).
   */
  init(id: number, version: 4 | 6, client: string, clientPort: number, server: string, serverPort: number, rolesFrom: 'syn' | 'syn-ack' | 'port', startFrame: number, startTime: Micros, o: PathOptions): this {
    this.id = id;
    this.version = version;
    this.client = client;
    this.clientPort = clientPort;
    this.server = server;
    this.serverPort = serverPort;
    this.rolesFrom = rolesFrom;
    this.startFrame = startFrame;
    this.startTime = startTime;
    this.o = o;
    this.toServer.init(client, clientPort, server, serverPort, o.maxSegmentsPerDirection, startTime);
    this.toClient.init(server, serverPort, client, clientPort, o.maxSegmentsPerDirection, startTime);
    this.#dropLists();
    this.lastFrame = startFrame;
    this._lastAt = 0;
    this._synFrame = -1;
    this._synAt = 0;
    this._lastSynAt = 0;
    this.synCount = 0;
    this._synAckFrame = -1;
    this._synAckAt = 0;
    this.synAckCount = 0;
    this._establishedFrame = -1;
    this._establishedAt = 0;
    this.handshakeRtt = undefined;
    this._failureFrame = -1;
    this._failureAt = 0;
    this._failureKind = 'refused';
    this._clientOptions = NO_OPTIONS;
    this._serverOptions = NO_OPTIONS;
    this.endKind = undefined;
    this.endedBy = undefined;
    this._lookupFrame = 0;
    this._lookupAt = 0;
    return this;
  }

  /** Lets go of what the connection refers to while its object waits to be reused (see Direction.park). */
  park(): void {
    this.toServer.park();
    this.toClient.park();
    this.#dropLists();
  }

  /** The connection's own lists and strings, as for a new one (init and park). */
  #dropLists(): void {
    this._moreSyns = NONE;
    this.icmp = NONE;
    this.names = NONE;
    this._lookupName = undefined;
    this._lookupAsker = '';
  }

  get lastTime(): Micros { return this.startTime + this._lastAt; }
  set lastTime(t: Micros) { this._lastAt = small(t - this.startTime); }

  #at(offset: number): Micros { return this.startTime + offset; }
  #offset(t: Micros): number { return small(t - this.startTime); }

  /** SYNs from the client (the first maxSynsPerConnection). */
  get syns(): Mark[] {
    if (this._synFrame === -1) return NONE;
    const first = { frame: this._synFrame, time: this.#at(this._synAt) };
    // Spread only when there is more: spreading the frozen NONE goes through an iterator.
    return this._moreSyns.length === 0 ? [first] : [first, ...this._moreSyns];
  }
  get isEstablished(): boolean { return this._establishedFrame !== -1; }
  get clientOptions(): SideOptions | undefined { return unpackOptions(this._clientOptions); }
  get serverOptions(): SideOptions | undefined { return unpackOptions(this._serverOptions); }
  /** It closed: RST, or FIN both ways (`endKind` says which). */
  get isClosed(): boolean { return this.endKind !== undefined; }
  get lookup(): ConnectionRecord['lookup'] {
    return this._lookupName === undefined ? undefined : { name: this._lookupName, frame: this._lookupFrame, time: this.#at(this._lookupAt), asker: this._lookupAsker };
  }

  /** The DNS answer (name, frame, time, asker) that gave the server's address before the first packet. */
  setLookup(name: string, frame: number, time: Micros, asker: string): void {
    this._lookupName = name;
    this._lookupFrame = frame;
    this._lookupAt = this.#offset(time);
    this._lookupAsker = asker;
  }

  /** Both SYNs offered SACK (RFC 2018): duplicate ACKs then carry SACK blocks. */
  sackNegotiated(): boolean {
    return this._clientOptions !== NO_OPTIONS && this._serverOptions !== NO_OPTIONS && (this._clientOptions & this._serverOptions & OPT_SACK) !== 0;
  }

  /** True when `src:srcPort` is the client. */
  isClient(src: string, srcPort: number): boolean {
    return srcPort === this.clientPort && src === this.client;
  }

  /** Capture time after which, with no further packet, the record is final. */
  deadline(): Micros {
    if (this.endKind !== undefined) return this.lastTime + this.o.closeLingerMicros;
    if (this._establishedFrame === -1 && this.synCount > 0) return this.lastTime + this.o.handshakeIdleMicros;
    return this.lastTime + this.o.idleMicros;
  }

  /**
   * One segment of this connection (`p` has ip and tcp). True when it shows its sender received a
   * packet the capture does not hold: the client's ACK of a SYN-ACK not captured, or a SYN-ACK
   * answering a SYN not captured (inbound-view.ts judges the host from that). The packet's time
   * becomes an offset from the start here, once: every call below takes that (see Direction).
   */
  packet(p: Packet, fromClient: boolean): boolean {
    const ip = p.ip!;
    const tcp = p.tcp!;
    const frame = p.frame;
    const at = this.#offset(p.time);
    const d = fromClient ? this.toServer : this.toClient;
    const peer = fromClient ? this.toClient : this.toServer;
    // What could prompt the same packet to be sent again (see CopyFilter.isCopy): new data from
    // the peer for a pure ACK, duplicate ACKs and SACKs from the peer for anything else.
    const pureAck = tcp.payloadLength === 0 && (tcp.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) === 0;
    const trigger = pureAck ? peer.traffic.payloadPackets : d.losses.dupAcks + d.losses.sackAcks;
    if (d.isCopy(ip, tcp, at, trigger, peer.traffic.packets > 0, this.sackNegotiated())) return false;
    this.lastFrame = frame;
    this._lastAt = at;
    d.seen(frame, at, ip.hopLimit);
    const flags = tcp.flags;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const hasAck = (flags & TcpFlag.ACK) !== 0;
    const payload = tcp.payloadLength;

    let unseen = false;
    if (syn) unseen = this.synSegment(d, peer, tcp, frame, at, fromClient, hasAck);
    else if (rst) this.reset(d, frame, at, fromClient);
    else this.segment(d, ip, tcp, frame, at, payload, fin);

    if (hasAck && !rst && peer.seq.base !== undefined) {
      const a = peer.relative(tcp.ack);
      peer.ack(a, frame, at, payload === 0 && !syn && !fin, this.o.stallMicros);
      if (tcp.sack !== undefined) peer.sack(tcp.sack, frame, at);
    }
    if (this._establishedFrame === -1 && hasAck && !syn && !rst) {
      if (fromClient && this._synAckFrame !== -1) {
        this._establishedFrame = frame;
        this._establishedAt = at;
        // As tshark's first RTT: the last SYN to the ACK that completes the handshake.
        this.handshakeRtt = at - (this._synFrame !== -1 ? this._lastSynAt : this._synAckAt);
      } else if (fromClient && this.synCount > 0) {
        // After its SYN a client sends nothing but SYN retries until a SYN-ACK arrives: this ACK
        // acknowledges one the capture does not hold (a trace of the client's outbound packets only,
        // or a packet the capture lost). The handshake completed; it was not unanswered.
        this._establishedFrame = frame;
        this._establishedAt = at;
        unseen = true;
      } else if (!fromClient && this.synCount > 0 && payload > 0) {
        this._establishedFrame = frame; // the SYN-ACK was not captured but the server talks
        this._establishedAt = at;
      }
    }
    if (fin && !d.hasFin) {
      d.setFin(frame, at);
      if (this.endedBy === undefined) this.endedBy = fromClient ? 'client' : 'server';
      if (peer.hasFin) this.close('fin');
    }
    return unseen;
  }

  /** A SYN or SYN-ACK. True for the first SYN-ACK of a connection whose SYN the capture does not hold. */
  private synSegment(d: Direction, peer: Direction, tcp: Tcp, frame: number, at: number, fromClient: boolean, hasAck: boolean): boolean {
    const opts = packOptions(tcp.mss, tcp.windowScale, tcp.sackPermitted, tcp.tsVal !== undefined);
    d.syn(tcp.seq, frame, at);
    let unseen = false;
    if (hasAck) {
      unseen = this.synAckCount === 0 && this.synCount === 0;
      this.synAckCount++;
      if (this._synAckFrame === -1) {
        this._synAckFrame = frame;
        this._synAckAt = at;
      }
      this._serverOptions = opts;
    } else {
      this.synCount++;
      if (this._synFrame === -1) {
        if (this.o.maxSynsPerConnection > 0) {
          this._synFrame = frame;
          this._synAt = this._lastSynAt = at;
        }
      } else if (1 + this._moreSyns.length < this.o.maxSynsPerConnection) {
        const mark = { frame, time: this.#at(at) };
        if (this._moreSyns === NONE) this._moreSyns = [mark];
        else this._moreSyns.push(mark);
        this._lastSynAt = at;
      }
      this._clientOptions = opts;
    }
    // Each direction's segments are bounded by the MSS the other side announced (RFC 9293 §3.7.1)
    // and, in practice, by the sender's own (its interface MTU).
    const own = tcp.mss;
    const theirs = optionsMss(fromClient ? this._serverOptions : this._clientOptions);
    d.sizes.mssCap = minDefined(own, theirs);
    peer.sizes.mssCap = minDefined(own, theirs);
    return unseen;
  }

  private reset(d: Direction, frame: number, at: number, fromClient: boolean): void {
    if (!d.hasRst) d.setRst(frame, at);
    if (!fromClient && this._establishedFrame === -1 && this._synAckFrame === -1 && this.synCount > 0 && this._failureFrame === -1) {
      this._failureFrame = frame;
      this._failureAt = at;
      this._failureKind = 'refused';
    }
    this.endedBy ??= fromClient ? 'client' : 'server';
    this.close('rst');
  }

  private segment(d: Direction, ip: Ip, tcp: Tcp, frame: number, at: number, payload: number, fin: boolean): void {
    const seqLen = payload + (fin ? 1 : 0);
    d.startWithout(tcp.seq, at);
    const sq = d.seq;
    const rel = d.relative(tcp.seq);
    if (seqLen === 0) {
      // A bare ACK whose sequence number is beyond everything seen: its sender sent bytes that never
      // passed the capture point (tshark: "previous segment not captured").
      if (rel > sq.highestEnd && rel - sq.highestEnd < 0x40000000 && d.traffic.packets > 1) d.gapTo(rel, frame, at);
      return;
    }
    const end = rel + seqLen;
    const fragmentable = ip.version === 4 && !ip.dontFragment;
    const wire = payload > 0 ? d.payloadSent(ip, tcp, frame, at, payload, fragmentable, this.o.linkMtu) : ip.length;
    // A FIN beyond everything seen: bytes before it never passed here (a server giving up on a
    // stalled response closes with its FIN after them), as for a bare ACK above.
    if (payload === 0 && rel > sq.highestEnd && rel - sq.highestEnd < 0x40000000 && d.traffic.packets > 1) d.gapTo(rel, frame, at);
    if (rel >= sq.highestEnd) {
      if (payload > 0) d.newData(rel, end, frame, at, wire, fragmentable);
      else d.setHighestEnd(end, at);
      return;
    }
    // RFC 9293 §3.8.4 keep-alive: one byte (or none) just below the next sequence number.
    if (payload <= 1 && !fin && rel === sq.highestEnd - 1) return;
    // As tshark: within the handshake RTT of the highest segment, not ending there, it is reordering.
    const reorder = this.handshakeRtt ?? this.o.reorderMicros;
    const outOfOrder = payload > 0 && at - sq.highestEndAt < reorder && end !== sq.highestEnd;
    if (!outOfOrder) d.noteRetransmission(frame, payload);
    if (payload > 0) d.oldData(rel, end, frame, at, wire, fragmentable);
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
    if (ref.kind === 'unreachable' && quotesClient && this._synAckFrame === -1 && this._establishedFrame === -1 && this._failureFrame === -1 && this.synCount > 0) {
      this._failureFrame = ref.frame;
      this._failureAt = this.#offset(ref.time);
      this._failureKind = 'unreachable';
    }
  }

  private close(kind: 'fin' | 'rst'): void {
    this.endKind ??= kind;
  }

  /** The final record. `endTime`: when it was made final (capture end for 'capture-end'). */
  toRecord(ended: ConnectionEnd, finalAt: Micros): ConnectionRecord {
    // Stalls are measured to the connection's own last packet: a capture that goes on with other
    // traffic (or pieces merged into one file) must not stretch them.
    const stallEnd = this.lastTime;
    const toServer = this.toServer.summary(stallEnd);
    const toClient = this.toClient.summary(stallEnd);
    // Fields that name one packet share its Mark (see markOr): the connection's first packet is one
    // direction's first, its last packet one direction's last, the SYN is the client's first packet
    // and the SYN-ACK the server's (as a rule).
    const epoch = this.startTime;
    const start = markOr(toServer.first?.frame === this.startFrame ? toServer.first : toClient.first, this.startFrame, epoch, 0)!;
    const last = markOr(toServer.last?.frame === this.lastFrame ? toServer.last : toClient.last, this.lastFrame, epoch, this._lastAt)!;
    const synMark = markOr(toServer.first, this._synFrame, epoch, this._synAt);
    const syns = synMark === undefined ? NONE : this._moreSyns.length === 0 ? [synMark] : [synMark, ...this._moreSyns];
    const synAck = markOr(toClient.first, this._synAckFrame, epoch, this._synAckAt);
    const established = markAt(this._establishedFrame, epoch, this._establishedAt);
    const failure = markAt(this._failureFrame, epoch, this._failureAt);
    let handshake: HandshakeOutcome;
    if (established !== undefined) handshake = 'established';
    else if (failure !== undefined) handshake = this._failureKind;
    else if (synAck !== undefined) handshake = 'syn-ack-only';
    else if (this.synCount > 0) handshake = 'unanswered';
    else handshake = 'not-seen';
    if (handshake === 'established' && this.synCount === 0 && synAck === undefined) handshake = 'not-seen';
    const first = syns[0];
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
      start,
      last,
      syns,
      synCount: this.synCount,
      synAck,
      synAckCount: this.synAckCount,
      handshake,
      established,
      establishMicros: first !== undefined && established !== undefined ? established.time - first.time : undefined,
      handshakeRttMicros: this.handshakeRtt,
      handshakeFailure: failure,
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

// A side's SYN options in one small integer: MSS in bits 0–15 (OPT_NO_MSS when absent), window
// scale in bits 17–25 (OPT_NO_WSCALE when absent), then SACK-permitted and timestamps.
const NO_OPTIONS = -1;
const OPT_NO_MSS = 1 << 16;
const OPT_WSCALE_SHIFT = 17;
const OPT_NO_WSCALE = 0x100;
const OPT_SACK = 1 << 26;
const OPT_TS = 1 << 27;

function packOptions(mss: number | undefined, windowScale: number | undefined, sackPermitted: boolean, timestamps: boolean): number {
  return (mss === undefined ? OPT_NO_MSS : mss) | ((windowScale === undefined ? OPT_NO_WSCALE : windowScale) << OPT_WSCALE_SHIFT) |
    (sackPermitted ? OPT_SACK : 0) | (timestamps ? OPT_TS : 0);
}

function optionsMss(packed: number): number | undefined {
  return packed === NO_OPTIONS || (packed & OPT_NO_MSS) !== 0 ? undefined : packed & 0xffff;
}

/**
 * The SideOptions of each packed value met lately, shared by the records (frozen: nothing may
 * change one) rather than two new objects per connection: a capture holds few SYN option layouts.
 * Cleared when full.
 */
const sideOptions = new Map<number, SideOptions>();
const MAX_SIDE_OPTIONS = 1024;

function unpackOptions(packed: number): SideOptions | undefined {
  if (packed === NO_OPTIONS) return undefined;
  let o = sideOptions.get(packed);
  if (o === undefined) {
    const wscale = (packed >> OPT_WSCALE_SHIFT) & 0x1ff;
    o = Object.freeze({
      mss: optionsMss(packed),
      windowScale: wscale === OPT_NO_WSCALE ? undefined : wscale,
      sackPermitted: (packed & OPT_SACK) !== 0,
      timestamps: (packed & OPT_TS) !== 0,
    });
    if (sideOptions.size >= MAX_SIDE_OPTIONS) sideOptions.clear();
    sideOptions.set(packed, o);
  }
  return o;
}
