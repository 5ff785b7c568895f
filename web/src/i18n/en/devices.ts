/** The owner's list of paired devices. */
export const devices = {
  "devices.title": "Paired devices",
  "devices.lastSeen": "last seen {when}",
  "devices.never": "never seen",
  "devices.pairedAt": "paired {when}",
  "devices.state.revoked": "revoked",
  "devices.state.expired": "expired",
  "devices.state.unpaired": "unpaired",
  "devices.rename": "Rename",
  "devices.revoke": "Revoke",
  "devices.revokeSelf": "Revoke this device? Click again",
  "devices.revokeOther": "Really revoke? Click again",
  "devices.newName": "New name for {name}",
  "devices.save": "Save",
  "devices.cancel": "Cancel",
  "devices.id": "device ID",
};
