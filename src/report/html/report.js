(function () {
  'use strict';
  var status = document.getElementById('kh-status');
  var problems = [];
  function record(text) {
    problems.push(text);
    status.setAttribute('data-errors', String(problems.length));
    status.textContent = problems.join('\n');
  }
  window.addEventListener('error', function (e) { record('error: ' + e.message); });
  document.addEventListener('securitypolicyviolation', function (e) {
    record('blocked by the content security policy: ' + e.violatedDirective);
  });
  var findings = Array.prototype.slice.call(document.querySelectorAll('article.finding'));
  var form = document.getElementById('filters');
  var provider = document.getElementById('f-provider');
  var confidence = document.getElementById('f-confidence');
  var path = document.getElementById('f-path');
  var shown = document.getElementById('f-shown');
  var rank = { low: 0, medium: 1, high: 2 };
  var names = {};
  findings.forEach(function (f) { names[f.getAttribute('data-provider')] = true; });
  Object.keys(names).sort().forEach(function (name) {
    var option = document.createElement('option');
    option.value = name;
    option.textContent = name === '' ? 'Unknown provider' : name;
    provider.appendChild(option);
  });
  function apply() {
    var wantProvider = provider.value;
    var wantRank = rank[confidence.value] || 0;
    var needle = path.value.trim().toLowerCase();
    var count = 0;
    findings.forEach(function (f) {
      var keep = (provider.selectedIndex === 0 || f.getAttribute('data-provider') === wantProvider) &&
        rank[f.getAttribute('data-confidence')] >= wantRank &&
        (needle === '' || f.getAttribute('data-path').toLowerCase().indexOf(needle) !== -1);
      f.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = 'Showing ' + count + ' of ' + findings.length + ' finding' +
      (findings.length === 1 ? '' : 's');
  }
  // A link can preset the filters: report.html#provider=GitHub&confidence=high&path=src/
  var preset = new URLSearchParams(window.location.hash.slice(1));
  if (preset.has('provider')) {
    Array.prototype.forEach.call(provider.options, function (option, i) {
      if (i > 0 && option.value === preset.get('provider')) { provider.selectedIndex = i; }
    });
  }
  if (rank.hasOwnProperty(preset.get('confidence'))) { confidence.value = preset.get('confidence'); }
  if (preset.has('path')) { path.value = preset.get('path'); }
  provider.addEventListener('change', apply);
  confidence.addEventListener('change', apply);
  path.addEventListener('input', apply);
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  form.hidden = false;
  apply();
  var root = document.documentElement;
  status.setAttribute('data-ready', '1');
  status.setAttribute('data-findings', String(findings.length));
  status.setAttribute('data-providers', String(provider.options.length - 1));
  status.setAttribute('data-overflow', String(root.scrollWidth > root.clientWidth));
}());
