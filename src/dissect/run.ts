/** Convenience: decode a whole capture with one Session (used by tools and benchmarks). */
import { readCapture, type ReadResult } from '../wire/capture.js';
import { Session, type SessionOptions } from './session.js';
import type { Dissection } from './dissection.js';

export async function decodeCaptureFile(path: string, onPacket: (d: Dissection) => void, opts: SessionOptions = {}): Promise<ReadResult & { session: Session }> {
  const s = new Session(opts);
  const res = await readCapture(path, (f) => onPacket(s.dissect(f)));
  return { ...res, session: s };
}
