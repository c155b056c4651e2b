// Tag inputs on the story form: suggest existing names for the term being typed.
// The input stays a comma-separated text box; suggestions fill its <datalist>, each option
// being the whole value with the last term completed, so picking one keeps earlier tags.
"use strict";
(function () {
  function setUp(input) {
    const list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    let timer = null;
    let controller = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(async function () {
        const value = input.value;
        const cut = value.lastIndexOf(",");
        const prefix = cut >= 0 ? value.slice(0, cut + 1) + " " : "";
        const term = value.slice(cut + 1).trim();
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
              option.value = prefix + name;
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
