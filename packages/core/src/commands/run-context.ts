/**
 * What a command is told about where it runs: the workspace root, the project it runs for, and the
 * workspace's projects. Nx's RunContext has these fields; the command line builds its own.
 */
export interface RunContext {
  root: string;
  cwd?: string;
  projectName?: string;
  projectsConfigurations?: { projects: Record<string, { root: string }> };
  isVerbose?: boolean;
}
