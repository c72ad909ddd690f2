/**
 * How one gRPC call reaches the engine, for every method of every service: the caller's key
 * authenticated from the `authorization` metadata, the space resolved from the request's field
 * and the `x-memory-space` metadata (or its alias `x-namespace`) with the REST rules, and any failure answered as a status
 * with memspace's ErrorInfo. Cancellation (the client's, or a deadline passing) aborts the
 * call's signal, which the engine's long work (streams) stops on.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import {
  type handleClientStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  Metadata,
  type ServerReadableStream,
  type ServerWritableStream,
  type ServiceDefinition,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { MemspaceError } from '../core/errors.js';
import { NO_TRACER, outcomeOf, type ActiveSpan } from '../core/ports/tracer.js';
import { pickSpace, spaceHeaderEntries } from '../core/space-name.js';
import { type CallContext, LOCAL_PRINCIPAL, type Principal } from '../engine/access-guard.js';
import { keyOfAuthorization } from '../engine/key-service.js';
import type { Memspace } from '../memspace.js';
import { toGrpcError } from './grpc-errors.js';

/** What every service of the front end is built from. */
export interface GrpcContext {
  memspace: Memspace;
  /** Require API keys, as the REST app does. */
  auth: boolean;
  /** Aborts when the server shuts down: what ends the calls that would otherwise never end (`Watch`). */
  closing: AbortSignal;
  /** Hears of failures that are not the caller's (INTERNAL): the caller only learns "internal error". */
  onInternalError: (error: unknown, rpc: string) => void;
}

/** The caller of one gRPC call, as the engine's services take it. */
export interface Caller {
  call: CallContext & { principal: Principal };
  /** The space the call addresses: its `space` field, the `x-memory-space` (or `x-namespace`) metadata, or the key's default space. */
  space(field: string): string;
}

/** Authenticates the call's key and builds its caller; `rpc` names the method for refusal audits. */
async function callerOf(ctx: GrpcContext, metadata: Metadata, rpc: string): Promise<Caller> {
  let principal: Principal = LOCAL_PRINCIPAL;
  if (ctx.auth) {
    const [authorization] = metadata.get('authorization');
    if (typeof authorization !== 'string') throw new MemspaceError('UNAUTHENTICATED', 'send an API key: authorization: Bearer <key>');
    principal = await ctx.memspace.keys.authenticate(keyOfAuthorization(authorization));
  }
  // `x-namespace` is an alias of `x-memory-space`, as the header is over HTTP.
  const named = spaceHeaderEntries((key) => {
    const values = metadata.get(key);
    return values.length === 0 ? undefined : values.length === 1 ? String(values[0]) : values.map(String);
  }, ['x-memory-space metadata', 'x-namespace metadata']);
  const call = { principal, requestId: randomUUID(), via: { rpc } };
  return {
    call,
    space: (field) =>
      pickSpace(
        [['space field', field === '' ? undefined : field], ...named],
        principal.defaultSpace ?? undefined,
      ),
  };
}

/** What a request that could not be decoded is handed to its handler as. */
const MALFORMED = Symbol('malformed message');

/**
 * `service` with decoders that never throw: grpc-js answers a message it cannot decode with
 * INTERNAL, which is the client's fault, not the server's. The handler gets a marker instead and
 * answers INVALID_ARGUMENT ({@link decoded}).
 */
export function tolerantDecoding(service: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(service).map(([name, method]) => [
      name,
      {
        ...method,
        requestDeserialize: (bytes: Buffer): unknown => {
          try {
            return method.requestDeserialize(bytes);
          } catch (error) {
            return { [MALFORMED]: error instanceof Error ? error.message : String(error) };
          }
        },
      },
    ]),
  ) as ServiceDefinition;
}

/** `request`, or VALIDATION_FAILED when it could not be decoded. */
function decoded<Req>(request: Req): Req {
  if (typeof request === 'object' && request !== null && MALFORMED in request) {
    throw new MemspaceError('VALIDATION_FAILED', 'the message could not be decoded as this method\'s request', {
      issues: [{ path: 'message', message: String(request[MALFORMED]) }],
    });
  }
  return request;
}

/** A signal that aborts when the client cancels the call or its deadline passes. */
function cancellation(call: ServerReadableStream<unknown, unknown> | ServerWritableStream<unknown, unknown>): AbortSignal {
  const abort = new AbortController();
  if (call.cancelled) abort.abort();
  else call.once('cancelled', () => abort.abort());
  return abort.signal;
}

export function unary<Req, Res>(ctx: GrpcContext, rpc: string, fn: (request: Req, caller: Caller) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const span = callSpan(ctx, rpc, call.metadata);
    span.run(() =>
      callerOf(ctx, call.metadata, rpc)
        .then((caller) => explainedTo(ctx, caller, () => fn(decoded(call.request), caller)))
        .then(
          (response) => {
            succeeded(span, call.cancelled);
            callback(null, response);
          },
          (error: unknown) => callback(failed(ctx, rpc, error, span)),
        ),
    );
  };
}

