// A string read from a device message, copied before the server keeps it for good. On V8 a substring shares
// its whole source: a DevId kept in a device record would keep the message it came in (a few kB) for as long
// as the record lives, thousands of records in a fleet. UTF-16 in and out copies any string as it is, lone
// surrogates included.

export function ownString(s: string): string {
  return Buffer.from(s, 'utf16le').toString('utf16le');
}
