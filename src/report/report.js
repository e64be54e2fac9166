// actorlens report: renders the charts (vega-embed) and the document view from the JSON blocks
// in this page. All text is inserted with textContent, never as HTML.
(function () {
  'use strict';
  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  // No "Open in Vega Editor": that would send the spec to a web site.
  var opts = { renderer: 'svg', actions: { export: true, source: true, compiled: true, editor: false } };
  var charts = document.querySelectorAll('[data-spec]');
  var pending = charts.length;
  function chartDone() {
    pending -= 1;
    if (pending === 0) {
      document.body.setAttribute('data-charts', 'rendered');
      // Milliseconds from navigation start until every chart is drawn (read by timing checks).
      document.body.setAttribute('data-render-ms', String(Math.round(performance.now())));
    }
  }
  if (pending === 0) document.body.setAttribute('data-charts', 'rendered');
  Array.prototype.forEach.call(charts, function (c) {
    var spec = json(c.getAttribute('data-spec'));
    vegaEmbed(c, spec, opts).then(function () {
      c.setAttribute('data-rendered', 'true');
      chartDone();
    }).catch(function (err) {
      console.error('actorlens report: chart ' + c.id + ' failed: ' + err);
      c.textContent = 'This chart could not be drawn: ' + err;
      chartDone();
    });
  });

  var data = json('docs-data') || { docs: [] };
  var select = document.getElementById('doc-select');
  var textBox = document.getElementById('doc-text');
  var side = document.getElementById('doc-actions');
  function entClass(t) { return /^[A-Z]{2,8}$/.test(t || '') ? 'ent-' + t : 'ent-MISC'; }
  function mentionMark(d, m) {
    var mk = el('mark', 'ent ' + entClass(m.type) + (m.actor ? ' actor' : ''));
    mk.appendChild(document.createTextNode(m.text));
    mk.appendChild(el('span', 'lbl', m.label || m.type));
    var tip = (m.label || m.type) + (m.actor ? ' · actor: ' + (d.actors[m.actor] || m.actor) + ' (' + m.actor + ')' : '');
    mk.title = tip;
    if (m.actor) mk.setAttribute('data-actor', m.actor);
    return mk;
  }
  function highlightActor(id, on) {
    var marks = textBox.querySelectorAll('mark[data-actor]');
    Array.prototype.forEach.call(marks, function (m) {
      if (m.getAttribute('data-actor') === id) m.classList.toggle('hl', on);
    });
  }
  function showDoc(i) {
    var d = data.docs[i];
    textBox.textContent = '';
    side.textContent = '';
    if (!d) return;
    var head = el('div', 'meta');
    head.textContent = [d.doc_id, d.title, d.published, d.sentiment ? 'sentiment ' + d.sentiment + (d.score !== null ? ' (' + d.score + ')' : '') : null]
      .filter(function (x) { return x; }).join(' · ');
    side.appendChild(head);
    if (d.blocks.length) {
      d.blocks.forEach(function (b) {
        if (b.gap !== undefined) { textBox.appendChild(document.createTextNode(b.gap)); return; }
        var s = el('span', 'sent');
        s.id = 'sent-' + b.s;
        b.segs.forEach(function (seg) {
          if (seg.length > 1) s.appendChild(mentionMark(d, d.mentions[seg[1]]));
          else s.appendChild(document.createTextNode(seg[0]));
        });
        textBox.appendChild(s);
      });
      if (d.truncated) textBox.appendChild(el('p', 'meta', '… text cut here (the view shows the first 20,000 characters).'));
    } else {
      textBox.appendChild(el('p', 'meta', 'Text not shown: ' + (d.text_status || 'not available') + '. The mentions the tables hold, by sentence:'));
      var by = {};
      d.mentions.forEach(function (m) { (by[m.s] = by[m.s] || []).push(m); });
      Object.keys(by).sort(function (a, b) { return a - b; }).forEach(function (k) {
        var p = el('div', 'sent chips');
        p.id = 'sent-' + k;
        p.appendChild(el('span', 'meta', 'sentence ' + k + ': '));
        by[k].forEach(function (m) { p.appendChild(mentionMark(d, m)); p.appendChild(document.createTextNode(' ')); });
        textBox.appendChild(p);
      });
      if (!d.mentions.length) textBox.appendChild(el('p', 'meta', 'No mentions in this document.'));
    }
    side.appendChild(el('h3', null, 'Claimed actions (' + d.actions.length + ')'));
    if (!d.actions.length) side.appendChild(el('p', 'empty', 'No claimed actions in this document.'));
    var ol = el('ol');
    d.actions.forEach(function (a) {
      var li = el('li');
      li.appendChild(el('b', null, a.agent || '(no agent)'));
      li.appendChild(document.createTextNode(' ' + a.predicate + ' '));
      li.appendChild(el('b', null, a.target || '(no target)'));
      var bits = [a.category || 'OTHER'];
      if (a.quad) bits.push(a.quad.replace('_', ' '));
      bits.push(a.modality);
      if (a.negated) bits.push('negated');
      if (a.quote) bits.push('in a quote');
      bits.push('sentence ' + a.s);
      li.appendChild(el('div', 'meta', bits.join(' · ')));
      li.appendChild(el('div', 'meta', 'source: ' + (a.source || 'the article (no attribution)')));
      li.addEventListener('mouseenter', function () {
        var s = document.getElementById('sent-' + a.s);
        if (s) { s.classList.add('hl'); s.scrollIntoView({ block: 'nearest' }); }
        if (a.agent_actor) highlightActor(a.agent_actor, true);
        if (a.target_actor) highlightActor(a.target_actor, true);
      });
      li.addEventListener('mouseleave', function () {
        var s = document.getElementById('sent-' + a.s);
        if (s) s.classList.remove('hl');
        if (a.agent_actor) highlightActor(a.agent_actor, false);
        if (a.target_actor) highlightActor(a.target_actor, false);
      });
      ol.appendChild(li);
    });
    side.appendChild(ol);
  }
  data.docs.forEach(function (d, i) {
    var o = el('option', null, d.doc_id + (d.title ? ' — ' + d.title : '') + ' (' + d.actions.length + ' actions)');
    o.value = String(i);
    select.appendChild(o);
  });
  select.addEventListener('change', function () { showDoc(Number(select.value)); });
  if (data.docs.length) showDoc(0);
  else textBox.appendChild(el('p', 'empty', 'No documents in this run.'));
})();
