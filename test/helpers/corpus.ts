// A fixed corpus of realistic DM 1.2 messages, both directions, covering every command a DM client meets.
// Used by the codec tests, the libwbxml and xmllint cross-checks, the benchmark and the fuzzer.
import type { Command, Item, SyncHdr, SyncMLMessage } from '../../agent/syncml/model.js';

const DEV = 'IMEI:493005100592800';
const SRV = 'http://127.0.0.1:8080/dm';

function clientHdr(msgId: string, extra: Partial<SyncHdr> = {}): SyncHdr {
  return {
    verDTD: '1.2',
    verProto: 'DM/1.2',
    sessionId: '1A2B',
    msgId,
    target: { locURI: SRV },
    source: { locURI: DEV, locName: 'dmuser' },
    ...extra,
  };
}

function serverHdr(msgId: string, extra: Partial<SyncHdr> = {}): SyncHdr {
  return { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '1A2B', msgId, target: { locURI: DEV }, source: { locURI: SRV }, ...extra };
}

const devInfo: Item[] = [
  ['DevId', DEV],
  ['Man', 'ExampleCo'],
  ['Mod', 'TS-Agent-1'],
  ['DmV', '1.2'],
  ['Lang', 'en-US'],
].map(([n, v]) => ({ source: { locURI: `./DevInfo/${n}` }, data: v! }));

