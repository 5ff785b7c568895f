/** The chat (web/src/chat/): what the rest of the app imports. */
export { type ChatView, chatView } from "./chat/view.js";
