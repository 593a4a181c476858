// The Dockerfile as data (parsed with dockerfile-ast): its stages in order, each with its base image,
// instructions and the values the runtime reproduction needs (ENV, COPY, USER, WORKDIR, CMD, HEALTHCHECK).
import { readFileSync } from 'node:fs';
import { DockerfileParser, type Instruction, type JSONInstruction, type ModifiableInstruction } from 'dockerfile-ast';
import { repoPath } from './env-names.js';

export interface Stage {
  name: string | null;
  image: string;
  instructions: Instruction[];
}

export interface Copy {
  from: string | null;
  sources: string[];
  target: string;
}

const text = readFileSync(repoPath('Dockerfile'), 'utf8');
export const dockerfile = DockerfileParser.parse(text);

/** ARG defaults before the first FROM, substituted into FROM lines. */
const args = Object.fromEntries(
  dockerfile.getInitialARGs().map((arg) => [arg.getProperty()?.getName() ?? '', arg.getProperty()?.getValue() ?? '']),
);

export function stages(): Stage[] {
  const out: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [image, , name] = (instruction.getArgumentsContent() ?? '').split(/\s+/);
      out.push({ name: name ?? null, image: image.replace(/\$\{(\w+)\}/g, (_, v: string) => args[v] ?? ''), instructions: [] });
    } else if (out.length > 0) out.at(-1)!.instructions.push(instruction);
  }
  return out;
}

export const argsOf = (instruction: Instruction): string => (instruction.getArgumentsContent() ?? '').replace(/\\\r?\n\s*/g, ' ');

export function jsonArgs(instruction: Instruction): string[] {
  return (instruction as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());
}

export function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.getKeyword() === 'COPY')
    .map((i) => {
      const paths = argsOf(i).split(/\s+/).filter((w) => w && !w.startsWith('--'));
      const from = (i as ModifiableInstruction).getFlags().find((f) => f.getName() === 'from')?.getValue() ?? null;
      return { from, sources: paths.slice(0, -1), target: paths.at(-1)! };
    });
}

/** ENV of a stage as a map (the `ENV a=b c=d` form). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.getKeyword() === 'ENV')) {
    for (const pair of argsOf(i).split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return env;
}

/** The command array of a HEALTHCHECK … CMD ["…"] instruction. */
export function healthcheckCommand(stage: Stage): string[] | null {
  const hc = stage.instructions.find((i) => i.getKeyword() === 'HEALTHCHECK');
  if (!hc) return null;
  const content = argsOf(hc);
  const json = content.slice(content.indexOf('CMD') + 3).trim();
  return JSON.parse(json) as string[];
}
