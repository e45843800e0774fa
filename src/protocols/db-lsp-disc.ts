/** Dropbox LAN sync discovery (udp 17500): a JSON body, listed as db-lsp-disc:json, Protocol "DB-LSP-DISC/JSON". */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';

const F = { db: fid('db-lsp-disc'), json: fid('json') };

export const dbLspDisc: Protocol = {
  name: 'db-lsp-disc',
  bind: [{ table: 'udp.port', keys: [17500] }],
  decode(r, off, d) {
    d.layer('db-lsp-disc', off, r.end, F.db);
    d.protocol = 'DB-LSP-DISC';
    if (d.wantInfo) d.info = 'Dropbox LAN sync Discovery Protocol';
    if (off >= r.end) return;
    d.layer('json', off, r.end, F.json);
    d.protocol = 'DB-LSP-DISC/JSON';
    if (d.wantInfo) d.info = 'Dropbox LAN sync Discovery Protocol, JavaScript Object Notation';
  },
};
