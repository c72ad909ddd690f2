/**
 * The gRPC layer of the gRPC client: one channel to the server with the memspace.v1 services on
 * it, calls bounded in time and ended by the caller's signal, and every failure turned into a
 * {@link MemspaceError} (grpc-status.ts).
 */
import {
  type CallOptions,
  type Client,
  type ClientReadableStream,
  type ClientUnaryCall,
  type ClientWritableStream,
  credentials,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import { MemspaceError } from '../core/errors.js';
import { SPACE_HEADER } from '../core/space-name.js';
import { memspaceServices, type ServiceName } from '../wire/proto.js';
import { grpcFailure } from './grpc-status.js';
import type { GrpcRequestOptions, MemspaceGrpcClientOptions } from './grpc-types.js';

type Callback = (error: ServiceError | null, response: unknown) => void;
type UnaryMethod = (this: Client, request: unknown, metadata: Metadata, options: CallOptions, callback: Callback) => ClientUnaryCall;
type ServerStreamMethod = (this: Client, request: unknown, metadata: Metadata, options: CallOptions) => ClientReadableStream<unknown>;
type ClientStreamMethod = (this: Client, metadata: Metadata, options: CallOptions, callback: Callback) => ClientWritableStream<unknown>;

/** A call's cancellation by the caller's signal; `detach` once the call is over. */
function cancelOn(signal: AbortSignal | undefined, call: { cancel(): void }): () => void {
  if (signal === undefined) return () => {};
  const cancel = (): void => call.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  return () => signal.removeEventListener('abort', cancel);
}

/** The calls of the gRPC client, on one channel shared by the services. */
export class GrpcTransport {
  private readonly clients: Record<ServiceName, Client>;
  private readonly apiKey: string | undefined;
  private readonly space: string | undefined;
  private readonly timeoutMs: number;
  private closed = false;
  readonly address: string;

  constructor(options: MemspaceGrpcClientOptions) {
    const services = memspaceServices();
    this.address = options.address;
    this.apiKey = options.apiKey;
    this.space = options.space;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const spaces = new services.Spaces(options.address, options.credentials ?? credentials.createInsecure(), options.channelOptions ?? {});
    // One connection for all the services.
    const channelOverride = spaces.getChannel();
    this.clients = {
      Spaces: spaces,
      Memories: new services.Memories(options.address, options.credentials ?? credentials.createInsecure(), { channelOverride }),
      Feedback: new services.Feedback(options.address, options.credentials ?? credentials.createInsecure(), { channelOverride }),
      Events: new services.Events(options.address, options.credentials ?? credentials.createInsecure(), { channelOverride }),
    };
  }

  /**
   * A unary call. `space` is the request's space field: when empty, the client's space (if any)
   * is sent as `x-memory-space` metadata instead, as the HTTP client sends its header; null for
   * a call that is not on one space (or names it in a field of its own), which sends none.
   */
  unary<Res>(service: ServiceName, method: string, request: unknown, space: string | null, options: GrpcRequestOptions | undefined): Promise<Res> {
    const signal = options?.signal;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const limit = this.limit(options, true);
    return new Promise<Res>((resolve, reject) => {
      const fn = this.method<UnaryMethod>(service, method);
      const call = fn.call(this.clients[service], request, this.metadata(space), this.callOptions(options, limit), (error, response) => {
        detach();
        if (error === null) resolve(response as Res);
        else reject(this.failure(error, service, method, limit, signal));
      });
      const detach = cancelOn(signal, call);
    });
  }

  /**
   * The messages of a server-streaming call, read as they arrive (the stream's flow control
   * holding the server back while the consumer is busy). Stopping early cancels the call; the
   * caller's signal cancels it and rejects with the signal's reason. `onHeaders` hears the
   * response headers, which arrive before the first message.
   */
  async *stream<Res>(
    service: ServiceName,
    method: string,
    request: unknown,
    space: string | null,
    options: GrpcRequestOptions | undefined,
    onHeaders?: (headers: Metadata) => void,
  ): AsyncGenerator<Res, void, undefined> {
    const signal = options?.signal;
    if (signal?.aborted === true) throw signal.reason;
    const limit = this.limit(options, false);
    const call = this.method<ServerStreamMethod>(service, method).call(this.clients[service], request, this.metadata(space), this.callOptions(options, limit));
    if (onHeaders !== undefined) call.on('metadata', onHeaders);
    const detach = cancelOn(signal, call);
    try {
      for await (const message of call) yield message as Res;
    } catch (error) {
      throw this.failure(error, service, method, limit, signal);
    } finally {
      detach();
      call.cancel(); // nothing when the call is over; frees the server when the consumer stopped early
    }
  }

  /**
   * A client-streaming call: writes each message of `messages` as the call's flow control
   * allows, then resolves with the server's answer. A failing source cancels the call and
   * rejects with the source's error; a server that answers early (a failure) stops the reading.
   */
  async upload<Res>(service: ServiceName, method: string, messages: AsyncIterable<unknown>, space: string | null, options: GrpcRequestOptions | undefined): Promise<Res> {
    const signal = options?.signal;
    if (signal?.aborted === true) throw signal.reason;
    const aborted = (): boolean => signal?.aborted === true; // a function: TypeScript would narrow a property read across awaits
    const limit = this.limit(options, false);
    const fn = this.method<ClientStreamMethod>(service, method);
    let call!: ClientWritableStream<unknown>;
    let answered = false;
    const answer = new Promise<Res>((resolve, reject) => {
      call = fn.call(this.clients[service], this.metadata(space), this.callOptions(options, limit), (error, response) => {
        answered = true;
        if (error === null) resolve(response as Res);
        else reject(this.failure(error, service, method, limit, signal));
      });
    });
    answer.catch(() => {}); // read below, once the upload is over
    const settled = answer.then(
      () => {},
      () => {},
    );
    const detach = cancelOn(signal, call);
    try {
      for await (const message of messages) {
        if (answered || aborted()) break;
        if (!call.write(message)) await Promise.race([new Promise((resolve) => call.once('drain', resolve)), settled]);
      }
      call.end();
    } catch (error) {
      call.cancel();
      throw error;
    } finally {
      detach();
    }
    return answer;
  }

  /** Closes the channel; calls in flight fail with `BACKEND_UNAVAILABLE`, and so do later ones. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clients.Spaces.close();
  }

  /** Whether {@link close} was called: a failure then is final, not worth retrying. */
  isClosed(): boolean {
    return this.closed;
  }

  /** A method of a service; a closed client refuses (grpc-js would throw a bare Error). */
  private method<F>(service: ServiceName, method: string): F {
    if (this.closed) throw new MemspaceError('BACKEND_UNAVAILABLE', `this gRPC client of ${this.address} is closed`);
    return (this.clients[service] as unknown as Record<string, F>)[method]!;
  }

  private metadata(space: string | null): Metadata {
    const metadata = new Metadata();
    if (this.apiKey !== undefined) metadata.set('authorization', `Bearer ${this.apiKey}`);
    // The request names no space: the client's, as the HTTP client's header; never both, which the server would refuse.
    if (space === '' && this.space !== undefined) metadata.set(SPACE_HEADER, this.space);
    return metadata;
  }

  /** The call's time limit in ms: its own, else the client's for unary calls; undefined for none. */
  private limit(options: GrpcRequestOptions | undefined, unary: boolean): number | undefined {
    const ms = options?.timeoutMs ?? (unary ? this.timeoutMs : 0);
    return ms > 0 ? ms : undefined;
  }

  private callOptions(options: GrpcRequestOptions | undefined, limit: number | undefined): CallOptions {
    if (options?.deadline !== undefined) return { deadline: options.deadline };
    return limit === undefined ? {} : { deadline: Date.now() + limit };
  }

  /** The error to throw for a failed call: the caller's abort reason when it cancelled, else the MemspaceError of the status. */
  private failure(error: unknown, service: ServiceName, method: string, timeoutMs: number | undefined, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted === true) return signal.reason;
    return grpcFailure(error, { address: this.address, method: `${service}/${method}`, timeoutMs });
  }
}
