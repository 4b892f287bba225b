import { describe, expect, it } from 'vitest';
import { ANOMALIES, Anomalies } from '../../src/core/index.js';
import { decodeDns, looksLikeDns, wiresharkNameText } from '../../src/decode/dns.js';
import { hex, mutations, seeded } from '../support/hex.js';
import { dnsQuery } from './build.js';

const query = hex`
  1234 0100 0001 0000 0000 0001          // id 0x1234, RD; 1 question, 1 additional
  03 777777 07 6578616d706c65 03 636f6d 00 // @12 www.example.com
  001c 0001                              // AAAA IN
  00 0029 1000 00 00 8000 0000           // OPT: root, size 4096, ext-rcode 0, version 0, DO, no options
`;

const response = hex`
  1234 8580 0001 0003 0001 0001          // id 0x1234, QR AA RD RA, NOERROR; 1/3/1/1
  03 777777 07 6578616d706c65 03 636f6d 00 // @12 www.example.com (example.com @16)
  0001 0001                              // A IN
  c00c 0005 0001 00000e10 0006           // @33 www.example.com CNAME, TTL 3600, rdlength 6
  03 776562 c010                         // @45 web + → example.com
  c02d 0001 0001 0000003c 0004 c0000201  // web.example.com A 192.0.2.1
  c02d 001c 0001 0000003c 0010           // web.example.com AAAA
  20010db8 00000000 00000000 00000001    //   2001:db8::1
  c010 0002 0001 00000e10 0006           // authority: example.com NS
  03 6e7331 c010                         //   ns1.example.com
  00 0029 04d0 01 00 0000 0000           // OPT: size 1232, ext-rcode 1, version 0, DO clear
`;

function decode(b: Buffer, a = new Anomalies()) {
  return decodeDns(b, 'udp', a);
}

describe('decodeDns', () => {
  it('reads a query: header, flags, question, EDNS', () => {
    const m = decode(query)!;
    expect(m).toMatchObject({
      transport: 'udp', id: 0x1234, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0,
      qdcount: 1, ancount: 0, nscount: 0, arcount: 1, size: query.length, malformed: false, truncated: false,
    });
    expect(m.question).toEqual({ name: 'www.example.com', type: 28, class: 1 });
    expect(m.answers).toEqual([]);
    expect(m.edns).toEqual({ udpPayloadSize: 4096, extendedRcode: 0, version: 0, dnssecOk: true });
  });

  it('reads answers through compression pointers, skips authority, finds OPT', () => {
    const a = new Anomalies();
    const m = decode(response, a)!;
    expect(m).toMatchObject({ qr: true, aa: true, rd: true, ra: true, rcode: 0, ancount: 3, nscount: 1, arcount: 1, malformed: false, truncated: false });
    expect(m.answers).toEqual([
      { name: 'www.example.com', type: 5, ttl: 3600, data: 'web.example.com' },
      { name: 'web.example.com', type: 1, ttl: 60, data: '192.0.2.1' },
      { name: 'web.example.com', type: 28, ttl: 60, data: '2001:db8::1' },
    ]);
    // RFC 6891 §6.1.3: BADVERS is extended rcode 1 with header rcode 0 → 16.
    expect(m.edns).toEqual({ udpPayloadSize: 1232, extendedRcode: 1, version: 0, dnssecOk: false });
    expect((m.edns!.extendedRcode << 4) | m.rcode).toBe(16);
    expect(a.total).toBe(0);
  });

  it('never throws on any prefix; a cut message is truncated, not malformed', () => {
    for (const msg of [query, response]) {
      for (let n = 0; n <= msg.length; n++) {
        const a = new Anomalies();
        const m = decode(msg.subarray(0, n), a);
        if (n < 12) {
          expect(m).toBeUndefined();
          expect(a.get('dns.short_header')).toBe(1);
          continue;
        }
        expect(m!.id).toBe(0x1234);
        expect(m!.malformed).toBe(false);
        expect(m!.truncated).toBe(n < msg.length);
        expect(a.get('dns.truncated_message')).toBe(n < msg.length ? 1 : 0);
      }
    }
  });

  it('keeps what came before the cut', () => {
    // Cut inside the AAAA answer's address: the question and the first two answers survive.
    const m = decode(response.subarray(0, 80))!;
    expect(m.question?.name).toBe('www.example.com');
    expect(m.answers.map((x) => x.data)).toEqual(['web.example.com', '192.0.2.1']);
    expect(m.edns).toBeUndefined();
  });

  it('never throws on 3000 seeded mutations, and notes only listed anomalies', () => {
    const known = new Set<string>(ANOMALIES);
    const a = new Anomalies();
    for (const msg of [query, response]) {
      for (const m of mutations(msg, 1500, msg.length)) {
        expect(() => decodeDns(m, 'udp', a)).not.toThrow();
      }
    }
    for (const name of a.counts.keys()) expect(known.has(name)).toBe(true);
  });

  it('never throws on random bytes', () => {
    const rnd = seeded(7);
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.alloc(12 + Math.floor(rnd() * 200));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
      expect(() => decodeDns(b, 'tcp', new Anomalies())).not.toThrow();
    }
  });
});