/**
 * Runs the work of a call; a `SPACE_NOT_FOUND` it throws gains what to do next (the closest
 * space name the caller may see, how to create one), as the guard explains it over HTTP. The
 * caller's principal decides the suggestion: a key never hears of a space outside its grants.
 */
async function explainedTo<T>(ctx: GrpcContext, caller: Caller, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    // A memspace built by hand (tests) may have no guard: the error goes as it is.
    const guard = (ctx.memspace as Partial<Memspace>).guard;
    throw guard === undefined ? error : await guard.explain(error, caller.call.principal);
  }
}

/** The status a failure answers with; an internal one is also told to the server's log. */
function failed(ctx: GrpcContext, rpc: string, error: unknown, span: ActiveSpan): Partial<ServiceError> {
  const answer = toGrpcError(error);
  if (answer.code === status.INTERNAL) ctx.onInternalError(error, rpc);
  span.set({ 'rpc.grpc.status_code': answer.code });
  span.end(outcomeOf(error));
  return answer;
}

/**
 * The span of one call (docs/tracing.md): `rpc.service` and `rpc.method`, its status code and
 * outcome; the engine's spans nest under it, and a `traceparent` in the metadata is its parent.
 */
function callSpan(ctx: GrpcContext, rpc: string, metadata: Metadata): ActiveSpan {
  // A memspace built by hand (tests) may have no tracer: that is tracing off too.
  const tracer = (ctx.memspace as Partial<Memspace>).tracer ?? NO_TRACER;
  if (!tracer.enabled) return NO_TRACER.start(UNTRACED);
  const slash = rpc.lastIndexOf('/');
  const text = (key: string): string | undefined => {
    const [value] = metadata.get(key);
    return typeof value === 'string' ? value : undefined;
  };
  return tracer.start({
    name: rpc,
    operation: 'grpc.call',
    kind: 'server',
    attributes: { 'rpc.system': 'grpc', 'rpc.service': rpc.slice(0, slash), 'rpc.method': rpc.slice(slash + 1) },
    remoteParent: { traceparent: text('traceparent'), tracestate: text('tracestate') },
  });
}

const UNTRACED = { name: '', operation: '' };

/** Ends the span of a call that returned: `ok`, or `cancelled` when the client had gone. */
function succeeded(span: ActiveSpan, cancelled: boolean): void {
  span.set({ 'rpc.grpc.status_code': cancelled ? status.CANCELLED : status.OK });
  span.end(cancelled ? 'cancelled' : 'ok');
}

/**
 * A server-streaming handler: `fn` writes messages, each `write` waiting while the client's
 * buffer is full (so a whole space is never held in memory), until it returns (the stream ends
 * with OK) or throws (it ends with the error's status). `signal` aborts when the client goes.
 * `headers` sends response headers, before the first message; without it grpc-js sends none.
 */
export function serverStream<Req, Res>(
  ctx: GrpcContext,
  rpc: string,
  fn: (request: Req, caller: Caller, write: (message: Res) => Promise<void>, signal: AbortSignal, headers: (values: Record<string, string>) => void) => Promise<void>,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const signal = cancellation(call);
    const write = async (message: Res): Promise<void> => {
      if (!call.write(message)) await once(call, 'drain', { signal }).catch(() => undefined);
    };
    const headers = (values: Record<string, string>): void => {
      const metadata = new Metadata();
      for (const [key, value] of Object.entries(values)) metadata.set(key, value);
      call.sendMetadata(metadata);
    };
    const span = callSpan(ctx, rpc, call.metadata);
    span.run(() =>
      callerOf(ctx, call.metadata, rpc)
        .then((caller) => explainedTo(ctx, caller, () => fn(decoded(call.request), caller, write, signal, headers)))
        .then(
          () => {
            succeeded(span, signal.aborted);
            call.end();
          },
          (error: unknown) => call.emit('error', failed(ctx, rpc, error, span)),
        ),
    );
  };
}

/**
 * A client-streaming handler: `fn` reads the client's messages as an async iterable (which
 * throws if the client cancels) and returns the one response.
 */
export function clientStream<Req, Res>(ctx: GrpcContext, rpc: string, fn: (requests: AsyncIterable<Req>, caller: Caller) => Promise<Res>): handleClientStreamingCall<Req, Res> {
  return (call, callback) => {
    // A cancelled call never ends its readable side: fail the reader instead of leaving it waiting.
    call.once('cancelled', () => call.destroy(new MemspaceError('VALIDATION_FAILED', 'the client cancelled the stream')));
    const span = callSpan(ctx, rpc, call.metadata);
    span.run(() =>
      callerOf(ctx, call.metadata, rpc)
        .then((caller) => explainedTo(ctx, caller, () => fn(decodedEach(call as AsyncIterable<Req>), caller)))
        .then(
          (response) => {
            succeeded(span, call.cancelled);
            callback(null, response);
          },
          (error: unknown) => callback(failed(ctx, rpc, error, span)),
        ),
    );
  };
}

async function* decodedEach<Req>(requests: AsyncIterable<Req>): AsyncGenerator<Req> {
  for await (const request of requests) yield decoded(request);
}
