import type { approvals as en } from "../en/approvals.js";

export const approvals = {
  "approvals.title": "あなたの判断を待っています",
  "approvals.empty": "承認待ちはありません。",
  "approvals.label": "{tool}（{risk}）",
  "approvals.timeLeft": "残り",
  "approvals.args": "実行する内容（引数）",
  "approvals.askedBy": "依頼者",
  "approvals.viaDevice": "{role}の端末",
  "approvals.viaDiscord": "Discordの{role}",
  "approvals.origin": "きっかけ",
  "approvals.askedAt": "依頼日時",
  "approvals.passkeyNeeded": "承認にはこの端末のパスキーが必要です。パスキーがない場合は、PCで承認してください:",
  "approvals.approve": "承認",
  "approvals.approvePasskey": "パスキーで承認",
  "approvals.deny": "拒否",
  "approvals.confirming": "指紋・顔・画面ロックで確認してください…",
  "approvals.denied": "{tool} を拒否しました。",
  "approvals.approved": "{tool} を承認しました。1回だけ実行します。",
  "approvals.approvedAlways": "{tool} を承認し、「常に許可」に追加しました。",
  "approvals.risk.HIGH": "高リスク",
  "approvals.risk.CRITICAL": "重大リスク",
} satisfies Record<keyof typeof en, string>;
