// What the path reconstructor hands to the detectors. Records are final when emitted and hold only
// plain data (frame numbers, times, sizes), so a detector test needs no packets.
import type { Micros } from '../../core/index.js';
import type { IcmpKind } from '../../decode/index.js';

/** One packet, by its frame number and capture time. */
export interface Mark {
  readonly frame: number;
  readonly time: Micros;
}

export type Role = 'client' | 'server';

/** The TCP options a side put in its SYN (or SYN-ACK). */
export interface SideOptions {
  readonly mss: number | undefined;
  readonly windowScale: number | undefined;
  readonly sackPermitted: boolean;
  readonly timestamps: boolean;
}

/**
 * A sequence range sent more than once. Sizes are what reached the wire: a segment larger than the
 * MSS in force was an offload (TSO) artefact and counts as MSS-sized.
 */
export interface RetransmittedRange {
  /** Sequence numbers relative to the first one seen in this direction. */
  readonly start: number;
  readonly end: number;
  /** Transmissions seen (original included). */
  readonly sends: number;
  /** Frames and times of the transmissions (the first ones, bounded). */
  readonly frames: readonly number[];
  readonly times: readonly Micros[];
  /** IP length on the wire of the smallest / largest / last transmission. */
  readonly minWireLength: number;
  readonly maxWireLength: number;
  readonly lastWireLength: number;
  /** Acknowledged (cumulatively or by SACK) in the end, and when. */
  readonly acked: Mark | undefined;
  /** Any transmission lacked IPv4 DF (a router could fragment it: no PMTUD involved). */
  readonly fragmentable: boolean;
}

/** Bytes missing at the capture point: the sequence jumped (lost before the capture point, or not captured). */
export interface SequenceGap {
  readonly start: number;
  readonly end: number;
  /** When the last bytes before the gap passed the capture point: the receiver waits from here. */
  readonly since: Micros;
  /** The packet that showed the sequence number beyond the gap (a segment, or a bare ACK). */
  readonly after: Mark;
  /** First segment that filled (part of) the gap, and its wire IP length. */
  readonly filled: Mark | undefined;
  readonly fillWireLength: number | undefined;
  /** The receiver acknowledged past the gap start without it being filled here: the capture missed it. */
  readonly ackedPast: boolean;
  /**
   * The sender's segment size shown before the gap: the largest wire length of two back-to-back
   * segments of the same size that passed here (the sender splits its data at that size, so the
   * missing segments were no larger). Undefined when no such pair passed.
   */
  readonly segmentSizeBefore: number | undefined;
  /** Wire length of the largest segment that had passed here carrying new data when the gap opened (0: none). */
  readonly largestBefore: number;
}

export interface Stall {
  /** Last ACK progress (or first unacknowledged send) before the stall. */
  readonly from: Micros;
  /** Next ACK progress, or the end of the connection / capture when it never came. */
  readonly to: Micros;
  /** Bytes outstanding when it began. */
  readonly outstanding: number;
  readonly resolved: boolean;
}

/** One direction of a connection: what `from` sent to `to`, and what `to` acknowledged of it. */
export interface DirectionSummary {
  readonly from: string;
  readonly fromPort: number;
  readonly to: string;
  readonly toPort: number;
  readonly packets: number;
  readonly payloadPackets: number;
  readonly payloadBytes: number;
  readonly first: Mark | undefined;
  readonly last: Mark | undefined;
  /** Hop limit / TTL of the first packet (64, 128, 255: sent by a host next to the capture point). */
  readonly firstHopLimit: number | undefined;
  /** The largest segment captured: payload, IP length as captured, and IP length that reached the wire. */
  readonly maxSegment: { readonly frame: number; readonly time: Micros; readonly payload: number; readonly ipLength: number; readonly wireLength: number } | undefined;
  /** The largest segment sent once and then acknowledged (ACK or SACK): a size the path carried. */
  readonly maxDelivered: { readonly frame: number; readonly time: Micros; readonly wireLength: number } | undefined;
  /** Payload bytes cap in force (the smaller MSS of the two sides, else the link MTU minus headers). */
  readonly segmentCap: number | undefined;
  /** Captured segments longer than the cap: segmentation/receive offload artefacts. */
  readonly offloadedSegments: number;
  readonly maxOffloadedIpLength: number;
  /** Segments seen again (tshark's tcp.analysis.retransmission, SYN/FIN included). */
  readonly retransmissions: number;
  readonly retransmittedBytes: number;
  /** Frames of the first retransmissions (bounded), for evidence and for the tshark comparison. */
  readonly retransmissionFrames: readonly number[];
  /** Ranges retransmitted and never acknowledged (worst first, bounded). */
  readonly unacked: readonly RetransmittedRange[];
  /** Ranges retransmitted and acknowledged later (worst first, bounded). */
  readonly recovered: readonly RetransmittedRange[];
  /** The largest wire IP length delivered (ACK or SACK) among segments first sent after `time`: filled by the reconstructor for the first loss. */
  readonly deliveredAfterFirstLoss: number | undefined;
  /** Bytes sent and never acknowledged at the end. */
  readonly unackedBytes: number;
  /** Bytes acknowledged by the peer (relative to the first sequence number seen). */
  readonly ackedBytes: number;
  readonly gaps: readonly SequenceGap[];
  readonly gapCount: number;
  /** Largest wire IP length of the segments that arrived after the first gap. */
  readonly maxWireAfterGap: number | undefined;
  /** Duplicate ACKs and SACK-bearing ACKs the peer sent about this direction's data. */
  readonly dupAcks: number;
  readonly sackAcks: number;
  /** Acknowledgements of bytes never seen here (the capture missed them). */
  readonly ackedUnseen: number;
  readonly longestStall: Stall | undefined;
  readonly fin: Mark | undefined;
  readonly rst: Mark | undefined;
}

