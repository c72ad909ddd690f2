import { type Client, type ClientReadableStream, type ClientWritableStream, credentials, Metadata, type ServiceError, type status } from '@grpc/grpc-js';
import { memspaceServices } from '../../src/wire/proto.js';
import { errorInfoOf } from '../../src/wire/status-details.js';
import { fromStruct, type ProtoStruct } from '../../src/wire/struct.js';

/** A message as proto-loader gives and takes it. */
export type Json = Record<string, unknown>;

/** Raw grpc-js clients of the memspace.v1 services at one address, and ways to call them in tests. */
export interface GrpcTestClients {
  spaces: Client;
  memories: Client;
  events: Client;
  /** A unary call; resolves with the response or rejects with the ServiceError. */
  rpc(client: Client, method: string, request: Json, key: string | null, metadata?: Record<string, string>, options?: { deadline?: number }): Promise<Json>;
  /** A server stream read to its end; rejects with its error. */
  streamed(client: Client, method: string, request: Json, key: string): Promise<Json[]>;
  /** A server stream left open, for the test to read and cancel. */
  open(client: Client, method: string, request: Json, key: string, options?: { deadline?: number; metadata?: Record<string, string> }): ClientReadableStream<Json>;
  /** A client stream; `done` settles with its one response. */
  upload(client: Client, method: string, key: string, metadata?: Record<string, string>): { stream: ClientWritableStream<Json>; done: Promise<Json> };
  close(): void;
}

export function grpcMetadata(key: string | null, extra: Record<string, string> = {}): Metadata {
  const metadata = new Metadata();
  if (key !== null) metadata.set('authorization', `Bearer ${key}`);
  for (const [name, value] of Object.entries(extra)) metadata.set(name, value);
  return metadata;
}

type Method = (...args: unknown[]) => unknown;
const method = (client: Client, name: string): Method => ((client as unknown as Record<string, Method>)[name] as Method).bind(client);

export function grpcTestClients(address: string): GrpcTestClients {
  const services = memspaceServices();
  const spaces = new services.Spaces(address, credentials.createInsecure());
  const memories = new services.Memories(address, credentials.createInsecure());
  const events = new services.Events(address, credentials.createInsecure());
  return {
    spaces,
    memories,
    events,
    rpc: (client, name, request, key, extra = {}, options = {}) =>
      new Promise((resolve, reject) => {
        method(client, name)(request, grpcMetadata(key, extra), options, (error: ServiceError | null, response: Json) => (error === null ? resolve(response) : reject(error)));
      }),
    streamed: (client, name, request, key) =>
      new Promise((resolve, reject) => {
        const got: Json[] = [];
        const stream = method(client, name)(request, grpcMetadata(key)) as ClientReadableStream<Json>;
        stream.on('data', (m: Json) => got.push(m));
        stream.on('error', reject);
        stream.on('end', () => resolve(got));
      }),
    open(client, name, request, key, { metadata, ...options } = {}) {
      const stream = method(client, name)(request, grpcMetadata(key, metadata), options) as ClientReadableStream<Json>;
      stream.on('error', () => undefined); // a test that cancels a stream does not want the CANCELLED it causes
      return stream;
    },
    upload(client, name, key, extra = {}) {
      let stream!: ClientWritableStream<Json>;
      const done = new Promise<Json>((resolve, reject) => {
        stream = method(client, name)(grpcMetadata(key, extra), (error: ServiceError | null, response: Json) => (error === null ? resolve(response) : reject(error))) as ClientWritableStream<Json>;
      });
      return { stream, done };
    },
    close() {
      spaces.close();
      memories.close();
      events.close();
    },
  };
}

/** The status, memspace code, ErrorInfo details and message of a failed call. */
export async function failure(p: Promise<unknown>): Promise<{ code: status; reason: string | undefined; details: Record<string, string>; message: string }> {
  try {
    await p;
  } catch (error) {
    const e = error as ServiceError;
    const info = errorInfoOf(e.metadata);
    return { code: e.code, reason: info?.reason, details: info?.metadata ?? {}, message: e.details };
  }
  throw new Error('expected the call to fail');
}

/** The REST view fields of a `Memory` or `Space` message. */
export const fieldsOf = (m: Json): Json => fromStruct(m['fields'] as ProtoStruct) ?? {};
