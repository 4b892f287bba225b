// An unexpected error (exit 3) is reported in one line; the stack only with DUALSCOPE_DEBUG=1.
import { z } from 'zod';

/**
 * The gist of an unexpected error in one line: a zod error's first issue (its message is a
 * many-line JSON dump), else the first non-blank line of the message, cut at 200 characters.
 */
export function firstLine(e: unknown): string {
  if (e instanceof z.ZodError) {
    const issue = e.issues[0];
    if (issue) {
      const where = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
      const more = e.issues.length > 1 ? ` (+${e.issues.length - 1} more)` : '';
      return oneLine(`${where}${issue.message}${more}`);
    }
  }
  const msg = e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
  return oneLine(msg.split('\n').find((l) => l.trim() !== '') ?? (e instanceof Error ? e.name : 'unknown error'));
}

const oneLine = (s: string): string => {
  const t = s.replace(/[\r\n\t]+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 199)}…` : t;
};
