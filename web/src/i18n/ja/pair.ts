import type { pair as en } from "../en/pair.js";

export const pair = {
  "pair.title": "このブラウザをPCとペアリング",
  "pair.private": "エンドツーエンドで暗号化されます。間に入るリレーは、あなたとPCのやり取りを読めません。",
  "pair.already": "このブラウザはペアリング済みです。もう一度ペアリングすると、今のペアリングは置き換わります。",
  "pair.how": "ペアリングの流れ",
  "pair.step.code": "PCに表示されたコードを入力します。コードはPCで {command} を実行すると表示されます。",
  "pair.step.digits": "両方の画面に6桁の数字が表示されます。同じ数字か確かめてください。",
  "pair.step.confirm": "PCの持ち主がこの端末を承認すると、使えるようになります。",
  "pair.relay": "リレー",
  "pair.linkCode": "リンクのペアリングコード:",
  "pair.codeLabel": "ペアリングコード（{command} で表示）",
  "pair.nameLabel": "この端末の名前",
  "pair.nameHint": "PCの端末一覧に表示されます。",
  "pair.submit": "ペアリング",
  "pair.connecting": "リレーに接続しています…",
  "pair.compare": "PCの画面の数字と同じか確かめてください:",
  "pair.waiting": "PCの持ち主の承認を待っています…",
  "pair.badLink": "このリンクはここでは使えません。{why} コードを入力して進めることもできます。",
  "pair.otherRelay": "別のリレーのリンクです。リンクをそのまま開いてください。",
  "pair.noOffer": "その番号のペアリングコードはありません。期限が切れたか、すでに使われています。PCで新しいコードを作ってください（ora-agent pair）。",
  "pair.keyFallback":
    "このブラウザは端末の鍵を暗号モジュール内に保管できない（WebCrypto X25519 非対応）ため、鍵はこのサイトのストレージに保存されます。このサイトのスクリプトからは読み取れる状態です。",
  "pair.defaultName": "{os}の{browser}",
  "pair.browser": "ブラウザ",
} satisfies Record<keyof typeof en, string>;
