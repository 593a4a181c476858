// The house rules that keep the code walkable: no import circles (type imports included), checked by
// the same command `npm run lint` runs, and no source file past 300 lines.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** The cycle check exactly as `npm run lint` runs it, pointed at other files. */
async function cycleCheck(cwd: string, globs: string[]): Promise<{ code: number; out: string }> {
  // Its flags (the globs after them are this repository's).
  const words = scripts['lint:cycles'].split(' ');
  const args = words.slice(1, words.findIndex((word) => word.startsWith("'")));
  try {
    const { stdout } = await run(path.join(root, 'node_modules/.bin/dpdm'), [...args, ...globs], { cwd });
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, out: failed.stdout };
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|js)$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('layout', () => {
  test('npm run lint runs the import-cycle check', () => {
    expect(scripts.lint).toContain('lint:cycles');
    expect(scripts['lint:cycles']).toMatch(/--exit-code circular:1/);
  });

  test('the cycle check fails on a circle made only of type imports, and names it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-cycle-'));
    // The repository's module resolution ('./b.js' is b.ts), as the check uses it on src/.
    copyFileSync(path.join(root, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
    writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b.js';\nexport interface A { b: B }\n");
    writeFileSync(path.join(dir, 'b.ts'), "import type { A } from './a.js';\nexport interface B { a: A | null }\n");
    writeFileSync(path.join(dir, 'c.ts'), "import type { A } from './a.js';\nexport type C = A;\n");
    const result = await cycleCheck(dir, ['*.ts']);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/(a\.ts -> b\.ts|b\.ts -> a\.ts)/);
  });

  test('src/ and bench/ have no import circle', async () => {
    const result = await cycleCheck(root, ['src/**/*.ts', 'bench/**/*.ts']);
    expect(result.out).toMatch(/no circular dependency/);
    expect(result.code).toBe(0);
  });

  test('no file in src/ or bench/ is longer than 300 lines', () => {
    const long = [...sourceFiles(path.join(root, 'src')), ...sourceFiles(path.join(root, 'bench'))]
      .map((file) => ({ file: path.relative(root, file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > 300);
    expect(long).toEqual([]);
  });
});
