import { describe, expect, it } from "vitest";
import { embedLocally, LocalEmbedder, stem } from "../../worker/kb/embed/local";

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe("the local embedder", () => {
  it("is deterministic, 256-dimensional and of unit length", async () => {
    const embedder = new LocalEmbedder();
    const [a, b] = await embedder.embed(["The lighthouse keeper trims the wick.", "The lighthouse keeper trims the wick."]);
    expect(a).toHaveLength(256);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5);
  });

  it("puts passages about the same thing closer than unrelated ones, across plural and tense", () => {
    const query = embedLocally("invoice for march");
    const related = embedLocally("The invoices for March were paid on time.");
    const unrelated = embedLocally("Quince trees need frost before their fruit softens.");
    expect(cosine(query, related)).toBeGreaterThan(cosine(query, unrelated) + 0.2);
    expect(cosine(embedLocally("indexing documents"), embedLocally("the document was indexed"))).toBeGreaterThan(0.5);
  });

  it("folds case and diacritics", () => {
    expect(cosine(embedLocally("Café Résumé"), embedLocally("cafe resume"))).toBeCloseTo(1, 5);
  });

  it("an empty or wordless text is the zero vector, never NaN", () => {
    for (const text of ["", "   ", "!!! ???"]) {
      const v = embedLocally(text);
      expect(v.every((x) => x === 0)).toBe(true);
    }
  });

  it.each([
    ["invoices", "invoic"],
    ["invoice", "invoic"],
    ["invoicing", "invoic"],
    ["queries", "query"],
    ["classes", "class"],
    ["status", "status"],
    ["run", "run"],
  ])("stems %s to %s", (word, stemmed) => {
    expect(stem(word)).toBe(stemmed);
  });
});
