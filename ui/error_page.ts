// PLACEHOLDER owned by the dashboard helper: replaced with the real error page component.

/** Renders a whole HTML error page for the dashboard. */
export function renderErrorPage(status: number, message: string): string {
  const esc = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error ${status}</title></head><body><h1>Error ${status}</h1><p>${esc}</p><p><a href="/">Back to the overview</a></p></body></html>`;
}
