/** Shared bits for the HTTP-family tests: hex → Frame, and a truncation sweep. */
import assert from 'node:assert/strict';
import type { Frame } from '../../src/wire/capture.js';
import { Session } from '../../src/dissect/session.js';

export function frame(hex: string, num = 1, linktype = 1): Frame {
  const b = Uint8Array.from(Buffer.from(hex, 'hex'));
  return { num, tsSec: num, tsNsec: 0, hasTs: true, caplen: b.length, len: b.length, linktype, iface: 0, data: b };
}

/** Every prefix of every packet decodes in a fresh session without an exception escaping. */
export function sweep(hexes: string[]): void {
  for (const h of hexes) {
    const full = frame(h);
    for (let n = 0; n <= full.data.length; n++) {
      const s = new Session();
      const f = { ...full, data: full.data.subarray(0, n), caplen: n };
      assert.doesNotThrow(() => s.dissect(f), `prefix ${n}`);
    }
  }
}
