/**
 * What executors print, the way Nx's logger prints it (info as is, errors in bold red on a colour
 * terminal), without loading @nx/devkit: that alone costs an executor about 0.14 s of start-up.
 */
function colour(): boolean {
  if (process.env['NO_COLOR'] !== undefined || process.env['FORCE_COLOR'] === '0') return false;
  return process.env['FORCE_COLOR'] !== undefined || !!process.stderr.isTTY;
}

export const logger = {
  info(message: string): void {
    console.info(message);
  },
  warn(message: string): void {
    console.warn(colour() ? `\x1b[1m\x1b[33m${message}\x1b[39m\x1b[22m` : message);
  },
  error(message: string): void {
    console.error(colour() ? `\x1b[1m\x1b[31m${message}\x1b[39m\x1b[22m` : message);
  },
};
