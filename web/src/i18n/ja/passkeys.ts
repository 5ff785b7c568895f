import type { passkeys as en } from "../en/passkeys.js";

export const passkeys = {
  "passkeys.title": "承認用のパスキー",
  "passkeys.intro":
    "重大（CRITICAL）な依頼は、この端末のパスキーでのみ承認できます。指紋・顔認証・画面ロックで本人確認をするので、ロック解除されたスマートフォンを他人が持っていても承認できません。パスキーがない場合は、PCで承認します。",
  "passkeys.add": "パスキーを追加",
  "passkeys.empty": "この端末にはまだパスキーがありません。",
  "passkeys.added": "{date}に追加",
  "passkeys.last-used": "最終使用: {when}",
  "passkeys.unused": "未使用",
  "passkeys.remove": "削除",
  "passkeys.remove-label": "パスキー {name} を削除",
  "passkeys.prompt": "端末の画面の案内に従ってください…",
  "passkeys.created": "パスキーを追加しました（{name}）。この端末で重大な依頼を承認できます。",
  "passkeys.removed": "PCからパスキーを削除しました。この端末のパスキー設定からも削除できます。",
  "passkeys.at-the-pc": "ora-agent approve {id} --code <ora-agent approvals で表示されるコード>",
} satisfies Record<keyof typeof en, string>;
