// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../web/src/lib/markdown";

/** Parses the rendered HTML the way the page does (innerHTML) and hands back the element to inspect. */
function rendered(source: string): HTMLElement {
  const host = document.createElement("div");
  host.innerHTML = renderMarkdown(source);
  return host;
}

/** Every attribute in the rendered tree as `name=value`: where a handler or a script URL would have to be to run. */
function attributes(host: HTMLElement): string[] {
  return [...host.querySelectorAll("*")].flatMap((e) => [...e.attributes].map((a) => `${a.name}=${a.value}`));
}

describe("markdown in replies", () => {
  it("renders the markdown a reply uses: emphasis, lists, code and links", () => {
    const host = rendered("**Found 2** invoices:\n\n- [Invoice 42](https://mail.google.com/mail/u/0/#inbox/abc)\n- `code`\n\n```\nblock\n```");
    expect(host.querySelector("strong")?.textContent).toBe("Found 2");
    expect(host.querySelectorAll("li")).toHaveLength(2);
    expect(host.querySelector("pre code")?.textContent).toBe("block\n");
    const link = host.querySelector("a")!;
    expect(link.getAttribute("href")).toBe("https://mail.google.com/mail/u/0/#inbox/abc");
    expect(link.getAttribute("target")).toBe("_blank");
    expect(link.getAttribute("rel")).toBe("noopener noreferrer");
  });

  it("shows raw HTML from the model as text: no script element, no event handler", () => {
    const host = rendered('Hello <script>alert(1)</script> <img src=x onerror="alert(2)"> <b onclick="alert(3)">bold</b>\n\n<div><iframe src="https://evil.test"></iframe></div>');
    expect(host.querySelector("script, img, iframe, b, div")).toBeNull();
    expect(attributes(host).filter((a) => a.startsWith("on"))).toEqual([]);
    expect(new Set([...host.querySelectorAll("*")].map((e) => e.tagName))).toEqual(new Set(["P"]));
    // The text is still there for the person to read, escaped.
    expect(host.textContent).toContain("<script>alert(1)</script>");
  });

  it("drops an image written in markdown (a beacon) and keeps its alt text", () => {
    const host = rendered("![tracking pixel](https://evil.test/p.gif?who=me)");
    expect(host.querySelector("img")).toBeNull();
    expect(host.textContent).toContain("tracking pixel");
  });

  it.each([
    ["javascript:", "[click](javascript:alert(document.cookie))"],
    ["javascript: with entities", "[click](jav&#x61;script:alert(1))"],
    ["data:", "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"],
    ["vbscript:", "[click](vbscript:msgbox(1))"],
    ["an autolink", "<javascript:alert(1)>"],
  ])("strips a %s link and leaves no href that runs code", (_name, source) => {
    const host = rendered(source);
    for (const a of host.querySelectorAll("a")) {
      const href = a.getAttribute("href");
      expect(href === null || /^(https?:|mailto:)/i.test(href), String(href)).toBe(true);
    }
    expect(attributes(host).filter((a) => /javascript:|vbscript:|data:/i.test(a))).toEqual([]);
  });

  it("keeps the rel on a link even when the model wrote its own target and rel", () => {
    const host = rendered('<a href="https://x.test" target="_self" rel="opener">x</a> and [y](https://y.test "t")');
    const links = [...host.querySelectorAll("a")];
    expect(links).toHaveLength(1);
    expect(links[0]!.getAttribute("rel")).toBe("noopener noreferrer");
    expect(host.textContent).toContain('<a href="https://x.test"');
  });
});