function pkg1(type: string, source?: string): Command[] {
  const item: Item = { meta: { type, format: 'chr' }, data: '' };
  if (source) item.source = { locURI: source };
  return [
    { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
    { kind: 'Replace', cmdId: '2', meta: { format: 'chr' }, items: devInfo },
    { kind: 'Alert', cmdId: '3', data: '1226', items: [item] },
  ];
}

const md5Cred = { meta: { format: 'b64', type: 'syncml:auth-md5' }, data: 'Zz6EivR3yeaaENcRN6lpAQ==' };
const hdrStatus = (code: string, msgRef = '1') => ({
  kind: 'Status' as const,
  cmdId: '1',
  msgRef,
  cmdRef: '0',
  cmd: 'SyncHdr',
  targetRefs: [SRV],
  sourceRefs: [DEV],
  items: [],
  data: code,
});

export function sampleMessages(): { name: string; msg: SyncMLMessage }[] {
  const out: { name: string; msg: SyncMLMessage }[] = [];
  const add = (name: string, msg: SyncMLMessage) => out.push({ name, msg });

  add('pkg1-user-component', {
    hdr: clientHdr('1', { cred: md5Cred, meta: { maxMsgSize: 16384, maxObjSize: 65536 } }),
    body: pkg1('urn:oma:at:scomo:1.1:UpdateUserRequest', './SCOMO/Inventory/Deployed/app1'),
    final: true,
  });
  add('pkg1-user-device', { hdr: clientHdr('1', { cred: md5Cred }), body: pkg1('urn:oma:at:scomo:1.1:UpdateUserRequest'), final: true });
  add('pkg1-device-request', {
    hdr: clientHdr('1', { cred: { meta: { format: 'b64', type: 'syncml:auth-basic' }, data: 'ZG11c2VyOmRtcGFzcw==' } }),
    body: pkg1('urn:oma:at:scomo:1.1:UpdateDeviceRequest'),
    final: true,
  });
  add('pkg2-challenge', {
    hdr: serverHdr('1'),
    body: [{ ...hdrStatus('401'), chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: 'c2VydmVybm9uY2UwMQ==' } } }],
    final: true,
  });
  add('pkg2-ui', {
    hdr: serverHdr('2', { respURI: `${SRV}?sid=1A2B`, meta: { maxMsgSize: 10000 } }),
    body: [
      hdrStatus('212'),
      { kind: 'Status', cmdId: '2', msgRef: '1', cmdRef: '1', cmd: 'Alert', targetRefs: [], sourceRefs: [], items: [], data: '200' },
      { kind: 'Status', cmdId: '3', msgRef: '1', cmdRef: '3', cmd: 'Alert', targetRefs: [], sourceRefs: [], items: [], data: '202' },
      { kind: 'Alert', cmdId: '4', data: '1100', items: [{ data: 'MINDT=5' }, { data: 'Checking for updates…' }] },
      {
        kind: 'Alert',
        cmdId: '5',
        data: '1101',
        items: [{ data: 'MINDT=10&MAXDT=30&DR=1' }, { data: 'Install Weather 2.0 now? <yes> & "ok"' }],
      },
      { kind: 'Alert', cmdId: '6', data: '1102', items: [{ data: 'MAXDT=60&DR=1234&MAXLEN=8&IT=N&ET=P' }, { data: 'Enter PIN' }] },
      { kind: 'Alert', cmdId: '7', data: '1103', items: [{ data: 'DR=2' }, { data: 'When?' }, { data: 'Now' }, { data: 'Tonight' }] },
      {
        kind: 'Alert',
        cmdId: '8',
        data: '1104',
        items: [{ data: 'MAXDT=120&DR=1-3' }, { data: 'Components' }, { data: 'app1' }, { data: 'app2' }, { data: 'app3' }],
      },
    ],
    final: true,
  });
  add('pkg2-scomo', {
    hdr: serverHdr('3'),
    body: [
      hdrStatus('212'),
      {
        kind: 'Add',
        cmdId: '2',
        items: [
          { target: { locURI: './SCOMO/Download/pkg1' }, meta: { format: 'node' } },
          { target: { locURI: './SCOMO/Download/pkg1/PkgID' }, meta: { format: 'chr' }, data: 'app1-2.0' },
          {
            target: { locURI: './SCOMO/Download/pkg1/PkgURL' },
            meta: { format: 'chr' },
            data: 'http://127.0.0.1:8080/packages/app1-2.0.json',
          },
          {
            target: { locURI: './SCOMO/Download/pkg1/Ext/SHA256' },
            meta: { format: 'chr' },
            data: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
          },
        ],
      },
      {
        kind: 'Exec',
        cmdId: '3',
        correlator: 'scomo-42',
        items: [{ target: { locURI: './SCOMO/Download/pkg1/Operations/DownloadInstall' } }],
      },
    ],
    final: true,
  });
  add('pkg2-get-burst', {
    hdr: serverHdr('2'),
    body: [
      hdrStatus('212'),
      {
        kind: 'Get',
        cmdId: '2',
        items: ['ID', 'Name', 'Version', 'State'].map((n) => ({ target: { locURI: `./SCOMO/Inventory/Deployed/app1/${n}` } })),
      },
      { kind: 'Get', cmdId: '3', items: [{ target: { locURI: './SCOMO/Inventory/Deployed' } }] },
      { kind: 'Get', cmdId: '4', items: [{ target: { locURI: './DevDetail/FwV?prop=ACL' } }] },
      {
        kind: 'Get',
        cmdId: '5',
        items: [{ target: { locURI: './SCOMO?list=StructData' } }, { target: { locURI: './DevInfo?list=Struct' } }],
      },
    ],
    final: true,
  });
  add('pkg2-replace-burst', {
    hdr: serverHdr('2'),
    body: [
      hdrStatus('212'),
      {
        kind: 'Replace',
        cmdId: '2',
        meta: { format: 'chr', type: 'text/plain' },
        items: [
          { target: { locURI: './DMAcc/lab/Name' }, data: 'Lab server' },
          { target: { locURI: './SCOMO/Inventory/Deployed/app1/Description' }, data: 'Weather app — ünïcode' },
        ],
      },
      {
        kind: 'Replace',
        cmdId: '3',
        noResp: true,
        items: [{ target: { locURI: './DMAcc/lab/AppAuth/client/AAuthData' }, meta: { format: 'b64' }, data: 'bm9uY2U=' }],
      },
    ],
    final: true,
  });
  add('pkg2-delete-copy', {
    hdr: serverHdr('4'),
    body: [
      hdrStatus('200', '3'),
      { kind: 'Delete', cmdId: '2', items: [{ target: { locURI: './SCOMO/Download/pkg1' } }] },
      { kind: 'Copy', cmdId: '3', items: [{ target: { locURI: './DevInfo/Ext/Copy' }, source: { locURI: './DevInfo/Man' } }] },
    ],
    final: true,
  });
  add('pkg2-atomic', {
    hdr: serverHdr('2'),
    body: [
      hdrStatus('212'),
      {
        kind: 'Atomic',
        cmdId: '2',
        commands: [
          { kind: 'Add', cmdId: '3', items: [{ target: { locURI: './SCOMO/Download/p2' }, meta: { format: 'node' } }] },
          { kind: 'Replace', cmdId: '4', items: [{ target: { locURI: './SCOMO/Download/p2/Name' }, meta: { format: 'chr' }, data: 'x' }] },
          { kind: 'Delete', cmdId: '5', items: [{ target: { locURI: './SCOMO/Download/p1' } }] },
        ],
      },
    ],
    final: true,
  });
  add('pkg2-sequence', {
    hdr: serverHdr('2'),
    body: [
      hdrStatus('212'),
      {
        kind: 'Sequence',
        cmdId: '2',
        commands: [
          { kind: 'Alert', cmdId: '3', data: '1101', items: [{ data: 'DR=0' }, { data: 'Proceed?' }] },
          { kind: 'Get', cmdId: '4', items: [{ target: { locURI: './DevInfo/Mod' } }] },
          { kind: 'Exec', cmdId: '5', items: [{ target: { locURI: './SCOMO/Inventory/Deployed/app2/Operations/Deactivate' } }] },
        ],
      },
    ],
    final: true,
  });
  add('pkg2-large-object', {
    hdr: serverHdr('2'),
    body: [
      hdrStatus('212'),
      {
        kind: 'Replace',
        cmdId: '2',
        items: [
          {
            target: { locURI: './SCOMO/Download/pkg1/Description' },
            meta: { format: 'chr', size: 4000 },
            data: 'Lorem ipsum dolor sit amet, '.repeat(40),
            moreData: true,
          },
        ],
      },
    ],
    final: false,
  });
  add('pkg2-binary', {
    hdr: serverHdr('2'),
    body: [
      hdrStatus('212'),
      {
        kind: 'Replace',
        cmdId: '2',
        items: [
          {
            target: { locURI: './DMAcc/lab/AppAuth/client/AAuthData' },
            meta: { format: 'bin' },
            data: new Uint8Array([0, 1, 2, 250, 251, 252, 253, 254, 255, 60, 38]),
          },
        ],
      },
    ],
    final: true,
  });
  add('pkg2-next-message', {
    hdr: serverHdr('5'),
    body: [hdrStatus('200', '4'), { kind: 'Alert', cmdId: '2', data: '1222', items: [] }],
    final: false,
  });
  add('pkg2-abort', {
    hdr: serverHdr('6'),
    body: [hdrStatus('200', '5'), { kind: 'Alert', cmdId: '2', data: '1223', items: [] }],
    final: true,
  });
  add('pkg3-statuses-results', {
    hdr: clientHdr('2'),
    body: [
      { ...hdrStatus('200'), targetRefs: [DEV], sourceRefs: [SRV] },
      {
        kind: 'Status',
        cmdId: '2',
        msgRef: '2',
        cmdRef: '2',
        cmd: 'Get',
        targetRefs: ['./SCOMO/Inventory/Deployed/app1/Version'],
        sourceRefs: [],
        items: [],
        data: '200',
      },
      {
        kind: 'Results',
        cmdId: '3',
        msgRef: '2',
        cmdRef: '2',
        items: [
          { source: { locURI: './SCOMO/Inventory/Deployed/app1/Version' }, meta: { format: 'chr', type: 'text/plain' }, data: '1.0' },
        ],
      },
      {
        kind: 'Results',
        cmdId: '4',
        msgRef: '2',
        cmdRef: '3',
        items: [{ source: { locURI: './SCOMO/Inventory/Deployed' }, meta: { format: 'node' }, data: 'app1/app2' }],
      },
      {
        kind: 'Status',
        cmdId: '5',
        msgRef: '2',
        cmdRef: '5',
        cmd: 'Alert',
        targetRefs: [],
        sourceRefs: [],
        items: [{ data: '2' }],
        data: '200',
      },
      {
        kind: 'Status',
        cmdId: '6',
        msgRef: '2',
        cmdRef: '6',
        cmd: 'Alert',
        targetRefs: [],
        sourceRefs: [],
        items: [{ data: '1' }, { data: '3' }],
        data: '200',
      },
      { kind: 'Status', cmdId: '7', msgRef: '2', cmdRef: '7', cmd: 'Alert', targetRefs: [], sourceRefs: [], items: [], data: '214' },
      {
        kind: 'Status',
        cmdId: '8',
        msgRef: '2',
        cmdRef: '8',
        cmd: 'Exec',
        targetRefs: ['./SCOMO/Download/pkg1/Operations/DownloadInstall'],
        sourceRefs: [],
        items: [],
        data: '202',
      },
    ],
    final: true,
  });
  add('pkg3-server-auth-chal', {
    hdr: clientHdr('2'),
    body: [
      {
        ...hdrStatus('407'),
        targetRefs: [DEV],
        sourceRefs: [SRV],
        chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: 'MTIzNDU2Nzg5MGFiY2RlZg==' } },
      },
    ],
    final: true,
  });
  add('pkg3-atomic-rollback', {
    hdr: clientHdr('2'),
    body: [
      { kind: 'Status', cmdId: '1', msgRef: '2', cmdRef: '2', cmd: 'Atomic', targetRefs: [], sourceRefs: [], items: [], data: '507' },
      {
        kind: 'Status',
        cmdId: '2',
        msgRef: '2',
        cmdRef: '3',
        cmd: 'Add',
        targetRefs: ['./SCOMO/Download/p2'],
        sourceRefs: [],
        items: [],
        data: '216',
      },
      {
        kind: 'Status',
        cmdId: '3',
        msgRef: '2',
        cmdRef: '4',
        cmd: 'Replace',
        targetRefs: ['./SCOMO/Download/p2/Name'],
        sourceRefs: [],
        items: [],
        data: '404',
      },
    ],
    final: true,
  });
  add('pkg3-operation-complete', {
    hdr: clientHdr('1', { cred: md5Cred }),
    body: [
      { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
      {
        kind: 'Alert',
        cmdId: '2',
        data: '1226',
        correlator: 'scomo-42',
        items: [
          {
            source: { locURI: './SCOMO/Download/pkg1/Operations/DownloadInstall' },
            target: { locURI: './SCOMO/Inventory/Deployed/app1' },
            meta: { type: 'urn:oma:at:scomo:1.0:OperationComplete', format: 'xml', mark: 'warning' },
            data: '<ResultCode>1200</ResultCode><Identifier>com.example.weather</Identifier>',
          },
        ],
      },
    ],
    final: true,
  });
  add('pkg3-large-chunk-ack', {
    hdr: clientHdr('3'),
    body: [
      { ...hdrStatus('200', '2'), targetRefs: [DEV], sourceRefs: [SRV] },
      {
        kind: 'Status',
        cmdId: '2',
        msgRef: '2',
        cmdRef: '2',
        cmd: 'Replace',
        targetRefs: ['./SCOMO/Download/pkg1/Description'],
        sourceRefs: [],
        items: [],
        data: '213',
      },
      { kind: 'Alert', cmdId: '3', data: '1222', items: [] },
    ],
    final: false,
  });
  add('pkg1-meta-emi', {
    hdr: clientHdr('1', { meta: { maxMsgSize: 4096, maxObjSize: 8192, emi: ['vendor-a', 'vendor-b'] } }),
    body: [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }],
    final: true,
  });
  add('pkg4-final-only', { hdr: serverHdr('9'), body: [hdrStatus('200', '8')], final: true });
  // FUMO 1.0: the server reads the firmware, updates it (Replace of the FUMO leaves, Exec of an interior
  // node), and the device reports from the new firmware (Generic Alert, Format int, the result as Data).
  add('pkg2-fumo-get', {
    hdr: serverHdr('2'),
    body: [
      hdrStatus('212'),
      { kind: 'Get', cmdId: '2', items: [{ target: { locURI: './DevDetail/FwV' } }, { target: { locURI: './FUMO/fw/State' } }] },
    ],
    final: true,
  });
  add('pkg3-fumo-results', {
    hdr: clientHdr('2'),
    body: [
      { ...hdrStatus('200', '2'), targetRefs: [DEV], sourceRefs: [SRV] },
      { kind: 'Status', cmdId: '2', msgRef: '2', cmdRef: '2', cmd: 'Get', targetRefs: [], sourceRefs: [], items: [], data: '200' },
      {
        kind: 'Results',
        cmdId: '3',
        msgRef: '2',
        cmdRef: '2',
        items: [
          { source: { locURI: './DevDetail/FwV' }, meta: { format: 'chr' }, data: '1.0.0' },
          { source: { locURI: './FUMO/fw/State' }, meta: { format: 'int' }, data: '10' },
        ],
      },
    ],
    final: true,
  });
  add('pkg2-fumo-update', {
    hdr: serverHdr('4'),
    body: [
      hdrStatus('212'),
      {
        kind: 'Replace',
        cmdId: '2',
        items: [
          { target: { locURI: './FUMO/fw/PkgName' }, meta: { format: 'chr' }, data: 'Firmware' },
          { target: { locURI: './FUMO/fw/PkgVersion' }, meta: { format: 'chr' }, data: '1.1.0' },
          {
            target: { locURI: './FUMO/fw/DownloadAndUpdate/PkgURL' },
            meta: { format: 'chr' },
            data: 'http://127.0.0.1:8080/packages/fw-ts-agent-1-1.1.0.json',
          },
          { target: { locURI: './FUMO/fw/Ext/Size' }, meta: { format: 'chr' }, data: '190' },
          {
            target: { locURI: './FUMO/fw/Ext/SHA256' },
            meta: { format: 'chr' },
            data: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
          },
        ],
      },
      { kind: 'Exec', cmdId: '3', correlator: 'lab-0a1b2c3d4e5f', items: [{ target: { locURI: './FUMO/fw/DownloadAndUpdate' } }] },
    ],
    final: true,
  });
  add('pkg1-fumo-result', {
    hdr: clientHdr('1', { cred: md5Cred }),
    body: [
      { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
      { kind: 'Replace', cmdId: '2', meta: { format: 'chr' }, items: devInfo },
      {
        kind: 'Alert',
        cmdId: '3',
        data: '1226',
        correlator: 'lab-0a1b2c3d4e5f',
        items: [
          {
            source: { locURI: './FUMO/fw/DownloadAndUpdate' },
            meta: { type: 'org.openmobilealliance.dm.firmwareupdate.downloadandupdate', format: 'int' },
            data: '200',
          },
        ],
      },
    ],
    final: true,
  });
  add('pkg1-fumo-failed', {
    hdr: clientHdr('1', { cred: md5Cred }),
    body: [
      { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
      {
        kind: 'Alert',
        cmdId: '2',
        data: '1226',
        correlator: 'lab-0a1b2c3d4e5f',
        items: [
          {
            source: { locURI: './FUMO/fw/DownloadAndUpdate' },
            meta: { type: 'org.openmobilealliance.dm.firmwareupdate.downloadandupdate', format: 'int', mark: 'critical' },
            data: '410',
          },
        ],
      },
    ],
    final: true,
  });
  return out;
}

/** The sample messages and the edges a writer must handle: a body empty and not final, empty and final, and Final flipped. */
export function messagesWithEdges(): SyncMLMessage[] {
  const messages = sampleMessages().map((s) => s.msg);
  const first = messages[0]!;
  messages.push({ ...first, body: [], final: false }, { ...first, body: [], final: true }, { ...first, final: !first.final });
  return messages;
}
