import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../src/dissect/session.js';
import { fid } from '../../src/fields/catalog.js';
import { ja4, newHello, ja3Full, isGrease } from '../../src/protocols/tls-fingerprint.js';

import { frame } from './helpers.js';

const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

// arkime-curl-enabled-tls13.pcap frame 8: curl's TLS ClientHello (record version 0x0301) to enabled.tls13.com:443
const CLIENT_HELLO = hex('f61636bcf9c602500000000108004500022d2eef4000400622fec0a8410368107d22b62e01bb4faf96381afe6ad0501800e5abee00001603010200010001fc0303896833458d7827917b0deb0813ebd3ebf3bc731018ee722dc10e502eb72f9fbd20002ec375729614262a240f08055b7ef2a11799c7f032a7f5838890823f079bfc000813021303130100ff010001ab000000160014000011656e61626c65642e746c7331332e636f6d000b000403000102000a000c000a001d0017001e00190018337400000010000e000c02683208687474702f312e31001600000017000000310000000d001e001c040305030603080708080809080a080b080408050806040105010601002b0003020304002d00020101003300260024001d0020a3fde1f9062b99be7617356eda87a4632172eddfb7c44c4aa418e963a0351f05001500fa00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000');
// zeek-quicv2-http3-443.pcap frame 1: a QUIC v2 client Initial (decryptable with the v2 initial salt)
const QUIC_V2_INITIAL = hex('00000000000000000000000008004500050000004000401137eb7f0000017f000001c69901bb04ec82d4d56b3343cf0cbdf0c5b27927cc667e58d95b0471b8f3f40044caf5352eb624e74dceefcaffb36923edc3b28ad4176bd6a63a7e49f368a475754dd9a580b6b2812a450a22c8b71ebca9ee15157ede7406bf04b5f6340b6cedea74c8cfca8d36cef7c6b92e60184ff192c1f7187adfc30cc3f63900a5a19c841848f3f2fd8dce9e851508ccf4e696b9ceb6ce4180a7f75bab0e7d74d98280f2bc7326e82dd977fb1b6970ea23c561fcbe96ef2423c42bb227100c92fc4c3ccb14a7c8ff0b8e8b35cb419fdea4ccef726caa337211d1a291beb55508885d448b69309f5da8f955705291c1d53d324b0663bb8b13949362acf6d7bedf022e2a83553bbc17e17274cd8b6ca4c0a2b12866bcbc5afcbe3404a16b7af8dec7de1bc34acab2dd2e264dbc04647e6a81a5db87428c072eb04679ad4774a0c00a0416945f9cd495f1b53bc59856b7756c9e5eaeab7f510a83850d3f836d9ce184c637c5f1e8feb03b55c162f02bc2f4a7500b150bd51ef1468f453f3a7c4b73e192dd9e5c254b4610bc365f637fda89598c7767d688721b6f62b91bcf4e3fecf5fd6b9a03803b6c53b862cd25ba83dd16a39c917b27c386c2405b70c8ba8c3a36afedf7860831f5285c2ca55d6ebffafea0599db544aacc9416afb978d8fbbcaec5ef62b9a32a8449b4e69b752e111d00e2163c0a4663cdb34e74e47695f9e68eba6678b90b82f2ff504126f2e7038b79396a31c6a358ee8bb29d2213803a858d96988405bf25455c52b987642e0ec6ba103d6a850d55e9ed130ddca47c78ecd35bd071fec73c8e179d2ba6ff7b7ccf8648c5c92c7b29d80f79014183d89fd3844a433c213e8f6343979a550ec3b8ffe5744c4075d5f6b254a61cd5e08ec0b8bc4a6532f427aa2f8d924ddc9ac2a2e2b6229ed9971a7655b43159896c83d15cc9768372d4841abdfd88a97e90d0335f9531a6694c86389ccb9134857f014138aa02aca4d6e62b7a7119a8cc41f1e8633ed2eed1dc90eef285230c855ec993d4597e401c87141194fca7e000e2bde56fa23dee40297fe1ae95ece055b9f527e9dc3248ce59ab8a3a7f0839806c91c3c56dbd5d423b503e4794d0441cbcf95544cf566d11ec2d9bc02d1d56eecbbd126b8e0a387d5d769aa252318179d8a1e42337cc2c8bab1153bdd849a4892a48ff151da4a47d646e1576e5c361d68aae956f7bfae5c48d158e235c58a3aa901e5773fd09d5eeb49cad86546c151e32b8be80b6735ab3bba1b734609124519b273a7d35988d5a8b80478bda00accef82a3f3645d1d67ed3fa6cc07ba169cb2f2964e870d31ffc96b8b03b062e5053b79410b93753c962a3bcbf9c4d7b2bfd7b76715b66a4d25fd15211fd2a9a65d59beacb02f7d2b29c0dd42a263802a8b3c83578445061daec6ae29911c54f3e088958dfa10e73d8c2256de3e0edf523933886771c13561fb9391ac365f0300546103363f652c72aad16e514001dd87587a6d7de57cea4b94921a970ef3a36c7112e07648bd9d2db67530f34cd81ac5eaba6273a505adea9e458464daa952429882e444f1273b7e257151d683e15054f76c4e5e04247609235872a4aa71df046e62f4b9073c4a65dd92758ee1b97a02456f4ca0742369fdffd3546f4df4a0e0c098f825d777c01688a6d57a2f9077681c0e92789d7505fbcd41411f5d709dc6869e4b15d1926cc75d0a18f5a127def095b4843562abde8c968f23d322c13c40e6b32450f8a6232e19a7824ee4d9261015f46ab7d4c');

