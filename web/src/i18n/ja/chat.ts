import type { chat as en } from "../en/chat.js";

const COMMANDS = `- \`/tools\` — ここで使えるツールとリスクの一覧
- \`/run <ツール> [JSON]\` — ツールを実行します。例: \`/run notes.add {"text":"銀行に電話"}\`
- \`/remind <いつ> <内容>\` — 例: \`/remind 明日9時 銀行に電話\`、\`/remind 20分後 お茶\`、\`/remind 毎週月曜 8:00 定例会議\`
- \`/reminders\` — リマインダーと予約ジョブの一覧
- \`/help\` — この一覧

HIGH・CRITICAL のツールは、オーナーの承認を待ってから実行されます。`;

const REMIND_USAGE = "いつ・何を、の順に書いてください。例: `/remind 明日9時 銀行に電話`、`/remind 20分後 お茶`、`/remind 毎週月曜 8:00 定例会議`";

export const chat = {
  "chat.label": "チャット",
  "chat.log": "会話",
  "chat.you": "あなた:",
  "chat.ora": "ORA:",
  "chat.message": "メッセージ",
  "chat.placeholder": "ORA にメッセージ",
  "chat.send": "送信",
  "chat.stop": "停止",
  "chat.new": "新しい会話",
  "chat.newMessages": "新着メッセージ",
  "chat.empty.title": "ORA にできること",
  "chat.empty.intro": "ふだんの言葉で話しかけるか、コマンドを使ってください。例をタップすると入力欄に入ります。",
  "chat.empty.help": "コマンド一覧を見る",
  "chat.empty.tools": "使えるツールを見る",
  "chat.empty.remind": "リマインダーを設定する",
  "chat.empty.remindExample": "/remind 明日9時 銀行に電話",
  "chat.empty.note": "メモを保存する",
  "chat.empty.noteExample": '/run notes.add {"text":"牛乳を買う"}',

  "chat.step.running": "実行中…",
  "chat.step.waiting": "{risk}・承認待ち",
  "chat.step.done": "完了",
  "chat.step.refused": "拒否されました",
  "chat.task.waiting_approval": "オーナーの承認待ちです（決まり次第お知らせします）",
  "chat.task.running": "承認されました。実行中…",
  "chat.task.done": "完了",
  "chat.task.failed": "失敗しました",
  "chat.task.denied": "オーナーが却下しました",
  "chat.task.expired": "期限切れ: 時間内に承認されませんでした",
  "chat.task.cancelled": "キャンセルされました",
  "chat.task.approvedRunning": "承認されました。`{tool}` を実行しています…",
  "chat.why.denied": "オーナーが {tool} を却下しました。",
  "chat.why.expired": "{tool} は時間内に承認されませんでした。",
  "chat.task.ranButFailed": "実行しましたが失敗しました: {why}",

  "chat.notice.help": `**コマンド**\n\n${COMMANDS}`,
  "chat.notice.no_model":
    "この PC には言語モデルが設定されていないため、まだ会話はできません。下のコマンドは使えます。\n\nモデルを使うには、PC で `ora-agent start` の前に `OPENAI_API_KEY` か `ANTHROPIC_API_KEY` を設定してください（Ollama など PC 上のモデルなら `OPENAI_BASE_URL=http://127.0.0.1:11434/v1` だけで使えます）。`ora-agent models` で認識されているモデルを確認できます。",
  "chat.notice.no_tools": "この端末で使えるツールはありません。",
  "chat.notice.unknown_command": "`{command}` というコマンドはありません。使えるコマンドはこちらです:",
  "chat.notice.run_args_not_json": 'ツール名のあとの引数は JSON で書いてください。例: `/run {tool} {"text":"…"}`',
  "chat.notice.waiting_for_approval":
    "`{tool}`（{risk}）はオーナーの承認待ちです（タスク `{task}`）。{expires} までに承認されると実行され、結果をお知らせします。",
  "chat.notice.remind_usage": REMIND_USAGE,
  "chat.notice.remind_unreadable": `日時を読み取れませんでした（{message}）。${REMIND_USAGE}`,
  "chat.notice.remind_what": `日時（{when}）はわかりました。何をお知らせしましょうか？ ${REMIND_USAGE}`,
  "chat.notice.reminder_set": "リマインダーを設定しました: {text}",
  "chat.notice.no_reminders": "リマインダーはまだありません。例: `/remind 明日9時 銀行に電話`（時刻は {timeZone}）",

  "chat.tools.title": "ここで使えるツール",
  "chat.tools.LOW": "低リスク",
  "chat.tools.MEDIUM": "中リスク",
  "chat.tools.HIGH": "高リスク",
  "chat.tools.CRITICAL": "重大リスク",
  "chat.tools.needsApproval": "承認が必要",

  "chat.result.done": "完了しました。",
  "chat.result.notes.one": "メモ {count} 件",
  "chat.result.notes.other": "メモ {count} 件",
  "chat.result.noteSaved": "メモを保存しました（#{id}）。",
  "chat.result.created": "新しいファイルを保存しました:",
  "chat.result.written": "保存しました:",
  "chat.result.noNotes": "メモはありません。",
  "chat.result.emptyFolder": "このフォルダは空です。",
  "chat.result.folder": "フォルダ",
  "chat.result.moreEntries": "これ以降の項目は表示していません。",
  "chat.result.fileCut": "{size} バイトのうち、先頭の {bytes} バイトだけを表示しています。",
  "chat.result.binary": "{bytes} バイトのバイナリデータ（base64）です。",
  "chat.result.pageCut": "サイズの上限でページを途中まで読み込みました。",
  "chat.result.untitled": "タイトルのないページ",
  "chat.result.exitCode": "終了コード {code}",
  "chat.result.json": "詳細（JSON）",
  "chat.result.jsonLines": "詳細（JSON・{count} 行）",
  "chat.result.bytes": "{count} B",
  "chat.result.kilobytes": "{count} KB",
  "chat.result.megabytes": "{count} MB",
} satisfies Record<keyof typeof en, string>;
