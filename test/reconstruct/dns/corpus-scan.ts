// Shared by the corpus tests: every capture in ../shared/captures with its tshark truth.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CORPUS } from '../../support/corpus.js';

export { CORPUS };

export interface TruthDns {
  frame: number;
  qr: number;
  transport: string;
  response_in: number | null;
  response_to: number | null;
  malformed: boolean;
  src: string; dst: string; sport: number; dport: number; id: number; qname: string | null; qtype: number | null;
}

export function corpusFiles(): string[] {
  const manifest = join(CORPUS, 'manifest.json');
  if (!existsSync(manifest)) return [];
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as { files: { path: string }[] };
  return m.files.map((f) => f.path);
}

export function truthDns(path: string): TruthDns[] {
  const t = join(CORPUS, 'truth', `${path}.json`);
  if (!existsSync(t)) return [];
  const j = JSON.parse(readFileSync(t, 'utf8')) as { dns?: TruthDns[] };
  return j.dns ?? [];
}

/** One disagreement with tshark's two-pass DNS pairing, per (frame, id, qtype) message group. */
export interface PairingDifference {
  file: string;
  frame: number;
  id: number;
  qtype: number | null;
  /** response_in (queries) or response_to (responses) as tshark has them, and as we do (sorted). */
  field: 'response_in' | 'response_to';
  tshark: (number | null)[];
  ours: (number | null)[];
}

/**
 * Our pairing in tshark's terms: the FIRST transmission of a transaction points to its response
 * (response_in), the response points back to that first transmission (response_to); same-key
 * retransmissions point nowhere, as tshark's do within its 5 s window. A frame can hold several
 * messages (DNS over TCP), so values are compared as sorted lists per (frame, id, qtype).
 */
export function pairingDifferences(file: string, truth: readonly TruthDns[], records: readonly import('../../../src/reconstruct/dns/index.js').DnsRecord[]): PairingDifference[] {
  const ours = new Map<string, (number | null)[]>();
  const push = (field: string, frame: number, id: number, qtype: number | null, v: number | null): void => {
    const k = `${field}|${frame}|${id}|${qtype}`;
    const l = ours.get(k) ?? [];
    l.push(v);
    ours.set(k, l);
  };
  for (const r of records) {
    if (r.type === 'transaction') {
      r.queries.forEach((q, i) => push('response_in', q.frame, r.id, r.qtype, i === 0 && r.response !== undefined ? r.response.frame : null));
      if (r.response !== undefined) push('response_to', r.response.frame, r.id, r.qtype, r.queries[0]!.frame);
    } else if (r.type === 'orphan') {
      push('response_to', r.reply.frame, r.id, r.qtype ?? null, null);
    }
  }
  const theirs = new Map<string, (number | null)[]>();
  for (const t of truth) {
    const field = t.qr === 0 ? 'response_in' : 'response_to';
    const k = `${field}|${t.frame}|${t.id}|${t.qtype}`;
    const l = theirs.get(k) ?? [];
    l.push(t.qr === 0 ? t.response_in : t.response_to);
    theirs.set(k, l);
  }
  const sort = (l: (number | null)[]): (number | null)[] => [...l].sort((a, b) => (a ?? -1) - (b ?? -1));
  const out: PairingDifference[] = [];
  for (const k of new Set([...theirs.keys(), ...ours.keys()])) {
    const [field, frame, id, qtype] = k.split('|');
    const t = sort(theirs.get(k) ?? []);
    const o = sort(ours.get(k) ?? []);
    if (JSON.stringify(t) === JSON.stringify(o)) continue;
    // No pairing on either side (unanswered, duplicates, mDNS we skip, messages one side could not
    // read) is agreement: both say "no partner".
    if (t.every((x) => x === null) && o.every((x) => x === null)) continue;
    out.push({ file, frame: Number(frame), id: Number(id), qtype: qtype === 'null' ? null : Number(qtype), field: field as PairingDifference['field'], tshark: t, ours: o });
  }
  return out.sort((a, b) => a.frame - b.frame || a.id - b.id || a.field.localeCompare(b.field));
}