describe('names', () => {
  const header = (qd = 1, an = 0) => hex`abcd 0100 ${qd.toString(16).padStart(4, '0')} ${an.toString(16).padStart(4, '0')} 0000 0000`;

  it('stops a pointer that points at itself', () => {
    const a = new Anomalies();
    const m = decode(Buffer.concat([header(), hex`c00c 0001 0001`]), a)!;
    expect(a.get('dns.name_loop')).toBe(1);
    expect(m.malformed).toBe(true);
    expect(m.question).toBeUndefined();
  });

  it('stops a two-pointer loop and a label-then-pointer loop', () => {
    for (const body of [hex`c00e c00c 0001 0001`, hex`01 61 c00c 0001 0001`]) {
      const a = new Anomalies();
      const m = decode(Buffer.concat([header(), body]), a)!;
      expect(a.get('dns.name_loop')).toBe(1);
      expect(m.malformed).toBe(true);
    }
  });

  it('stops a long pointer chain at the hop limit', () => {
    // 200 pointers, each to the next: no loop, but more hops than any legal name needs.
    const chain = Buffer.alloc(400);
    for (let i = 0; i < 200; i++) chain.writeUInt16BE(0xc000 | (12 + 2 * (i + 1)), 2 * i);
    const a = new Anomalies();
    const m = decode(Buffer.concat([header(), chain, hex`00 0001 0001`]), a)!;
    expect(a.get('dns.name_loop')).toBe(1);
    expect(m.malformed).toBe(true);
  });

  it('a pointer to a name read before gives its text, in this message only', () => {
    // Answer owners point at the question; the next message's pointer to the same offset must
    // read that message's own name, not the text kept from the one before.
    const first = decode(response)!;
    expect(first.answers.map((x) => x.name)).toEqual(['www.example.com', 'web.example.com', 'web.example.com']);
    const second = decode(Buffer.concat([header(1, 1), hex`
      05 6f74686572 00      // @12 other
      0001 0001             // A IN
      c00c 0001 0001 0000003c 0004 c0000202 // other A 192.0.2.2
    `]))!;
    expect(second.question?.name).toBe('other');
    expect(second.answers).toEqual([{ name: 'other', type: 1, ttl: 60, data: '192.0.2.2' }]);
  });

  it('a pointer to a name that took the most hops allowed is one hop too many', () => {
    // The first answer's owner takes exactly 128 hops (@19 → @51 → @53 → … → @305, then "b"); the
    // second answer's owner points at the first's and would take 129: a loop as far as the limit
    // is concerned, whether or not the first owner's text was kept for reuse.
    const chain = Buffer.alloc(254);
    for (let i = 0; i < 127; i++) chain.writeUInt16BE(0xc000 | (51 + 2 * (i + 1)), 2 * i);
    const a = new Anomalies();
    const m = decode(Buffer.concat([header(1, 2), hex`
      01 61 00 0001 0001                       // @12 a A IN
      c033 0001 0001 0000003c 0004 c0000201    // @19 → @51 … b A 192.0.2.1
      c013 0001 0001 0000003c 0004 c0000202    // @35 → @19: one hop more
    `, chain, hex`01 62 00`]), a)!;
    expect(m.answers).toEqual([{ name: 'b', type: 1, ttl: 60, data: '192.0.2.1' }]);
    expect(a.get('dns.name_loop')).toBe(1);
    expect(m.malformed).toBe(true);
  });

  it('accepts a forward pointer (tcpdump dns_fwdptr)', () => {
    const m = decode(Buffer.concat([header(), hex`
      c012                // @12 → @18, ahead of us
      0001 0001           // @14 A IN
      03 666f6f 00        // @18 foo
    `]))!;
    expect(m.question).toEqual({ name: 'foo', type: 1, class: 1 });
    expect(m.malformed).toBe(false);
  });

  it('accepts exactly 255 octets and cuts at the label that passes them', () => {
    const label = (n: number, c: number) => Buffer.concat([Buffer.from([n]), Buffer.alloc(n, c)]);
    const ok = Buffer.concat([label(63, 0x61), label(63, 0x62), label(63, 0x63), label(61, 0x64), hex`00`]);
    expect(ok.length).toBe(255);
    const m = decode(Buffer.concat([header(), ok, hex`0001 0001`]))!;
    expect(m.question?.name.length).toBe(63 * 3 + 61 + 3);
    expect(m.malformed).toBe(false);

    const a = new Anomalies();
    const long = Buffer.concat([label(63, 0x61), label(63, 0x62), label(63, 0x63), label(63, 0x64), hex`00`]);
    const m2 = decode(Buffer.concat([header(), long, hex`001c 0001`]), a)!;
    expect(a.get('dns.bad_name')).toBe(1);
    expect(m2.question?.name).toBe(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}`);
    expect(m2.question?.type).toBe(28); // the name's end is known, so the question is complete
    expect(m2.malformed).toBe(true);
  });

  it('rejects the 0x40 and 0x80 label types', () => {
    for (const t of ['41', '80']) {
      const a = new Anomalies();
      const m = decode(Buffer.concat([header(), hex`03 666f6f ${t} 00 0001 0001`]), a)!;
      expect(a.get('dns.bad_name')).toBe(1);
      expect(m.malformed).toBe(true);
      expect(m.question).toBeUndefined();
    }
  });

  it('a pointer past the end is malformed, a name cut by the end is truncated', () => {
    const a = new Anomalies();
    expect(decode(Buffer.concat([header(), hex`c0ff 0001 0001`]), a)!.malformed).toBe(true);
    expect(a.get('dns.bad_name')).toBe(1);
    const cut = decode(Buffer.concat([header(), hex`07 6578616d`]))!;
    expect(cut).toMatchObject({ truncated: true, malformed: false, question: undefined });
  });

  it('prints the root as <Root> and keeps it apart from a label spelled <Root>', () => {
    expect(decode(Buffer.concat([header(), hex`00 0002 0001`]))!.question!.name).toBe('<Root>');
    const spelled = decode(Buffer.concat([header(), hex`06 3c526f6f743e 00 0002 0001`]))!.question!.name;
    expect(spelled).toBe('\\060Root>');
    expect(wiresharkNameText(spelled)).toBe('<Root>'); // as tshark prints it: ambiguous there
  });

  it('escapes dots, backslashes and non-printable bytes as RFC 1035 master-file text', () => {
    const m = decode(Buffer.concat([header(), hex`
      03 612e62          // a.b (a dot inside a label)
      02 5c41            // \A
      04 20 00 ff 7f     // space, NUL, 0xff, DEL
      00 0001 0001
    `]))!;
    expect(m.question!.name).toBe('a\\.b.\\\\A.\\032\\000\\255\\127');
  });

  it('turns that text back into what tshark shows', () => {
    expect(wiresharkNameText('a\\.b.\\\\A')).toBe('a.b.\\A');
    expect(wiresharkNameText('x\\009y\\010\\000\\127')).toBe('x\\ty\\n\\000\\177'); // C escapes, octal
    expect(wiresharkNameText('\\195\\169t\\195\\169')).toBe('été'); // UTF-8 passes through
    expect(wiresharkNameText('\\248\\128\\245\\001')).toBe('\ufffd\ufffd\\001'); // one U+FFFD per bad sequence
    expect(wiresharkNameText('\\192\\168')).toBe('('); // overlong forms are not rejected
    expect(wiresharkNameText('\\194\\144')).toBe('\\u0090'); // C1 control
  });
});

describe('records', () => {
  it('gives SOA its MNAME, other types no data', () => {
    const m = decode(hex`
      0001 8183 0001 0001 0000 0000          // NXDOMAIN
      01 78 07 6578616d706c65 00 000f 0001   // @12 x.example MX IN
      c00e 0006 0001 0000012c 001a           // example SOA, rdlength 26
      02 6e73 c00e                           //   mname ns.example
      00                                     //   rname <Root>
      00000001 00000e10 00000384 00093a80 0000012c
    `)!;
    expect(m.rcode).toBe(3);
    expect(m.answers).toEqual([{ name: 'example', type: 6, ttl: 300, data: 'ns.example' }]);
    const mx = decode(hex`
      0001 8180 0001 0001 0000 0000
      01 78 00 000f 0001                     // x MX IN
      c00c 000f 0001 0000012c 0005 000a 01 79 00
    `)!;
    expect(mx.answers).toEqual([{ name: 'x', type: 15, ttl: 300, data: undefined }]);
    expect(mx.malformed).toBe(false);
  });

  it('marks an A record of the wrong length malformed and keeps the answers before it', () => {
    const a = new Anomalies();
    const m = decode(hex`
      0001 8180 0001 0002 0000 0000
      01 78 00 0001 0001
      c00c 0001 0001 0000012c 0004 0a000001  // x A 10.0.0.1
      c00c 0001 0001 0000012c 0005 0a00000102 // x A with 5 octets
    `, a)!;
    expect(m.malformed).toBe(true);
    expect(m.answers.map((x) => x.data)).toEqual(['10.0.0.1']);
    expect(a.get('dns.bad_rdata')).toBe(1);
  });

  it('marks a CNAME whose name runs out of its RDATA malformed', () => {
    const m = decode(hex`
      0001 8180 0001 0001 0000 0000
      01 78 00 0001 0001
      c00c 0005 0001 0000012c 0002 01 79 00  // rdlength 2, but the name needs 3
    `)!;
    expect(m.malformed).toBe(true);
    expect(m.answers).toEqual([]);
  });

  // RFC 4074 §3: what broken authoritative servers send for AAAA. The rcode passes through.
  it.each([
    [1, 'FORMERR'], [2, 'SERVFAIL'], [3, 'NXDOMAIN (§3.2)'], [4, 'NOTIMP'], [5, 'REFUSED'], [0, 'NOERROR with no answer (§3.1)'],
  ])('RFC 4074: AAAA answered with rcode %i (%s)', (rcode) => {
    const m = decode(hex`beef 818${rcode.toString(16)} 0001 0000 0000 0000 04 686f7374 00 001c 0001`)!;
    expect(m).toMatchObject({ qr: true, rcode, ancount: 0, malformed: false, truncated: false });
    expect(m.question).toEqual({ name: 'host', type: 28, class: 1 });
  });
});

describe('looksLikeDns', () => {
  it('accepts real queries and responses', () => {
    expect(looksLikeDns(query)).toBe(true);
    expect(looksLikeDns(response)).toBe(true);
  });

  it('rejects short, non-query, multi-question and bad-class shapes', () => {
    expect(looksLikeDns(query.subarray(0, 16))).toBe(false);
    const notQuery = Buffer.from(query); notQuery[2] = 0x28; // opcode 5 (UPDATE)
    expect(looksLikeDns(notQuery)).toBe(false);
    const twoQ = Buffer.from(query); twoQ[5] = 2;
    expect(looksLikeDns(twoQ)).toBe(false);
    const badClass = Buffer.from(query); badClass[32] = 0x07; // class 7 (IN is 0001 @31)
    expect(looksLikeDns(badClass)).toBe(false);
    const manyRr = Buffer.from(query); manyRr[11] = 0x20; // 32 additionals cannot fit
    expect(looksLikeDns(manyRr)).toBe(false);
  });

  it('rejects random data', () => {
    const rnd = seeded(3);
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const b = Buffer.alloc(20 + Math.floor(rnd() * 500));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
      if (looksLikeDns(b)) accepted++;
    }
    expect(accepted).toBe(0);
  });
});

describe('name texts', () => {
  it('are the text of their own bytes whatever was read before: more names than the text cache holds, twice, differing in case only', () => {
    const a = new Anomalies();
    const names: string[] = [];
    for (let i = 0; i < 12_000; i++) names.push(`h${i.toString(36)}.Example.ORG`, `h${i.toString(36)}.example.org`, `x\\032${i}.example.org`);
    const wrong: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < names.length; i++) {
        const wire = names[i]!.replace('\\032', ' ');
        const got = decodeDns(dnsQuery(i & 0xffff, wire), 'udp', a)!.question!.name;
        if (got !== names[i]) wrong.push(`${names[i]} read as ${got}`);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('tell names apart by where their labels end, not only by their bytes (the cache keys on the wire form)', () => {
    const a = new Anomalies();
    // The same letters cut into labels differently, and a label holding a dot: each read twice, alternating.
    const withDot = Buffer.from(dnsQuery(3, 'xab.c'));
    withDot[13] = 0x2e; // the first label 'xab' becomes '.ab': text \.ab.c
    const cases: [Buffer, string][] = [[dnsQuery(1, 'ab.c'), 'ab.c'], [dnsQuery(2, 'a.bc'), 'a.bc'], [withDot, '\\.ab.c'], [dnsQuery(4, 'abc'), 'abc']];
    const got: string[] = [];
    for (let round = 0; round < 2; round++) for (const [b] of cases) got.push(decodeDns(b, 'udp', a)!.question!.name);
    expect(got).toEqual([...cases.map(([, t]) => t), ...cases.map(([, t]) => t)]);
  });
});
