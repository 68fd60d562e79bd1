/**
 * The loop end to end, as the tests build it: temp copies of the demo
 * workspace, the local OpenAI-compatible server with the real SDK adapter, and
 * an Executor over the shipped rules, atoms and config layers with a real
 * VirtualStore. Everything made is cleaned up when the test finishes (or by
 * the `Defer` given).
 */
import { cp, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sequentialIds } from '../../src/core/index.js';
import type { Kernel } from '../../src/kernel/index.js';
import {
  type ChatModel,
  createOpenAiModel,
  type OpenAiServer,
  type OpenAiServerScript,
  startOpenAiServer,
} from '../../src/llm/index.js';
import { createTransducer, type Transducer } from '../../src/perception/index.js';
import {
  type ConfigFactory,
  type ConfigFile,
  createConfigFactory,
  createPromptCompiler,
  loadAtoms,
  loadConfigLayers,
  SHIPPED_ATOMS_DIR,
} from '../../src/prompt/index.js';
import { loadShippedRules } from '../../src/rules/index.js';
import {
  createExecutor,
  type Executor,
  type ExecutorEvent,
  type ExecutorOptions,
} from '../../src/session/executor/index.js';
import {
  createVirtualStore,
  type VirtualStore,
  type VirtualStoreOptions,
} from '../../src/store/index.js';
import { afterTest, type Defer } from './cleanup.js';

export const DEMO_WORKSPACE = fileURLToPath(
  new URL('../../examples/demo-workspace', import.meta.url),
);

/** A fresh empty directory (its real path), removed by `defer`. */
export async function tempDir(prefix: string, defer: Defer = afterTest): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh copy of examples/demo-workspace (its real path), removed by `defer`. */
export async function demoWorkspace(defer: Defer = afterTest): Promise<string> {
  const root = await tempDir('nerdloop-workspace-', defer);
  await cp(DEMO_WORKSPACE, root, { recursive: true });
  return root;
}

/** The local OpenAI-compatible server playing `script`, closed by `defer`. */
export async function serve(
  script: OpenAiServerScript,
  defer: Defer = afterTest,
): Promise<OpenAiServer> {
  const server = await startOpenAiServer({ script });
  defer(() => server.close());
  return server;
}

/**
 * The real SDK adapter against `server`, without retries so each scripted step
 * (a fault included) is one request; `model` names the model it asks for.
 */
export const sdkModel = (server: OpenAiServer, options: { model?: string } = {}): ChatModel =>
  createOpenAiModel({ baseURL: server.url, apiKey: 'test', maxRetries: 0, ...options });

/** The environment that points the CLI's model at `server`. */
export const sdkEnv = (server: OpenAiServer) => ({
  OPENAI_BASE_URL: server.url,
  OPENAI_API_KEY: 'test',
});

export type ExecutorHarnessOptions = Omit<
  ExecutorOptions,
  'kernel' | 'store' | 'model' | 'transducer' | 'compiler' | 'configFactory' | 'ids' | 'persona'
> & {
  readonly model: ChatModel;
  /** The workspace; default: a fresh copy of the demo workspace. */
  readonly root?: string;
  /** The store's persona (default `coder`); the Executor routes each task by its verb. */
  readonly persona?: string;
  /** More of the store's options: mode, approval hook, clock, ids. */
  readonly store?: Omit<VirtualStoreOptions, 'root' | 'persona' | 'kernel'>;
  /** The store judges with the Executor's kernel, as an agent's loop does; default: its own. */
  readonly shareKernel?: boolean;
  /** Default: a transducer with sequential ids. */
  readonly transducer?: Transducer;
  /** Config layers over the shipped defaults, as a user's config files would be. */
  readonly layers?: readonly ConfigFile[];
  /** Replaces or wraps the factory over the shipped defaults and `layers`. */
  readonly wrapConfig?: (factory: ConfigFactory) => ConfigFactory;
};

export type ExecutorHarness = {
  readonly executor: Executor;
  readonly store: VirtualStore;
  readonly kernel: Kernel;
  /** Every event of `executor.events$` since it was made. */
  readonly events: ExecutorEvent[];
  readonly root: string;
};

/**
 * An Executor (sequential ids) over the shipped rules, atoms and config layers
 * with a real VirtualStore; the caller closes it. A workspace it makes itself
 * is removed by `defer`.
 */
export async function openExecutor(
  options: ExecutorHarnessOptions,
  defer: Defer = afterTest,
): Promise<ExecutorHarness & { close(): void }> {
  const {
    model,
    root: givenRoot,
    persona = 'coder',
    store: storeOptions,
    shareKernel = false,
    transducer = createTransducer({ ids: sequentialIds() }),
    layers = [],
    wrapConfig = (factory) => factory,
    ...executorOptions
  } = options;
  const root = givenRoot ?? (await demoWorkspace(defer));
  const kernel = await loadShippedRules();
  const store = await createVirtualStore({
    ...storeOptions,
    root,
    persona,
    ...(shareKernel ? { kernel } : {}),
  });
  const { atoms } = await loadAtoms([SHIPPED_ATOMS_DIR]);
  const executor = createExecutor({
    ...executorOptions,
    kernel,
    store,
    model,
    transducer,
    compiler: createPromptCompiler({ atoms }),
    configFactory: wrapConfig(
      createConfigFactory(kernel, [...(await loadConfigLayers()), ...layers]),
    ),
    ids: sequentialIds(),
  });
  const events: ExecutorEvent[] = [];
  const subscription = executor.events$.subscribe((event) => events.push(event));
  return {
    executor,
    store,
    kernel,
    events,
    root,
    close: () => {
      subscription.unsubscribe();
      executor.close();
      store.close();
    },
  };
}

/** `openExecutor`, closed by `defer` (by default when the test finishes). */
export async function startExecutor(
  options: ExecutorHarnessOptions,
  defer: Defer = afterTest,
): Promise<ExecutorHarness> {
  const { close, ...harness } = await openExecutor(options, defer);
  defer(close);
  return harness;
}
