/**
 * The details of a failed call as Google's error model carries them: a `google.rpc.Status` in
 * the `grpc-status-details-bin` trailer holding a `google.rpc.ErrorInfo`, whose `reason` is
 * memspace's error code, `domain` is "memspace", and `metadata` the error's details as JSON texts.
 */
import type { Metadata } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** The trailer the details travel in. */
export const DETAILS_TRAILER = 'grpc-status-details-bin';

/** The domain of memspace's ErrorInfo. */
export const ERROR_DOMAIN = 'memspace';

/** The messages of Google's error model used here (google/rpc/status.proto, error_details.proto). */
const rpc = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: { nested: { Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } } },
        rpc: {
          nested: {
            Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 }, details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 } } },
            ErrorInfo: { fields: { reason: { type: 'string', id: 1 }, domain: { type: 'string', id: 2 }, metadata: { keyType: 'string', type: 'string', id: 3 } } },
          },
        },
      },
    },
  },
} as protobuf.INamespace);
const StatusMessage = rpc.lookupType('google.rpc.Status');
const ErrorInfoMessage = rpc.lookupType('google.rpc.ErrorInfo');
const ERROR_INFO_URL = 'type.googleapis.com/google.rpc.ErrorInfo';

/** What an ErrorInfo says. */
export interface ErrorInfo {
  reason: string;
  domain: string;
  metadata: Record<string, string>;
}

/** The trailer's bytes for a status `code` and `message` carrying `info`. */
export function encodeStatusDetails(code: number, message: string, info: ErrorInfo): Uint8Array {
  const detail = ErrorInfoMessage.encode(ErrorInfoMessage.fromObject(info)).finish();
  return StatusMessage.encode(StatusMessage.fromObject({ code, message, details: [{ type_url: ERROR_INFO_URL, value: detail }] })).finish();
}

/** The ErrorInfo in a failed call's trailers, if they carry one that decodes. */
export function errorInfoOf(metadata: Metadata | undefined): ErrorInfo | undefined {
  const [bin] = metadata?.get(DETAILS_TRAILER) ?? [];
  if (!(bin instanceof Uint8Array)) return undefined;
  try {
    const status = StatusMessage.toObject(StatusMessage.decode(bin)) as { details?: { type_url: string; value: Uint8Array }[] };
    const any = status.details?.find((d) => d.type_url === ERROR_INFO_URL);
    if (any === undefined) return undefined;
    const info = ErrorInfoMessage.toObject(ErrorInfoMessage.decode(any.value), { defaults: true }) as ErrorInfo;
    return { reason: info.reason, domain: info.domain, metadata: info.metadata ?? {} };
  } catch {
    return undefined; // details from something other than memspace (a proxy)
  }
}
