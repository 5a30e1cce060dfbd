// "添加一行" of a Django formset: clones the <template data-formset-empty> row, numbering
// it with the formset's TOTAL_FORMS, and counts it in. Without JavaScript the page still
// offers its empty rows.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-formset-add]");
  if (!button) return;
  const form = button.closest("form");
  const prefix = button.dataset.formsetPrefix;
  const total = form.querySelector(`#id_${prefix}-TOTAL_FORMS`);
  const template = form.querySelector("template[data-formset-empty]");
  const body = form.querySelector("[data-formset-body]");
  const index = Number(total.value);
  body.insertAdjacentHTML("beforeend", template.innerHTML.replaceAll("__prefix__", String(index)));
  total.value = String(index + 1);
  body.lastElementChild.querySelector("select, input")?.focus();
});
