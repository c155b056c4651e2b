// Story form: keep each Also Read link's placement select in step with the body as it is
// edited, so links can be placed before the first save. The labels match the server's
// (articles.editorial.forms.paragraph_choices), which validates the same body when the form
// is saved.
"use strict";
(function () {
  const END_LABEL = "Related stories list (end)";
  const BLOCKS = new Set(["P", "H2", "H3", "H4", "BLOCKQUOTE", "UL", "OL", "PRE", "HR", "FIGURE"]);
  const LINK_LINE = /^\s*(also read|related)\s*:/i;

  function paragraphs(html) {
    const body = new DOMParser().parseFromString(html, "text/html").body;
    // As articles.text.html_blocks: blocks with words, photos and rules; Also Read lines leave.
    return [...body.children]
      .filter((el) => BLOCKS.has(el.tagName))
      .map((el) => ({
        tag: el.tagName,
        words: el.textContent.replace(/\s+/g, " ").trim(),
        photo: el.querySelector("img") !== null,
      }))
      .filter(
        (block) =>
          (block.words || block.photo || block.tag === "HR") && !LINK_LINE.test(block.words),
      )
      .map((block) => block.words || (block.photo ? "(photo)" : ""));
  }

  function label(number, words) {
    const list = words.split(" ");
    const start = list.slice(0, 8).join(" ") + (list.length > 8 ? "…" : "");
    return `After ¶${number}: ${start}`;
  }

  function refresh(select, texts) {
    const current = select.value;
    const options = [new Option(END_LABEL, "")];
    if (texts.length) options.push(new Option("At the top, before ¶1", "0"));
    texts.forEach((words, i) => options.push(new Option(label(i + 1, words), String(i + 1))));
    if (current !== "" && Number(current) > texts.length) {
      options.push(new Option(`After ¶${current} (the body is shorter now)`, current));
    }
    select.replaceChildren(...options);
    select.value = current;
  }

  function init() {
    const body = document.getElementById("id_body");
    if (!body) return;
    let timer = null;
    body.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const texts = paragraphs(body.value);
        document.querySelectorAll("select[name^='links_out-'][name$='-placement']").forEach(
          (select) => refresh(select, texts),
        );
      }, 200);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
