/** The methods documented for a request's path (GET brings HEAD), or undefined: the difference between 405 and 404. */
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
