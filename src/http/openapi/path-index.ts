/**
 * The methods documented for a request's path (GET brings HEAD), or undefined: the difference between 405 and 404.
 * As OpenAPI matches paths, the templates with the fewest parameters win: /events/batch is not /events/{id}.
 */
export function createPathIndex(paths: Record<string, object>) {
  const entries = Object.entries(paths).map(([template, operations]) => ({
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
    parameters: template.split('{').length - 1,
    methods: Object.keys(operations).map((m) => m.toUpperCase()),
  }));
  return function methodsAt(path: string): string[] | undefined {
    const matching = entries.filter(({ pattern }) => pattern.test(path));
    const fewest = Math.min(...matching.map((e) => e.parameters));
    const methods = new Set(matching.filter((e) => e.parameters === fewest).flatMap((e) => e.methods));
    if (methods.size === 0) return undefined;
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods];
  };
}
