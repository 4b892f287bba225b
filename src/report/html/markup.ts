// Markup for the report pages, written as text.
//
// The contract, stated once: markup is a value of type `Markup`, and only this file makes one.
// Every other value that goes into a page goes through here and is escaped for where it lands:
//   - a child (text): escapeText (html/escape.ts): & < > become &amp; &lt; &gt;, and U+00A0 &nbsp;;
//   - an attribute value, always double-quoted: escapeAttribute: & " ' < > and U+00A0.
// Element names come from a closed list and attribute names must match [a-z][a-z0-9-]* and are
// neither event handlers (on…) nor URLs (href, src, …), so data can never choose either; the one
// URL written, a link's href (relativeLink), must be a relative reference: no scheme, no host. There is
// no raw(): a capture string can only ever reach a page as escaped text or an escaped attribute value.
// The only other ways in carry the page's own constants, each checked so that its content cannot
// leave its element: the inline <style> and <script>, a JSON block (jsonForScript's \u escapes), and
// the CSP <meta> (its policy limited to the characters a policy is made of).
import { escapeAttribute, escapeText, jsonForScript } from './escape.js';

const TRUSTED: unique symbol = Symbol('dualscope markup');

/** Markup: made only in this file, so holding one means it was built by the rules above. */
export class Markup {
  readonly html: string;
  constructor(token: typeof TRUSTED, html: string) {
    if (token !== TRUSTED) throw new Error('dualscope: Markup is made only by src/report/html/markup.ts');
    this.html = html;
  }
  toString(): string {
    return this.html;
  }
}
const markup = (html: string): Markup => new Markup(TRUSTED, html);

const HTML_TAGS = [
  'html', 'head', 'body', 'meta', 'title', 'div', 'span', 'header', 'main', 'section', 'article', 'h1', 'h2', 'p',
  'dl', 'dt', 'dd', 'details', 'summary', 'table', 'tr', 'th', 'td', 'code', 'button', 'label', 'input', 'ul', 'li', 'a',
] as const;
const SVG_TAGS = ['svg', 'g', 'rect', 'text', 'path', 'line', 'title'] as const;
/** Elements this builder writes; <script> and <style> only through their own functions below. */
export type Tag = (typeof HTML_TAGS)[number] | (typeof SVG_TAGS)[number];
const TAGS = new Set<string>([...HTML_TAGS, ...SVG_TAGS]);
/** HTML void elements among the tags: no children, no end tag. */
const VOID = new Set<string>(['meta', 'input']);

/** Attributes that would run or fetch something: never written, whatever their value. */
const FORBIDDEN_ATTRIBUTE = /^on|^(href|src|srcset|action|formaction|poster|style)$/;
const ATTRIBUTE_NAME = /^[a-z][a-z0-9-]*$/;
const checkedNames = new Set<string>();
function checkAttributeName(name: string): string {
  if (checkedNames.has(name)) return name;
  if (!ATTRIBUTE_NAME.test(name) || FORBIDDEN_ATTRIBUTE.test(name)) throw new Error(`dualscope: attribute name ${JSON.stringify(name)} refused`);
  checkedNames.add(name);
  return name;
}
function checkTag(tag: string): string {
  if (!TAGS.has(tag)) throw new Error(`dualscope: element ${JSON.stringify(tag)} refused`);
  return tag;
}

/** An attribute's value: `true` writes it empty (`checked=""`), false, null and undefined leave it out. */
export type AttrValue = string | number | boolean | null | undefined;
export type Attrs = Readonly<Record<string, AttrValue>>;
/** Text (escaped), markup (as is), or nothing (false, null, undefined); arrays are flattened. */
export type Child = Markup | string | number | false | null | undefined | readonly Child[];

function startTag(tag: Tag, attrs: Attrs | null): string {
  let s = `<${checkTag(tag)}`;
  if (attrs !== null) {
    // Object key order is insertion order for names like these (none is an integer), so
    // attributes come out in the order written.
    for (const name in attrs) {
      const v = attrs[name];
      if (v === false || v === null || v === undefined) continue;
      s += ` ${checkAttributeName(name)}="${v === true ? '' : typeof v === 'number' ? String(v) : escapeAttribute(v)}"`;
    }
  }
  return `${s}>`;
}

function childText(c: Child): string {
  if (c instanceof Markup) return c.html;
  if (typeof c === 'string') return escapeText(c);
  if (typeof c === 'number') return String(c);
  if (c === false || c === null || c === undefined) return '';
  let s = '';
  for (const x of c) s += childText(x);
  return s;
}

