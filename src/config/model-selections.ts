// The model chosen per provider through PUT /v1/providers/:name/model_selection, persisted to
// `model_management.selections_file` (atomic writes). A legacy `{"provider": "model"}` file is
// migrated on load and kept as `<file>.legacy`.
//
// What a selection means for routing: it is the provider's *default model*. A request whose `model`
// is the provider's name (`"openai"`) or `"<provider>/default"` is sent to that provider with the
// selected model; `"default"` goes to the provider whose selection has the lowest `priority` (then
// provider priority). For those requests the selection's `max_tokens` and `temperature` fill in when
// the request leaves them out. Requests naming a model explicitly are not affected.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { z } from 'zod';
import { formatIssues } from './schema.js';
import { writeFileAtomic } from './atomic-write.js';

export const selectionInputSchema = z
  .object({
    selected_model: z.string().min(1),
    editable: z.boolean().default(true),
    priority: z.number().int().min(0).nullable().default(null),
    max_tokens: z.number().int().positive().nullable().default(null),
    temperature: z.number().min(0).max(2).nullable().default(null),
  })
  .strict();

const selectionSchema = selectionInputSchema.extend({ updated_at: z.string() });
export type ModelSelection = z.infer<typeof selectionSchema>;

const fileSchema = z.object({ version: z.literal(1), selections: z.record(z.string(), selectionSchema) });

export class ModelSelections {
  private selections = new Map<string, ModelSelection>();
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private file: string,
    private readonly logger: Logger,
  ) {}

  get path(): string {
    return this.file;
  }

  /** (Re)reads the file; a path change (after a reload) is followed. Problems are logged, never thrown. */
  load(file = this.file): void {
    this.file = file;
    if (!existsSync(file)) {
      this.selections = new Map();
      return;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      this.logger.error({ file, err_message: (error as Error).message }, 'model selections file cannot be read; keeping the previous selections');
      return;
    }
    if (isLegacy(doc)) {
      this.migrate(doc as Record<string, string>);
      return;
    }
    const parsed = fileSchema.safeParse(doc);
    if (!parsed.success) {
      this.logger.error({ file, problems: formatIssues(parsed.error.issues) }, 'model selections file is invalid; keeping the previous selections');
      return;
    }
    this.selections = new Map(Object.entries(parsed.data.selections));
  }

  private migrate(legacy: Record<string, string>): void {
    const now = new Date().toISOString();
    this.selections = new Map(
      Object.entries(legacy).map(([provider, model]) => [provider, { selected_model: model, editable: true, priority: null, max_tokens: null, temperature: null, updated_at: now }]),
    );
    copyFileSync(this.file, `${this.file}.legacy`);
    this.logger.warn({ file: this.file, backup: `${this.file}.legacy` }, 'migrated legacy model selections file');
    void this.persist().catch((error: unknown) => this.logger.error({ err_message: (error as Error).message }, 'cannot write migrated model selections'));
  }

  get(provider: string): ModelSelection | undefined {
    return this.selections.get(provider);
  }

  all(): Record<string, ModelSelection> {
    return Object.fromEntries(this.selections);
  }

  async set(provider: string, input: z.infer<typeof selectionInputSchema>): Promise<ModelSelection> {
    const selection: ModelSelection = { ...input, updated_at: new Date().toISOString() };
    this.selections.set(provider, selection);
    await this.persist();
    return selection;
  }

  /** Resolves when pending writes are on disk. */
  flushed(): Promise<void> {
    return this.writing.catch(() => undefined);
  }

  private persist(): Promise<void> {
    const text = `${JSON.stringify({ version: 1, selections: Object.fromEntries(this.selections) }, null, 2)}\n`;
    const file = this.file;
    this.writing = this.writing.catch(() => undefined).then(() => writeFileAtomic(file, text));
    return this.writing;
  }
}

function isLegacy(doc: unknown): boolean {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return false;
  const values = Object.values(doc);
  return values.length > 0 && values.every((v) => typeof v === 'string');
}
