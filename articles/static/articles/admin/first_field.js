// Story form, when adding: the cursor starts in the first field (the headline). Django's own
// change_form.js focuses the form's first control, which with the buttons on top is Save,
// so an editor who starts typing typed nothing and a space bar saved an empty form.
"use strict";
{
  const field = document.querySelector(
    "form fieldset :is(input, select, textarea):not([type=hidden], :disabled)",
  );
  if (field && document.activeElement === document.body) field.focus();
}
