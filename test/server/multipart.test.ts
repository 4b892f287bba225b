// The streaming multipart reader: every split point, one byte at a time, delimiter look-alikes in
// the data, and the limits.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MultipartError, MultipartReader, multipartBoundary, type PartHeaders } from '../../src/server/multipart.js';
import { multipartBody, sample } from './support/client.js';

interface Part {
  headers: PartHeaders;
  data: Buffer;
}

function read(boundary: string, chunks: Buffer[], limits = {}): Part[] {
  const parts: Part[] = [];
  let current: Buffer[] = [];
  const r = new MultipartReader(
    boundary,
    {
      begin: (headers) => {
        current = [];
        parts.push({ headers, data: Buffer.alloc(0) });
      },
      data: (c) => current.push(Buffer.from(c)),
      end: () => {
        parts[parts.length - 1]!.data = Buffer.concat(current);
      },
    },
    limits,
  );
  for (const c of chunks) r.push(c);
  r.end();
  return parts;
}

const B = 'AaB03x';
const capture = readFileSync(sample('same-port-drop-aaaa-client.pcap'));
// Data that nearly contains the delimiter, twice, and ends with CR LF - -.
const tricky = Buffer.concat([Buffer.from(`\r\n--${B.slice(0, 5)}\r\n-${B}\r--${B}`), capture.subarray(0, 300), Buffer.from('\r\n--')]);
const body = multipartBody(B, [
  { name: 'capture', filename: 'a.pcap', type: 'application/octet-stream', data: capture },
  { name: 'tricky', data: tricky },
]);

describe('MultipartReader', () => {
  it('reads the parts whole, with their headers', () => {
    const parts = read(B, [body]);
    expect(parts.map((p) => [p.headers.name, p.headers.filename, p.headers.contentType])).toEqual([
      ['capture', 'a.pcap', 'application/octet-stream'],
      ['tricky', undefined, undefined],
    ]);
    expect(parts[0]!.data.equals(capture)).toBe(true);
    expect(parts[1]!.data.equals(tricky)).toBe(true);
  });

  it('gives the same parts for every split into two chunks', () => {
    for (let n = 0; n <= body.length; n++) {
      const parts = read(B, [body.subarray(0, n), body.subarray(n)]);
      expect(parts[0]!.data.equals(capture), `split at ${n}`).toBe(true);
      expect(parts[1]!.data.equals(tricky), `split at ${n}`).toBe(true);
    }
  });

  it('gives the same parts one byte at a time', () => {
    const chunks = [...body].map((b) => Buffer.from([b]));
    const parts = read(B, chunks);
    expect(parts[0]!.data.equals(capture)).toBe(true);
    expect(parts[1]!.data.equals(tricky)).toBe(true);
  });

  it('takes filename* (RFC 8187) over filename, and keeps a Windows path as sent', () => {
    const raw = Buffer.from(
      `--${B}\r\nContent-Disposition: form-data; name="capture"; filename="C:\\x\\fallback.pcap"; filename*=UTF-8''caf%C3%A9.pcap\r\n\r\nabc\r\n--${B}--`,
    );
    expect(read(B, [raw])[0]!.headers.filename).toBe('café.pcap');
    const win = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="capture"; filename="C:\\x\\y.pcap"\r\n\r\nabc\r\n--${B}--`);
    expect(read(B, [win])[0]!.headers.filename).toBe('C:\\x\\y.pcap');
  });

  it('refuses a body cut before its closing boundary, huge part headers, too many parts, and parts without a name', () => {
    expect(() => read(B, [body.subarray(0, body.length - 10)])).toThrow(MultipartError);
    const bigHeader = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\nX-Junk: ${'j'.repeat(10_000)}\r\n\r\nx\r\n--${B}--`);
    expect(() => read(B, [bigHeader])).toThrow(/headers exceed/);
    const many = multipartBody(B, Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, data: 'x' })));
    expect(() => read(B, [many], { maxParts: 4 })).toThrow(/more than 4/);
    expect(() => read(B, [Buffer.from(`--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${B}--`)])).toThrow(/without a Content-Disposition name/);
  });

  it('finds the boundary in the Content-Type', () => {
    expect(multipartBoundary('multipart/form-data; boundary=----abc')).toBe('----abc');
    expect(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b"')).toBe('a b');
    expect(multipartBoundary('multipart/form-data')).toBeUndefined();
    expect(multipartBoundary('multipart/mixed; boundary=x')).toBeUndefined();
    expect(multipartBoundary(`multipart/form-data; boundary=${'x'.repeat(71)}`)).toBeUndefined();
    expect(multipartBoundary(undefined)).toBeUndefined();
  });
});
