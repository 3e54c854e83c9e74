/**
 * @kuzu-sync/sync-server — the gateway as a library (the `sync-server` bin wires it up).
 * @module
 */
export { ConfigError, parseServerConfig, SERVER_USAGE } from "./config.ts";
export type { LogBackend, ServerConfig } from "./config.ts";
export type { AppendOutcome, CommitListener, EventLog } from "./event-log.ts";
export { startGateway } from "./gateway.ts";
export type { Gateway, GatewayOptions } from "./gateway.ts";
export { loadRegistry, startServer } from "./server.ts";
export type { RunningServer } from "./server.ts";
export { EVENTS_SUBJECT_PREFIX, EventPublisher, eventSubject } from "./event-publisher.ts";
export { JetStreamEventLog } from "./jetstream-event-log.ts";
export type { JetStreamEventLogOptions } from "./jetstream-event-log.ts";
export { logSubject } from "./jetstream-stream.ts";
export { NatsLink } from "./nats-link.ts";
export type { NatsLinkOptions } from "./nats-link.ts";
export { ServerReplica } from "./server-replica.ts";
export { SqliteEventLog } from "./sqlite-event-log.ts";
