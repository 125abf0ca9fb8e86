// Reads a request body into memory and parses it as JSON, within the memory model
// (src/limits/): a hard size limit (413), the body charged to the memory budget as it arrives
// (503 when the proxy is full, 429 when its connection already holds a request's worth), and
// the parse's cost estimated and charged before JSON.parse runs (400 for nesting, 413 for a body
// that would expand past PARSE_FACTOR x the size limit).
import type { IncomingMessage } from 'node:http';
import type { Charge } from '../limits/budget.ts';
import { MAX_JSON_DEPTH, parsedBytes, scanJson } from '../limits/json-cost.ts';
import { PARSE_FACTOR, TEXT_COPIES } from '../limits/model.ts';
import { errors, ProxyError } from './errors.ts';

/** The answer to a charge the budget refused. */
function refused(charge: Charge): ProxyError {
  return charge.refusal === 'connection' ? errors.connectionBusy() : errors.busy();
}

export function readBody(req: IncomingMessage, limit: number, charge?: Charge): Promise<Buffer> {
  const header = req.headers['content-length'];
  const declared = header === undefined ? undefined : Number(header);
  if (declared !== undefined && declared > limit) return Promise.reject(errors.tooLarge(limit));
  // A declared length is charged before a byte is read: a body that cannot be held is refused at once.
  if (charge && declared !== undefined && !charge.tryTake(declared)) return Promise.reject(refused(charge));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      let error: ProxyError | undefined;
      if (size > limit) error = errors.tooLarge(limit);
      else if (charge && declared === undefined && !charge.tryTake(chunk.length)) error = refused(charge);
      if (error) {
        cleanup();
        chunks.length = 0;
        req.resume();
        reject(error);
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

/**
 * Parses a JSON object body; anything else is a 400 with the parser's reason. Before parsing,
 * the body's structure is scanned and what the request will hold (the parsed value, and the
 * copies of its text: decoded here, serialized again on the way out) is charged; limit is
 * max_body_bytes.
 */
export function parseJsonObject(body: Buffer, limit: number, charge?: Charge): Record<string, unknown> {
  const shape = scanJson(body);
  if (shape.depth > MAX_JSON_DEPTH) throw errors.jsonTooDeep(MAX_JSON_DEPTH);
  const parsed = parsedBytes(body.length, shape);
  if (parsed > PARSE_FACTOR * limit) throw errors.jsonTooComplex(parsed, PARSE_FACTOR * limit);
  if (charge && !charge.tryTake(parsed + TEXT_COPIES * body.length)) throw refused(charge);
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
