// DNS names compared as the protocol does (RFC 4343: without case) and as written (a trailing dot
// names the root, nothing more).

/**
 * `name.toLowerCase().replace(/\.$/, '')`, without the two copies when there is nothing to change:
 * most names in a capture are already in lower case, and this runs per answer and per lookup.
 * Any non-ASCII character goes to toLowerCase(), which decides.
 */
export function normalName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || c >= 0x80) return name.toLowerCase().replace(/\.$/, '');
  }
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