test('TLS ClientHello: columns, SNI, ALPN, JA3 as tshark 4.0.17 shows them', () => {
  const d = new Session().dissect(frame(CLIENT_HELLO));
  assert.equal(d.protocol, 'TLSv1');
  assert.equal(d.info, 'Client Hello (SNI=enabled.tls13.com)');
  assert.equal(d.protocols, 'eth:ethertype:ip:tcp:tls');
  assert.equal(d.get(fid('tls.handshake.type')), 1);
  assert.equal(d.get(fid('tls.handshake.extensions_server_name')), 'enabled.tls13.com');
  assert.deepEqual(d.all(fid('tls.handshake.extensions_alpn_str')), ['h2', 'http/1.1']);
  assert.equal(d.get(fid('tls.handshake.ja3')), 'eeadfd2f446a45ded96f804720a0c75b');
  assert.match(String(d.get(fid('tls.handshake.ja4'))), /^t13d\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
});

test('QUIC v2 Initial: decrypted CRYPTO frames give the ClientHello', () => {
  const d = new Session().dissect(frame(QUIC_V2_INITIAL));
  assert.equal(d.protocol, 'QUIC');
  assert.equal(d.info, 'Initial, DCID=bdf0c5b27927cc667e58d95b, SCID=71b8f3f4, PKN: 0, PADDING, CRYPTO');
  assert.equal(d.protocols, 'eth:ethertype:ip:udp:quic:tls');
  assert.equal(d.get(fid('quic.version')), 0x6b3343cf);
  assert.equal(d.get(fid('tls.handshake.ja3')), 'b399a25badfd034849f164d8acfda10e');
  assert.equal(d.get(fid('tls.handshake.extensions_alpn_str')), 'h3');
  assert.match(String(d.get(fid('tls.handshake.ja4'))), /^q13i\d{4}h3_/);
});

test('JA4 matches a published Chrome fingerprint (ja4 / ja4_r / ja4_ro triple)', () => {
  const h = newHello();
  const x = (s: string) => s.split(',').map((v) => parseInt(v, 16));
  h.version = 0x0303;
  h.ciphers = [0x3a3a, ...x('1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035')];
  h.exts = [0x0a0a, ...x('002d,0033,0010,fe0d,0017,44cd,0000,000b,000a,002b,ff01,0023,0012,0005,000d,001b'), 0x1a1a];
  h.sigAlgs = x('0403,0804,0401,0503,0805,0501,0806,0601');
  h.versions = [0x2a2a, 0x0304, 0x0303];
  h.alpn = ['h2', 'http/1.1'];
  h.hasSni = true;
  const j = ja4(h, 't');
  assert.equal(j.ja4, 't13d1516h2_8daaf6152771_d8a2da3f94cd');
  assert.equal(j.raw, 't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,ff01_0403,0804,0401,0503,0805,0501,0806,0601');
  assert.ok(isGrease(0xfafa) && !isGrease(0x0a0b));
  assert.ok(ja3Full(h).startsWith('771,4865-4866-4867,'.slice(0, 4)));
});

test('every prefix of the golden packets decodes without an exception escaping', () => {
  for (const pkt of [CLIENT_HELLO, QUIC_V2_INITIAL]) {
    const s = new Session();
    for (let n = 0; n <= pkt.length; n++) {
      const b = pkt.subarray(0, n);
      assert.doesNotThrow(() => s.dissect({ ...frame(b, n + 1), len: pkt.length }));
    }
  }
});

test('heuristics reject other payloads', async () => {
  const { tls } = await import('../../src/protocols/tls.js');
  const { quic } = await import('../../src/protocols/quic.js');
  const { gquic } = await import('../../src/protocols/gquic.js');
  const { Reader } = await import('../../src/wire/reader.js');
  const s = new Session();
  const payloads = ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'SSH-2.0-OpenSSH_8.9\r\n', '\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x03com\x00\x00\x01\x00\x01', '\x17\x03\x03\x00\x00', '\x16\x03\x09\x00\x10'];
  for (const p of payloads) {
    const r = new Reader(Uint8Array.from(Buffer.from(p, 'latin1')), 0, p.length);
    assert.equal(tls.heuristics![0].test(r, 0, s.d), false, JSON.stringify(p));
    assert.equal(quic.heuristics![0].test(r, 0, s.d), false, JSON.stringify(p));
    assert.equal(gquic.heuristics![0].test(r, 0, s.d), false, JSON.stringify(p));
  }
});
