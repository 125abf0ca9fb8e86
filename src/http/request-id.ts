// x-request-id: keep the caller's when it is sane, else make one.
import { randomId } from '../random-id.ts';

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && SAFE.test(incoming)) return incoming;
  return randomId();
}
