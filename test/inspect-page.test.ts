/**
 * The live inspect page: the SSE hub on its own, the server read with fetch
 * and raw HTTP, and the page itself rendered by a real headless Chromium
 * against a real runtime.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type RuntimeEvent, runtimeEventSchema } from '../src/events/index.js';
import {
  createEventHub,
  type InspectPage,
  InspectPagePortInUseError,
  type SseClient,
  serialise,
  startInspectPage,
} from '../src/inspect-page/index.js';
import { createRuntime, type Runtime, type TaskFunction } from '../src/session/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A payload that would mark the page if it ever ran as markup. */
const HOSTILE = '<script>document.body.dataset.pwned="yes"</script><img src=x onerror="alert(1)">';

const runTask: TaskFunction = async ({ task }) => {
  if (task.prompt === 'fail') throw new Error('task blew up');
  if (task.prompt === 'hostile') return { result: { note: HOSTILE }, tokens: 1, turns: 1 };
  return { result: `done: ${task.prompt}`, tokens: 2, turns: 1 };
};

const origin = { parentId: 'root', depth: 1 } as const;
const spawned = (agentId: string, at: number): RuntimeEvent => ({
  type: 'agent.spawned',
  at,
  agentId,
  ...origin,
  role: 'agent',
  restart: 'temporary',
  attempt: 0,
});

let cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

function track<T extends InspectPage | Runtime>(thing: T): T {
  cleanups.push(() => ('close' in thing ? thing.close() : thing.shutdown()));
  return thing;
}

/** Reads SSE frames (blank-line separated blocks) from a fetch response. */
function frameReader(response: Response) {
  const body = response.body;
  if (body === null) throw new Error('response has no body');
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  let done = false;
  const frames: string[] = [];
  return {
    frames,
    /** Reads until `enough(frames)` holds or the stream ends; false if it ended first. */
    async until(enough: (frames: readonly string[]) => boolean): Promise<boolean> {
      while (!enough(frames)) {
        if (done) return false;
        const chunk = await reader.read();
        if (chunk.done) {
          done = true;
          continue;
        }
        pending += decoder.decode(chunk.value, { stream: true });
        let cut = pending.indexOf('\n\n');
        while (cut >= 0) {
          frames.push(pending.slice(0, cut));
          pending = pending.slice(cut + 2);
          cut = pending.indexOf('\n\n');
        }
      }
      return true;
    },
    cancel: () => reader.cancel(),
  };
}

/** The RuntimeEvents among frames, each validated against the published schema. */
function eventsIn(frames: readonly string[]): RuntimeEvent[] {
  return frames.flatMap((frame) => {
    const data = frame.split('\n').find((line) => line.startsWith('data: '));
    if (data === undefined || frame.includes('event: end')) return [];
    return [runtimeEventSchema.parse(JSON.parse(data.slice('data: '.length)))];
  });
}

function fakeClient() {
  const chunks: string[] = [];
  let ended = false;
  const client: SseClient = {
    write: (chunk) => {
      chunks.push(chunk);
      return true;
    },
    end: () => {
      ended = true;
    },
    writableLength: 0,
  };
  return { client, chunks, ended: () => ended };
}

