// Neighbour discovery as the capture shows it (RFC 4861 NS/NA for IPv6, RFC 826 ARP for IPv4):
// per target address, an episode from the first solicitation until it is answered, or until the
// soliciting host stops asking. The ICMP errors a router sends when resolution failed (ICMPv6
// destination unreachable code 3 "address unreachable", RFC 4443 §3.1; ICMP host unreachable,
// type 3 code 1) are attached to the episode of the address they quote. Records are plain data.
//
// Not episodes: duplicate address detection (NS from ::, RFC 4862 §5.4.2) and ARP probes and
// announcements (sender 0.0.0.0 or sender = target, RFC 5227): a host checking its own address,
// where silence is success.
import type { Micros } from '../../core/index.js';
import type { Arp } from '../../decode/index.js';
import type { Mark, NeighborRecord } from './records.js';

export interface NeighborOptions {
  /** An episode with no new solicitation or error for this long is over: default 5 s (Linux gives up after 3 × 1 s). */
  readonly quietMicros: Micros;
  /** Addresses followed at once; past this a new address is not followed (counted). */
  readonly maxEpisodes: number;
  /** Solicitations and unreachables kept per episode (the rest counted). */
  readonly maxMarks: number;
}

export const DEFAULT_NEIGHBOR_OPTIONS: NeighborOptions = { quietMicros: 5_000_000, maxEpisodes: 4096, maxMarks: 16 };

interface Episode {
  address: string;
  family: 4 | 6;
  /** Who asked (the solicitations' source address). */
  asker: string;
  solicitations: Mark[];
  solicitationCount: number;
  answered: Mark | undefined;
  unreachables: { frame: number; time: Micros; to: string; quotedDstPort: number | undefined; quotedProtocol: number }[];
  unreachableCount: number;
  last: Micros;
}

export class NeighborTracker {
  readonly #o: NeighborOptions;
  readonly #open = new Map<string, Episode>();
  /** Addresses not followed because the table was full. */
  refused = 0;
  constructor(
    options: Partial<NeighborOptions>,
    private readonly emit: (r: Omit<NeighborRecord, 'names' | 'lookup'>) => void,
  ) {
    this.#o = { ...DEFAULT_NEIGHBOR_OPTIONS, ...options };
  }

  /** An IPv6 neighbour solicitation from `src` for `target`. */
  solicitation(family: 4 | 6, src: string, target: string, frame: number, time: Micros): void {
    if (src === '::' || src === '0.0.0.0' || src === target) return; // DAD, ARP probe or announcement
    let e = this.#open.get(target);
    if (e !== undefined && e.answered !== undefined) {
      this.#close(e);
      e = undefined;
    }
    if (e === undefined) {
      if (this.#open.size >= this.#o.maxEpisodes) {
        this.refused++;
        return;
      }
      e = { address: target, family, asker: src, solicitations: [], solicitationCount: 0, answered: undefined, unreachables: [], unreachableCount: 0, last: time };
      this.#open.set(target, e);
    }
    e.solicitationCount++;
    if (e.solicitations.length < this.#o.maxMarks) e.solicitations.push({ frame, time });
    e.last = time;
  }

  /** An advertisement (NA, ARP reply) from the target: the address is on the link. */
  advertisement(target: string, frame: number, time: Micros): void {
    const e = this.#open.get(target);
    if (e === undefined || e.answered !== undefined) return;
    e.answered = { frame, time };
    e.last = time;
    this.#close(e);
  }

  arp(a: Arp, frame: number, time: Micros): void {
    if (a.op === 1) this.solicitation(4, a.sender, a.target, frame, time);
    else this.advertisement(a.sender, frame, time);
  }

  /** ICMPv6 address unreachable / ICMP host unreachable from `from` to `to`, quoting a packet for `quotedDst`. */
  unreachable(quotedDst: string, to: string, quotedProtocol: number, quotedDstPort: number | undefined, frame: number, time: Micros): void {
    const e = this.#open.get(quotedDst);
    if (e === undefined || e.answered !== undefined) return;
    e.unreachableCount++;
    if (e.unreachables.length < this.#o.maxMarks) e.unreachables.push({ frame, time, to, quotedDstPort, quotedProtocol });
    e.last = time;
  }

  expire(now: Micros): void {
    for (const e of this.#open.values()) if (now - e.last >= this.#o.quietMicros) this.#close(e);
  }

  finish(): void {
    for (const e of [...this.#open.values()]) this.#close(e);
  }

  #close(e: Episode): void {
    this.#open.delete(e.address);
    this.emit({
      type: 'neighbor',
      family: e.family,
      address: e.address,
      asker: e.asker,
      solicitations: e.solicitations,
      solicitationCount: e.solicitationCount,
      answered: e.answered,
      unreachables: e.unreachables,
      unreachableCount: e.unreachableCount,
    });
  }
}
