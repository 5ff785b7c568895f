import type { devices as en } from "../en/devices.js";

export const devices = {
  "devices.title": "ペアリング済みの端末",
  "devices.lastSeen": "最終接続 {when}",
  "devices.never": "未接続",
  "devices.pairedAt": "{when}にペアリング",
  "devices.state.revoked": "解除済み",
  "devices.state.expired": "期限切れ",
  "devices.state.unpaired": "ペアリング解除",
  "devices.rename": "名前を変更",
  "devices.revoke": "解除",
  "devices.revokeSelf": "この端末を解除しますか？もう一度押すと解除します",
  "devices.revokeOther": "本当に解除しますか？もう一度押すと解除します",
  "devices.newName": "{name} の新しい名前",
  "devices.save": "保存",
  "devices.cancel": "キャンセル",
  "devices.id": "端末ID",
} satisfies Record<keyof typeof en, string>;
