// The SDK's "crypt" module (documentation/crypt/crypt.md, class Digest). The SDK's own typings declare it
// since 5.10 (typings/crypt.d.ts) but the @moddable/typings 5.6.0 this repository type-checks with do not.
// Used by platform/moddable/tsconfig.json only: the manifests do not hand it to mcconfig's tsc, which gets
// the SDK's declaration (two declarations of one class would clash). Written to the same shape.
declare module 'crypt' {
  type DigestType = 'MD5' | 'SHA1' | 'SHA224' | 'SHA256' | 'SHA384' | 'SHA512';

  export class Digest {
    constructor(type: DigestType);
    /** Adds a String or ArrayBuffer to the hash. */
    write(message: string | ArrayBuffer): void;
    /** The hash, as an ArrayBuffer; frees the digest (call once). */
    close(): ArrayBuffer;
    reset(): void;
  }
}
