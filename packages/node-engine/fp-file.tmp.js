const st = () => { const s = require('fs').readFileSync('/proc/self/status', 'utf8'); const g = (k) => Number(new RegExp(k + ':\\s+(\\d+)').exec(s)[1]) / 1024; return `file ${g('RssFile').toFixed(1)} anon ${g('RssAnon').toFixed(1)}`; };
console.log('base', st());
for (const name of process.argv.slice(2)) { require(name); console.log(name, st()); }
