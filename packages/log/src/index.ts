/**
 * @kuzu-sync/log — the event log's storage, shared by the gateway (`sync-server`) and
 * `sync-archiver`: the `EventLog` interface and its two backends (embedded SQLite, JetStream),
 * the one "from seq N, then live" reader (`LogCursor`), what each backend keeps beside its events
 * in the same transaction (id index, counts, aggregates), the JetStream stream/KV conventions, and
 * the archivable view of each backend.
 * @module
 */
export type { AppendOutcome, CommitListener, EventLog } from "./event-log.ts";
export type { Commit } from "./commit.ts";
export { LogCursor, LogCursorError } from "./log-cursor.ts";
export { RegistryHistory, followsHistory } from "./registry-history.ts";
export { RegistryMirror, readMirroredVersions } from "./registry-mirror.ts";
export type { RegistryVersionEntry } from "./registry-history.ts";
export type { AggregateInfo, AggregateReader } from "./aggregate-store.ts";
export { SqliteEventLog } from "./sqlite-event-log.ts";
export type { SqliteEventLogOptions } from "./sqlite-event-log.ts";
export { JetStreamEventLog } from "./jetstream-event-log.ts";
export type { JetStreamEventLogOptions } from "./jetstream-event-log.ts";
export { JetStreamIndex } from "./jetstream-index.ts";
export type { JetStreamIndexOptions } from "./jetstream-index.ts";
export { NatsLink } from "./nats-link.ts";
export type { NatsLinkOptions } from "./nats-link.ts";
export { decodeLogRecord, encodeStreamEvent, logSubject, streamHorizon } from "./jetstream-stream.ts";
export { QuarantineList } from "./quarantine.ts";
export type { QuarantineEntry } from "./quarantine.ts";
export { QuarantineFollower, parseQuarantineEntry, quarantineFilter, quarantineKey, readQuarantinedKv, writeQuarantineKv } from "./quarantine-kv.ts";
export {
  ARCHIVE_KV_BUCKET,
  archiveKv,
  archiveLockKey,
  horizonSubject,
  parseReplicaPosition,
  positionValue,
  registryVersionFilter,
  registryVersionKey,
  replicaPositionFilter,
  replicaPositionKey,
} from "./jetstream-coordination.ts";
export type { ReplicaPosition } from "./jetstream-coordination.ts";
export type { ArchivableLog, PurgeLimit } from "./archivable-log.ts";
export { SqliteArchivableLog } from "./sqlite-archivable-log.ts";
export { JetStreamArchivableLog } from "./jetstream-archivable-log.ts";
export type { JetStreamLogOptions } from "./jetstream-archivable-log.ts";
