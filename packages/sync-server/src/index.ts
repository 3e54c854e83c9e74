/**
 * @kuzu-sync/sync-server — the gateway as a library (the `sync-server` bin wires it up).
 * @module
 */
export { ConfigError, parseServerConfig, SERVER_USAGE } from "./config.ts";
export type { LogBackend, ServerConfig } from "./config.ts";
export { AuthError, createAuthenticator, tokenOf } from "./auth.ts";
export type { Authenticator, Principal } from "./auth.ts";
export type { AuthConfig, LimitsConfig } from "./security-config.ts";
export { TokenBucket } from "./rate-limit.ts";
export { startGateway } from "./gateway.ts";
export type { Gateway, GatewayOptions } from "./gateway.ts";
export { loadRegistry, startServer } from "./server.ts";
export type { RunningServer } from "./server.ts";
export { EVENTS_SUBJECT_PREFIX, EventPublisher, eventSubject } from "./event-publisher.ts";
export { INDEX_SNAPSHOT_HEADER_PREFIX, INDEX_SNAPSHOT_PATH, IndexSnapshotService } from "./index-snapshot.ts";
export type { IndexExporter } from "./index-snapshot.ts";
export { bootstrapFromPeer } from "./peer-bootstrap.ts";
export type { PeerBootstrapOptions, PeerBootstrapResult } from "./peer-bootstrap.ts";
export { ServerReplica } from "./server-replica.ts";
export { SNAPSHOT_PATH, SnapshotService } from "./snapshot-service.ts";
export type { SnapshotServiceOptions } from "./snapshot-service.ts";
export { aggregateAnswer, aggregateRoute } from "./aggregate-api.ts";
export { GatewayMetrics } from "./metrics.ts";
export type { MetricSources } from "./metrics.ts";
export { GatewayStats } from "./gateway-stats.ts";
