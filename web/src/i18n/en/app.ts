/** The app's frame: header, connection state, tabs. */
export const app = {
  "app.name": "ORA",
  "app.tagline": "Your own AI secretary, on your own PC",
};
