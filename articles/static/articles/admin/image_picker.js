// The image library's picker, opened by "Browse…" in the story editor's figure dialog
// (django-prose-editor's Figure extension, which speaks CKEditor's file-browser protocol):
// a click hands the photo (its preview address, its library id and its alt text and
// caption, which the dialog fills in) to the editor window and closes this one.
"use strict";
document.addEventListener("click", (event) => {
  const choice = event.target.closest("button.picker-choice");
  if (!choice || !window.opener || !window.opener.CKEDITOR) return;
  const funcNum = new URLSearchParams(window.location.search).get("CKEditorFuncNum");
  window.opener.CKEDITOR.tools.callFunction(Number(funcNum), choice.dataset.url, {
    id: choice.dataset.image,
    alternative_text: choice.dataset.alt,
    caption: choice.dataset.caption,
  });
  window.close();
});
