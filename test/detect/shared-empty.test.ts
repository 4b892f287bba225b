// The shared frozen empty lists detectors return when a record shows nothing: a caller that
// pushes onto one must fail the build (the @ts-expect-error lines fail `tsc -p tsconfig.test.json`
// if the type ever loses its readonly), and would throw at run time.
import { describe, expect, it } from 'vitest';
import { NO_FINDINGS } from '../../src/detect/detector.js';
import { createDnsDetectors } from '../../src/detect/index.js';
import type { DnsRecord } from '../../src/reconstruct/index.js';

describe('shared empty lists', () => {
  it('NO_FINDINGS is frozen and typed readonly', () => {
    expect(Object.isFrozen(NO_FINDINGS)).toBe(true);
    expect(NO_FINDINGS).toHaveLength(0);
    // @ts-expect-error: readonly — a push must not compile
    expect(() => NO_FINDINGS.push({} as never)).toThrow(TypeError);
  });

  it('what a detector returns for a record that shows nothing cannot be pushed onto', () => {
    const orphan: DnsRecord = {
      type: 'orphan', transport: 'udp', client: '2001:db8::1', clientPort: 40000, server: '2001:db8::53', serverPort: 53, id: 1,
      qname: 'example.com', qtype: 1, questionMismatch: false,
      reply: { frame: 1, time: 0, rcode: 0, ancount: 0, answersOfType: 0, data: [], aa: false, ra: true, tc: false, size: 40, ednsUdpSize: undefined, ipVersion: 6, fragmented: false, fragmentFrames: undefined, truncated: false, malformed: false },
    };
    let shared = 0;
    for (const d of createDnsDetectors()) {
      const found = d.observe(orphan);
      expect(found, d.name).toHaveLength(0);
      if (!Object.isFrozen(found)) continue;
      shared++;
      // @ts-expect-error: observe() returns a readonly list
      expect(() => found.push({} as never), d.name).toThrow(TypeError);
    }
    expect(shared).toBeGreaterThan(0);
  });
});
