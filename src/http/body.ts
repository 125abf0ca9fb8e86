// Reads a request body into memory with a hard size limit (413 beyond it).
import type { IncomingMessage } from 'node:http';
import { errors, ProxyError } from './errors.ts';

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(errors.tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume();
        reject(errors.tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(
        new ProxyError(
          400,
          'invalid_request_error',
          `could not read the request body: ${error.message}`,
          'body_read_error',
        ),
      );
    };
    const onAborted = () => {
      cleanup();
      reject(
        new ProxyError(
          499,
          'invalid_request_error',
          'client closed the connection while sending the body',
          'client_closed',
        ),
      );
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** Parses a JSON object body; anything else is a 400 with the parser's reason. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw errors.badJson((error as Error).message);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw errors.badJson('expected a JSON object');
  return value as Record<string, unknown>;
}
