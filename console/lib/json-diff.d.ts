// Types of json-diff.js for the server-side TypeScript (its unit test); the browser code is
// checked from its JSDoc by tsconfig.console.json.
export interface JsonChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}
export function diffJson(before: unknown, after: unknown, path?: string): JsonChange[];
