/**
 * @kuzu-sync/sync-server/internal — the gateway's parts, for tests and benchmarks that assemble
 * or inspect them directly. Not a public API: names and shapes here change with the code.
 * @module
 */
export * from "./index.ts";
export { AuthError, createAuthenticator, tokenOf } from "./auth.ts";
export type { Authenticator, Principal } from "./auth.ts";
export { TokenBucket } from "./rate-limit.ts";
export { startGateway } from "./gateway.ts";
export type { GatewayOptions } from "./gateway.ts";
export { ActivityFeed } from "./gateway-activity.ts";
export type { ActivityListener, GatewayActivity, ReplicaOutcome } from "./gateway-activity.ts";
export { GatewayStats } from "./gateway-stats.ts";
export { GatewayMetrics } from "./metrics.ts";
export type { MetricSources } from "./metrics.ts";
export { checkEvent } from "./event-checks.ts";
export type { EventCheck, EventWriter } from "./event-checks.ts";
export { EventPublisher } from "./event-publisher.ts";
export { INDEX_SNAPSHOT_HEADER_PREFIX, INDEX_SNAPSHOT_PATH, IndexSnapshotService } from "./index-snapshot.ts";
export type { IndexExporter } from "./index-snapshot.ts";
export { bootstrapFromPeer } from "./peer-bootstrap.ts";
export type { PeerBootstrapOptions, PeerBootstrapResult } from "./peer-bootstrap.ts";
export { ServerReplica } from "./server-replica.ts";
export { SNAPSHOT_PATH, SnapshotService } from "./snapshot-service.ts";
export type { SnapshotServiceOptions } from "./snapshot-service.ts";
export { aggregateAnswer, aggregateRoute } from "./aggregate-api.ts";
