/**
 * @kuzu-sync/protocol — wire messages, the event, error codes and the template registry.
 * Shared by gateway and clients; no I/O. Everything but the registry builders lives in
 * index.browser.ts (what a page gets); the builders hash with `node:crypto`.
 * @module
 */
export * from "./index.browser.ts";
export { TemplateRegistry, defineTemplates } from "./templates.ts";
export { exampleRegistry } from "./example-templates.ts";
