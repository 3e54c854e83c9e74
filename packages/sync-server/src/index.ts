/**
 * @kuzu-sync/sync-server — the gateway as a library (the `sync-server` bin wires it up): parse a
 * config, start a server, stop it. What the parts are made of (gateway, sessions, server replica,
 * snapshots, statistics) is internal; tests and benchmarks reach it through
 * `@kuzu-sync/sync-server/internal`, which may change without notice.
 * @module
 */
export { ConfigError, parseServerConfig, SERVER_USAGE } from "./config.ts";
export type { LogBackend, ServerConfig } from "./config.ts";
export type { AuthConfig, LimitsConfig } from "./security-config.ts";
export { loadRegistry, startServer } from "./server.ts";
export type { RunningServer } from "./server.ts";
export type { Gateway } from "./gateway.ts";
export type { ServerReplica } from "./server-replica.ts";
export type { SnapshotService } from "./snapshot-service.ts";
export { EVENTS_SUBJECT_PREFIX, eventSubject } from "./event-publisher.ts";
