import { describe, expect, it } from 'vitest';
import { ListenError } from '../../src/http/server.ts';
import { startTestService } from '../support/service.ts';

// The service as a library: listen() gives it one HTTP server, and close() closes that one.

const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

describe('listen()', () => {
  it('refuses a second call and a call after close(): a server close() does not know of would keep the process alive', async () => {
    const before = servers();
    const t = await startTestService({ PORT: '0', HOST: '127.0.0.1' });
    await t.service.listen();
    await expect(t.service.listen()).rejects.toThrow(ListenError);
    await t.close();
    await expect(t.service.listen()).rejects.toThrow(/the service is closed/);
    expect(servers()).toBe(before);
  });

  it('called and then closed at once: listen() settles, and close() closes the server it started', async () => {
    const before = servers();
    const t = await startTestService({ PORT: '0', HOST: '127.0.0.1' });
    const listening = t.service.listen();
    const closed = t.close();
    await expect(listening).rejects.toThrow(/closed while it started listening/);
    await closed;
    expect(servers()).toBe(before);
  });
});
