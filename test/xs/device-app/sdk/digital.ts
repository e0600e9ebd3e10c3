// Stand-in for ECMA-419 embedded:io/digital (the SDK's modules/io): the board button of the device entry,
// never pressed here (the tests press the screen's key). read() answers 1: the pull-up, released.
interface DigitalOptions {
  pin: number;
  mode: number;
  edge?: number;
  onReadable?: () => void;
}

export default class Digital {
  static readonly Input = 0;
  static readonly InputPullUp = 1;
  static readonly Output = 8;
  static readonly Rising = 1;
  static readonly Falling = 2;
  #open = true;

  constructor(o: DigitalOptions) {
    if (typeof o?.pin !== 'number') throw new Error('invalid pin');
  }

  read(): number {
    if (!this.#open) throw new Error('closed');
    return 1;
  }

  close(): void {
    this.#open = false;
  }
}
Object.freeze(Digital.prototype);
