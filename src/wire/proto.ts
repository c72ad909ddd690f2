/**
 * The protocol file and how both ends read it. The package ships `proto/` beside `dist/`, so the
 * file is found from this module's own directory, two levels up from `src/wire/` and
 * `dist/wire/` alike.
 */
import { loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

/** The protocol file, versioned with the package. */
export const PROTO_PATH = `${import.meta.dirname}/../../proto/memspace/v1/memspace.proto`;

/** How proto-loader reads the protocol: field names as written, 64-bit numbers as numbers, oneofs named, unset fields as their defaults. */
export const PROTO_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true } as const;

/** The protocol's package, which prefixes the full name of each service. */
export const PROTO_PACKAGE = 'memspace.v1';

/** The services of memspace.v1. */
export type ServiceName = 'Spaces' | 'Memories' | 'Feedback' | 'Events';

let definition: PackageDefinition | undefined;

/** The protocol as proto-loader reads it, once per process. */
export function memspaceDefinition(): PackageDefinition {
  definition ??= loadSync(PROTO_PATH, PROTO_OPTIONS);
  return definition;
}

/** The services of memspace.v1 as grpc-js constructors (clients), with their definitions (`.service`). */
export function memspaceServices(): Record<ServiceName, ServiceClientConstructor> {
  const v1 = (loadPackageDefinition(memspaceDefinition()) as unknown as { memspace: { v1: Record<ServiceName, ServiceClientConstructor> } }).memspace.v1;
  return { Spaces: v1.Spaces, Memories: v1.Memories, Feedback: v1.Feedback, Events: v1.Events };
}