/** An element with its attributes and children. */
export function el(tag: Tag, attrs: Attrs | null, ...children: Child[]): Markup {
  const start = startTag(tag, attrs);
  if (VOID.has(tag)) {
    if (children.length) throw new Error(`dualscope: <${tag}> has no children`);
    return markup(start);
  }
  let s = start;
  for (const c of children) s += childText(c);
  return markup(`${s}</${tag}>`);
}

/** What a relative reference (RFC 3986 §4.2) to a file beside the page is made of: no ':' so no scheme, no '\\'. */
const RELATIVE_REFERENCE = /^[A-Za-z0-9%._~!$&'()*+,;=@/?#-]*$/;

/**
 * A link to another file of the same set of pages (`href` a path with its segments percent-encoded,
 * and a fragment): data can choose neither a scheme (javascript:, data:) nor a host ('//').
 */
export function relativeLink(href: string, attrs: Attrs | null, ...children: Child[]): Markup {
  if (!RELATIVE_REFERENCE.test(href) || href.startsWith('//')) throw new Error(`dualscope: link ${JSON.stringify(href)} refused: not a relative reference`);
  // el() refuses href among the attributes, so it is put in front of the checked ones here.
  return markup(`<a href="${escapeAttribute(href)}"${el('a', attrs, ...children).html.slice('<a'.length)}`);
}

/** A start tag alone, for a page written in pieces; `end(tag)` closes it. */
export const start = (tag: Tag, attrs: Attrs | null = null): Markup => markup(startTag(tag, attrs));
export const end = (tag: Tag): Markup => markup(`</${checkTag(tag)}>`);

/** Children side by side, as one piece of markup. */
export const fragment = (...children: Child[]): Markup => markup(childText(children));

export const DOCTYPE: Markup = markup('<!DOCTYPE html>');

/** The page's inline stylesheet: a constant of the program, refused if it could close its element. */
export function inlineStyle(css: string): Markup {
  if (/<\/style/i.test(css)) throw new Error('dualscope: the stylesheet contains </style');
  return markup(`<style>${css}</style>`);
}

/** The page's one inline script: a constant of the program, refused if it could close its element. */
export function inlineScript(js: string): Markup {
  if (/<\/script|<!--/i.test(js)) throw new Error('dualscope: the script contains </script or <!--');
  return markup(`<script>${js}</script>`);
}

/** The CSP <meta>: a policy is directive names, keywords in quotes, hashes; nothing that could leave the attribute. */
export function cspMeta(policy: string): Markup {
  if (!/^[A-Za-z0-9 ;:'+/=_.*-]*$/.test(policy)) throw new Error('dualscope: the CSP holds a character a policy does not use');
  return markup(`<meta http-equiv="Content-Security-Policy" content="${policy}">`);
}

/**
 * A `<script type="application/json">` block (jsonForScript: no `<`, `>` or `&` in it), in pieces:
 * `levels` levels of objects and arrays opened, key by key and element by element (2: an object's
 * lists element by element), so no one string holds the whole block. Joined, the pieces are
 * exactly `jsonForScript(value)` in the block.
 */
export function* jsonScript(id: string, value: object, levels = 2): Generator<Markup> {
  yield markup(`<script type="application/json" id="${escapeAttribute(id)}">`);
  for (const piece of jsonPieces(value, levels)) yield markup(piece);
  yield markup('</script>');
}

/** jsonForScript(value) in pieces: `levels` levels of objects and arrays opened, what lies below whole. */
function* jsonPieces(value: unknown, levels: number): Generator<string, void, undefined> {
  // toJSON (a Date) decides its own form: written whole, as JSON.stringify would call it.
  if (levels === 0 || typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    yield jsonForScript(value);
    return;
  }
  if (Array.isArray(value)) {
    yield '[';
    // As JSON.stringify writes an array: what has no JSON form is null.
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      if (hasJson(value[i])) yield* jsonPieces(value[i], levels - 1);
      else yield 'null';
    }
    yield ']';
    return;
  }
  let sep = '{';
  for (const [key, v] of Object.entries(value)) {
    if (!hasJson(v)) continue; // as JSON.stringify leaves such a key out
    yield `${sep}${jsonForScript(key)}:`;
    yield* jsonPieces(v, levels - 1);
    sep = ',';
  }
  yield sep === '{' ? '{}' : '}';
}

/** JSON.stringify writes nothing for these. */
const hasJson = (v: unknown): boolean => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
