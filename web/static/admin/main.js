// The console's shell: sign-in, pages by the URL's hash (#documents, #feedback, ...), sign-out.
import { ApiError, api, setSession } from "./api.js";
import { notice } from "./dom.js";
import { initDocuments, loadDocuments } from "./documents.js";
import { initFeedback, loadFeedback } from "./feedback.js";
import { initKeys, loadAudit, loadKeys } from "./keys.js";
import { loadHealth } from "./health.js";

const PAGES = {
  documents: loadDocuments,
  feedback: async () => {
    await loadDocuments();
    await loadFeedback();
  },
  keys: loadKeys,
  audit: loadAudit,
  health: loadHealth,
};

function pageName() {
  const name = location.hash.slice(1);
  return name in PAGES ? name : "documents";
}

function showSignIn(message) {
  document.getElementById("sign-in").hidden = false;
  document.getElementById("tabs").hidden = true;
  document.querySelector(".who").hidden = true;
  for (const page of document.querySelectorAll(".page")) page.hidden = true;
  document.getElementById("sign-in-error").textContent = message || "";
  document.getElementById("sign-in-key").focus();
}

function expired(error) {
  showSignIn(error.message + " Hãy đăng nhập lại.");
}

async function showPage() {
  const name = pageName();
  for (const link of document.querySelectorAll("#tabs a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  for (const page of document.querySelectorAll(".page")) page.hidden = page.id !== "page-" + name;
  try {
    await PAGES[name]();
  } catch (error) {
    if (!(error instanceof ApiError && error.code === "session_expired")) notice(error.message, "error");
  }
}

function signedIn(session) {
  setSession(session.csrf, expired);
  document.getElementById("sign-in").hidden = true;
  document.getElementById("tabs").hidden = false;
  document.querySelector(".who").hidden = false;
  document.getElementById("who-name").textContent = `Khóa #${session.key_id}: ${session.name}`;
  showPage();
}

async function submitSignIn(event) {
  event.preventDefault();
  const input = document.getElementById("sign-in-key");
  try {
    const session = await api("POST", "/session", { key: input.value });
    input.value = "";
    signedIn(session);
  } catch (error) {
    document.getElementById("sign-in-error").textContent = error.message;
    input.select();
  }
}

async function signOut() {
  try {
    await api("DELETE", "/session");
  } catch (_) {
    // already signed out
  }
  setSession("");
  showSignIn("Đã đăng xuất.");
}

async function start() {
  document.getElementById("sign-in-form").addEventListener("submit", submitSignIn);
  document.getElementById("sign-out").addEventListener("click", signOut);
  window.addEventListener("hashchange", () => {
    if (!document.getElementById("tabs").hidden) showPage();
  });
  initDocuments();
  initFeedback();
  initKeys();
  setSession("", expired);
  try {
    signedIn(await api("GET", "/session"));
  } catch (_) {
    showSignIn("");
  }
}

start();
