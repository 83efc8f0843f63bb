// A Dockerfile read into its stages, enough to check the image against the build without an engine:
// comments dropped, `\` continuations joined, each instruction as [OPERATION, arguments].
export interface Stage {
  from: string;
  name?: string;
  instructions: [string, string][];
}

export function dockerfileStages(text: string): Stage[] {
  const lines = text
    .replace(/\\\r?\n\s*/g, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const match = /^(\S+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`Dockerfile: cannot read "${line}"`);
    const op = match[1]!.toUpperCase();
    const args = match[2]!;
    if (op === 'FROM') {
      const [from, as, name] = args.split(/\s+/);
      stages.push({ from: from!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`Dockerfile: ${op} before FROM`);
    stage.instructions.push([op, args]);
  }
  return stages;
}
