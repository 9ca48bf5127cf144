// Copy buttons on the admin pages: <button data-copy="id-of-input" data-copied="label">.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  const done = () => {
    const label = button.textContent;
    button.textContent = button.dataset.copied || label;
    setTimeout(() => { button.textContent = label; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done);
  } else {
    // Plain-HTTP installs have no clipboard API; selecting still lets Ctrl+C work.
    field.select();
    document.execCommand("copy");
    done();
  }
});
