// What `dualscope batch PATH…` reads: files, folders (recursive), globs and @lists, expanded to
// a sorted list of capture files. In a folder, only names that look like captures count (.pcap,
// .pcapng, .cap, .dmp, each optionally .gz, and tcpdump -C's numbered `NAME.pcapN`); a file named
// on its own, in a list or matched by a glob is taken whatever its name, and the reader decides.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { UsageError } from '../core/index.js';

const CAPTURE_NAME = /\.(pcap|pcapng|cap|dmp)\d*(\.gz)?$/i;
export const looksLikeCapture = (name: string): boolean => CAPTURE_NAME.test(name);

const GLOB_CHARS = /[*?[]/;

export interface ExpandedInputs {
  /** Absolute paths, sorted, each once. */
  files: string[];
  /** Folders named (directly or as a glob's fixed part): what --watch keeps looking at. */
  folders: string[];
  /** Inputs that matched nothing (a missing file, an empty glob): one line each for the user. */
  missing: string[];
}

/** Expands the command line's PATHs. A missing @list is a UsageError; a missing capture is reported in `missing`. */
export function expandInputs(inputs: readonly string[]): ExpandedInputs {
  const files = new Set<string>();
  const folders = new Set<string>();
  const missing: string[] = [];
  const visit = (input: string, base: string): void => {
    if (input.startsWith('@')) {
      const list = resolve(base, input.slice(1));
      let text: string;
      try {
        text = readFileSync(list, 'utf8');
      } catch {
        throw new UsageError(`cannot read the list ${input.slice(1)}`);
      }
      for (const line of text.split(/\r?\n/)) {
        const entry = line.trim();
        if (entry === '' || entry.startsWith('#')) continue;
        if (entry.startsWith('@')) throw new UsageError(`${input.slice(1)}: a list may not name another list (${entry})`);
        visit(entry, dirname(list));
      }
      return;
    }
    const abs = resolve(base, input);
    if (GLOB_CHARS.test(input)) {
      const found = expandGlob(abs);
      if (found.files.length === 0) missing.push(input);
      for (const f of found.files) files.add(f);
      folders.add(found.root);
      return;
    }
    let st;
    try {
      st = statSync(abs);
    } catch {
      missing.push(input);
      return;
    }
    if (st.isDirectory()) {
      folders.add(abs);
      for (const f of walk(abs)) if (looksLikeCapture(f)) files.add(f);
    } else {
      files.add(abs);
    }
  };
  for (const input of inputs) visit(input, process.cwd());
  return { files: [...files].sort(), folders: [...folders].sort(), missing };
}

/** Every regular file under `dir`, depth first; unreadable folders are skipped, symlinked folders not followed. */
export function walk(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) out.push(p);
      else if (e.isSymbolicLink()) {
        try {
          if (statSync(p).isFile()) out.push(p);
        } catch {
          // a dangling link: nothing to read
        }
      }
    }
  }
  return out;
}

/**
 * `*` (within a name), `?`, `[…]` and `**` (any folders) in an absolute pattern. Walks only from
 * the pattern's fixed leading folders.
 */
export function expandGlob(absPattern: string): { root: string; files: string[] } {
  if (!isAbsolute(absPattern)) throw new Error('expandGlob takes an absolute pattern');
  const parts = absPattern.split(sep);
  let fixed = 0;
  while (fixed < parts.length - 1 && !GLOB_CHARS.test(parts[fixed]!)) fixed++;
  const root = parts.slice(0, fixed).join(sep) || sep;
  const re = new RegExp(`^${globToRegex(absPattern)}$`);
  const files = walk(root).filter((f) => re.test(f));
  return { root, files };
}

function globToRegex(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches zero or more folders
        if (pattern[i + 2] === sep) {
          out += `(?:[^${sep}]*${sep})*`;
          i += 2;
        } else {
          out += '.*';
          i++;
        }
      } else out += `[^${sep}]*`;
    } else if (c === '?') out += `[^${sep}]`;
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else out += /[.+^${}()|\\]/.test(c) ? `\\${c}` : c;
  }
  return out;
}
