// The random byte source of the Moddable SDK's TLS stack, module "rng" ($(MODULES)/crypt/etc/rng, included
// by $(MODULES)/crypt/tls.json). Not in the SDK's documentation nor in any typings; declared from the
// module's source: a frozen object whose get(n) returns n random bytes (an RC4 keystream seeded from the
// host's c_rand(), which is the hardware RNG esp_random() on ESP32).
declare module 'rng' {
  const RNG: {
    get(count: number): ArrayBuffer;
    init(seed?: ArrayBuffer): void;
  };
  export default RNG;
}
