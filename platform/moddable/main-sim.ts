// Entry module of the simulator build (manifests/simulator): the shared start-up without a board button (the
// screen's "Check for updates" key is the button) and with the mod slot as a file, since the simulator has
// neither GPIO nor a mod partition.
import config from 'mc/config';
import Preference from 'preference';
import { startDevice } from './app.js';
import { FileModSlot } from './file-mod-slot.js';
import { joinDir } from './lib/file-names.js';

export default function main(): object {
  // The simulator's sockets send 1024 bytes at a time: keep MQTT messages under it, less topic and header.
  return startDevice({ slot: new FileModSlot(joinDir(config.file.root, 'dm-mod')), preference: Preference, maxPublishBytes: 960 })
    .application;
}
