// decode/dns.ts: one DNS message (RFC 1035 §4.1) → DnsMessage. Imports core only.
//
// What it reads: the header and flags, the first question (others are skipped by length), the
// answer section (A/AAAA/CNAME/PTR/NS/SOA with their data as text, other types with data
// undefined), the authority section skipped, and the additional section for the EDNS OPT record
// (RFC 6891 §6.1). Everything after the first thing that cannot be parsed is dropped and the
// message is kept with `malformed: true`; when the bytes end before the counts are satisfied
// (the capture cut the message) it is kept with `truncated: true` instead.
//
// Name text, chosen so that it is deterministic, injective (two different wire names never
// print the same) and safe to print, while matching tshark's `dns.qry.name` for ordinary names:
//   * labels are joined with '.', without a trailing dot; case is kept as on the wire;
//   * the root name is `<Root>` (as tshark prints it); the one-label name whose text would also
//     be `<Root>` is written `\060Root>` so the two stay distinct;
//   * inside a label, the bytes 0x21–0x7e print as themselves except '.' and '\', which are
//     written `\.` and `\\`; every other byte (space, controls, 0x7f–0xff) is written `\DDD`
//     with three decimal digits (RFC 1035 §5.1 master-file escapes, as RFC 4343 §2.1 uses them);
//   * a name longer than 255 octets (RFC 1035 §2.3.4) keeps the labels read before the limit;
//     the message is then `malformed`, but decoding goes on after the name.
// `wiresharkNameText` turns this text into what tshark 4.0 prints, for differential tests.
import { type Anomalies, ipv4Text } from '../core/index.js';
import { ipv6TextCached as ipv6Text } from './address-cache.js';
import { u16, u32 } from './bytes.js';
import type { DnsAnswer, DnsEdns, DnsMessage, DnsQuestion, Mutable } from './types.js';

const HEADER = { id: 0, flags: 2, qdcount: 4, ancount: 6, nscount: 8, arcount: 10, length: 12 } as const;
/** Fixed part of a resource record after its owner name: type, class, TTL, RDLENGTH. */
const RR_FIXED = 10;
const QUESTION_FIXED = 4;

export const DnsType = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, AAAA: 28, OPT: 41 } as const;

/** RFC 1035 §2.3.4: 255 octets on the wire, length bytes and the root's zero byte included. */
const MAX_NAME_OCTETS = 255;
/** More pointer hops than a legal name can need (at most 127 labels, each behind one pointer). */
const MAX_POINTER_HOPS = 128;
const ROOT_TEXT = '<Root>';
const NO_ANSWERS: readonly DnsAnswer[] = Object.freeze([]);

// ---------------------------------------------------------------------------------------------
// Name reading. Results come back through module state instead of an object per name: the
// decoder is synchronous and never re-entered, so this is safe and allocation-free.

const NAME_OK = 0;
/** The bytes ended inside the name (capture cut). */
const NAME_TRUNCATED = 1;
/** A bad label type, a pointer outside the message, a loop, or too many hops. */
const NAME_BAD = 2;

/** Offset just after the name where it was found (after its pointer, if any). */
let nameEnd = 0;
/** The message being decoded is b[msgBase, msgEnd): compression pointers count from msgBase. */
let msgBase = 0;
let msgEnd = 0;
let nameStatus = NAME_OK;
/** The name ran past 255 octets: its text holds the labels before the limit. */
let nameTooLong = false;
/** Pointer targets seen while reading the current name, stamped with a per-name generation. */
const visited = new Uint32Array(0x4000);
let generation = 0;

/** Which bytes a label can show as themselves: 0x21–0x7e but not '.' or '\'. */
const PLAIN = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) PLAIN[c] = 1;
PLAIN[0x2e] = 0;
PLAIN[0x5c] = 0;
/**
 * Names already read in the current message, by where they start (offset from msgBase): a name that
 * is only a compression pointer to one of them (an answer's owner pointing at the question, the
 * next link of a CNAME chain) reuses its string instead of building the same text again. A name's
 * text depends only on the bytes from where it starts, so the reuse gives the same text; the first
 * names read are kept, as pointers lead back to them. Reset per message (decodeDns).
 */
