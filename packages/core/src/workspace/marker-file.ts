/** The marker file's name, apart from markers.ts so executors read it without loading @nx/devkit. */
export const MARKER_FILE = 'acme-pg.json';
