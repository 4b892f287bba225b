import { describe, expect, it } from 'vitest';
import type { DnsMessage } from '../../../src/decode/index.js';
import { NameMap } from '../../../src/reconstruct/path/names.js';

const T0 = 1_700_000_000_000_000;

function response(qname: string, answers: { name: string; type: number; data: string }[]): DnsMessage {
  return {
    transport: 'udp', id: 1, qr: true, opcode: 0, aa: false, tc: false, rd: true, ra: true, rcode: 0,
    qdcount: 1, ancount: answers.length, nscount: 0, arcount: 0,
    question: { name: qname, type: 1, class: 1 },
    answers: answers.map((a) => ({ ...a, ttl: 60 })),
    edns: undefined, size: 100, malformed: false, truncated: false,
  };
}

describe('NameMap', () => {
  it('keeps the names an address answered for, newest first, each once, at most 8', () => {
    const names = new NameMap(100, 3_600_000_000);
    for (let i = 0; i < 12; i++) names.response(response(`host${i % 10}.example`, [{ name: `host${i % 10}.example`, type: 1, data: '192.0.2.80' }]), '192.0.2.16', i + 1, T0 + i);
    expect(names.lookup('192.0.2.80', T0 + 20)?.names).toEqual(['host1.example', 'host0.example', 'host9.example', 'host8.example', 'host7.example', 'host6.example', 'host5.example', 'host4.example']);
  });

  it('hands out lists that later answers leave as they were, one list until the names change', () => {
    const names = new NameMap(100, 3_600_000_000);
    const answer = (q: string, owner: string, i: number): void => names.response(response(q, [{ name: owner, type: 1, data: '192.0.2.80' }]), '192.0.2.16', i, T0 + i);
    answer('a.example', 'a.example', 1);
    answer('b.example', 'cdn.example', 2);
    const first = names.lookup('192.0.2.80', T0 + 2)!.names;
    expect(first).toEqual(['b.example', 'cdn.example', 'a.example']);
    answer('b.example', 'cdn.example', 3); // the same names: the same list
    expect(names.lookup('192.0.2.80', T0 + 3)!.names).toBe(first);
    answer('b.example', 'a.example', 4); // the same first name and length, a new order
    const second = names.lookup('192.0.2.80', T0 + 4)!.names;
    expect(second).toEqual(['b.example', 'a.example', 'cdn.example']);
    for (let i = 0; i < 10; i++) answer(`h${i}.example`, `h${i}.example`, 5 + i);
    expect(first).toEqual(['b.example', 'cdn.example', 'a.example']);
    expect(second).toEqual(['b.example', 'a.example', 'cdn.example']);
    expect(names.lookup('192.0.2.80', T0 + 20)!.names).toEqual(['h9.example', 'h8.example', 'h7.example', 'h6.example', 'h5.example', 'h4.example', 'h3.example', 'h2.example']);
  });

  it('puts the name asked for before the CNAME target, lower case without the trailing dot', () => {
    const names = new NameMap(100, 3_600_000_000);
    names.response(response('WWW.Example.', [{ name: 'cdn.example.net', type: 28, data: '2001:db8::80' }]), '2001:db8::16', 1, T0);
    expect(names.lookup('2001:db8::80', T0)).toMatchObject({ names: ['www.example', 'cdn.example.net'], frame: 1, time: T0, asker: '2001:db8::16' });
    names.response(response('www.example', [{ name: 'cdn.example.net', type: 28, data: '2001:db8::80' }]), '2001:db8::16', 2, T0 + 5);
    expect(names.lookup('2001:db8::80', T0 + 5)?.names).toEqual(['www.example', 'cdn.example.net']);
  });
});