export type HandshakeOutcome =
  | 'established' // SYN, SYN-ACK, ACK (or data) seen
  | 'refused' // RST answered the SYN
  | 'unreachable' // an ICMP error quoting the SYN came back
  | 'unanswered' // SYN (and its retries) only
  | 'syn-ack-only' // a SYN-ACK without the final ACK
  | 'not-seen'; // the capture began after the handshake

export type ConnectionEnd = 'fin' | 'rst' | 'idle' | 'capture-end';

/** An ICMP error that quoted this connection. */
export interface IcmpRef {
  readonly frame: number;
  readonly time: Micros;
  readonly from: string;
  readonly to: string;
  readonly kind: IcmpKind;
  readonly type: number;
  readonly code: number;
  readonly mtu: number | undefined;
  /** IP length of the ICMP packet itself. */
  readonly icmpLength: number;
  /** Length of the quoted packet (the one that did not fit / was rejected). */
  readonly quotedLength: number;
  /** Which direction's packet it quotes. */
  readonly quotes: 'to-server' | 'to-client';
  /** PTB / frag-needed only: non-offloaded segments the quoted sender sent afterwards above / within the MTU. */
  readonly largerAfter: number;
  readonly smallerAfter: number;
  readonly firstLargerAfter: Mark | undefined;
}

export interface ConnectionRecord {
  readonly type: 'connection';
  /** 1-based, in order of first packet. */
  readonly id: number;
  readonly version: 4 | 6;
  readonly client: string;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  /** How client and server were told apart. */
  readonly rolesFrom: 'syn' | 'syn-ack' | 'port';
  readonly start: Mark;
  readonly last: Mark;
  /** SYN transmissions (the first, then retries), bounded. */
  readonly syns: readonly Mark[];
  readonly synCount: number;
  readonly synAck: Mark | undefined;
  readonly synAckCount: number;
  readonly handshake: HandshakeOutcome;
  /** The ACK (or first data) completing the handshake. */
  readonly established: Mark | undefined;
  /** First SYN → established. */
  readonly establishMicros: number | undefined;
  /** SYN-ACK → client's ACK, or SYN → SYN-ACK: the handshake RTT seen from here. */
  readonly handshakeRttMicros: number | undefined;
  /** RST or ICMP error that answered the SYN. */
  readonly handshakeFailure: Mark | undefined;
  readonly clientOptions: SideOptions | undefined;
  readonly serverOptions: SideOptions | undefined;
  readonly toServer: DirectionSummary;
  readonly toClient: DirectionSummary;
  readonly ended: ConnectionEnd;
  readonly endedBy: Role | undefined;
  readonly icmp: readonly IcmpRef[];
  /** Names that resolved to the server address in DNS answers seen before the first packet. */
  readonly names: readonly string[];
  readonly lookup: { readonly name: string; readonly frame: number; readonly time: Micros; readonly asker: string } | undefined;
  /** Where the capture was taken, from the hop limits (a host's own packets carry 64/128/255). */
  readonly capturePoint: 'client' | 'server' | 'middle' | 'unknown';
  /** Capture time when the record was made final (end of capture for 'capture-end'). */
  readonly finalAt: Micros;
}

export type IcmpMatch = 'connection' | 'datagram' | 'none';

