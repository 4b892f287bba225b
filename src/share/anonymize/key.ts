// The anonymisation key: one secret from which every mapping is derived, so the same key file
// gives the same mapping in every file (a client-side and a server-side capture still correlate).
//
// Key file format (text, UTF-8): lines starting with `#` are comments; the first other line is the
// secret, 64 hexadecimal digits (32 bytes). `dualscope anonymize --key-file F` creates F with
// permissions 0600 when it does not exist, and reads it otherwise.
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { UsageError } from '../../core/index.js';

const SECRET_BYTES = 32;

export interface AnonymizeKeys {
  /** Crypto-PAn key material: AES-128 key, then the pad seed. */
  readonly addresses: Buffer;
  /** HMAC key for DNS labels. */
  readonly names: Buffer;
  /** HMAC key for MAC addresses. */
  readonly macs: Buffer;
}

/** The sub-keys of a secret: separate keys per use, so no mapping reveals another's. */
export function deriveKeys(secret: Buffer): AnonymizeKeys {
  const sub = (use: string): Buffer => createHmac('sha256', secret).update(`dualscope anonymize v1: ${use}`).digest();
  return { addresses: sub('addresses'), names: sub('dns labels'), macs: sub('mac addresses') };
}

export function newSecret(): Buffer {
  return randomBytes(SECRET_BYTES);
}

/** Parses a key file's text; a one-line UsageError when it is not one. */
export function parseKeyFile(text: string, path: string): Buffer {
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (line === undefined || !/^[0-9a-fA-F]{64}$/.test(line)) {
    throw new UsageError(`${path} is not a dualscope key file (expected a line of 64 hexadecimal digits)`);
  }
  return Buffer.from(line, 'hex');
}

export function keyFileText(secret: Buffer): string {
  return [
    '# dualscope anonymize key: keep it secret. The same key gives the same mapping of addresses,',
    '# MAC addresses and DNS names in every capture it anonymises; with it the mapping can be undone.',
    secret.toString('hex'),
    '',
  ].join('\n');
}

/** Reads the key file, or creates it (0600, never overwriting one that appears meanwhile). */
export function loadOrCreateKey(path: string): { secret: Buffer; created: boolean } {
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new UsageError(`--key-file ${path} is a folder`);
    return { secret: parseKeyFile(readFileSync(path, 'utf8'), path), created: false };
  }
  const secret = newSecret();
  // 'wx': fails if the file exists, so a key made by another run at the same moment is never lost.
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, keyFileText(secret));
  } finally {
    closeSync(fd);
  }
  return { secret, created: true };
}