const KNOWN_NAMES = 8;
const knownOffsets = new Int32Array(KNOWN_NAMES);
const knownTexts: string[] = new Array<string>(KNOWN_NAMES).fill('');
let knownCount = 0;

/** The name's text is built here and decoded once (latin1: one byte, one char). */
const TEXT = Buffer.alloc(4 * MAX_NAME_OCTETS + 8);

/**
 * The name's labels as they are on the wire, each length byte followed by its bytes, without the
 * pointers between them and the root's zero byte (so at most 254 octets), and their hash (FNV-1a),
 * both made while the name is walked: the text cache below is keyed on these bytes.
 */
const WIRE = new Uint8Array(MAX_NAME_OCTETS);
let wireLen = 0;
let wireHash = 0;

/**
 * Name texts read lately, by a hash of their wire bytes (direct-mapped; a slot holds the last name
 * that hashed to it, its wire bytes beside its text): a name asked and answered again and again (the
 * question of a retry, of a reply, of the next client's lookup) comes back as the same string object.
 * That saves building the text and the string per name, and everything downstream keys maps on
 * names and compares them: one string object has its hash computed once, and two references to it
 * compare without reading characters. A text depends only on its wire bytes, which a hit compares in
 * full: a slot only ever saves work. Keyed on the wire bytes rather than on the text they make, a
 * hit builds no text at all (callgrind, bench-worker decode, edge bench file's first 100 k packets:
 * 2,622 → 2,586 M instructions against the text-keyed cache before).
 */
const NAME_SLOTS = 1 << 12;
/** Longer names are decoded every time (rare; each would push a short one out). */
const MAX_CACHED_WIRE = 96;
const nameTexts: string[] = new Array<string>(NAME_SLOTS).fill('');
const slotWires = new Uint8Array(NAME_SLOTS * MAX_CACHED_WIRE);
const slotWireLens = new Uint8Array(NAME_SLOTS);

/** The text of WIRE[0, wireLen) (not empty): the cached one when a slot holds these bytes. */
function nameText(): string {
  const n = wireLen;
  if (n > MAX_CACHED_WIRE) return wireText();
  const h = wireHash;
  const slot = (h ^ (h >>> 16)) & (NAME_SLOTS - 1);
  const base = slot * MAX_CACHED_WIRE;
  if (slotWireLens[slot] === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (slotWires[base + i] !== WIRE[i]) { same = false; break; }
    }
    if (same) return nameTexts[slot]!;
  }
  const text = wireText();
  nameTexts[slot] = text;
  slotWires.set(WIRE.subarray(0, n), base);
  slotWireLens[slot] = n;
  return text;
}

/** The text of WIRE[0, wireLen): labels joined with '.', bytes escaped as the file's head says. */
function wireText(): string {
  let n = 0;
  for (let i = 0; i < wireLen;) {
    const stop = i + 1 + WIRE[i]!;
    if (n > 0) TEXT[n++] = 0x2e;
    for (i++; i < stop; i++) {
      const c = WIRE[i]!;
      if (PLAIN[c] === 1) { TEXT[n++] = c; continue; }
      TEXT[n++] = 0x5c; // backslash
      if (c === 0x2e || c === 0x5c) { TEXT[n++] = c; continue; }
      TEXT[n++] = 0x30 + ((c / 100) | 0);
      TEXT[n++] = 0x30 + (((c / 10) | 0) % 10);
      TEXT[n++] = 0x30 + (c % 10);
    }
  }
  return TEXT.toString('latin1', 0, n);
}

/** Adds the label b[start, end) (its length byte first) to WIRE and its hash. */
function appendLabel(b: Buffer, start: number, end: number): void {
  let n = wireLen;
  let h = Math.imul(wireHash ^ (end - start), 0x01000193);
  WIRE[n++] = end - start;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    WIRE[n++] = c;
    h = Math.imul(h ^ c, 0x01000193);
  }
  wireLen = n;
  wireHash = h;
}

/**
 * Reads the name at `off`, following compression pointers (RFC 1035 §4.1.4) backwards and
 * forwards. Sets `nameEnd` and `nameStatus`; returns the text read, which is partial unless
 * the status is NAME_OK (a name over 255 octets is NAME_OK with the labels before the limit).
 * With `keepText` false (names nobody keeps: later questions, authority and additional owners)
 * it makes the same checks and builds no string.
 */
