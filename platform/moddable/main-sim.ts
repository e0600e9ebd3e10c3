// Entry module of the simulator build (manifests/simulator): the shared start-up without a board button (the
// screen's "Check for updates" key is the button) and with the mod slot and the firmware slots as files, since
// the simulator has neither GPIO nor flash partitions. A firmware image that says "healthy": false fails the
// health check of its trial start, so the return to the previous slot can be tried.
import config from 'mc/config';
import Preference from 'preference';
import { startDevice } from './app.js';
import { FileModSlot } from './file-mod-slot.js';
import { FileFirmwareSlots } from './file-firmware-slots.js';
import { joinDir } from './lib/file-names.js';
import { withDefined } from '../../agent/util/options.js';

export default function main(): object {
  return startDevice({
    slot: new FileModSlot(joinDir(config.file.root, 'dm-mod')),
    preference: Preference,
    // The simulator's sockets send 1024 bytes at a time: keep MQTT messages under it, less topic and header.
    maxPublishBytes: 960,
    makeFirmware: (o) => {
      const slots = new FileFirmwareSlots(
        o.dir,
        withDefined(
          {
            factory: { firmware: o.name, version: o.version },
            // The simulated restart: this start ends here; the simulator is started again on the same files.
            onRestart: () => o.log.log('info', 'firmware restart: start the simulator again'),
          },
          { certificate: o.certificate },
        ),
      );
      o.log.log('info', `firmware ${slots.boot().version} on ${slots.boot().slot}${slots.boot().trial ? ' (trial)' : ''}`);
      return slots.image()?.healthy === false ? { slots, healthCheck: () => false } : { slots };
    },
  }).application;
}
