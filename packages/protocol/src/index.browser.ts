/**
 * @kuzu-sync/protocol in a browser (the `browser` export condition): everything index.ts exports
 * but the registry builders (`defineTemplates`, `TemplateRegistry`, `exampleRegistry`), which hash
 * with `node:crypto`: Bun 1.4.5's browser polyfill of it has no working `createHash`
 * (examples/web/repro/). A page receives its registry from the gateway and never builds one.
 * index.ts is this plus those three.
 * @module
 */
// The zod a registry module declares its parameters with: the same instance defineTemplates()
// uses, so a registry needs only this package.
export { z } from "zod";
export { ErrorCode, SyncError, isErrorCode, isRetryable } from "./errors.ts";
export { ClientEventSchema, Limits, ParamsSchema, SequencedEventSchema } from "./event.ts";
export type { ClientEvent, SequencedEvent } from "./event.ts";
export {
  ClientMessageSchema,
  MAX_EVENTS_PER_FRAME,
  ServerMessageSchema,
  checkClientEvent,
  checkClientId,
  encodeClientMessage,
  encodeServerMessage,
  parseClientMessage,
  parseServerMessage,
} from "./messages.ts";
export type {
  AckMessage,
  AggregateRequest,
  AggregateResult,
  ClientCheck,
  ClientMessage,
  ErrorMessage,
  EventBatchMessage,
  EventsMessage,
  HelloMessage,
  ParseResult,
  RefusedEvent,
  RegistryHistoryEntry,
  RejectMessage,
  ServerMessage,
  SnapshotOffer,
  WelcomeMessage,
} from "./messages.ts";
export { BATCH_ROWS_PARAM, MAX_TEMPLATE_STATEMENTS, RegistryCheckError, checkTemplate, checkTemplates, formatProblems, parameterNames, statementsOf } from "./registry-check.ts";
export type { CheckableTemplate, RegistryProblem, Statements } from "./registry-check.ts";
export type { BatchForm, RegistryDefinition, TemplateDefinition, ValidationResult, WireRegistry, WireTemplate } from "./templates.ts";
export { tokenizeCypher } from "./cypher-lexer.ts";
export type { LexResult, Token, TokenKind } from "./cypher-lexer.ts";
export { WireRegistrySchema } from "./wire-registry.ts";
export { REGISTRY_CLIENT_ID, REGISTRY_TEMPLATE, RESERVED_PREFIX, readRegistryChange, registryChange, registryEvent, registryEventId } from "./registry-event.ts";
export type { RegistryChange, RegistryChangeKind, RegistryChangeRead } from "./registry-event.ts";
export { RawDmlLimits, checkRawDml } from "./raw-dml.ts";
export { INTERNAL_TABLE, checkRegistryInternals } from "./internal-names.ts";
export type { RegistryTexts } from "./internal-names.ts";
export type { RawDmlCheck } from "./raw-dml.ts";
export { RAW_DML_TEMPLATE, checkRawDmlParams } from "./raw-dml-event.ts";
export type { RawDmlParamsCheck } from "./raw-dml-event.ts";
export { CloseCode } from "./close-codes.ts";
export { checkReadOnlyCypher } from "./read-only-cypher.ts";
export type { ReadOnlyCheck } from "./read-only-cypher.ts";
export { AGGREGATE_NAME } from "./aggregates.ts";
export type { AggregateDefinition, EntityCountAggregate, SumAggregate, SumSource, WireAggregate } from "./aggregates.ts";
