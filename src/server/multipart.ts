// A streaming multipart/form-data reader (RFC 7578 on RFC 2046 §5.1.1), push-based like the
// capture parser: request chunks of any size go in, part bodies come out as views of those chunks.
// Only a delimiter that may straddle two chunks is carried over (at most delimiter-length bytes),
// so a 2 GB part never sits in memory. Part headers are bounded; the reader throws MultipartError
// (→ 400) on anything it cannot frame.

/** One part's headers, as far as an upload needs them. */
export interface PartHeaders {
  /** Content-Disposition's name parameter (the form field). */
  readonly name: string;
  /** Content-Disposition's filename parameter, when the part is a file. */
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
}

export interface PartHandler {
  begin(headers: PartHeaders): void;
  data(chunk: Buffer): void;
  end(): void;
}

export interface MultipartLimits {
  /** Bytes of one part's header block. */
  maxHeaderBytes: number;
  /** Parts in one body. */
  maxParts: number;
}

export const DEFAULT_MULTIPART_LIMITS: MultipartLimits = { maxHeaderBytes: 8192, maxParts: 16 };

export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

const enum State { Preamble, AfterDelimiter, Headers, Body, Done }

/** The boundary parameter of a multipart/form-data Content-Type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const [type, ...params] = contentType.split(';');
  if (type!.trim().toLowerCase() !== 'multipart/form-data') return undefined;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    // RFC 2046 §5.1.1: 1 to 70 characters.
    if (v.length >= 1 && v.length <= 70) return v;
  }
  return undefined;
}

export class MultipartReader {
  /** `\r\n--boundary`: what ends a part body (and, without the CRLF, what opens the first part). */
  readonly #delimiter: Buffer;
  readonly #limits: MultipartLimits;
  #state = State.Preamble;
  #carry: Buffer = Buffer.alloc(0);
  #parts = 0;

  constructor(
    boundary: string,
    private readonly handler: PartHandler,
    limits: Partial<MultipartLimits> = {},
  ) {
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.#limits = { ...DEFAULT_MULTIPART_LIMITS, ...limits };
    // The body may open with the delimiter itself (no preamble): pretend a CRLF came before it.
    this.#carry = Buffer.from(CRLF);
  }

  get done(): boolean {
    return this.#state === State.Done;
  }

  push(chunk: Buffer): void {
    let buf = this.#carry.length > 0 ? Buffer.concat([this.#carry, chunk]) : chunk;
    this.#carry = Buffer.alloc(0);
    for (;;) {
      switch (this.#state) {
        case State.Preamble: {
          const at = buf.indexOf(this.#delimiter);
          if (at < 0) {
            this.#keepTail(buf, this.#delimiter.length - 1);
            return;
          }
          buf = buf.subarray(at + this.#delimiter.length);
          this.#state = State.AfterDelimiter;
          break;
        }
        case State.AfterDelimiter: {
          // `--` closes the body; otherwise optional transport padding, then CRLF.
          if (buf.length < 2) return this.#keep(buf);
          if (buf[0] === 0x2d && buf[1] === 0x2d) {
            this.#state = State.Done;
            return;
          }
          const eol = buf.indexOf(CRLF);
          if (eol < 0) {
            if (buf.length > 256) throw new MultipartError('malformed multipart body: no line end after a boundary');
            return this.#keep(buf);
          }
          for (let i = 0; i < eol; i++) if (buf[i] !== 0x20 && buf[i] !== 0x09) throw new MultipartError('malformed multipart body: text after a boundary');
          buf = buf.subarray(eol + 2);
          this.#state = State.Headers;
          break;
        }
        case State.Headers: {
          // A part with no headers at all starts straight with CRLF.
          const end = buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a ? -2 : buf.indexOf(HEADER_END);
          if (end === -1) {
            if (buf.length > this.#limits.maxHeaderBytes) throw new MultipartError(`multipart part headers exceed ${this.#limits.maxHeaderBytes} bytes`);
            return this.#keep(buf);
          }
          const headerEnd = end === -2 ? 0 : end;
          if (headerEnd > this.#limits.maxHeaderBytes) throw new MultipartError(`multipart part headers exceed ${this.#limits.maxHeaderBytes} bytes`);
          if (++this.#parts > this.#limits.maxParts) throw new MultipartError(`more than ${this.#limits.maxParts} multipart parts`);
          this.handler.begin(parsePartHeaders(buf.toString('utf8', 0, headerEnd)));
          buf = buf.subarray(end === -2 ? 2 : end + HEADER_END.length);
          this.#state = State.Body;
          break;
        }
        case State.Body: {
          const at = buf.indexOf(this.#delimiter);
          if (at < 0) {
            // Everything but a tail that could be the start of the delimiter is body.
            const safe = Math.max(0, buf.length - (this.#delimiter.length - 1));
            if (safe > 0) this.handler.data(buf.subarray(0, safe));
            this.#keepTail(buf, buf.length - safe);
            return;
          }
          if (at > 0) this.handler.data(buf.subarray(0, at));
          this.handler.end();
          buf = buf.subarray(at + this.#delimiter.length);
          this.#state = State.AfterDelimiter;
          break;
        }
        case State.Done:
          return; // the epilogue is ignored (RFC 2046 §5.1.1)
      }
    }
  }

  /** The request body is over: it must have closed with `--boundary--`. */
  end(): void {
    if (this.#state !== State.Done) throw new MultipartError('the multipart body ends before its closing boundary (upload cut off?)');
  }

  #keep(buf: Buffer): void {
    this.#carry = Buffer.from(buf); // a copy: the request chunk it views is not ours to hold
  }

  #keepTail(buf: Buffer, n: number): void {
    const keep = Math.min(n, buf.length);
    this.#carry = keep > 0 ? Buffer.from(buf.subarray(buf.length - keep)) : Buffer.alloc(0);
  }
}

function parsePartHeaders(block: string): PartHeaders {
  let name: string | undefined;
  let filename: string | undefined;
  let contentType: string | undefined;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-type') contentType = value;
    if (key !== 'content-disposition') continue;
    const params = dispositionParams(value);
    name = params.get('name');
    filename = params.get('filename*') ?? params.get('filename');
  }
  if (name === undefined) throw new MultipartError('a multipart part without a Content-Disposition name');
  return { name, filename, contentType };
}

/** `form-data; name="capture"; filename="a.pcap"` → name, filename (quoted strings taken as browsers write them). */
function dispositionParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = value.indexOf(';');
  while (i >= 0 && i < value.length) {
    i++;
    while (value[i] === ' ' || value[i] === '\t') i++;
    const eq = value.indexOf('=', i);
    if (eq < 0) break;
    const key = value.slice(i, eq).trim().toLowerCase();
    let v = '';
    let j = eq + 1;
    if (value[j] === '"') {
      j++;
      // Browsers send a backslash as it is (a Windows path) and a quote as %22, so no unescaping.
      const close = value.indexOf('"', j);
      v = value.slice(j, close < 0 ? value.length : close);
      j = close < 0 ? value.length : close;
      j++;
    } else {
      const semi = value.indexOf(';', j);
      v = value.slice(j, semi < 0 ? value.length : semi).trim();
      j = semi < 0 ? value.length : semi;
    }
    if (key === 'filename*') v = decodeExtValue(v);
    out.set(key, v);
    i = value.indexOf(';', j);
  }
  return out;
}

/** RFC 8187 ext-value: `UTF-8''a%20b.pcap`. */
function decodeExtValue(v: string): string {
  const q = v.indexOf("''");
  const raw = q >= 0 ? v.slice(q + 2) : v;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
