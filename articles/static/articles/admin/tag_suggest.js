// Tag inputs on the story form: suggest existing names for the name being typed.
// The input stays a comma-separated text box: commas separate names, spaces never do, and a
// name holding a comma or a double quote is written in double quotes (a quote inside it
// doubled), as the server writes and reads it (articles/editorial/forms.py, parse_tag_names).
// Suggestions fill its <datalist>, each option being the whole value with the last name
// completed, so picking one keeps the names before it.
"use strict";
(function () {
  // Where the name being typed begins: after the last comma outside quotes.
  function lastNameStart(value) {
    let start = 0;
    let quoted = false;
    let atNameStart = true;
    for (let i = 0; i < value.length; i++) {
      const c = value[i];
      if (quoted) {
        if (c === '"') {
          if (value[i + 1] === '"') i++;
          else quoted = false;
        }
      } else if (c === ",") {
        start = i + 1;
        atNameStart = true;
      } else if (c === '"' && atNameStart) {
        quoted = true;
        atNameStart = false;
      } else if (c.trim() !== "") {
        atNameStart = false;
      }
    }
    return start;
  }

  function unquoted(name) {
    const match = /^"((?:[^"]|"")*)"?$/.exec(name);
    return match ? match[1].replace(/""/g, '"') : name;
  }

  function quoted(name) {
    return /[",]/.test(name) ? '"' + name.replace(/"/g, '""') + '"' : name;
  }

  function setUp(input) {
    const list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    let timer = null;
    let controller = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(async function () {
        const value = input.value;
        const start = lastNameStart(value);
        const prefix = start > 0 ? value.slice(0, start) + " " : "";
        const term = unquoted(value.slice(start).trim()).trim();
        if (term.length < 1) {
          list.replaceChildren();
          return;
        }
        if (controller) controller.abort();
        controller = new AbortController();
        try {
          const url = input.dataset.suggestUrl + "?q=" + encodeURIComponent(term);
          const response = await fetch(url, {
            signal: controller.signal,
            headers: { Accept: "application/json" },
          });
          if (!response.ok) return;
          const data = await response.json();
          list.replaceChildren(
            ...data.results.map(function (name) {
              const option = document.createElement("option");
              option.value = prefix + quoted(name);
              return option;
            }),
          );
        } catch (error) {
          if (error.name !== "AbortError") throw error;
        }
      }, 150);
    });
  }
  function init() {
    document.querySelectorAll("input[data-suggest-url]").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