function readName(b: Buffer, off: number, anomalies: Anomalies, keepText = true): string {
  if (keepText && knownCount > 0 && off + 1 < msgEnd && (b[off]! & 0xc0) === 0xc0) {
    const target = ((b[off]! & 0x3f) << 8) | b[off + 1]!;
    for (let i = 0; i < knownCount; i++) {
      if (knownOffsets[i] !== target) continue;
      nameEnd = off + 2;
      nameStatus = NAME_OK;
      nameTooLong = false;
      return knownTexts[i]!;
    }
  }
  if (++generation === 0xffffffff) { visited.fill(0); generation = 1; }
  let pos = off;
  let end = -1; // where the name ends in place, fixed by the first pointer or the root byte
  let hops = 0;
  let octets = 1; // the root's zero byte
  let tooLong = false;
  wireLen = 0;
  wireHash = 0x811c9dc5;
  nameStatus = NAME_OK;
  for (;;) {
    if (pos >= msgEnd) { nameStatus = NAME_TRUNCATED; break; }
    const len = b[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= msgEnd) { nameStatus = NAME_TRUNCATED; break; }
      if (end < 0) end = pos + 2;
      const target = ((len & 0x3f) << 8) | b[pos + 1]!;
      // A pointer past the end is a bad name, not a cut: the message itself must hold the target.
      if (target >= msgEnd - msgBase) { nameStatus = NAME_BAD; anomalies.note('dns.bad_name'); break; }
      if (++hops > MAX_POINTER_HOPS || visited[target] === generation) {
        nameStatus = NAME_BAD;
        anomalies.note('dns.name_loop');
        break;
      }
      visited[target] = generation;
      pos = msgBase + target;
      continue;
    }
    if (kind !== 0) {
      // RFC 6891 §5: 0x40 (extended label types) is deprecated; 0x80 is reserved.
      nameStatus = NAME_BAD;
      anomalies.note('dns.bad_name');
      break;
    }
    const start = pos + 1;
    const stop = start + len;
    if (stop > msgEnd) { nameStatus = NAME_TRUNCATED; break; }
    if (!tooLong) {
      octets += len + 1;
      if (octets > MAX_NAME_OCTETS) {
        // Keep the labels read so far, and walk on so the record after the name still decodes.
        tooLong = true;
        anomalies.note('dns.bad_name');
        if (end >= 0) break; // the name's end in place is known: no need to walk on
      } else if (keepText) {
        appendLabel(b, start, stop);
      }
    }
    pos = stop;
  }
  nameEnd = end < 0 ? pos : end;
  nameTooLong = tooLong;
  if (!keepText) return '';
  if (wireLen === 0) return nameStatus === NAME_OK && !tooLong ? ROOT_TEXT : '';
  let text = nameText();
  if (text === ROOT_TEXT) text = '\\060Root>';
  // Reusable when read whole, and when one more pointer hop in front of it stays within the limit.
  if (nameStatus === NAME_OK && !tooLong && hops < MAX_POINTER_HOPS && knownCount < KNOWN_NAMES) {
    knownOffsets[knownCount] = off - msgBase;
    knownTexts[knownCount++] = text;
  }
  return text;
}

// ---------------------------------------------------------------------------------------------

/** Answer records a DnsScratch keeps for reuse; a message with more answers gets new ones for the rest. */
const MAX_POOLED_ANSWERS = 64;

/**
 * What decodeDns refills in place instead of making new records (PacketDecoder's `reusePackets`):
 * the message, its question and EDNS records, and answer records. The answers list is one of
 * `answerLists` (exact size; the shared empty one when there are none): the list of the first n
 * pooled records is the same list for every message with n answers, as the records are the same
 * objects, so it is made once (a copy per message was ~6 B a packet of the edge bench file's
 * allocation). Past the pool's size a message gets a list and records of its own. The strings are new.
 */
export interface DnsScratch {
  readonly message: Mutable<DnsMessage>;
  readonly question: Mutable<DnsQuestion>;
  readonly edns: Mutable<DnsEdns>;
  readonly answers: Mutable<DnsAnswer>[];
  /** By length n: the list of answers[0, n), made when first needed. */
  readonly answerLists: (readonly DnsAnswer[] | undefined)[];
}

