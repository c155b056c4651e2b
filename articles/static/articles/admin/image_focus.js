// Image library: a click on the whole photo sets the focal point (the two number inputs,
// which work without this script) and moves its ring there.
"use strict";
document.addEventListener("click", (event) => {
  const picture = event.target.closest("svg.focal-point");
  if (!picture) return;
  const box = picture.getBoundingClientRect();
  const across = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1);
  const down = Math.min(Math.max((event.clientY - box.top) / box.height, 0), 1);
  document.getElementById("id_focus_x").value = across.toFixed(2);
  document.getElementById("id_focus_y").value = down.toFixed(2);
  const [width, height] = picture.getAttribute("viewBox").split(" ").slice(2).map(Number);
  for (const ring of picture.querySelectorAll("circle")) {
    ring.setAttribute("cx", (across * width).toFixed(1));
    ring.setAttribute("cy", (down * height).toFixed(1));
  }
});
