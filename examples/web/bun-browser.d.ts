/**
 * What `bun build --target browser` provides that the DOM library does not declare: a polyfill of
 * `node:crypto`'s `createHash` (protocol's templates.ts hashes registries with it).
 */
declare module "node:crypto" {
  interface Hash {
    update(data: string): Hash;
    digest(encoding: "hex"): string;
  }
  export function createHash(algorithm: "sha256"): Hash;
}