export const newDnsScratch = (): DnsScratch => ({ message: newMessage(), question: newQuestion(), edns: newEdns(), answers: [], answerLists: [] });

/** The scratch's list of its first `n` answer records (n ≥ 1, at most MAX_POOLED_ANSWERS). */
function pooledAnswers(scratch: DnsScratch, n: number): readonly DnsAnswer[] {
  let list = scratch.answerLists[n];
  if (list === undefined) {
    while (scratch.answerLists.length < n) scratch.answerLists.push(undefined);
    list = scratch.answers.slice(0, n);
    scratch.answerLists[n] = list;
  }
  return list;
}

const newQuestion = (): Mutable<DnsQuestion> => ({ name: '', type: 0, class: 0 });
const newEdns = (): Mutable<DnsEdns> => ({ udpPayloadSize: 0, extendedRcode: 0, version: 0, dnssecOk: false });
const newAnswer = (): Mutable<DnsAnswer> => ({ name: '', type: 0, ttl: 0, data: undefined });
const newMessage = (): Mutable<DnsMessage> => ({
  transport: 'udp', id: 0, qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, rcode: 0, qdcount: 0, ancount: 0, nscount: 0,
  arcount: 0, question: undefined, answers: NO_ANSWERS, edns: undefined, size: 0, malformed: false, truncated: false,
});

/**
 * Decodes one DNS message: b[base, end), by default all of `b` (a UDP payload, or the bytes after a
 * TCP length prefix). Returns undefined only when even the 12-octet header is not there. With
 * `scratch`, the message returned is scratch's, refilled: valid until the next call with it.
 */
