// Citations: checked when they arrive, shown as [n] buttons, each opening its quote.

// Citations come from the network (and from storage): keep only well-formed ones, every field a string.
function cleanCitations(list) {
  if (!Array.isArray(list)) {
    return [];
  }
  return list
    .filter(function (c) {
      return c && typeof c === "object" && Number.isInteger(c.n) && c.n > 0;
    })
    .map(function (c) {
      return {
        n: c.n,
        source: String(c.source || ""),
        chunk_id: String(c.chunk_id || ""),
        quote: String(c.quote || ""),
        title: String(c.title || ""),
        date: c.date ? String(c.date) : null,
        unit: c.unit ? String(c.unit) : null,
      };
    });
}

// A list answer is a lead line and items on lines of their own starting with "- ": items become a <ul>.
function renderAnswerText(container, text, citations, onCite) {
  container.textContent = "";
  var lines = text.split("\n");
  if (lines.length < 2) {
    renderInline(container, text, citations, onCite);
    return;
  }
  var list = null;
  lines.forEach(function (line) {
    if (line.indexOf("- ") === 0) {
      if (!list) {
        list = el("ul", { className: "items" });
        container.appendChild(list);
      }
      var item = el("li");
      renderInline(item, line.slice(2), citations, onCite);
      list.appendChild(item);
    } else if (line.trim()) {
      list = null;
      var para = el("p", { className: "lead" });
      renderInline(para, line, citations, onCite);
      container.appendChild(para);
    }
  });
}

// Splits text on [n] / [n, m] markers; markers that name a known citation become buttons.
function renderInline(container, text, citations, onCite) {
  var known = {};
  (citations || []).forEach(function (c) {
    known[c.n] = c;
  });
  var pattern = /\[(\d+(?:\s*[,;]\s*\d+)*)\]/g;
  var last = 0;
  var match;
  while ((match = pattern.exec(text)) !== null) {
    var numbers = match[1].split(/\s*[,;]\s*/).map(Number);
    var allKnown = numbers.every(function (n) {
      return known[n];
    });
    if (!allKnown) {
      continue;
    }
    container.appendChild(document.createTextNode(text.slice(last, match.index)));
    numbers.forEach(function (n) {
      container.appendChild(onCite(known[n]));
    });
    last = match.index + match[0].length;
  }
  container.appendChild(document.createTextNode(text.slice(last)));
}

function buildCitationDetail(citation) {
  var meta = TEXT.date + (citation.date ? formatDate(citation.date) : TEXT.noDate);
  if (citation.source) {
    meta += " · " + TEXT.source + citation.source;
  }
  if (citation.unit) {
    meta += " · " + TEXT.unit + citation.unit;
  }
  return el("div", { className: "detail", role: "region", "aria-label": TEXT.sources + " [" + citation.n + "]" }, [
    el("p", { className: "dtitle", text: "[" + citation.n + "] " + (citation.title || citation.source || "") }),
    el("p", { className: "meta", text: meta }),
    el("blockquote", { text: citation.quote || "" }),
  ]);
}

// ---- the evidence card: the best passage, shown before the answer, kept or replaced by its citations ----

function cleanPassage(p) {
  if (!p || typeof p !== "object" || typeof p.quote !== "string") {
    return null;
  }
  return {
    source: String(p.source || ""),
    quote: p.quote,
    title: String(p.title || ""),
    date: p.date ? String(p.date) : null,
    unit: p.unit ? String(p.unit) : null,
  };
}

// While the answer is written: the passage. Once cited: the citation quoting it (the card is kept, with its
// number), else the first citation (the card is replaced); a refusal or an uncited answer shows none.
function cardPassage(message) {
  var passage = message.evidence;
  if (!passage || message.pending) {
    return passage ? { n: null, passage: passage } : null;
  }
  var citations = message.refused ? [] : message.citations || [];
  var same = citations.filter(function (c) {
    return c.source === passage.source && (c.quote.indexOf(passage.quote) >= 0 || passage.quote.indexOf(c.quote) >= 0);
  })[0];
  var shown = same || citations[0];
  return shown ? { n: shown.n, passage: same ? passage : shown, kept: !!same } : null;
}

function buildEvidenceCard(message) {
  var card = cardPassage(message);
  if (!card) {
    return null;
  }
  var p = card.passage;
  var meta = TEXT.date + (p.date ? formatDate(p.date) : TEXT.noDate) + (p.unit ? " · " + TEXT.unit + p.unit : "");
  var heading = TEXT.related + (card.n ? " [" + card.n + "]" : "");
  return el("section", { className: "evidence", "aria-label": TEXT.related, "data-kept": String(!!card.kept) }, [
    el("p", { className: "dtitle", text: heading + ": " + (p.title || p.source) }),
    el("p", { className: "meta", text: meta }),
    el("blockquote", { text: p.quote }),
  ]);
}
