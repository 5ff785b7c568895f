import type { lockdown as en } from "../en/lockdown.js";

export const lockdown = {
  "lockdown.title": "ロックダウン",
  "lockdown.intro":
    "スマートフォンをなくした、端末の様子がおかしいなど、困ったときにワンタップですべてを止めます。PCはリスクのある操作と新しいペアリングを拒否し、待機中の依頼を取り消し、リマインダーを止め、この端末以外の接続をすべて切ります。",
  "lockdown.start": "今すぐロックダウン…",
  "lockdown.confirm": "ロックダウンする",
  "lockdown.cancel": "やめる",
  "lockdown.unlock": "パスキーで解除",
  "lockdown.question":
    "PCをロックダウンしますか？ほかの端末はすべて切断され、承認待ちの依頼は取り消され、リマインダーは止まります。解除はPCか、オーナー端末のパスキーで行います。",
  "lockdown.banner":
    "{by}がPCをロックダウンしました{since}。リスクのある操作、ペアリング、ほかの端末は使えません。解除はPC（ora-agent unlock）かオーナーのパスキーで行えます。",
  "lockdown.since": "（{since}）",
  "lockdown.an-owner": "オーナー",
  "lockdown.state-locked": "PCはロックダウン中です{since}。この端末のパスキーか、PCで ora-agent unlock を実行すると解除できます。",
  "lockdown.state-open": "ロックダウンしていません。",
  "lockdown.locking": "ロックダウンしています…",
  "lockdown.done": "ロックダウンしました。{tasks}を取り消し、{sessions}。",
  "lockdown.tasks.one": "承認待ちのタスク{count}件",
  "lockdown.tasks.other": "承認待ちのタスク{count}件",
  "lockdown.sessions.one": "ほかの接続{count}件を切断しました",
  "lockdown.sessions.other": "ほかの接続{count}件を切断しました",
  "lockdown.sessions-later": "PCがリレーにつながり次第、リレーにも伝えます",
  "lockdown.confirming": "指紋・顔認証・画面ロックで確認してください…",
  "lockdown.ended": "ロックダウンを解除しました。PCは元どおり動きます（取り消した承認は元に戻りません）。",
} satisfies Record<keyof typeof en, string>;
