/**
 * CPU time (user + system) of a process, for "CPU µs per event" figures: on a shared 2-core
 * machine, CPU spent per event is steadier than wall-clock throughput.
 * @module
 */
import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU milliseconds used so far by process `pid` (this process when absent). */
export function cpuMs(pid?: number): number {
  if (pid === undefined) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
  // /proc/<pid>/stat: fields 14 and 15 are utime and stime in clock ticks; the command name
  // (field 2) is in parentheses and may hold spaces, so count from the closing one.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}
