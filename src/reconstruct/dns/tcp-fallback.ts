// The TCP/53 retry after a truncated (TC=1) UDP reply (RFC 7766 §5: the client should ask again
// over TCP). A lookup that saw TC=1 from a server is watched by its (client, server) pair; the
// client's SYN to port 53 opens a fallback on the lookup, the server's SYN-ACK or RST settles it.
// Only segments are read here: whether the retried question was answered is the DNS-over-TCP
// reassembler's and the reconstructor's business.
import { append } from '../../core/index.js';
import { DNS_PORT, TcpFlag, type Packet } from '../../decode/index.js';
import { MAX_DATA, type Lookup } from './state.js';

const pairKey = (client: string, server: string): string => `${client}|${server}`;

export class TcpFallbackWatch {
  /** Lookups that saw a TC=1 reply, by `${client}|${server}`: their TCP/53 attempt is watched. */
  readonly #byPair = new Map<string, Lookup>();

  /** How many pairs are watched: 0 on most captures, so most segments are not even looked at. */
  get size(): number {
    return this.#byPair.size;
  }

  /** `server` sent `client` a TC=1 reply for this lookup. */
  watch(client: string, server: string, lookup: Lookup): void {
    this.#byPair.set(pairKey(client, server), lookup);
  }

  /**
   * A TCP segment (the packet has ip and tcp): a SYN from a watched client to port 53 opens or
   * retries a fallback, a SYN-ACK or RST from port 53 settles it. Returns the lookup it counted
   * for (its activity time moves on), or undefined.
   */
  segment(p: Packet): Lookup | undefined {
    const t = p.tcp!;
    const ip = p.ip!;
    if (t.dstPort === DNS_PORT && (t.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) {
      const l = this.#byPair.get(pairKey(ip.src, ip.dst));
      if (l === undefined || l.closed) return undefined;
      const last = l.fallbacks.at(-1);
      if (last !== undefined && last.clientPort === t.srcPort && last.server === ip.dst) {
        last.synRetries++;
      } else if (l.fallbacks.length < MAX_DATA) {
        l.fallbacks = append(l.fallbacks, { clientPort: t.srcPort, server: ip.dst, synFrame: p.frame, synTime: p.time, synRetries: 0, result: 'no-reply', replyFrame: undefined, replyTime: undefined });
      }
      return l;
    }
    if (t.srcPort === DNS_PORT && (t.flags & (TcpFlag.SYN | TcpFlag.RST)) !== 0) {
      const l = this.#byPair.get(pairKey(ip.dst, ip.src));
      if (l === undefined || l.closed) return undefined;
      const f = l.fallbacks.find((x) => x.clientPort === t.dstPort && x.server === ip.src && x.result === 'no-reply');
      if (f === undefined) return undefined;
      f.result = (t.flags & TcpFlag.RST) !== 0 ? 'reset' : 'connected';
      f.replyFrame = p.frame;
      f.replyTime = p.time;
      return l;
    }
    return undefined;
  }

  /** The lookup closed: its pairs are no longer watched (unless a newer lookup took them over). */
  release(l: Lookup): void {
    // Indexed: most lookups' list is the frozen EMPTY, and for-of over it makes an iterator.
    for (let i = 0; i < l.fallbacks.length; i++) this.#forget(l, l.fallbacks[i]!.server);
    for (let q = l.firstQuestion; q !== undefined; q = q.next) {
      if (!q.sawTc) continue;
      for (let a = q.firstAttempt; a !== undefined; a = a.nextInQuestion) this.#forget(l, a.key.server);
    }
  }

  clear(): void {
    this.#byPair.clear();
  }

  #forget(l: Lookup, server: string): void {
    const k = pairKey(l.client, server);
    if (this.#byPair.get(k) === l) this.#byPair.delete(k);
  }
}
