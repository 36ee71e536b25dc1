/** Standard input as the CLI reads a secret or password from a pipe: its first line, at most `max` characters. */
export async function firstLine(stdin: NodeJS.ReadableStream, max = 4096): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.includes('\n') || text.length > max) break;
  }
  return (text.split(/\r?\n/)[0] ?? '').slice(0, max);
}
