/**
 * The gRPC front end (proto/memspace/v1/memspace.proto): the Spaces, Memories, Feedback and
 * Events services over the same engine as the REST API, beside the standard health service and
 * server reflection. Every call goes through `grpc-calls.ts`: the key of its metadata, its space as
 * REST resolves it, its errors as statuses with memspace's ErrorInfo.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatusMap } from 'grpc-health-check';
import type { Memspace } from '../memspace.js';
import { memspaceDefinition, memspaceServices, PROTO_PACKAGE } from '../wire/proto.js';
import { eventsService } from './events-service.js';
import { feedbackService } from './feedback-service.js';
import { type GrpcContext, tolerantDecoding } from './grpc-calls.js';
import { memoriesService } from './memories-service.js';
import { spacesService } from './spaces-service.js';

/** Largest message the server takes, as the REST API's body limit: 4 MiB. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** What {@link buildGrpcServer} serves. */
export interface GrpcServerDeps {
  memspace: Memspace;
  /** Require API keys, as the REST app does. @default true */
  auth?: boolean;
  /** Longest wait of a caught-up `Watch` before it looks at the feed again (see `FollowOptions.pollMs`). */
  eventPollMs?: number;
  /** Largest message taken, in bytes; a larger one is RESOURCE_EXHAUSTED. @default {@link MAX_MESSAGE_BYTES} */
  maxMessageBytes?: number;
  /** Hears of each call that failed with INTERNAL (the caller learns only "internal error"). @default ignored */
  onInternalError?: (error: unknown, rpc: string) => void;
}

/** The gRPC front end of one memspace: a grpc-js server with the memspace services. */
export interface MemspaceGrpcServer {
  readonly server: Server;
  /** Binds `host:port` (0 for any free port) and starts serving; resolves with the port bound. */
  listen(host: string, port: number): Promise<number>;
  /**
   * Tells health checkers it is going, ends every open `Watch` cleanly, lets other calls in
   * flight finish (cancelling what still runs after `graceMs`), and stops listening.
   * Idempotent. Close it before memspace.
   */
  close(graceMs?: number): Promise<void>;
}

/** Builds the gRPC front end; it does not listen until `listen`. */
export function buildGrpcServer(deps: GrpcServerDeps): MemspaceGrpcServer {
  const closing = new AbortController();
  const ctx: GrpcContext = { memspace: deps.memspace, auth: deps.auth !== false, closing: closing.signal, onInternalError: deps.onInternalError ?? (() => {}) };
  const services = memspaceServices();
  const limit = deps.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  const server = new Server({ 'grpc.max_receive_message_length': limit });
  server.addService(tolerantDecoding(services.Spaces.service), spacesService(ctx));
  server.addService(tolerantDecoding(services.Memories.service), memoriesService(ctx));
  server.addService(tolerantDecoding(services.Feedback.service), feedbackService(ctx));
  server.addService(tolerantDecoding(services.Events.service), eventsService(ctx, deps.eventPollMs === undefined ? {} : { pollMs: deps.eventPollMs }));
  // The whole server ('') and each service by its full name, as health checkers ask for them.
  const serving: ServingStatusMap = Object.fromEntries(['', ...Object.keys(services).map((name) => `${PROTO_PACKAGE}.${name}`)].map((name) => [name, 'SERVING']));
  const health = new HealthImplementation(serving);
  health.addToServer(server);
  new ReflectionService(memspaceDefinition()).addToServer(server);
  let closed: Promise<void> | undefined;
  return {
    server,
    listen: (host, port) =>
      new Promise((resolve, reject) =>
        server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
      ),
    close(graceMs = 5_000) {
      closed ??= new Promise<void>((resolve) => {
        for (const name of Object.keys(serving)) health.setStatus(name, 'NOT_SERVING');
        closing.abort();
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closed;
    },
  };
}
