// Names ↔ addresses from the DNS answers seen in the capture, so a connection can be tied to the
// lookup that preceded it. Bounded: the oldest answer is forgotten first.
import { normalName, type Micros } from '../../core/index.js';
import type { DnsMessage } from '../../decode/index.js';

const TYPE_A = 1;
const TYPE_AAAA = 28;
const MAX_NAMES_PER_ADDRESS = 8;
/** The names of an entry with none. */
const NO_NAMES: readonly string[] = Object.freeze([]);

export interface NameEntry {
  /**
   * Most recent first: the question name, then the owner name of the answer (CNAME target).
   * Never changed in place: connections share it.
   */
  readonly names: readonly string[];
  readonly frame: number;
  readonly time: Micros;
  /** The host the answer was sent to. */
  readonly asker: string;
}

/**
 * An address's names are kept in one list changed in place (made anew, at its size, only to grow),
 * and copied for the connections (`names`) only when one asks after a change. A new list per answer
 * was ~13 B a packet on the easy bench file, whose two server addresses answer for many names, each
 * answer putting its own first: connections there open after about half the answers.
 */
class Entry implements NameEntry {
  /** Neighbours in answer order. */
  older: Entry | undefined = undefined;
  newer: Entry | undefined = undefined;
  /** The names (as NameEntry.names says), changed in place by putFirst(). */
  #list: string[] = [];
  /** `#list` as handed out; undefined after a change, until asked for. */
  #shared: readonly string[] | undefined = NO_NAMES;

  constructor(
    readonly address: string,
    public frame: number,
    public time: Micros,
    public asker: string,
  ) {}

  get names(): readonly string[] {
    return (this.#shared ??= this.#list.slice());
  }

  /**
   * Puts the name asked for first and the answer's owner (a CNAME target) second, both normal names
   * (or undefined); the others follow in their order, at most MAX_NAMES_PER_ADDRESS in all. The names
   * of the list are distinct, so this is what putting the owner first and then the name asked for
   * would give.
   */
  putFirst(first: string | undefined, owner: string | undefined): void {
    const second = owner === first ? undefined : owner;
    if (first === undefined && second === undefined) return;
    const head = first ?? second!;
    const list = this.#list;
    // The usual case: the same names answered again.
    if (list[0] === head && (first === undefined || second === undefined || list[1] === second)) return;
    const lead = first !== undefined && second !== undefined ? 2 : 1;
    // Newest first; a shared address (one server, many names) keeps the names asked for last.
    let kept = 0;
    for (let i = 0; i < list.length && kept < MAX_NAMES_PER_ADDRESS - lead; i++) if (list[i] !== first && list[i] !== second) others[kept++] = list[i]!;
    const out = kept + lead > list.length ? new Array<string>(kept + lead) : list;
    out[0] = head;
    if (lead === 2) out[1] = second!;
    for (let j = 0; j < kept; j++) out[lead + j] = others[j]!;
    this.#list = out;
    this.#shared = undefined;
  }
}

/** The names putFirst() keeps, in order (one array for every call). */
const others: string[] = [];

export class NameMap {
  readonly #byAddress = new Map<string, Entry>();
  // Answer order as a linked list: moving an answered address to the end of the Map (delete, set)
  // left a hole per answer and rebuilt the table every few answers (~25 B of garbage per packet).
  #oldest: Entry | undefined = undefined;
  #newest: Entry | undefined = undefined;
  constructor(
    private readonly limit: number,
    private readonly maxAge: Micros,
  ) {}

  get size(): number {
    return this.#byAddress.size;
  }

  /**
   * Records the A/AAAA data of a DNS response delivered to `asker`. The question's name is made
   * normal once per response, and an answer's owner name that is the question's own string (the
   * decoder hands a compression pointer back as the string it points to) reuses it: the scan of
   * every name twice per answer was most of this method's instructions.
   */
  response(m: DnsMessage, asker: string, frame: number, time: Micros): void {
    if (!m.qr || m.answers.length === 0) return;
    const qname = m.question?.name;
    const asked = qname === undefined || qname === '' ? undefined : normalName(qname);
    for (const a of m.answers) {
      if ((a.type !== TYPE_A && a.type !== TYPE_AAAA) || a.data === undefined) continue;
      let e = this.#byAddress.get(a.data);
      if (e === undefined) {
        if (this.#byAddress.size >= this.limit && this.#oldest !== undefined) this.#forget(this.#oldest);
        e = new Entry(a.data, frame, time, asker);
        this.#byAddress.set(a.data, e);
      } else {
        this.#unlink(e); // moved to the newest end below
        e.frame = frame;
        e.time = time;
        e.asker = asker;
      }
      e.older = this.#newest;
      e.newer = undefined;
      if (this.#newest === undefined) this.#oldest = e;
      else this.#newest.newer = e;
      this.#newest = e;
      const owner = a.name === '' || a.name === qname ? undefined : normalName(a.name);
      e.putFirst(asked, owner);
    }
  }

  /** Names that resolved to `address` at or before `time` (and not too long before). */
  lookup(address: string, time: Micros): NameEntry | undefined {
    const e = this.#byAddress.get(address);
    if (e === undefined || e.time > time || time - e.time > this.maxAge) return undefined;
    return e;
  }

  expire(now: Micros): void {
    while (this.#oldest !== undefined && now - this.#oldest.time > this.maxAge) this.#forget(this.#oldest);
  }

  #forget(e: Entry): void {
    this.#byAddress.delete(e.address);
    this.#unlink(e);
  }

  #unlink(e: Entry): void {
    if (e.older === undefined) this.#oldest = e.newer;
    else e.older.newer = e.newer;
    if (e.newer === undefined) this.#newest = e.older;
    else e.newer.older = e.older;
  }
}

