// Who may talk to the server. With a token: `Authorization: Bearer TOKEN`, or the cookie the login
// page sets (an HMAC of the token, so the cookie never holds the token itself); both compared in
// constant time. Always: on a loopback address the Host header must name loopback (a DNS
// rebinding page cannot reach the API through its own name), and a browser's cross-site POST or
// DELETE is refused by its Origin header.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export const COOKIE_NAME = 'dualscope_session';
/** Tokens shorter than this are refused at start: they could be guessed. */
export const MIN_TOKEN_LENGTH = 16;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Same length inputs (two digests), so the comparison time says nothing about the secret. */
const sameSecret = (candidate: string, secret: Buffer): boolean => timingSafeEqual(digest(candidate), secret);

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

export class Auth {
  readonly #token: Buffer | undefined;
  readonly #session: string | undefined;
  readonly #sessionDigest: Buffer | undefined;

  constructor(
    token: string | undefined,
    private readonly boundHost: string,
  ) {
    if (token !== undefined) {
      this.#token = digest(token);
      this.#session = createHmac('sha256', token).update('dualscope login cookie v1').digest('base64url');
      this.#sessionDigest = digest(this.#session);
    }
  }

  get required(): boolean {
    return this.#token !== undefined;
  }

  /** The request carries the token or the login cookie (always true without a token). */
  allows(req: IncomingMessage): boolean {
    if (this.#token === undefined) return true;
    const h = req.headers.authorization;
    if (h !== undefined && h.slice(0, 7).toLowerCase() === 'bearer ') return sameSecret(h.slice(7).trim(), this.#token);
    const cookie = readCookie(req.headers.cookie, COOKIE_NAME);
    return cookie !== undefined && sameSecret(cookie, this.#sessionDigest!);
  }

  /** A token typed into the login page. */
  checkToken(candidate: string): boolean {
    return this.#token !== undefined && sameSecret(candidate.trim(), this.#token);
  }

  /** Set-Cookie for a successful login: not readable by scripts, not sent cross-site. */
  loginCookie(): string {
    return `${COOKIE_NAME}=${this.#session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000`;
  }

  /** Why this request's Host or Origin is refused, or undefined when it is fine. */
  refuseOrigin(req: IncomingMessage): string | undefined {
    const host = req.headers.host;
    if (host === undefined) return 'the request has no Host header';
    if (isLoopbackHost(this.boundHost)) {
      const name = hostName(host);
      if (!isLoopbackHost(name)) return `Host ${JSON.stringify(host.slice(0, 100))} is not this loopback server`;
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) return 'cross-origin request refused';
      if (req.headers['sec-fetch-site'] === 'cross-site') return 'cross-site request refused';
    }
    return undefined;
  }
}

/** `example.org:8080` → `example.org`; `[::1]:8080` → `[::1]`. */
function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
