/**
 * `need` that reports a capture cut at the point where the bytes run out (the window's end), not at the start
 * of the element: the dispatcher tells "cut by snaplen" from "malformed" by that offset.
 */
import { DecodeError, type Reader } from '../wire/reader.js';

export function need(r: Reader, o: number, n: number, what: string): void {
  if (n < 0 || o < r.start) throw new DecodeError('malformed', o, what);
  if (o + n > r.end) throw new DecodeError('truncated', Math.max(o, r.end), what);
}
