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
      if (a.name !== qname) e.names = withName(e.names, a.name === '' ? undefined : normalName(a.name));
      e.names = withName(e.names, asked); // the name asked for goes first
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
 * `names` with the normal name `n` first: the same array when it already is, else a new one of exact size (an
 * address many names share gets a new list per answer: push grew each to 17 slots). Indexed loops:
 * `names` may be the frozen NO_NAMES, and for-of over it makes an iterator.
 */
function withName(names: readonly string[], n: string | undefined): readonly string[] {
  if (n === undefined || n === '') return names;
  if (names[0] === n) return names; // the usual case: the same name answered again
  // Newest first; a shared address (one server, many names) keeps the names asked for last.
  let kept = 0;
  for (let i = 0; i < names.length && kept < MAX_NAMES_PER_ADDRESS - 1; i++) if (names[i] !== n) kept++;
  const out = new Array<string>(kept + 1);
  out[0] = n;
  for (let i = 0, j = 1; j <= kept; i++) if (names[i] !== n) out[j++] = names[i]!;
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
