/**
 * @kuzu-sync/protocol — wire messages, the event, error codes and the template registry.
 * Shared by gateway and clients; no I/O.
 * @module
 */
export { ErrorCode, SyncError, isErrorCode, isRetryable } from "./errors.ts";
export { ClientEventSchema, Limits, ParamsSchema, SequencedEventSchema } from "./event.ts";
export type { ClientEvent, SequencedEvent } from "./event.ts";
export {
  ClientMessageSchema,
  ServerMessageSchema,
  encodeClientMessage,
  encodeServerMessage,
  parseClientMessage,
  parseServerMessage,
} from "./messages.ts";
export type {
  AckMessage,
  AggregateRequest,
  AggregateResult,
  ClientMessage,
  ErrorMessage,
  EventsMessage,
  HelloMessage,
  ParseResult,
  RejectMessage,
  ServerMessage,
  SnapshotOffer,
  WelcomeMessage,
} from "./messages.ts";
export { MAX_TEMPLATE_STATEMENTS, TemplateRegistry, cypherStatements, defineTemplates } from "./templates.ts";
export type { BatchForm, CypherText, RegistryDefinition, TemplateDefinition, ValidationResult, WireRegistry, WireTemplate } from "./templates.ts";
export { tokenizeCypher } from "./cypher-lexer.ts";
export type { LexResult, Token, TokenKind } from "./cypher-lexer.ts";
export { exampleRegistry } from "./example-templates.ts";
export { RawDmlLimits, checkRawDml } from "./raw-dml.ts";
export type { RawDmlCheck } from "./raw-dml.ts";
export { RAW_DML_TEMPLATE, checkRawDmlParams } from "./raw-dml-event.ts";
export type { RawDmlParamsCheck } from "./raw-dml-event.ts";
export { CloseCode } from "./close-codes.ts";
export { checkReadOnlyCypher } from "./read-only-cypher.ts";
export type { ReadOnlyCheck } from "./read-only-cypher.ts";
export { AGGREGATE_NAME } from "./aggregates.ts";
export type { AggregateDefinition, EntityCountAggregate, SumAggregate, SumSource, WireAggregate } from "./aggregates.ts";
export {
  ARCHIVE_KV_BUCKET,
  archiveLockKey,
  decodeLogRecord,
  horizonSubject,
  parseReplicaPosition,
  replicaPositionFilter,
  replicaPositionKey,
} from "./jetstream-log.ts";
export type { ReplicaPosition } from "./jetstream-log.ts";
