// Names ↔ addresses from the DNS answers seen in the capture, so a connection can be tied to the
// lookup that preceded it. Bounded: the oldest answer is forgotten first.
import type { Micros } from '../../core/index.js';
import type { DnsMessage } from '../../decode/index.js';

const TYPE_A = 1;
const TYPE_AAAA = 28;
const MAX_NAMES_PER_ADDRESS = 8;
/** A new entry's names until the first (withName makes a new list, never pushes onto this one). */
const NO_NAMES: readonly string[] = Object.freeze([]);

export interface NameEntry {
  /**
   * Most recent first: the question name, then the owner name of the answer (CNAME target).
   * Replaced, never changed in place: connections share it.
   */
  names: readonly string[];
  frame: number;
  time: Micros;
  /** The host the answer was sent to. */
  asker: string;
}

interface Entry extends NameEntry {
  readonly address: string;
  /** Neighbours in answer order. */
  older: Entry | undefined;
  newer: Entry | undefined;
}

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
        e = { names: NO_NAMES, frame, time, asker, address: a.data, older: undefined, newer: undefined };
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
      e.names = withNames(e.names, asked, owner); // the name asked for goes first
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

/**
 * `names` with the name asked for first and the answer's owner (a CNAME target) second, both normal
 * names (or undefined): the same
 * array when it already is so, else one new array of exact size (an address many names share gets
 * a new list per answer: push grew each to 17 slots). One list for both names: adding the owner and
 * then the name asked for made two lists per answer of a CNAME chain, each time, even when the list
 * already was so. The result is what adding them one after the other gives (the names of a list are
 * distinct). Indexed loops: `names` may be the frozen NO_NAMES, and for-of over it makes an iterator.
 */
function withNames(names: readonly string[], first: string | undefined, owner: string | undefined): readonly string[] {
  const second = owner === first ? undefined : owner;
  if (first === undefined && second === undefined) return names;
  const head = first ?? second!;
  // The usual case: the same names answered again.
  if (names[0] === head && (first === undefined || second === undefined || names[1] === second)) return names;
  const lead = first !== undefined && second !== undefined ? 2 : 1;
  // Newest first; a shared address (one server, many names) keeps the names asked for last.
  let kept = 0;
  for (let i = 0; i < names.length && kept < MAX_NAMES_PER_ADDRESS - lead; i++) if (names[i] !== first && names[i] !== second) kept++;
  const out = new Array<string>(kept + lead);
  out[0] = head;
  if (lead === 2) out[1] = second!;
  for (let i = 0, j = lead; j < kept + lead; i++) if (names[i] !== first && names[i] !== second) out[j++] = names[i]!;
  return out;
}

/** `name.toLowerCase().replace(/\.$/, '')`, without the two copies when there is nothing to change. */
function normalName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || c >= 0x80) return name.toLowerCase().replace(/\.$/, '');
  }
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