describe('event hub', () => {
  it('replays a bounded buffer, then goes live, and resumes after a Last-Event-ID', () => {
    const events = new Subject<RuntimeEvent>();
    const hub = createEventHub(events, { replaySize: 3 });
    for (let at = 1; at <= 5; at++) events.next(spawned(`root/a${at}`, at));
    const late = fakeClient();
    hub.attach(late.client);
    expect(late.chunks.map((chunk) => chunk.split('\n')[0])).toEqual(['id: 3', 'id: 4', 'id: 5']);
    events.next(spawned('root/a6', 6));
    expect(late.chunks).toHaveLength(4);
    expect(late.chunks[3]).toContain('"agentId":"root/a6"');

    const resumed = fakeClient();
    hub.attach(resumed.client, '5');
    expect(resumed.chunks.map((chunk) => chunk.split('\n')[0])).toEqual(['id: 6']);
    expect(hub.stats()).toEqual({ buffered: 3, clients: 2, ended: false });

    events.complete();
    expect(late.ended() && resumed.ended()).toBe(true);
    expect(late.chunks.at(-1)).toBe('event: end\ndata: {"reason":"completed"}\n\n');
    // After the end, a new client still gets the replay, then the end at once.
    const after = fakeClient();
    hub.attach(after.client);
    expect(after.chunks).toHaveLength(4);
    expect(after.ended()).toBe(true);
    hub.close();
  });

  it('drops a client whose unsent backlog passes the limit', () => {
    const events = new Subject<RuntimeEvent>();
    const hub = createEventHub(events, { clientBacklogBytes: 10 });
    const slow = fakeClient();
    const client: SseClient = { ...slow.client, writableLength: 11 };
    hub.attach(client);
    events.next(spawned('root/a', 1));
    expect(slow.ended()).toBe(true);
    expect(hub.stats().clients).toBe(0);
    hub.close();
  });

  it('keeps a task.completed whose result JSON cannot hold, and sends undefined as null', () => {
    const base = { at: 1, agentId: 'root/a', ...origin, taskId: 't', tokens: 0, turns: 0 };
    const big = serialise({ type: 'task.completed', ...base, result: 10n });
    expect(JSON.parse(big ?? '').result).toMatch(/^\[result not serialisable: /);
    const none = serialise({ type: 'task.completed', ...base, result: undefined });
    expect(runtimeEventSchema.safeParse(JSON.parse(none ?? '')).success).toBe(true);
  });
});

describe('inspect page server', () => {
  it('streams the events seen so far, then live ones, each valid per the schema', async () => {
    const runtime = track(createRuntime({ runTask }));
    const page = track(await startInspectPage(runtime.events$, { port: 0 }));
    expect(page.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    runtime.spawn({ type: 'supervisor', id: 'team' });
    const outcomes = await Promise.all([
      runtime.run(
        { type: 'agent', id: 'a', task: { id: 'ta', prompt: 'ok' } },
        { under: 'root/team' },
      ),
      runtime.run(
        { type: 'agent', id: 'b', task: { id: 'tb', prompt: 'fail' } },
        { under: 'root/team' },
      ),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['completed', 'failed']);

    const health = await healthOf(page.url);
    expect(health).toMatchObject({ ok: true, clients: 0, ended: false });
    const buffered = health.buffered;
    expect(buffered).toBeGreaterThan(5);

    const response = await fetch(new URL('events', page.url));
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = frameReader(response);
    await stream.until((frames) => eventsIn(frames).length >= buffered);
    const replayed = eventsIn(stream.frames);
    expect(replayed[0]).toMatchObject({ type: 'agent.spawned', agentId: 'root/team' });
    expect(replayed.map((event) => `${event.type} ${event.agentId}`)).toEqual(
      expect.arrayContaining([
        'task.completed root/team/a',
        'task.failed root/team/b',
        'agent.exited root/team/b',
      ]),
    );

    // Live: an event published after connecting arrives on the same response.
    const live = runtime.run({ type: 'agent', id: 'c', task: { id: 'tc', prompt: 'later' } });
    const arrived = await stream.until((frames) =>
      eventsIn(frames).some((e) => e.type === 'task.completed' && e.agentId === 'root/c'),
    );
    expect(arrived).toBe(true);
    await live;

    // close() ends the open response: the reader reaches its end, with the end frame.
    await page.close();
    expect(await stream.until(() => false)).toBe(false);
    expect(stream.frames.at(-1)).toBe('event: end\ndata: {"reason":"closed"}');
    await page.close();
  });

  it('serves the page with a strict CSP, a health check, and refuses other hosts', async () => {
    const events = new Subject<RuntimeEvent>();
    const page = track(await startInspectPage(events));
    const response = await fetch(page.url);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'/);
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    expect(html).not.toContain('innerHTML');
    expect((await fetch(new URL('nope', page.url))).status).toBe(404);
    expect((await fetch(page.url, { method: 'POST' })).status).toBe(405);

    // fetch cannot set Host; a rebound DNS name would arrive as this one.
    const port = Number(new URL(page.url).port);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/events', headers: { Host: 'evil.example:80' } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
  });

  it('rejects with a typed error when the port is taken', async () => {
    const events = new Subject<RuntimeEvent>();
    const first = track(await startInspectPage(events));
    const port = Number(new URL(first.url).port);
    await expect(startInspectPage(events, { port })).rejects.toBeInstanceOf(
      InspectPagePortInUseError,
    );
    // The failed start released its subscription.
    expect(events.observed).toBe(true);
    await first.close();
    expect(events.observed).toBe(false);
  });
});

describe('inspect page in headless Chromium', () => {
  it('draws the live actor tree and timeline, with task data as text', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`,
      );
    }
    const runtime = track(createRuntime({ runTask }));
    const events: RuntimeEvent[] = [];
    runtime.events$.subscribe((event) => events.push(event));
    const page = track(await startInspectPage(runtime.events$, { port: 0 }));

    // The browser connects first, so the page draws events as they happen.
    const browser = dumpDom(page.url);
    await waitForClient(page.url, browser.exited);
    runtime.spawn({ type: 'supervisor', id: 'team' });
    const outcomes = await Promise.all([
      runtime.run(
        { type: 'agent', id: 'a', task: { id: 'ta', prompt: 'ok' } },
        { under: 'root/team' },
      ),
      runtime.run(
        { type: 'agent', id: 'b', task: { id: 'tb', prompt: 'fail' } },
        { under: 'root/team' },
      ),
      runtime.run({ type: 'agent', id: 'x', task: { id: 'tx', prompt: 'hostile' } }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['completed', 'failed', 'completed']);
    // Ending the stream is what lets --dump-dom finish: virtual time waits for open requests.
    await runtime.shutdown();
    const dom = await browser.dom;

    const finalStates = new Map<string, string>();
    for (const event of events) {
      if (event.type === 'agent.state_changed') finalStates.set(event.agentId, event.to);
    }
    for (const path of ['root/team', 'root/team/a', 'root/team/b', 'root/x']) {
      expect(finalStates.has(path)).toBe(true);
    }
    expect(finalStates.get('root/team/a')).toBe('completed');
    expect(finalStates.get('root/team/b')).toBe('failed');
    for (const [path, state] of finalStates) {
      expect(stateIn(dom, path), path).toBe(state);
    }
    expect(dom).toContain('<span class="path">root/team/a</span>');
    expect(dom).toContain('<span class="path">root/team/b</span>');
    expect(dom).toContain('<span class="type">task.completed</span>');
    expect(dom).toContain('<span class="type">task.failed</span>');
    expect(dom).toContain('<span class="type">agent.exited</span>');
    expect(dom).toMatch(/exited abnormal/);
    expect(dom).toContain('id="status" class="down">runtime stopped</span>');

    // The hostile result is in the timeline as text, and nothing of it ran.
    expect(dom).toContain('&lt;script&gt;document.body.dataset.pwned');
    expect(dom).not.toContain('<script>document.body.dataset.pwned');
    expect(dom).not.toContain('<img src="x"');
    expect(dom).not.toContain('data-pwned');

    // A page opened after the run draws the same tree from the replay alone.
    const replay = await dumpDom(page.url).dom;
    for (const [path, state] of finalStates) {
      expect(stateIn(replay, path), path).toBe(state);
    }
  }, 120_000);
});

/** The `data-state` the page gave the tree node of `path`, if it drew one. */
function stateIn(dom: string, path: string): string | undefined {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`<li[^>]*\\bdata-agent="${escaped}"[^>]*\\bdata-state="([^"]*)"`).exec(
    dom,
  )?.[1];
}

/** Runs Chromium headless on `url` and resolves with the DOM it dumps. */
function dumpDom(url: string) {
  let exited = false;
  const dom = (async () => {
    const profile = await mkdtemp(join(tmpdir(), 'nerdloop-chromium-'));
    try {
      return await new Promise<string>((resolve, reject) => {
        execFile(
          CHROMIUM,
          [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            `--user-data-dir=${profile}`,
            '--virtual-time-budget=5000',
            '--dump-dom',
            url,
          ],
          { timeout: 90_000, maxBuffer: 32 * 1024 * 1024 },
          (error, stdout, stderr) => {
            exited = true;
            if (error)
              reject(new Error(`chromium failed: ${error.message}\n${stderr.slice(-2000)}`));
            else if (!stdout.includes('</html>'))
              reject(new Error(`chromium dumped no page:\n${stderr.slice(-2000)}`));
            else resolve(stdout);
          },
        );
      });
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
  })();
  return { dom, exited: () => exited };
}

const healthSchema = z.object({
  ok: z.literal(true),
  buffered: z.number().int(),
  clients: z.number().int(),
  ended: z.boolean(),
});

async function healthOf(url: string): Promise<z.infer<typeof healthSchema>> {
  return healthSchema.parse(await (await fetch(new URL('healthz', url))).json());
}

async function waitForClient(url: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !exited()) {
    if ((await healthOf(url)).clients > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the page in Chromium never opened its event stream');
}