export function decodeDns(b: Buffer, transport: 'udp' | 'tcp', anomalies: Anomalies, base = 0, end = b.length, scratch?: DnsScratch): DnsMessage | undefined {
  if (end - base < HEADER.length) return anomalies.note('dns.short_header');
  msgBase = base;
  msgEnd = end;
  knownCount = 0;
  const flags = u16(b, base + HEADER.flags);
  const qdcount = u16(b, base + HEADER.qdcount);
  const ancount = u16(b, base + HEADER.ancount);
  const nscount = u16(b, base + HEADER.nscount);
  const arcount = u16(b, base + HEADER.arcount);

  let question: Mutable<DnsQuestion> | undefined;
  /** A list of the message's own (past the scratch's pool, or without scratch). */
  let answers: DnsAnswer[] | undefined;
  /** With scratch: how many of its answer records this message filled. */
  let pooled = 0;
  let edns: Mutable<DnsEdns> | undefined;
  let malformed = false;
  let truncated = false;
  let pos: number = base + HEADER.length;

  // One pass over the sections; `stop` ends it at the first thing that cannot be read.
  sections: {
    for (let i = 0; i < qdcount; i++) {
      const name = readName(b, pos, anomalies, i === 0);
      if (nameStatus !== NAME_OK) { truncated = nameStatus === NAME_TRUNCATED; malformed = !truncated; break sections; }
      if (nameTooLong) malformed = true; // illegal, but its end is known: read on
      pos = nameEnd;
      if (pos + QUESTION_FIXED > end) { truncated = true; break sections; }
      if (i === 0) {
        question = scratch?.question ?? newQuestion();
        question.name = name;
        question.type = u16(b, pos);
        question.class = u16(b, pos + 2);
      }
      pos += QUESTION_FIXED;
    }
    const rrTotal = ancount + nscount + arcount;
    for (let i = 0; i < rrTotal; i++) {
      const inAnswers = i < ancount;
      const inAdditional = i >= ancount + nscount;
      // Owner names are read as text only where they are kept.
      const name = readName(b, pos, anomalies, inAnswers);
      if (nameStatus !== NAME_OK) { truncated = nameStatus === NAME_TRUNCATED; malformed = !truncated; break sections; }
      if (nameTooLong) malformed = true;
      pos = nameEnd;
      if (pos + RR_FIXED > end) { truncated = true; break sections; }
      const type = u16(b, pos);
      const klass = u16(b, pos + 2);
      const ttl = u32(b, pos + 4);
      const rdlength = u16(b, pos + 8);
      const rdata = pos + RR_FIXED;
      const rdend = rdata + rdlength;
      if (rdend > end) {
        // The record is cut; an answer's header is still worth keeping only if its data needs nothing.
        truncated = true;
        break sections;
      }
      if (inAnswers) {
        let data: string | undefined;
        let badRdata = false;
        switch (type) {
          case DnsType.A:
            if (rdlength === 4) data = ipv4Text(b, rdata);
            else badRdata = true;
            break;
          case DnsType.AAAA:
            if (rdlength === 16) data = ipv6Text(b, rdata);
            else badRdata = true;
            break;
          case DnsType.CNAME:
          case DnsType.PTR:
          case DnsType.NS:
          case DnsType.SOA: { // SOA: the MNAME, its first field (RFC 1035 §3.3.13)
            const target = readName(b, rdata, anomalies);
            if (nameStatus !== NAME_OK) { malformed = true; break sections; }
            // The name must end inside RDATA (a compression pointer may lead anywhere).
            if (nameEnd <= rdend) { data = target; if (nameTooLong) malformed = true; }
            else badRdata = true;
            break;
          }
          default:
            break;
        }
        if (badRdata) { malformed = true; anomalies.note('dns.bad_rdata'); break sections; }
        // With scratch, its answer records are filled in order: the list is then a copy of its first
        // `pooled`, made at the end; past the pool's size, new records in a list of their own.
        let answer: Mutable<DnsAnswer>;
        if (scratch !== undefined && pooled < MAX_POOLED_ANSWERS) {
          if (pooled === scratch.answers.length) scratch.answers.push(newAnswer());
          answer = scratch.answers[pooled++]!;
        } else {
          answer = newAnswer();
          answers ??= scratch === undefined ? [] : scratch.answers.slice(0, pooled);
          answers.push(answer);
        }
        answer.name = name;
        answer.type = type;
        answer.ttl = ttl;
        answer.data = data;
      } else if (inAdditional && type === DnsType.OPT && edns === undefined) {
        // RFC 6891 §6.1.3: the TTL field holds EXTENDED-RCODE, VERSION, DO and Z.
        edns = scratch?.edns ?? newEdns();
        edns.udpPayloadSize = klass;
        edns.extendedRcode = ttl >>> 24;
        edns.version = (ttl >>> 16) & 0xff;
        edns.dnssecOk = (ttl & 0x8000) !== 0;
      }
      pos = rdend;
    }
  }
  if (truncated) anomalies.note('dns.truncated_message');
  const m = scratch?.message ?? newMessage();
  m.transport = transport;
  m.id = u16(b, base + HEADER.id);
  m.qr = (flags & 0x8000) !== 0;
  m.opcode = (flags >>> 11) & 0xf;
  m.aa = (flags & 0x0400) !== 0;
  m.tc = (flags & 0x0200) !== 0;
  m.rd = (flags & 0x0100) !== 0;
  m.ra = (flags & 0x0080) !== 0;
  m.rcode = flags & 0xf;
  m.qdcount = qdcount;
  m.ancount = ancount;
  m.nscount = nscount;
  m.arcount = arcount;
  m.question = question;
  m.answers = answers ?? (pooled === 0 ? NO_ANSWERS : pooledAnswers(scratch!, pooled));
  m.edns = edns;
  m.size = end - base;
  m.malformed = malformed;
  m.truncated = truncated;
  return m;
}

// ---------------------------------------------------------------------------------------------

/** Classes a real question carries: IN, CH, HS, NONE, ANY (RFC 1035 §3.2.4, RFC 2136 §1.3). */
const isQclass = (c: number): boolean => c === 1 || c === 3 || c === 4 || c === 254 || c === 255;

/**
 * A cheap shape test for DNS on ports other than 53: opcode QUERY, exactly one question, counts
 * that the length could hold, and a first name made of in-place labels (no pointer can precede
 * it) followed by a known class. Reads at most 12 + 255 + 4 bytes and allocates nothing.
 */
