// The model chosen per provider through PUT /v1/providers/:name/model_selection, persisted to
// `model_management.selections_file` (atomic writes) in ProxyAPI's documented format:
//   { "openai": { "model_name": "gpt-4o", "editable": true, "last_updated": "…", …extra fields } }
// Two older shapes are migrated on load, the original kept as `<file>.legacy`: ProxyAPI's legacy
// `{"provider": "model"}` and llm-proxy's own earlier `{"version": 1, "selections": {…}}`.
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

const selectionSchema = selectionInputSchema.extend({ updated_at: z.string().nullable() });
export type ModelSelection = z.infer<typeof selectionSchema>;

/** What llm-proxy wrote before it used the documented format. */
const ownFormerSchema = z.object({ version: z.literal(1), selections: z.record(z.string(), selectionSchema) });

/** One provider's entry in the documented format; fields beyond these are kept as they are. */
const entrySchema = z
  .object({
    model_name: z.string().min(1),
    editable: z.boolean().default(true),
    last_updated: z.string().optional(),
    priority: z.number().int().min(0).nullable().default(null),
    max_tokens: z.number().int().positive().nullable().default(null),
    temperature: z.number().min(0).max(2).nullable().default(null),
  })
  .loose();
const documentedSchema = z.record(z.string(), entrySchema);
type Entry = z.infer<typeof entrySchema>;

export class ModelSelections {
  private selections = new Map<string, ModelSelection>();
  /** Fields of the file's entries that llm-proxy does not use, written back unchanged. */
  private extras = new Map<string, Record<string, unknown>>();
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
      this.extras = new Map();
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
      const now = new Date().toISOString();
      const entries = Object.entries(doc as Record<string, string>);
      this.migrate(entries.map(([provider, model]) => [provider, { selected_model: model, editable: true, priority: null, max_tokens: null, temperature: null, updated_at: now }]), 'legacy {"provider": "model"}');
      return;
    }
    const former = ownFormerSchema.safeParse(doc);
    if (former.success) {
      this.migrate(Object.entries(former.data.selections), 'llm-proxy\'s former {"selections": …}');
      return;
    }
    const parsed = documentedSchema.safeParse(doc);
    if (!parsed.success) {
      this.logger.error({ file, problems: formatIssues(parsed.error.issues) }, 'model selections file is invalid; keeping the previous selections');
      return;
    }
    this.selections = new Map();
    this.extras = new Map();
    for (const [provider, entry] of Object.entries(parsed.data)) {
      const { model_name, editable, last_updated, priority, max_tokens, temperature, ...extra } = entry as Entry;
      this.selections.set(provider, { selected_model: model_name, editable, priority, max_tokens, temperature, updated_at: last_updated ?? null });
      if (Object.keys(extra).length > 0) this.extras.set(provider, extra);
    }
  }

  /** Takes selections from an older shape and rewrites the file in the documented one, keeping a backup. */
  private migrate(entries: Array<[string, ModelSelection]>, shape: string): void {
    this.selections = new Map(entries);
    this.extras = new Map();
    copyFileSync(this.file, `${this.file}.legacy`);
    this.logger.warn({ file: this.file, backup: `${this.file}.legacy` }, `migrated model selections file from the ${shape} shape`);
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

  /** The documented shape; unset optional fields are left out, unknown fields written back as read. */
  private document(): Record<string, Record<string, unknown>> {
    const doc: Record<string, Record<string, unknown>> = {};
    for (const [provider, s] of this.selections) {
      doc[provider] = {
        ...this.extras.get(provider),
        model_name: s.selected_model,
        editable: s.editable,
        ...(s.updated_at !== null && { last_updated: s.updated_at }),
        ...(s.priority !== null && { priority: s.priority }),
        ...(s.max_tokens !== null && { max_tokens: s.max_tokens }),
        ...(s.temperature !== null && { temperature: s.temperature }),
      };
    }
    return doc;
  }

  private persist(): Promise<void> {
    const text = `${JSON.stringify(this.document(), null, 2)}\n`;
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
