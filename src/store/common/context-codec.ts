/**
 * How a context's text is stored: brotli over UTF-8. Compression runs on libuv's thread pool
 * (the async zlib API), before the write transaction opens, so a large context neither blocks
 * the event loop nor holds the write lock while it is compressed.
 */
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import type { ContextRecord } from '../../core/types.js';
import { contextPayloadBytes } from './payload-bytes.js';

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);

/**
 * Brotli quality. 11 (the library default) compresses text about 10 % smaller than 5 but an
 * order of magnitude slower (about 150 ms against 13 ms for 1 MB here); contexts are written
 * on a request's path, so the faster setting wins.
 */
const QUALITY = 5;

/** A context's text as stored, with its sizes. */
export interface EncodedContext {
  stored: Buffer;
  /** UTF-8 bytes of the text. */
  originalBytes: number;
  /** Bytes of `stored`. */
  storedBytes: number;
}

/** Compresses a context's text for storage. */
export async function encodeContext(content: string): Promise<EncodedContext> {
  const utf8 = Buffer.from(content, 'utf8');
  const stored = await compress(utf8, {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: utf8.byteLength,
    },
  });
  return { stored, originalBytes: utf8.byteLength, storedBytes: stored.byteLength };
}

/** The text of a stored context. */
export async function decodeContext(stored: Buffer): Promise<string> {
  return (await decompress(stored)).toString('utf8');
}

/** A context with its text compressed, ready for a backend to insert. */
export interface PreparedContext {
  record: ContextRecord;
  encoded: EncodedContext;
  /** What the row counts against `quotas.maxBytes`. */
  payloadBytes: number;
}

/** Compresses contexts before their write transaction opens, so no lock is held while brotli runs. */
export async function prepareContexts(contexts: readonly ContextRecord[] | undefined): Promise<PreparedContext[]> {
  return Promise.all(
    (contexts ?? []).map(async (record) => {
      const encoded = await encodeContext(record.content);
      return { record, encoded, payloadBytes: contextPayloadBytes(record, encoded.storedBytes) };
    }),
  );
}
