// Stand-in for the SDK's "Resource" module (documentation/files/files.md, "class Resource"): this build has
// no resources (the manifest's fonts are the display's, which the Piu stand-in does not draw), so the
// constructor throws as the SDK's does for a missing one and exists() answers false.
export default class Resource {
  constructor(path: string) {
    throw new Error(`Resource "${path}" not found`);
  }

  static exists(_path: string): boolean {
    return false;
  }
}
Object.freeze(Resource.prototype);
