// The rule each kind of deviation the lab server reports breaks, for the console to show beside it. The
// server's messages say what was expected; this names where the rule is written. Documents by their OMA
// names: DM Protocol (OMA-TS-DM_Protocol-V1_2), RepPro (OMA-TS-SyncML_RepPro-V1_2), SCOMO
// (OMA-TS-DM-SCOMO-V1_1), DM Security (OMA-TS-DM_Security-V1_2), HTTP binding (OMA-TS-SyncML_HTTPBinding).
// A deviation that carries its own rule (a `rule` field) keeps it.

const RULES: [pattern: RegExp, rule: string][] = [
  [/^Content-Type /, 'HTTP binding: the Content-Type names the encoding of the body (application/vnd.syncml.dm+xml or +wbxml)'],
  [/^SyncHdr Target /, 'DM Protocol, SyncHdr: Target/LocURI of a client message is the server URI'],
  [/^MsgID \d+ after/, 'DM Protocol, SyncHdr: MsgID goes up by one per message of a session'],
  [/^first message of the session/, 'DM Protocol, SyncHdr: the first message of a session has MsgID 1'],
  [/^message after the session ended/, 'DM Protocol, packages: a server package with no command and no challenge ends the session'],
  [/^device sent </, 'DM Protocol, packages 1 and 3: a client sends only Alert, Replace (DevInfo), Results and Status'],
  [/^device sent Alert /, 'DM Protocol, alert codes: a client sends 1200, 1201, 1222, 1223, 1224 or 1226'],
  [/^Generic Alert/, 'DM Protocol, Generic Alert 1226: at least one Item'],
  [/^OperationComplete alert/, 'SCOMO, result reporting: a Generic Alert of type OperationComplete with the Correlator of the Exec'],
  [/^Replace of /, 'DM Protocol, package 1: a client Replaces only ./DevInfo leaves'],
  [/^\.\/DevInfo\/DevId/, 'DM Protocol, package 1: ./DevInfo/DevId is the SyncHdr Source/LocURI'],
  [/^Status \d+ for .* a command this server did not send/, 'RepPro, Status: MsgRef and CmdRef name a command the peer sent'],
  [/^a second Status/, 'RepPro, Status: one Status per command (per item only when results differ)'],
  [/^Results with MoreData/, 'DM Protocol, large objects (the lab server does not take them in Results)'],
  [/^Results item/, 'RepPro, Results: items answer the Get they reference'],
  [/^no Results for the Get/, 'DM Protocol, package 3: Results for each successful Get'],
  [/^no Status for the server's/, 'DM Protocol, package 3: a Status for every command of package 2'],
  [/^the inventory names more than/, 'lab server bound (not a DM rule): components kept per device'],
  [/^SyncHdr has a Cred but Source has no LocName/, 'DM Security: LocName carries the user name of an MD5 or HMAC credential'],
  [/^NextNonce/, 'DM Security: NextNonce is base64'],
  [/^device answered the server's SyncHdr/, 'DM Security: the server credential accepted (212) or the session goes on (200)'],
  [/^SessionID of an ended session/, 'DM Protocol, SyncHdr: SessionID unique per client'],
  [/^encoding changed/, 'HTTP binding: one encoding for a whole session'],
  [/^UI |^confirm answered|^choice answer/, 'lab scenario expectation (DM Protocol, UI alerts 1100–1104, for the answer codes)'],
  [/^component .* lacks/, 'SCOMO, Inventory/Deployed/<x>: ID and Version are required leaves'],
  [/^the update request names/, 'SCOMO 1.1 client-initiated update: the request names a Deployed component the device can report'],
  [/^no answer to the confirm/, 'DM Protocol, UI alerts: a Status for every UI alert'],
];

/** The rule a deviation breaks: its own, else the one its message names, else a general pointer. */
export function ruleFor(message: string, own?: string): string {
  if (own) return own;
  for (const [p, rule] of RULES) if (p.test(message)) return rule;
  return 'OMA DM 1.2 (see the message)';
}
