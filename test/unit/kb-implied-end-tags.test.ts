import { describe, expect, it } from "vitest";
import { writeImpliedEndTags } from "../../worker/kb/extract/implied-end-tags";

describe("writeImpliedEndTags", () => {
  it.each([
    ["<p>a<div>b</div>", "<p>a</p><div>b</div>"],
    ["<p>a<p>b", "<p>a</p><p>b"],
    ["<ul><li>a<li>b</ul>", "<ul><li>a</li><li>b</li></ul>"],
    ["<ul><li>a<ul><li>x<li>y</ul><li>b</ul>", "<ul><li>a<ul><li>x</li><li>y</li></ul></li><li>b</li></ul>"],
    ["<dl><dt>t<dd>d<dt>u</dl>", "<dl><dt>t</dt><dd>d</dd><dt>u</dt></dl>"],
    ["<div><p>a</div>b", "<div><p>a</p></div>b"],
    ["<li><p>a<li>b", "<li><p>a</p></li><li>b"],
  ])("%s → %s", (html, expected) => {
    expect(writeImpliedEndTags(html)).toBe(expected);
  });

  it("changes nothing in well-formed HTML, and nothing inside scripts, styles or comments", () => {
    const html = '<h1>T</h1><p>a <b>b</b><br>c</p><ul><li>x</li></ul><!-- <p>not<div> --><script>if (a<b) { "<p>" }</script><style>p>div{}</style>';
    expect(writeImpliedEndTags(html)).toBe(html);
  });
});
