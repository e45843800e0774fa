/** NetBIOS and SMB2 golden decodes of real bytes: ndpi-1kxun.pcap frames 39 (NBNS), 389 (BROWSER);
 * zeek-smb2readwrite.pcap frames 1-3 (Create request/response, compounded GetInfo requests). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../src/dissect/session.js';
import { fid } from '../../src/fields/catalog.js';
import { frame, sweep } from './helpers.js';

const NBNS = 'ffffffffffff001c428e703108004500004e51c900008011f47cc0a87308c0a8ffff00890089003a16bab1e6011000010000000000002046484641454245454341434143414341434143414341434143414341434141410000200001';
const BROWSER = 'ffffffffffff8c736eb7941d080045000110000040004011b349c0a80543c0a8ffff008a008a00fcff8a110a2e43c0a80543008a00e600002046444542454f454b454a434e454d454a45474546454345504550454c434e41410020464845504643454c45484643455046464641434143414341434143414341424f00ff534d42250000000000000000000000000000000000000000000000000000001100004c000000000000000000000000000000000000004c00560003000100010002005d005c4d41494c534c4f545c42524f575345000f50e093040053414e4a492d4c494645424f4f4b2d4c0409039a84000f0155aa73616e6a692d4c494645424f4f4b2d4c4835333120736572766572202853616d62612c205562756e74752900';
const CREATE = '08002737354608002723ab63080045000114064a400080069f7ba9fe8012a9fe800fc00301bd456e9a5e7235b1d9501800fe4a5b0000000000e8fe534d424000010000000000050001000000000000000000cd04000000000000fffe00007a6c1953c01c233c0000000000000000000000000000000000000000390000090200000000000000000000000000000000000000890012008000000003000000010000006000000078001400900000005800000070007900740068006f006e00660069006c006500320000002800000010000400000018001000000044486e510000000000000000000000000000000000000000180000001000040000001800000000004d78416300000000000000001000040000001800000000005146696400000000';
const CREATED = '08002723ab6308002737354608004500011c6613400040067faaa9fe800fa9fe801201bdc0037235b1d9456e9b4a50180d02552d0000000000f0fe534d424000010000000000050001000100000000000000cd04000000000000fffe00007a6c1953c01c233c0000000000000000000000000000000000000000590009000100000080261aedcabfd40140afd907cbbfd4016f871aedcabfd4016f871aedcabfd4010000100000000000100000000000000080000000000000002e8c2fc5000000004d57ffae000000009800000058000000200000001000040000001800080000004d78416300000000000000009f011700000000001000040000001800200000005146696400000000ceee1d0000000000010800000000000000000000000000000000000000000000';
const GETINFO = '08002737354608002723ab63080045000105064b400080069f89a9fe8012a9fe800fc00301bd456e9b4a7235b2cd501800fd02620000000000d9fe534d424000010000000000100001000000000070000000ce04000000000000fffe00007a6c1953c01c233c00000000000000000000000000000000000000002900020158000000000000000000000000000000000000002e8c2fc5000000004d57ffae000000000000000000000000fe534d424000010000000000100001000400000000000000cf04000000000000fffe00007a6c1953c01c233c00000000000000000000000000000000000000002900020550000000000000000000000000000000000000002e8c2fc5000000004d57ffae0000000000';

test('NBNS name query', () => {
  const d = new Session().dissect(frame(NBNS));
  assert.equal(d.protocol, 'NBNS');
  assert.equal(d.info, 'Name query NB WPAD<00>');
  assert.equal(d.get(fid('nbns.name')), 'WPAD<00>');
  assert.equal(d.get(fid('nbns.flags.response')), 0);
});

test('Browser announcement over NBDGM and an SMB mailslot', () => {
  const d = new Session().dissect(frame(BROWSER));
  assert.equal(d.protocols, 'eth:ethertype:ip:udp:nbdgm:smb:browser');
  assert.equal(d.protocol, 'BROWSER');
  assert.match(d.info, /^Local Master Announcement SANJI-LIFEBOOK-L, Workstation, Server, /);
});

test('SMB2 create → file name remembered for later requests; compounded commands', () => {
  const s = new Session();
  let d = s.dissect(frame(CREATE, 1));
  assert.equal(d.protocols, 'eth:ethertype:ip:tcp:nbss:smb2');
  assert.equal(d.protocol, 'SMB2');
  assert.equal(d.info, 'Create Request File: pythonfile');
  assert.equal(d.get(fid('smb2.filename')), 'pythonfile');
  assert.equal(d.get(fid('smb2.cmd')), 5);
  d = s.dissect(frame(CREATED, 2));
  assert.equal(d.info, 'Create Response File: pythonfile');
  assert.equal(d.get(fid('smb2.flags.response')), 1);
  d = s.dissect(frame(GETINFO, 3));
  assert.equal(d.info, 'GetInfo Request FS_INFO/FileFsVolumeInformation File: pythonfile;GetInfo Request FS_INFO/FileFsAttributeInformation File: pythonfile');
  assert.deepEqual(d.all(fid('smb2.cmd')), [16, 16]);
});

test('NBSS framing: a message split over two segments is decoded on the second', () => {
  const b = Buffer.from(CREATE, 'hex');
  const ipHdr = 14, tcpOff = 34, pay = 34 + ((b[46] >> 4) * 4);
  const cut = pay + 40;
  const seg = (data: Buffer, seqAdd: number, num: number) => {
    const f = Buffer.concat([b.subarray(0, pay), data]);
    f.writeUInt16BE(f.length - ipHdr, ipHdr + 2);
    f.writeUInt32BE((b.readUInt32BE(tcpOff + 4) + seqAdd) >>> 0, tcpOff + 4);
    return frame(f.toString('hex'), num);
  };
  const s = new Session();
  let d = s.dissect(seg(b.subarray(pay, cut), 0, 1));
  assert.equal(d.protocol, 'TCP');
  d = s.dissect(seg(b.subarray(cut), cut - pay, 2));
  assert.equal(d.protocol, 'SMB2');
  assert.equal(d.info, 'Create Request File: pythonfile');
});

test('NetBIOS/SMB2 truncation sweep', () => sweep([NBNS, BROWSER, CREATE, CREATED, GETINFO]));

test('NBSS framing refuses payloads that are not SMB', async () => {
  const { nbss } = await import('../../src/protocols/nbss.js');
  const { Reader } = await import('../../src/wire/reader.js');
  const d = new Session().d;
  d.dport = 445;
  const r = (h: string) => new Reader(Uint8Array.from(Buffer.from(h, 'hex')), 0, h.length / 2);
  assert.equal(nbss.framing!.pduLength(r('474554202f20485454502f312e310d0a'), 0, d), -1); // "GET / HTTP/1.1"
  assert.equal(nbss.framing!.pduLength(r('16030100a5010000'), 0, d), -1); // TLS record
  assert.equal(nbss.framing!.pduLength(r('000000'), 0, d), 0);
});
