// Tells a second sighting of one TCP packet from a second sending: the copy filter of a direction.
// It keeps the previous packet seen in its direction, in small integers (see Direction on why), and
// one reset() sets it as new: a Direction owns one for its lifetime and resets it on reuse.
import { TcpFlag, type Ip, type Tcp } from '../../decode/index.js';

/** A forwarding copy follows the packet by the router's forwarding time: microseconds, a few ms when busy. */
const FORWARD_COPY_MICROS = 10_000;
/**
 * A bridge or mirror port's second copy follows within microseconds. Nothing TCP sends again on
 * its own comes this soon: the minimum RTO is 200 ms (Linux) to 1 s (RFC 6298), a tail-loss probe
 * waits two round trips, and fast retransmits and duplicate ACKs answer packets from the peer,
 * which must not have come in between.
 */
const MIRROR_COPY_MICROS = 1_000;

/** Tells two SACK option contents apart (the first block is the most recent, RFC 2018 §4). */
export function sackSignature(sack: readonly number[] | undefined): number {
  if (sack === undefined || sack.length === 0) return -1;
  return (Math.imul(sack.length, 0x9e3779b1) ^ (sack[0]! | 0) ^ Math.imul(sack[1]! | 0, 31)) | 0;
}

export class CopyFilter {
  // The previous packet: raw seq/ack, flags, payload, window, timestamps, SACK, IPv4 id, hop limit,
  // time, and the count of what could have prompted a second sending.
  #seq = -1; // `seq | 0`
  #ack = -1; // `ack | 0`
  #flags = -1;
  #payload = -1;
  #window = -1;
  #tsVal = -1; // `tsVal | 0`, -1 without the option
  #tsEcr = -1;
  #sack = -1; // sackSignature
  #hop = -1;
  #ipId = -1; // -1 for IPv6
  #trigger = -1;
  /** Time of the previous packet, as an offset from the owner's epoch (a small integer). */
  #at = 0;
  /** Second sightings of a packet after a router on the capture host forwarded it (`tcpdump -i any`). */
  forwarded = 0;
  /** Second sightings at the same hop limit: a bridge (`tcpdump -i any` on it) or a mirror port. */
  mirrored = 0;

  reset(): void {
    this.#seq = -1;
    this.#ack = -1;
    this.#flags = -1;
    this.#payload = -1;
    this.#window = -1;
    this.#tsVal = -1;
    this.#tsEcr = -1;
    this.#sack = -1;
    this.#hop = -1;
    this.#ipId = -1;
    this.#trigger = -1;
    this.#at = 0;
    this.forwarded = 0;
    this.mirrored = 0;
  }

  /**
   * True when this packet is the one just seen in this direction again: such a copy is not counted
   * as a packet, a retransmission or a duplicate ACK. `at` is its time as an offset from the
   * owner's epoch (only differences are used).
   *  - A hop later: `tcpdump -i any` on a router (or a host forwarding to containers) records each
   *    forwarded packet on the way in and again on the way out, with the hop limit one lower. A
   *    retransmission seen at one capture point keeps its hop limit (same path).
   *  - At the same hop limit, within MIRROR_COPY_MICROS either way: `tcpdump -i any` on a bridge
   *    records each packet on both bridge ports, and a mirror port that copies both directions of a
   *    link shows each packet twice. Packets of the other direction may come between the two
   *    sightings, so one of these must hold as well: the IPv4 identification is the same and not 0
   *    (a host gives each packet it sends a new one); nothing that could prompt a second sending
   *    came from the peer in between (`trigger`: for a pure ACK the peer's data segments, for
   *    anything else the duplicate ACKs and SACKs about this direction's data), counted only when
   *    the peer's direction is in the capture at all; it is a SYN (SYNs are sent again on a timer
   *    of a second or more); or it is a pure ACK on a connection that negotiated SACK (a genuine
   *    duplicate ACK carries new SACK blocks).
   * Only the previous packet of the direction is compared: copies of a burst that interleave
   * (D1 D2 D1' D2') are counted as packets again.
   * Every header field that differs between two sendings is compared: sequence and ACK numbers,
   * flags, length, window, timestamps, SACK blocks and the IPv4 identification (pcapplusplus
   * sll2.pcap has a FIN sent twice 90 µs apart, IDs 0x872d and 0x872e: a retransmission, to tshark
   * too). IPv6 has no such field: a host that sends an identical segment again within a
   * millisecond with nothing from the peer in between is taken for a copy.
   */
  isCopy(ip: Ip, tcp: Tcp, at: number, trigger: number, peerSeen: boolean, sackNegotiated: boolean): boolean {
    const seq = tcp.seq | 0;
    const ack = tcp.ack | 0;
    const flags = tcp.flags;
    const payload = tcp.payloadLength;
    const ts = tcp.tsVal === undefined ? -1 : tcp.tsVal | 0;
    const ecr = tcp.tsEcr === undefined ? -1 : tcp.tsEcr | 0;
    const sack = sackSignature(tcp.sack);
    const ipId = ip.id ?? -1;
    const hopLimit = ip.hopLimit;
    if (
      seq === this.#seq && ack === this.#ack && flags === this.#flags && payload === this.#payload &&
      tcp.window === this.#window && ts === this.#tsVal && ecr === this.#tsEcr && sack === this.#sack && ipId === this.#ipId
    ) {
      const gap = at - this.#at;
      if (hopLimit < this.#hop && gap <= FORWARD_COPY_MICROS) {
        this.forwarded++;
        this.#hop = hopLimit;
        return true;
      }
      const pureAck = payload === 0 && (flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) === 0;
      if (
        hopLimit === this.#hop && gap >= -MIRROR_COPY_MICROS && gap <= MIRROR_COPY_MICROS &&
        (ipId > 0 || (flags & TcpFlag.SYN) !== 0 || (peerSeen && trigger === this.#trigger) || (pureAck && sackNegotiated))
      ) {
        this.mirrored++;
        return true;
      }
    }
    this.#seq = seq;
    this.#ack = ack;
    this.#flags = flags;
    this.#payload = payload;
    this.#window = tcp.window;
    this.#tsVal = ts;
    this.#tsEcr = ecr;
    this.#sack = sack;
    this.#hop = hopLimit;
    this.#ipId = ipId;
    this.#trigger = trigger;
    this.#at = at;
    return false;
  }
}
