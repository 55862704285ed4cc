import type { Config } from "../config";
import type { ChatModel } from "./model";

/**
 * Where the turn loop gets its model from config. A minimal offline model
 * that answers without tools until the OpenAI-compatible client and the
 * offline planner take this place.
 */
export function chatModelFor(_cfg: Config): ChatModel {
  return {
    id: "offline-planner",
    label: "Offline planner",
    offline: true,
    async complete(request) {
      const last = [...request.messages].reverse().find((m) => m.role === "user");
      const asked = last && last.role === "user" ? last.content.slice(0, 200) : "";
      return {
        content: `I cannot act on "${asked}" yet: no model is configured.`,
        toolCalls: [],
        usage: { promptTokens: 0, completionTokens: 0 },
        finishReason: "stop",
      };
    },
  };
}
