/**
 * The live inspector bridge: redaction as pure functions, and a real bridge on
 * a loopback port read by a bare WebSocket client (node 20 has no WebSocket
 * global, and a bare client can send any handshake header).
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { networkInterfaces, platform } from 'node:os';
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import { describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import {
  createLiveInspector,
  type LiveInspector,
  redactContext,
  redactInspectionEvent,
  statelyManifestSchema,
} from '../src/stately/index.js';

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

  it('redacts listed keys at any depth, in objects and arrays, copying only their parents', () => {
    const untouched = { turns: 2 };
    const nested = {
      children: {
        a: { spec: { id: 'a', task: { id: 't', prompt: 'secret' } }, untouched },
        b: { spec: { id: 'b', history: [{ role: 'user', content: 'secret' }] } },
      },
      queue: [{ id: 'c', spec: { task: { id: 't2', prompt: 'secret' } } }, untouched],
    };
    const redacted = redactContext(nested, ['task', 'history']);
    expect(redacted).toEqual({
      children: {
        a: { spec: { id: 'a', task: '[redacted: object 2 keys]' }, untouched },
        b: { spec: { id: 'b', history: '[redacted: 1 item]' } },
      },
      queue: [{ id: 'c', spec: { task: '[redacted: object 2 keys]' } }, untouched],
    });
    expect((redacted.queue as unknown[])[1]).toBe(untouched);
    expect(nested.children.a.spec.task.prompt).toBe('secret');
    expect(redactContext(untouched, ['task'])).toBe(untouched);
  });

  it('follows cycles to the redacted copy, never back to the original', () => {
    type Node = { history: string[]; self?: Node; list?: Node[] };
    const node: Node = { history: ['secret'] };
    node.self = node;
    node.list = [node];
    const redacted = redactContext(node, ['history']) as Node;
    expect(redacted.history).toBe('[redacted: 1 item]');
    expect(redacted.self).toBe(redacted);
    expect(redacted.list?.[0]).toBe(redacted);
  });

  it('leaves class instances alone', () => {
    const tags = new Set(['history']);
    const redacted = redactContext({ tags, at: new Date(0) }, ['history']);
    expect(redacted.tags).toBe(tags);
  });
});

describe('redactInspectionEvent', () => {
  const keys = ['history', 'result', 'task'];

  it("redacts a START event's task and a done event's result", () => {
    const start = {
      type: '@xstate.event',
      event: { type: 'START', task: { id: 't1', prompt: 'my secret prompt' } },
      sessionId: 'x:1',
    } as unknown as StatelyInspectionEvent;
    expect(redactInspectionEvent(start, keys)).toMatchObject({
      type: '@xstate.event',
      sessionId: 'x:1',
      event: { type: 'START', task: '[redacted: object 2 keys]' },
    });

    const done = {
      type: '@xstate.event',
      event: { type: 'xstate.done.actor.a', output: { status: 'completed', result: 'secret' } },
    } as unknown as StatelyInspectionEvent;
    expect(JSON.stringify(redactInspectionEvent(done, keys))).not.toContain('secret');
  });

  it("redacts a SPAWN spec's task and history, and a snapshot's context and output", () => {
    const event = {
      type: '@xstate.snapshot',
      event: {
        type: 'SPAWN',
        spec: { type: 'agent', id: 'a', task: { prompt: 'secret' }, history: ['secret'] },
      },
      snapshot: {
        status: 'done',
        context: { children: { a: { spec: { task: { prompt: 'secret' } } } } },
        output: { status: 'completed', taskId: 't1', result: 'secret' },
      },
    } as unknown as StatelyInspectionEvent;
    const redacted = redactInspectionEvent(event, keys);
    expect(JSON.stringify(redacted)).not.toContain('secret');
    expect(redacted).toMatchObject({
      event: { spec: { id: 'a', task: '[redacted: object 1 key]' } },
      snapshot: { output: { taskId: 't1', result: '[redacted: string 6 chars]' } },
    });
  });

  it('keeps a live snapshot serialisable through its own toJSON', () => {
    const machine = createMachine({
      context: () => ({ task: { prompt: 'secret' }, turns: 1 }),
      initial: 'a',
      states: { a: {} },
    });
    const actor = createActor(machine).start();
    const event = {
      type: '@xstate.actor',
      snapshot: actor.getSnapshot(),
    } as unknown as StatelyInspectionEvent;
    const json = JSON.parse(JSON.stringify(redactInspectionEvent(event, keys)));
    expect(json.snapshot).toMatchObject({
      value: 'a',
      context: { task: '[redacted: object 1 key]', turns: 1 },
    });
    actor.stop();
  });

  it('is on for task by default', () => {
    const manifest = statelyManifestSchema.parse({
      version: 1,
      machines: [{ name: 'm', file: 'm.ts', export: 'm', description: 'm' }],
    });
    expect(manifest.inspector.redactContextKeys).toEqual(['history', 'result', 'task']);
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
      expect(live.url).toBe(`ws://127.0.0.1:${port}`);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain(`new WebSocket('ws://127.0.0.1:${port}')`);
      expect(html).toContain('<iframe id="inspector" src="https://stately.ai/inspect">');

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

  it('redacts event payloads and outputs, not only contexts', async () => {
    const port = await freePort();
    const live = await createLiveInspector({
      port,
      autoOpen: false,
      redactContextKeys: ['history', 'result', 'task'],
      maxDeferredEvents: 50,
    });
    let client: BridgeClient | undefined;
    try {
      const machine = createMachine({
        id: 'agent',
        context: () => ({ task: null as unknown }),
        initial: 'idle',
        states: {
          idle: { on: { START: 'done' } },
          done: { type: 'final' },
        },
        output: () => ({ status: 'completed', result: 'a secret result' }),
      });
      client = await connectToBridge(port);
      const actor = createActor(machine, { inspect: live.inspect }).start();
      actor.send({ type: 'START', task: { id: 't1', prompt: 'a secret prompt' } });
      await client.waitFor((message) => message.includes('"@xstate.event"'));
      await client.waitFor(
        (message) => message.includes('"@xstate.snapshot"') && message.includes('"done"'),
      );
      const messages = client.messages.join('\n');
      expect(messages).toContain('"task":"[redacted: object 2 keys]"');
      expect(messages).toContain('"result":"[redacted: string 15 chars]"');
      expect(messages).not.toContain('secret');
      actor.stop();
    } finally {
      client?.close();
      live.stop();
    }
  });

  it('listens on 127.0.0.1 only', async () => {
    const port = await freePort();
    const live = await createLiveInspector({
      port,
      autoOpen: false,
      redactContextKeys: [],
      maxDeferredEvents: 1,
    });
    try {
      expect(await reachable('127.0.0.1', port)).toBe(true);
      // Linux routes all of 127/8 to loopback, so a server on every interface answers 127.0.0.2.
      const others = [
        ...(platform() === 'linux' ? ['127.0.0.2'] : []),
        ...Object.values(networkInterfaces())
          .flatMap((addresses) => addresses ?? [])
          .filter(
            (address) => address.address !== '127.0.0.1' && !address.address.startsWith('fe80'),
          )
          .map((address) => address.address),
      ];
      for (const host of others)
        expect({ host, reachable: await reachable(host, port) }).toEqual({
          host,
          reachable: false,
        });
    } finally {
      live.stop();
    }
  });

  it("lets in the bridge page's origins and Node clients, and refuses other web pages", async () => {
    const port = await freePort();
    const live = await createLiveInspector({
      port,
      autoOpen: false,
      redactContextKeys: [],
      maxDeferredEvents: 1,
    });
    try {
      for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, undefined]) {
        const client = await connectToBridge(port, origin);
        client.close();
      }
      await expect(connectToBridge(port, 'https://evil.example')).rejects.toThrow(
        'no upgrade: HTTP/1.1 403 Forbidden',
      );
      await expect(connectToBridge(port, `http://127.0.0.1:${port + 1}`)).rejects.toThrow('403');
    } finally {
      live.stop();
    }
  });

  it('stop() disconnects clients still connected, such as a browser tab', async () => {
    const port = await freePort();
    const live: LiveInspector = await createLiveInspector({
      port,
      autoOpen: false,
      redactContextKeys: [],
      maxDeferredEvents: 1,
    });
    const client = await connectToBridge(port);
    live.stop();
    await expect(client.closed).resolves.toBe(true);
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
  /** Resolves once the server has closed the connection. */
  closed: Promise<true>;
  close(): void;
};

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A minimal RFC 6455 client over a TCP socket: the upgrade handshake, then
 * unmasked text frames from the server (no extensions are negotiated).
 */
function connectToBridge(port: number, origin?: string): Promise<BridgeClient> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const closed = new Promise<true>((resolveClosed) =>
      socket.once('close', () => resolveClosed(true)),
    );
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
          ...(origin === undefined ? [] : [`Origin: ${origin}`]),
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
          closed,
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
