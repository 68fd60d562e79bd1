/**
 * The live inspector bridge: context redaction as a pure function, and a real
 * bridge on a loopback port read by a bare WebSocket client (node 20 has no
 * WebSocket global, and adding a client library for one test is not worth it).
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { createLiveInspector, redactContext } from '../src/stately/index.js';

describe('redactContext', () => {
  const history = [
    { role: 'user', content: 'my secret prompt' },
    { role: 'assistant', content: 'an answer' },
  ];
  const context = {
    id: 'a',
    history,
    result: 'x'.repeat(340),
    metrics: { tokens: 1, tasksCompleted: 2 },
    turns: 3,
    error: null,
  };

  it('replaces exactly the listed keys with a size marker', () => {
    const redacted = redactContext(context, ['history', 'result', 'metrics', 'turns']);
    expect(redacted).toEqual({
      id: 'a',
      history: '[redacted: 2 items]',
      result: '[redacted: string 340 chars]',
      metrics: '[redacted: object 2 keys]',
      turns: '[redacted: number]',
      error: null,
    });
  });

  it('leaves other keys untouched, the input unchanged and absent or empty keys alone', () => {
    const redacted = redactContext(context, ['history', 'error', 'missing']);
    expect(redacted.metrics).toBe(context.metrics);
    expect(redacted.error).toBeNull();
    expect('missing' in redacted).toBe(false);
    expect(context.history).toBe(history);
    expect(redactContext({ history: ['one'] }, ['history'])).toEqual({
      history: '[redacted: 1 item]',
    });
  });

  it('passes a missing context through (callback actors have none)', () => {
    const none = undefined as unknown as Record<string, unknown>;
    expect(redactContext(none, ['history'])).toBeUndefined();
  });
});

describe('createLiveInspector', () => {
  it('serves the bridge, relays redacted events and frees the port on stop', async () => {
    const port = await freePort();
    const live = await createLiveInspector({
      port,
      autoOpen: false,
      redactContextKeys: ['history', 'result'],
      maxDeferredEvents: 50,
    });
    let client: BridgeClient | undefined;
    try {
      expect(live.url).toBe(`ws://localhost:${port}`);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(`new WebSocket('ws://localhost:${port}')`);

      const machine = createMachine({
        id: 'talker',
        // A context factory, as nerdloop's machines have: a literal context would also be
        // sent, unredacted, inside the machine definition of the `@xstate.actor` event.
        context: () => ({
          history: ['a secret conversation'],
          result: 'a secret result',
          turns: 1,
        }),
        initial: 'idle',
        states: { idle: { on: { GO: 'done' } }, done: {} },
      });
      const actor = createActor(machine, { inspect: live.inspect }).start();
      actor.send({ type: 'GO' });

      client = await connectToBridge(port);
      const snapshot = await client.waitFor((message) => message.includes('"@xstate.snapshot"'));
      expect(JSON.parse(snapshot)).toMatchObject({
        type: '@xstate.snapshot',
        snapshot: {
          context: {
            history: '[redacted: 1 item]',
            result: '[redacted: string 15 chars]',
            turns: 1,
          },
        },
      });
      expect(client.messages.join('\n')).not.toContain('secret');
      actor.stop();
    } finally {
      client?.close();
      live.stop();
    }
    await expect(canListen(port)).resolves.toBe(true);
  });

  it('refuses a port in use instead of crashing the process', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, () => resolve(portOf(blocker))),
    );
    try {
      await expect(
        createLiveInspector({ port, autoOpen: false, redactContextKeys: [], maxDeferredEvents: 1 }),
      ).rejects.toMatchObject({ code: 'inspector_port_in_use' });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

// ------------------------------------------------------------------ helpers

function portOf(server: ReturnType<typeof createServer>): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The bridge page embeds its port, so the server cannot take port 0; find one free first. */
async function freePort(): Promise<number> {
  const server = createServer();
  const port = await new Promise<number>((resolve) =>
    server.listen(0, () => resolve(portOf(server))),
  );
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function canListen(port: number): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, () => resolve(true));
    });
    if (ok) {
      await new Promise((resolve) => server.close(resolve));
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

type BridgeClient = {
  messages: string[];
  waitFor(match: (message: string) => boolean, timeoutMs?: number): Promise<string>;
  close(): void;
};

/**
 * A minimal RFC 6455 client over a TCP socket: the upgrade handshake, then
 * unmasked text frames from the server (no extensions are negotiated).
 */
function connectToBridge(port: number): Promise<BridgeClient> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const messages: string[] = [];
    let buffer: Buffer = Buffer.alloc(0);
    let upgraded = false;
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(
        [
          'GET / HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          'Sec-WebSocket-Version: 13',
          '',
          '',
        ].join('\r\n'),
      );
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        const status = buffer.subarray(0, end).toString('latin1').split('\r\n')[0];
        if (!status?.includes(' 101 ')) {
          reject(new Error(`no upgrade: ${status}`));
          return;
        }
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        resolve({
          messages,
          waitFor: (match, timeoutMs = 3_000) => waitFor(messages, match, timeoutMs),
          close: () => socket.destroy(),
        });
      }
      buffer = readFrames(buffer, messages);
    });
  });
}

/** Appends complete text frames to `messages`; returns what is left of the buffer. */
function readFrames(buffer: Buffer, messages: string[]): Buffer {
  let rest = buffer;
  while (rest.length >= 2) {
    const opcode = rest.readUInt8(0) & 0x0f;
    const short = rest.readUInt8(1) & 0x7f;
    let offset = 2;
    let length = short;
    if (short === 126) {
      if (rest.length < 4) break;
      length = rest.readUInt16BE(2);
      offset = 4;
    } else if (short === 127) {
      if (rest.length < 10) break;
      length = Number(rest.readBigUInt64BE(2));
      offset = 10;
    }
    if (rest.length < offset + length) break;
    if (opcode === 1) messages.push(rest.subarray(offset, offset + length).toString('utf8'));
    rest = rest.subarray(offset + length);
  }
  return rest;
}

async function waitFor(
  messages: string[],
  match: (message: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = messages.find(match);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no matching message among ${messages.length}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
