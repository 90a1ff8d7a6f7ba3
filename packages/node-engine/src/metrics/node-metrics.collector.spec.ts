import { parseProcNetDev, parseProcStat } from './node-metrics.collector';

describe('proc parsers', () => {
  it('reads busy and idle jiffies from /proc/stat, counting iowait as idle', () => {
    const text = 'cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\nintr 1\n';
    expect(parseProcStat(text)).toEqual({ idle: 850, total: 1000 });
    expect(parseProcStat('nothing here')).toBeUndefined();
  });

  it('sums rx/tx bytes of every interface but loopback', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:    4026      39    0    0    0     0          0         0     4026      39    0    0    0     0       0          0',
      '  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0',
      'docker0: 300 3 0 0 0 0 0 0 400 4 0 0 0 0 0 0',
    ].join('\n');
    expect(parseProcNetDev(text)).toEqual({ rx: 1300, tx: 2400 });
  });
});
