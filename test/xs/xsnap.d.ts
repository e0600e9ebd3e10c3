// The part of @agoric/xsnap's API the harness uses (the package ships JSDoc, not declarations).
declare module '@agoric/xsnap' {
  export interface MeterUsage {
    compute: number | null;
    currentHeapCount: number | null;
    allocate: number | null;
  }
  export interface XSnap {
    evaluate(code: string): Promise<{ meterUsage: MeterUsage }>;
    issueStringCommand(message: string): Promise<{ reply: string; meterUsage: MeterUsage }>;
    close(): Promise<void>;
  }
  export function xsnap(options: {
    os: string;
    spawn: unknown;
    fs: unknown;
    name?: string;
    stdout?: 'ignore' | 'inherit' | 'pipe';
    stderr?: 'ignore' | 'inherit' | 'pipe';
    handleCommand?: (request: Uint8Array) => Promise<Uint8Array>;
  }): Promise<XSnap>;
}
