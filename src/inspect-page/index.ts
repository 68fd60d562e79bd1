/**
 * A local, offline live page for a runtime: the actor tree and an event
 * timeline, drawn from `runtime.events$` over Server-Sent Events.
 */
export {
  createEventHub,
  DEFAULT_CLIENT_BACKLOG_BYTES,
  DEFAULT_REPLAY_SIZE,
  type EndReason,
  type EventHub,
  type EventHubOptions,
  endFrame,
  type SseClient,
  serialise,
} from './hub.js';
export {
  FIELD_CHARS,
  PAGE_CSS,
  PAGE_SCRIPT,
  pagePolicy,
  renderPage,
  TIMELINE_ROWS,
} from './page.js';
export {
  INSPECT_PAGE_HOST,
  type InspectPage,
  InspectPageListenError,
  type InspectPageOptions,
  InspectPagePortInUseError,
  startInspectPage,
} from './server.js';
