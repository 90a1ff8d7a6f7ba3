import { demuxDockerLog, logLines } from './docker-log';
import { PullProgressTracker } from './pull-progress';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('docker log', () => {
  it('joins multiplexed stdout and stderr frames in order', () => {
    const buffer = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err two\n'), frame(1, 'out three\n')]);
    expect(demuxDockerLog(buffer)).toBe('out one\nerr two\nout three\n');
  });

  it('reads a TTY log as plain text', () => {
    expect(demuxDockerLog(Buffer.from('hello\nworld\n'))).toBe('hello\nworld\n');
  });

  it('keeps the last lines and cuts very long ones', () => {
    expect(logLines('a\nb\nc\n', 2)).toEqual(['b', 'c']);
    expect(logLines('', 5)).toEqual([]);
    expect(logLines(`${'x'.repeat(10)}\n`, 1, 4)).toEqual(['xxxx…']);
  });
});

describe('PullProgressTracker', () => {
  it('reports overall progress across layers', () => {
    const t = new PullProgressTracker();
    expect(t.update({ id: 'a', status: 'Pulling fs layer' })).toBeUndefined();
    expect(t.update({ id: 'a', status: 'Downloading', progressDetail: { current: 50, total: 100 } })).toBe(50);
    expect(t.update({ id: 'b', status: 'Downloading', progressDetail: { current: 0, total: 300 } })).toBe(12);
    expect(t.update({ id: 'b', status: 'Download complete' })).toBe(87);
    expect(t.update({ id: 'a', status: 'Pull complete' })).toBe(100);
  });

  it('counts layers that already exist as done', () => {
    const t = new PullProgressTracker();
    t.update({ id: 'a', status: 'Already exists' });
    expect(t.update({ id: 'b', status: 'Downloading', progressDetail: { current: 1, total: 1 } })).toBe(100);
  });
});
