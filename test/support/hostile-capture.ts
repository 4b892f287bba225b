// A capture whose DNS names are attacks on whoever displays them: markup and script for the HTML
// report, an ANSI escape for the terminal. The traffic itself is an ordinary unanswered-AAAA
// lookup (glibc-style: A and AAAA from one socket, AAAA never answered), so the hostile names end
// up in findings, evidence, timeline labels and summaries.
import { writeFileSync } from 'node:fs';

export const HOSTILE_LABELS = [
  '<script>window.__pwned=1</script>',
  '"><img src=x onerror=window.__pwned=2>',
  '</script><script>window.__pwned=3</script>',
  '\x1b[31mRED\x1b[0m',
];

const CLIENT = Buffer.from('20010db8000100000000000000000010', 'hex'); // 2001:db8:1::10
const SERVER = Buffer.from('20010db8000200000000000000000053', 'hex'); // 2001:db8:2::53

function name(labels: string[]): Buffer {
  const parts = labels.map((l) => {
    const b = Buffer.from(l, 'latin1');
    return Buffer.concat([Buffer.from([b.length]), b]);
  });
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function dns(id: number, qname: Buffer, qtype: number, response: boolean): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(response ? 0x8580 : 0x0100, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(response ? 1 : 0, 6);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(1, 2);
  if (!response) return Buffer.concat([h, qname, q]);
  const rr = Buffer.from('c00c000100010000003c0004c0000250', 'hex'); // A 192.0.2.80, TTL 60
  return Buffer.concat([h, qname, q, rr]);
}

function frame(src: Buffer, dst: Buffer, sport: number, dport: number, payload: Buffer): Buffer {
  const eth = Buffer.from('02000000000202000000000186dd', 'hex');
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(8 + payload.length, 4);
  ip[6] = 17;
  ip[7] = 64;
  src.copy(ip, 8);
  dst.copy(ip, 24);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(sport, 0);
  udp.writeUInt16BE(dport, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([eth, ip, udp, payload]);
}

/** Writes the capture (pcap, µs, Ethernet) and returns the qnames as they appear on the wire. */
export function writeHostileCapture(path: string): string[] {
  const records: Buffer[] = [];
  const t0 = 1_700_000_000_000_000;
  const add = (t: number, f: Buffer): void => {
    const h = Buffer.alloc(16);
    const us = t0 + t;
    h.writeUInt32LE(Math.floor(us / 1e6), 0);
    h.writeUInt32LE(us % 1e6, 4);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    records.push(h, f);
  };
  const names: string[] = [];
  let t = 0;
  HOSTILE_LABELS.forEach((label, i) => {
    const qname = name([label, 'evil', 'test']);
    names.push(`${label}.evil.test`);
    const port = 40000 + i;
    const idA = 0x1000 + i;
    const idAAAA = 0x2000 + i;
    const q = (at: number, id: number, qt: number): void => add(at, frame(CLIENT, SERVER, port, 53, dns(id, qname, qt, false)));
    const r = (at: number, id: number): void => add(at, frame(SERVER, CLIENT, 53, port, dns(id, qname, 1, true)));
    q(t, idA, 1);
    q(t + 50, idAAAA, 28);
    r(t + 900, idA);
    // glibc after one timeout: A again, answered; AAAA again, never answered; then a last AAAA.
    q(t + 2_000_000, idA, 1);
    r(t + 2_000_800, idA);
    q(t + 2_001_000, idAAAA, 28);
    q(t + 4_001_000, idAAAA, 28);
    t += 20_000_000;
  });
  const header = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');
  writeFileSync(path, Buffer.concat([header, ...records]));
  return names;
}
