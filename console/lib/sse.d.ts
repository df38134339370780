// Types of sse.js for its unit test (the browser code is checked from its JSDoc).
export function createSseParser(): { push(chunk: string): { id: string | null; data: string }[] };
export function readSse(res: Response, onMessage: (message: { id: string | null; data: string }) => void): Promise<void>;
