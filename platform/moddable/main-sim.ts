// Entry module of the simulator build (manifests/simulator): the shared start-up without a board button (the
// screen's "Check for updates" key is the button) and with the mod slot as a file, since the simulator has
// neither GPIO nor a mod partition.
import config from 'mc/config';
import { startDevice } from './app.js';
import { FileModSlot } from './file-mod-slot.js';
import { joinDir } from './lib/file-names.js';

export default function main(): object {
  return startDevice({ slot: new FileModSlot(joinDir(config.file.root, 'dm-mod')) }).application;
}
