const mods = process.argv.slice(2);
const m = () => { global.gc(); global.gc(); const u = process.memoryUsage(); return { rss: u.rss/1048576, heap: u.heapUsed/1048576 }; };
const base = m();
const r = {};
for (const name of mods) { require(name); }
const after = m();
console.log(mods.join(','), 'rss +' + (after.rss - base.rss).toFixed(1), 'heap +' + (after.heap - base.heap).toFixed(1), 'files', Object.keys(require.cache).length, 'rssTotal', after.rss.toFixed(1));
