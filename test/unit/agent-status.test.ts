import { describe, expect, it } from "vitest";
import { nextSessionStatus } from "../../worker/agent/status";
import { SessionStatus } from "../../worker/contract/agent";
import { AppError } from "../../worker/errors";

const ALL = SessionStatus.options;

/** The whole table: exactly these moves are allowed, every other pair (staying put included) is 409 invalid_transition. */
const ALLOWED = new Set(["active→paused", "paused→active", "active→completed", "active→failed", ...ALL.filter((s) => s !== "archived").map((s) => `${s}→archived`)]);

describe("nextSessionStatus", () => {
  for (const from of ALL) {
    for (const to of ALL) {
      const move = `${from}→${to}`;
      it(`${move} is ${ALLOWED.has(move) ? "allowed" : "refused"}`, () => {
        if (ALLOWED.has(move)) {
          expect(nextSessionStatus(from, to)).toBe(to);
        } else {
          let error: unknown;
          try {
            nextSessionStatus(from, to);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(AppError);
          expect(error).toMatchObject({ status: 409, code: "invalid_transition" });
        }
      });
    }
  }
  it("allows exactly eight moves", () => expect(ALLOWED.size).toBe(8));
});
