/**
 * Whether a process of this machine is alive: how the archiver's locks recognise one left behind
 * by a run that was killed.
 * @module
 */

/**
 * @example if (!isAlive(pidFromLock)) takeOver();
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
