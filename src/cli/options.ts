// CLI option schemas: commander parses, zod validates, and a wrong value gets one clear line.
import { z } from 'zod';
import { UsageError } from '../core/index.js';
import { SEVERITIES } from '../detect/index.js';

const seconds = (name: string) =>
  z.coerce.number({ error: `${name} must be a number of seconds` }).positive(`${name} must be above 0`).max(3600, `${name} must be at most 3600 s`);

export const AnalyzeCliOptions = z.object({
  json: z.string().min(1).optional(),
  html: z.string().min(1).optional(),
  annotate: z.string().min(1).optional(),
  out: z.string().min(1).default('reports'),
  force: z.boolean().default(false),
  failOn: z.enum(SEVERITIES, { error: `--fail-on must be one of ${SEVERITIES.join(', ')}` }).optional(),
  dnsTimeout: seconds('--dns-timeout').optional(),
  slowLookup: seconds('--slow-lookup').optional(),
  quiet: z.boolean().default(false),
  all: z.boolean().default(false),
  verbose: z.boolean().default(false),
  color: z.boolean().default(true),
  strict: z.boolean().default(false),
  write: z.boolean().default(true),
  generatedAt: z.iso.datetime({ error: '--generated-at must be an ISO 8601 UTC time such as 2026-01-01T00:00:00Z' }).optional(),
  jobs: z.coerce.number().int('--jobs must be a whole number').min(1, '--jobs must be at least 1').max(256, '--jobs must be at most 256').optional(),
  pieceContext: seconds('--piece-context').optional(),
});
export type AnalyzeCliOptions = z.infer<typeof AnalyzeCliOptions>;

export const CorrelateCliOptions = AnalyzeCliOptions.extend({
  label: z.array(z.string()).default([]),
  maxClockOffset: seconds('--max-clock-offset').optional(),
});
export type CorrelateCliOptions = z.infer<typeof CorrelateCliOptions>;

export const DumpCliOptions = z.object({
  ndjson: z.boolean().default(false),
  count: z.coerce.number().int('--count must be a whole number').positive('--count must be above 0').optional(),
});
export type DumpCliOptions = z.infer<typeof DumpCliOptions>;

/**
 * zod's first issue as one line naming the option. Parsed without zod's compiled fast path: options
 * are parsed once per process, and compiling the schema's parser costs more than it saves.
 */
export function parseOptions<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const r = schema.safeParse(raw, { jitless: true });
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const key = issue.path.map(String).join('.');
  const flag = key ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : 'options';
  throw new UsageError(issue.message.startsWith('--') ? issue.message : `${flag}: ${issue.message}`);
}
