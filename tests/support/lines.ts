/**
 * Reads a child process's output line by line (for the process launchers in tests/support).
 * @module
 */

/**
 * Calls `onLine` for every complete line of `stream`, in order, until the stream ends.
 * @example await forEachLine(proc.stdout, (line) => output.push(line));
 */
export async function forEachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  }
}
