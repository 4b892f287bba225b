// Limits and timeouts of the path reconstructor. All times are capture time in µs.
import type { Micros } from '../../core/index.js';

export interface PathOptions {
  /** A connection with no packet for this long is final (ended: 'idle'). */
  readonly idleMicros: Micros;
  /**
   * A handshake that never completed is final after this long without a packet. Longer than any
   * SYN retry gap in use (Linux 1, 2, 4 … 32 s; Windows 3, 6 s; macOS up to 32 s).
   */
  readonly handshakeIdleMicros: Micros;
  /** After RST, or FIN both ways, stragglers (retransmitted FIN, last ACK) are awaited this long. */
  readonly closeLingerMicros: Micros;
  /** No ACK progress for this long while data is outstanding is a stall. */
  readonly stallMicros: Micros;
  /** Connections tracked at once; beyond it the least recently active one is made final. */
  readonly maxConnections: number;
  /** Unacknowledged segments remembered per direction (sizes and send times of each). */
  readonly maxSegmentsPerDirection: number;
  /** Addresses remembered from DNS answers (address → names). */
  readonly maxNames: number;
  /** How long a DNS answer is remembered when no TTL says less (capture time). */
  readonly nameMaxAgeMicros: Micros;
  /** UDP flows remembered for matching the ICMP errors that quote them. */
  readonly maxDatagramFlows: number;
  readonly datagramIdleMicros: Micros;
  /** ICMP errors kept per connection. */
  readonly maxIcmpPerConnection: number;
  /** SYN transmissions kept per connection (the retry series). */
  readonly maxSynsPerConnection: number;
  /**
   * Link MTU assumed when no MSS says otherwise: a captured IP packet longer than this, with no
   * MSS that allows it, is a segmentation/receive offload (TSO/GRO) artefact, not a jumbo frame.
   */
  readonly linkMtu: number;
  /**
   * A segment sent again within this long of the highest sequence number seen, not ending there,
   * is reordering rather than a retransmission when the handshake gave no RTT (tshark uses 3 ms).
   */
  readonly reorderMicros: Micros;
  /** After a Packet Too Big arrives, the sender is given this long before its sizes count as ignoring it. */
  readonly ptbGraceMicros: Micros;
  /**
   * Destination addresses remembered to tell one-sided hosts (inbound-view.ts); past it no host is
   * judged one-sided (~100 bytes each).
   */
  readonly maxInboundHosts: number;
}

export const DEFAULT_PATH_OPTIONS: PathOptions = {
  idleMicros: 300_000_000, // 5 min: long enough for keep-alive HTTP, short enough to bound state
  handshakeIdleMicros: 75_000_000,
  closeLingerMicros: 2_000_000,
  stallMicros: 1_000_000, // above Linux's minimum RTO (200 ms) plus a few RTTs
  maxConnections: 100_000,
  maxSegmentsPerDirection: 512,
  maxNames: 20_000,
  nameMaxAgeMicros: 3_600_000_000,
  maxDatagramFlows: 20_000,
  datagramIdleMicros: 120_000_000,
  maxIcmpPerConnection: 16,
  maxSynsPerConnection: 16,
  linkMtu: 1500,
  reorderMicros: 3_000,
  ptbGraceMicros: 50_000,
  maxInboundHosts: 65_536,
};