export function looksLikeDns(b: Buffer): boolean {
  if (b.length < HEADER.length + 1 + QUESTION_FIXED) return false;
  const flags = u16(b, HEADER.flags);
  if (((flags >>> 11) & 0xf) !== 0) return false; // opcode QUERY
  if ((flags & 0x0040) !== 0) return false; // Z must be zero (RFC 1035 §4.1.1)
  if (u16(b, HEADER.qdcount) !== 1) return false;
  const rrs = u16(b, HEADER.ancount) + u16(b, HEADER.nscount) + u16(b, HEADER.arcount);
  // Each RR takes at least 11 octets (a root or pointer owner name plus the fixed part).
  if (HEADER.length + 1 + QUESTION_FIXED + rrs * 11 > b.length) return false;
  if ((flags & 0x8000) === 0 && (flags & 0xf) !== 0) return false; // a query carries no rcode
  let pos: number = HEADER.length;
  let octets = 1;
  for (;;) {
    if (pos >= b.length) return false;
    const len = b[pos]!;
    if (len === 0) { pos++; break; }
    if (len > 63) return false;
    octets += len + 1;
    if (octets > MAX_NAME_OCTETS) return false;
    pos += 1 + len;
  }
  if (pos + QUESTION_FIXED > b.length) return false;
  return isQclass(u16(b, pos + 2));
}

// ---------------------------------------------------------------------------------------------

/**
 * What tshark 4.0 prints (`dns.qry.name`) for a name in dualscope's text: the escapes are undone
 * to recover the wire bytes, which are then shown as Wireshark's format_text does (printable
 * ASCII as is, C escapes \a \b \f \n \r \t \v, other control bytes as 3-digit octal, UTF-8
 * passed through and invalid UTF-8 as U+FFFD). Lossy, for comparisons only; off the hot path.
 */
export function wiresharkNameText(name: string): string {
  if (name === ROOT_TEXT) return name;
  if (!name.includes('\\')) return name;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch !== 0x5c) { bytes.push(ch); continue; }
    const next = name.charCodeAt(i + 1);
    if (next >= 0x30 && next <= 0x39) {
      bytes.push(Number(name.slice(i + 1, i + 4)));
      i += 3;
    } else {
      bytes.push(next);
      i += 1;
    }
  }
  return formatText(Buffer.from(bytes));
}

const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cn}\p{Cs}]$/u;
const C_ESCAPES = new Map<number, string>([[7, 'a'], [8, 'b'], [12, 'f'], [10, 'n'], [13, 'r'], [9, 't'], [11, 'v']]);

function formatText(b: Buffer): string {
  let out = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      if (c >= 0x20 && c !== 0x7f) { out += String.fromCharCode(c); continue; }
      const e = C_ESCAPES.get(c);
      out += e !== undefined ? `\\${e}` : `\\${c.toString(8).padStart(3, '0')}`;
      continue;
    }
    // Wireshark's reading of UTF-8: the lead byte says how many continuation bytes follow (up
    // to 5, as in the original UTF-8); the bytes taken before a mismatch, or a sequence that
    // does not make a valid code point, show as one U+FFFD. The mismatching byte starts anew.
    let more: number;
    let cp: number;
    if ((c & 0xe0) === 0xc0) { more = 1; cp = c & 0x1f; }
    else if ((c & 0xf0) === 0xe0) { more = 2; cp = c & 0x0f; }
    else if ((c & 0xf8) === 0xf0) { more = 3; cp = c & 0x07; }
    else if ((c & 0xfc) === 0xf8) { more = 4; cp = c & 0x03; }
    else if ((c & 0xfe) === 0xfc) { more = 5; cp = c & 0x01; }
    else { out += '\ufffd'; i++; continue; }
    let j = i + 1;
    while (more > 0 && j < b.length && (b[j]! & 0xc0) === 0x80) { cp = cp * 64 + (b[j]! & 0x3f); j++; more--; }
    // Overlong forms are accepted (tshark shows C0 A8 as '('); code points that are not
    // printable (GLib's g_unichar_isprint: controls, format, unassigned) show as \uXXXX.
    if (more !== 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) out += '\ufffd';
    else if (NOT_PRINTABLE.test(String.fromCodePoint(cp))) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += String.fromCodePoint(cp);
    i = j;
  }
  return out;
}
