/* Configure cluster in the browser: show what the choices made call for, and follow the
 * console's defaults, without ever redrawing a field a person is in or has typed into.
 *
 * Every dependent part of the form is already in the page (see configure.html): this script
 * only shows and hides parts marked data-when, picks the AMI and volume size that follow the
 * instance type while the person has not chosen them, filters the instance types, ticks a
 * VPC's subnets on request, and adds and removes tag rows. Focus moves only when the person
 * asks for something new (a new tag row), never by itself. Checking a field as the person
 * leaves it is htmx's work (hx-post on the form); its answer lands in message slots only. */
"use strict";

(function () {
  const form = document.getElementById("configure-form");
  if (!form) return;

  // The value of a named control as conditions read it: a radio group's checked value, a
  // single checkbox's "on"/"off", or a select's or input's value.
  function valueOf(name) {
    const controls = form.querySelectorAll(`[name="${CSS.escape(name)}"]`);
    if (!controls.length) return "";
    const first = controls[0];
    if (first.type === "radio") {
      const checked = Array.from(controls).find((control) => control.checked);
      return checked ? checked.value : "";
    }
    if (first.type === "checkbox" && controls.length === 1) return first.checked ? "on" : "off";
    return first.value;
  }

  function chosenInstanceTypes() {
    const select = form.querySelector('select[name="instance_type"]');
    if (!select) return [];
    return Array.from(select.selectedOptions).filter((option) => option.value);
  }

  // data-when="name=value", "name!=value", or "burstable" (every chosen type is burstable:
  // T2 unlimited applies to them).
  function holds(condition) {
    if (condition === "burstable") {
      const chosen = chosenInstanceTypes();
      return chosen.length > 0 && chosen.every((option) => "burstable" in option.dataset);
    }
    const negated = condition.includes("!=");
    const [name, value] = condition.split(negated ? "!=" : "=");
    return (valueOf(name) === value) !== negated;
  }

  function showWhatTheChoicesCallFor() {
    form.querySelectorAll("[data-when]").forEach((part) => {
      part.hidden = !holds(part.dataset.when);
    });
    form.querySelectorAll("select[data-multiple-when]").forEach((select) => {
      const multiple = holds(select.dataset.multipleWhen);
      if (select.multiple === multiple) return;
      select.multiple = multiple;
      select.size = multiple ? 8 : 0;
      const placeholder = select.querySelector("option[data-placeholder]");
      if (placeholder) placeholder.hidden = multiple;
    });
  }

  // A field the person has set themselves is theirs: the defaults that follow other choices
  // no longer touch it. (This script sets those defaults without firing events.)
  function markChosenByThePerson(event) {
    if (event.target.name) event.target.dataset.chosen = "";
  }

  function recommendedAmi(amiSelect, typeOption) {
    const architecture = typeOption.dataset.arch || "x86_64";
    const hasGpu = "gpu" in typeOption.dataset;
    const fitting = Array.from(amiSelect.options).filter(
      (ami) => ami.dataset.arch === architecture && (hasGpu || !("gpu" in ami.dataset)),
    );
    const gpu = fitting.filter((ami) => "gpu" in ami.dataset);
    if (hasGpu && gpu.length) return gpu[0];
    return fitting.find((ami) => !("gpu" in ami.dataset));
  }

  function followInstanceType() {
    const amiSelect = form.querySelector('select[name="ami_id"]');
    const [first] = chosenInstanceTypes();
    if (!amiSelect || !first || "chosen" in amiSelect.dataset) return;
    const ami = recommendedAmi(amiSelect, first);
    if (ami && !ami.selected) {
      ami.selected = true;
      followAmi();
    }
  }

  // The storage field's label, help and default belong to the AMI chosen.
  function followAmi() {
    const amiSelect = form.querySelector('select[name="ami_id"]');
    const ami = amiSelect && amiSelect.selectedOptions[0];
    if (!ami) return;
    const description = document.getElementById(`${amiSelect.id}_helptext`);
    if (description) description.textContent = ami.dataset.description;
    const volume = form.querySelector('input[name="volume_size"]');
    if (!volume) return;
    const label = document.getElementById(`${volume.id}_label`);
    if (label && label.firstChild) label.firstChild.textContent = ami.dataset.volumeLabel;
    const help = document.getElementById(`${volume.id}_helptext`);
    if (help) help.textContent = ami.dataset.volumeHelp;
    if (!("chosen" in volume.dataset)) volume.value = ami.dataset.volumeDefault;
  }

  // Security groups belong to a VPC: a group of a VPC no longer chosen gives way to a new one.
  function followVpc() {
    const select = form.querySelector("select[data-follows-vpc]");
    const chosen = select && select.selectedOptions[0];
    if (chosen && chosen.parentElement.hidden) {
      select.value = "new";
      showWhatTheChoicesCallFor();
    }
  }

  function filterInstanceTypes(text) {
    const select = form.querySelector('select[name="instance_type"]');
    const words = text.trim().toLowerCase();
    select.querySelectorAll("optgroup").forEach((group) => {
      let shown = 0;
      group.querySelectorAll("option").forEach((option) => {
        option.hidden = Boolean(words) && !option.value.includes(words);
        if (!option.hidden) shown += 1;
      });
      group.hidden = shown === 0;
    });
  }

  // Tag rows. Add tag and Remove are submit buttons, for pages without JavaScript; here they
  // add and remove a row in place, and keep the rows numbered as the formset counts them.
  const tagRows = document.getElementById("tag-rows");
  const tagTemplate = document.getElementById("tag-row-template");
  const totalForms = form.querySelector('input[name="tags-TOTAL_FORMS"]');

  function numberTagRows() {
    const rows = tagRows.querySelectorAll("tr[data-tag-row]");
    rows.forEach((row, index) => {
      row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach((element) => {
        for (const attribute of ["name", "id", "for", "aria-describedby"]) {
          const value = element.getAttribute(attribute);
          if (value) element.setAttribute(attribute, value.replace(/tags-\d+-/g, `tags-${index}-`));
        }
      });
      row.querySelectorAll("label").forEach((label) => {
        label.textContent = label.textContent.replace(/Tag \d+/, `Tag ${index + 1}`);
      });
      const remove = row.querySelector("[data-remove-tag]");
      remove.value = String(index);
      remove.setAttribute("aria-label", `Remove tag ${index + 1}`);
    });
    totalForms.value = String(rows.length);
  }

  function addTagRow() {
    const index = tagRows.querySelectorAll("tr[data-tag-row]").length;
    const html = tagTemplate.innerHTML
      .replace(/__prefix__/g, String(index))
      .replace(/__number__/g, String(index + 1));
    tagRows.insertAdjacentHTML("beforeend", html);
    numberTagRows();
    tagRows.lastElementChild.querySelector("input").focus();
  }

  function removeTagRow(button) {
    const row = button.closest("tr[data-tag-row]");
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    numberTagRows();
    // Focus stays where the person was: on the row that took this one's place, or on Add tag.
    const target = next ? next.querySelector("[data-remove-tag]") : form.querySelector("[data-add-tag]");
    target.focus();
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if ("addTag" in button.dataset) {
      event.preventDefault();
      addTagRow();
    } else if ("removeTag" in button.dataset) {
      event.preventDefault();
      removeTagRow(button);
    } else if ("selectAll" in button.dataset) {
      const boxes = button.closest(".subnet-group").querySelectorAll('input[type="checkbox"]');
      boxes.forEach((box) => {
        box.checked = true;
      });
      // Let the subnets be checked like any other change the person makes.
      if (boxes.length) boxes[0].dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  form.addEventListener("input", markChosenByThePerson);
  form.addEventListener("change", (event) => {
    markChosenByThePerson(event);
    const name = event.target.name;
    showWhatTheChoicesCallFor();
    if (name === "instance_type") followInstanceType();
    if (name === "ami_id") followAmi();
    if (name === "vpc") followVpc();
  });

  const filter = document.getElementById("instance-type-filter");
  if (filter) {
    filter.addEventListener("input", () => filterInstanceTypes(filter.value));
    // Enter in the filter narrows the list; it does not create the cluster.
    filter.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault();
    });
  }

  // A field's message arrived (htmx out-of-band swap into its slot): say on the field whether
  // it is in error, for screen readers and the red border, without touching its value.
  document.body.addEventListener("htmx:oobAfterSwap", (event) => {
    const slot = event.target; // the slot as it arrived (the one it replaced has left the page)
    if (!slot || !slot.id.endsWith("_error") || !("invalid" in slot.dataset)) return;
    const invalid = slot.dataset.invalid === "true";
    const field = document.getElementById(slot.id.slice(0, -"_error".length));
    if (field) {
      if (invalid) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
      const wrapper = field.closest(".field");
      if (wrapper) wrapper.classList.toggle("field-invalid", invalid);
    }
  });

  showWhatTheChoicesCallFor();
  // After a refused Create, the summary of what needs attention is where the person starts,
  // and each of its links takes them into the field it names (a link alone would only scroll).
  const summary = document.getElementById("error-summary");
  if (summary) {
    // This script may run after the person has moved on (the page's autofocus put them on the
    // summary while the script was still on its way): where they went is theirs to keep.
    if (!document.activeElement || document.activeElement === document.body) summary.focus();
    summary.addEventListener("click", (event) => {
      const link = event.target.closest('a[href^="#"]');
      const target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (!target) return;
      event.preventDefault();
      const field = target.matches("fieldset")
        ? Array.from(target.querySelectorAll("input")).find((input) => input.offsetParent) || target
        : target;
      field.focus();
    });
  }
})();
