/** Shared bits for the protocol tests: real bytes (hex) → Frame on any link type, and a truncation sweep. */
import assert from 'node:assert/strict';
import type { Frame } from '../../src/wire/capture.js';
import { Session } from '../../src/dissect/session.js';

export function frame(bytes: string | Uint8Array, num = 1, linktype = 1): Frame {
  const b = typeof bytes === 'string' ? Uint8Array.from(Buffer.from(bytes.replace(/\s+/g, ''), 'hex')) : bytes;
  return { num, tsSec: num, tsNsec: 0, hasTs: true, caplen: b.length, len: b.length, linktype, iface: 0, data: b };
}

/** Every prefix of every packet decodes in a fresh session without an exception escaping. */
export function sweep(hexes: (string | Uint8Array)[], linktype = 1): void {
  for (const h of hexes) {
    const full = frame(h, 1, linktype);
    for (let n = 0; n <= full.data.length; n++) {
      const s = new Session();
      const f = { ...full, data: full.data.subarray(0, n), caplen: n };
      assert.doesNotThrow(() => s.dissect(f), `prefix ${n}`);
      assert.ok(!s.d.anomalies.includes('decoder_exception'), `prefix ${n}: ${s.lastError}`);
    }
  }
}
