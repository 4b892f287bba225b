// Counting the functions made from source text at run time (`new Function(...)`), as zod's compiled
// fast path makes one per object schema the first time it parses with it.

/** The bodies of the functions `run` made with the Function constructor, in order. */
export function functionsCompiledBy(run: () => void): string[] {
  const compiled: string[] = [];
  const original = globalThis.Function;
  globalThis.Function = new Proxy(original, {
    construct(target, args: string[]) {
      compiled.push(args.at(-1) ?? '');
      return Reflect.construct(target, args) as object;
    },
  });
  try {
    run();
  } finally {
    globalThis.Function = original;
  }
  return compiled;
}
