// Vitest fixtures over the harness (kept apart so that benchmarks can use the harness).
import type { Socket } from 'node:dgram';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, udpSocket, type TestServer } from './harness.ts';

export interface TestContext {
  server: TestServer;
  /** A loopback UDP socket playing the SBC. */
  sender: Socket;
}

/** Starts a test server and an RTP sender before a file's tests and closes both after. */
export function useTestServer(env: Record<string, string> = {}): TestContext {
  const context = {} as TestContext;
  beforeAll(async () => {
    context.server = await startTestServer(env);
    context.sender = await udpSocket();
  });
  afterAll(async () => {
    context.sender?.close();
    await context.server?.close();
  });
  return context;
}
