// WBXML code pages for SyncML 1.2 (OMA SyncML RepPro 1.2 WBXML tables, as libwbxml carries them):
// page 0 = SyncML, page 1 = MetInf.
export const WBXML_VERSION_1_2 = 0x02;
export const PUBLIC_ID_SYNCML_12 = 0x1201;
export const PUBLIC_ID_SYNCML_11 = 0x0fd3;
export const FPI_SYNCML_12 = '-//SYNCML//DTD SyncML 1.2//EN';
export const FPI_SYNCML_11 = '-//SYNCML//DTD SyncML 1.1//EN';
export const CHARSET_UTF8 = 106;

export const SWITCH_PAGE = 0x00;
export const END = 0x01;
export const ENTITY = 0x02;
export const STR_I = 0x03;
export const LITERAL = 0x04;
export const STR_T = 0x83;
export const OPAQUE = 0xc3;

const PAGE0 = [
  'Add',
  'Alert',
  'Archive',
  'Atomic',
  'Chal',
  'Cmd',
  'CmdID',
  'CmdRef',
  'Copy',
  'Cred',
  'Data',
  'Delete',
  'Exec',
  'Final',
  'Get',
  'Item',
  'Lang',
  'LocName',
  'LocURI',
  'Map',
  'MapItem',
  'Meta',
  'MsgID',
  'MsgRef',
  'NoResp',
  'NoResults',
  'Put',
  'Replace',
  'RespURI',
  'Results',
  'Search',
  'Sequence',
  'SessionID',
  'SftDel',
  'Source',
  'SourceRef',
  'Status',
  'Sync',
  'SyncBody',
  'SyncHdr',
  'SyncML',
  'Target',
  'TargetRef',
  '',
  'VerDTD',
  'VerProto',
  'NumberOfChanges',
  'MoreData',
  'Field',
  'Filter',
  'Record',
  'FilterType',
  'SourceParent',
  'TargetParent',
  'Move',
  'Correlator',
];
const PAGE1 = [
  'Anchor',
  'EMI',
  'Format',
  'FreeID',
  'FreeMem',
  'Last',
  'Mark',
  'MaxMsgSize',
  'Mem',
  'MetInf',
  'Next',
  'NextNonce',
  'SharedMem',
  'Size',
  'Type',
  'Version',
  'MaxObjSize',
  'FieldLevel',
];

/** Tag names by page and token (tokens start at 0x05). */
export const TAGS: readonly (readonly string[])[] = [PAGE0, PAGE1];

function index(list: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  list.forEach((name, i) => {
    if (name) m.set(name, i + 5);
  });
  return m;
}

/** Token of a tag name on its page. */
export const TOKENS: readonly Map<string, number>[] = [index(PAGE0), index(PAGE1)];
