// Gemini's SSE stream (each event a partial GenerateContentResponse) -> OpenAI chunks. Gemini sends
// no end marker: a stream is complete once every candidate it began has a finishReason.
import type { Usage } from '../canonical.js';
import { ChunkWriter, completionId } from '../common/chunks.js';
import { isRecord } from '../common/params.js';
import { parseEventJson, streamCut, type StreamTransform } from '../common/stream.js';
import { errorFromBody } from '../../upstream/call.js';
import type { SseEvent } from '../../upstream/sse.js';
import { googleErrorBody, googleErrorStatus } from './errors.js';
import { finishReasonOf, readParts, toUsage } from './response.js';

interface CandidateState {
  toolCalls: number;
  finished: boolean;
}

export class GoogleStreamTransform implements StreamTransform {
  private readonly writer: ChunkWriter;
  private readonly candidates = new Map<number, CandidateState>();
  private usage: unknown = null;
  private identified = false;

  constructor(
    private readonly provider: string,
    model: string,
    private readonly includeUsage: boolean,
  ) {
    this.writer = new ChunkWriter(completionId(), model);
  }

  push(event: SseEvent): string[] {
    const data = parseEventJson(this.provider, event);
    if (isRecord(data.error)) {
      throw errorFromBody({ provider: this.provider, secrets: [] }, googleErrorStatus(data), googleErrorBody(data));
    }
    if (!this.identified) {
      this.identified = true;
      if (typeof data.responseId === 'string') this.writer.id = data.responseId;
      if (typeof data.modelVersion === 'string') this.writer.model = data.modelVersion;
    }
    if (data.usageMetadata !== undefined) this.usage = data.usageMetadata;

    const out: string[] = [];
    const candidates = Array.isArray(data.candidates) ? data.candidates.filter(isRecord) : [];
    if (candidates.length === 0 && isRecord(data.promptFeedback) && data.promptFeedback.blockReason) {
      const state = this.state(0, out);
      if (!state.finished) {
        state.finished = true;
        out.push(this.writer.chunk({}, 'content_filter', 0));
      }
    }
    candidates.forEach((candidate, i) => {
      const index = typeof candidate.index === 'number' ? candidate.index : i;
      const state = this.state(index, out);
      const parts = readParts(isRecord(candidate.content) ? candidate.content.parts : undefined);
      if (parts.reasoning) out.push(this.writer.chunk({ reasoning_content: parts.reasoning }, null, index));
      if (parts.text) out.push(this.writer.chunk({ content: parts.text }, null, index));
      if (parts.toolCalls.length > 0) {
        // Gemini sends each call whole: id, name and complete arguments in one delta.
        const calls = parts.toolCalls.map((call) => ({ index: state.toolCalls++, ...call }));
        out.push(this.writer.chunk({ tool_calls: calls }, null, index));
      }
      if (typeof candidate.finishReason === 'string' && !state.finished) {
        state.finished = true;
        out.push(this.writer.chunk({}, finishReasonOf(candidate.finishReason, state.toolCalls > 0), index));
      }
    });
    return out;
  }

  end(): string[] {
    const states = [...this.candidates.values()];
    if (states.length === 0 || states.some((s) => !s.finished)) throw streamCut(this.provider);
    return this.includeUsage ? [this.writer.usage(this.currentUsage())] : [];
  }

  currentUsage(): Usage {
    return toUsage(this.usage);
  }

  /** The candidate's state, announcing it with a role chunk the first time it appears. */
  private state(index: number, out: string[]): CandidateState {
    let state = this.candidates.get(index);
    if (!state) {
      state = { toolCalls: 0, finished: false };
      this.candidates.set(index, state);
      out.push(this.writer.chunk({ role: 'assistant', content: '' }, null, index));
    }
    return state;
  }
}
