import type { files as en } from "../en/files.js";

export const files = {
  "files.attach": "ファイルを添付",
  "files.tray": "次のメッセージに添付するファイル",
  "files.progress": "{name} の進み具合",
  "files.hashing": "準備中… {percent}",
  "files.sending": "送信中… {percent}",
  "files.placing": "PCに保存しています…",
  "files.waiting": "PCへの保存の承認を待っています",
  "files.ready": "PCに保存しました。送信できます",
  "files.renamed": "PCに {name} として保存しました。送信できます",
  "files.remove": "{name} を取り消す",
  "files.retry": "{name} をもう一度送る",
  "files.notReady": "ファイルがPCに届くまでお待ちいただくか、添付を取り消してください。",
  "files.failedBlock": "送れなかったファイルがあります。もう一度送るか、取り消してください。",
  "files.download": "{name} をダウンロード",
  "files.downloading": "ダウンロード中… {percent}",
  "files.stop": "{name} のダウンロードを中止",
  "files.saved": "{name} を保存しました。",
  "files.stopped": "ダウンロードを中止しました。",
} satisfies Record<keyof typeof en, string>;
