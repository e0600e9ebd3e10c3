// Cross-checks against libwbxml (Debian libwbxml2-utils): everything we encode decodes with wbxml2xml to the
// same document, and everything xml2wbxml encodes decodes with us to the same model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWbxmlMessage } from '../../../agent/syncml/wbxml-encode.js';
import { decodeWbxmlMessage } from '../../../agent/syncml/wbxml-decode.js';
import { decodeXml } from '../../../agent/syncml/xml-decode.js';
import { encodeXml } from '../../../agent/syncml/xml-encode.js';
import { utf8Encode } from '../../../agent/util/bytes.js';
import { sampleMessages } from '../../helpers/corpus.js';
import { normalize } from '../../helpers/normalize.js';
import { needPeer, needShared, sharedDir, wbxml2xml, xml2wbxml } from '../../helpers/peers.js';

const corpus = sampleMessages();
const hasBinary = (name: string) => name === 'pkg2-binary';

for (const { name, msg } of corpus) {
  for (const stringTable of [true, false]) {
    // libwbxml writes OPAQUE back as raw bytes inside the XML (not valid XML text), and carries the base64
    // text of XML as opaque bytes the other way: binary Data is checked by our own WBXML round trips only.
    if (hasBinary(name)) continue;
    test(`ours → wbxml2xml: ${name}${stringTable ? ' (string table)' : ''}`, { skip: needPeer('wbxml2xml') }, () => {
      const xml = wbxml2xml(encodeWbxmlMessage(msg, { stringTable }));
      assert.match(xml, /SyncML 1\.2/, 'libwbxml recognised the SyncML 1.2 public identifier');
      assert.deepEqual(normalize(decodeXml(utf8Encode(xml))), normalize(msg));
    });
  }
  if (hasBinary(name)) continue;
  test(`xml2wbxml → ours: ${name}`, { skip: needPeer('xml2wbxml') }, () => {
    const wbxml = xml2wbxml(encodeXml(msg));
    assert.deepEqual([...wbxml.subarray(1, 3)], [0xa4, 0x01], 'libwbxml chose public id 0x1201');
    assert.deepEqual(normalize(decodeWbxmlMessage(wbxml)), normalize(msg));
  });
}

test('the shared vectors through xml2wbxml decode with us to the model our XML reader gives', {
  skip: needPeer('xml2wbxml') || needShared('vectors'),
}, () => {
  for (const f of ['pkg1-generic-alert.xml', 'pkg2-server-ui-scomo.xml']) {
    const xml = readFileSync(join(sharedDir, 'vectors', f));
    assert.deepEqual(decodeWbxmlMessage(xml2wbxml(xml)), decodeXml(new Uint8Array(xml)), f);
  }
});

test('package 1 (user, component): ours is smaller than libwbxml on the same document', { skip: needPeer('xml2wbxml') }, () => {
  const pkg1 = corpus.find((c) => c.name === 'pkg1-user-component')!.msg;
  const ours = encodeWbxmlMessage(pkg1).length;
  const theirs = xml2wbxml(encodeXml(pkg1)).length;
  assert.ok(ours < theirs, `ours ${ours} B, libwbxml ${theirs} B`);
});