/** An ICMP error message, matched to the flow it quotes. Emitted when it arrives. */
export interface IcmpErrorRecord {
  readonly type: 'icmp-error';
  readonly frame: number;
  readonly time: Micros;
  readonly version: 4 | 6;
  readonly kind: IcmpKind;
  readonly icmpType: number;
  readonly code: number;
  readonly mtu: number | undefined;
  /** Who sent the error (a router, or the destination host) and to whom. */
  readonly from: string;
  readonly to: string;
  readonly hopLimit: number;
  /** IP length of the ICMP packet itself (a Linux router's PTB is 1280). */
  readonly icmpLength: number;
  readonly quoted: {
    readonly src: string;
    readonly dst: string;
    readonly protocol: number;
    readonly length: number;
    readonly srcPort: number | undefined;
    readonly dstPort: number | undefined;
    readonly tcpSeq: number | undefined;
  };
  readonly match: IcmpMatch;
  /** The connection it quotes (when matched), and whether it quotes the client's or the server's packet. */
  readonly connectionId: number | undefined;
  readonly quotes: 'to-server' | 'to-client' | undefined;
  /** The quoted TCP sequence number lies in what that side had sent. */
  readonly quotedSeqSent: boolean | undefined;
  /** Addressed to the host that sent the quoted packet (RFC 4443 §2.2: it must be). */
  readonly toQuotedSender: boolean;
  /** TCP only: the capture saw the quoted source port serve other connections of the quoted source. */
  readonly quotedServiceSeen: boolean;
}

/**
 * Neighbour discovery for one address (neighbors.ts): solicitations (IPv6 NS, ARP requests) from
 * one asker until answered or given up, and the unreachables sent for it meanwhile.
 */
export interface NeighborRecord {
  readonly type: 'neighbor';
  readonly family: 4 | 6;
  readonly address: string;
  /** The soliciting host's address on the link (a router's link-local address for IPv6). */
  readonly asker: string;
  /** The first solicitations (bounded) and how many there were. */
  readonly solicitations: readonly Mark[];
  readonly solicitationCount: number;
  /** The advertisement (NA, ARP reply) that answered, if any. */
  readonly answered: Mark | undefined;
  /** ICMPv6 address unreachable / ICMP host unreachable quoting a packet for the address (bounded). */
  readonly unreachables: readonly { readonly frame: number; readonly time: Micros; readonly to: string; readonly quotedDstPort: number | undefined; readonly quotedProtocol: number }[];
  readonly unreachableCount: number;
  /** Names whose DNS answers in the capture gave this address (most recent first). */
  readonly names: readonly string[];
  /** The DNS answer that gave it, when seen. */
  readonly lookup: (Mark & { readonly asker: string }) | undefined;
}

/**
 * What the capture holds of one host's inbound traffic, when that changes (inbound-view.ts). A host
 * that evidently received packets (it acknowledged a SYN-ACK, or answered a SYN, that the capture
 * does not hold) while nothing addressed to it is in the capture is one-sided: one trace of a merge
 * that held only its outbound packets, a capture filtered on `src host`, one direction of a
 * mirror. Its silence proves nothing: no reply, SYN-ACK or ACK to it could have been seen. A packet
 * addressed to it later ends that (`oneSided: false`).
 */
export interface HostViewRecord {
  readonly type: 'host-view';
  readonly host: string;
  readonly oneSided: boolean;
  /** The packet that showed it: the host's own packet (one-sided), or the first one addressed to it. */
  readonly evidence: Mark;
  /** The other end of that packet. */
  readonly peer: string;
}

export type PathRecord = ConnectionRecord | IcmpErrorRecord | NeighborRecord | HostViewRecord;

export interface PathStats {
  readonly tcpPackets: number;
  readonly connections: number;
  readonly open: number;
  readonly byHandshake: Record<HandshakeOutcome, number>;
  readonly byEnd: Record<ConnectionEnd, number>;
  readonly midstream: number;
  readonly retransmissions: number;
  readonly synRetransmissions: number;
  readonly offloadedSegments: number;
  /** `v6 type/code` → count, e.g. `6 2/0` for Packet Too Big. */
  readonly icmpErrors: Record<string, number>;
  readonly icmpMatched: number;
  readonly icmpUnmatched: number;
  readonly namesKnown: number;
  /** Connections made final early because maxConnections was reached. */
  readonly evicted: number;
  /** Second sightings not counted as packets: a hop later (`-i any` on a router), or at the same hop limit (a bridge, a mirror port). */
  readonly forwardedCopies: number;
  readonly mirroredCopies: number;
}
