/** Module resolve hook (see register.mjs): "ws" from outside bench/ resolves to ./ws.mjs. */
const shim = new URL("./ws.mjs", import.meta.url).href;
const bench = new URL("..", import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === "ws" && context.parentURL && !context.parentURL.startsWith(bench)) {
    return { url: shim, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
