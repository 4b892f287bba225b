// Errors with stable codes (as undici does): the CLI prints `file: message` and never a stack.

export const CAPTURE_ERROR_CODES = [
  'empty_file',
  'not_a_file',
  'unreadable',
  'bad_magic',
  'unsupported_version',
  'bad_block_length',
  'bad_header',
  'gzip_corrupt',
] as const;
export type CaptureErrorCode = (typeof CAPTURE_ERROR_CODES)[number];

/** The whole input is unusable (nothing could be read from it). Thrown by readers only. */
export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
  constructor(
    readonly source: string,
    readonly code: CaptureErrorCode,
    readonly detail: string,
  ) {
    super(`${source}: ${detail}`);
  }
}

/** A usage problem (bad option value, output exists): one line, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
