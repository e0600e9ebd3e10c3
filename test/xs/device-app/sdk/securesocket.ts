// Stand-in for the SDK's "securesocket" module: TLS is not part of what this machine models, so a secure
// request fails when its socket is made, as a TLS handshake that cannot complete would fail the request.
export default class SecureSocket {
  constructor(_dictionary: object) {
    throw new Error('SecureSocket: TLS is not modelled by the device-app test');
  }
}
Object.freeze(SecureSocket.prototype);
