/**
 * Which methods the document gives the path a request falls on (GET brings HEAD), or undefined
 * when no documented path matches: the difference between a 405 and a 404.
 */
export function createPathIndex(paths: Record<string, object>) {
  const entries = Object.entries(paths).map(([template, operations]) => ({
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
    methods: Object.keys(operations).map((m) => m.toUpperCase()),
  }));
  return function methodsAt(path: string): string[] | undefined {
    const methods = new Set<string>();
    for (const { pattern, methods: these } of entries) if (pattern.test(path)) for (const m of these) methods.add(m);
    if (methods.size === 0) return undefined;
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods];
  };
}
