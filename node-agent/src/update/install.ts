/** Installing a verified tarball: npm does it, from the file on disk, never from a name it would look up. */
import { spawn } from "node:child_process";
import { UserError } from "../errors.js";

/** Installs the package in a tarball file, or throws. Tests pass one that only records its calls. */
export type Installer = (tarball: string) => Promise<void>;

export const npmInstaller: Installer = (tarball) =>
  new Promise((resolve, reject) => {
    const windows = process.platform === "win32";
    // npm is a .cmd script on Windows, which Node runs only through a shell; quote the path for it.
    const child = spawn(windows ? "npm.cmd" : "npm", ["install", "--global", windows ? `"${tarball}"` : tarball], { stdio: "inherit", shell: windows });
    child.once("error", (error) => reject(new UserError(`could not run npm: ${error.message}`, 1)));
    child.once("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new UserError(`npm install --global ${tarball} failed (${signal ?? `exit code ${code}`})`, 1)),
    );
  });
