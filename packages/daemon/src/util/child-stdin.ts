// A writable into a child's stdin that drops whatever comes after the child stopped reading, instead of failing.
import { Writable } from 'node:stream';

/**
 * tar stops reading at the end-of-archive blocks; the record padding after them may still be on its way. Feeding
 * through this keeps the producer draining to its end (so its own checks still run), while the child's exit code
 * says whether the data was good.
 */
export function intoChildStdin(stdin: Writable): Writable {
  let gone = false;
  const stop = (): void => {
    gone = true;
  };
  stdin.on('error', stop);
  stdin.on('close', stop);
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (gone || stdin.write(chunk)) return cb();
      const resume = (): void => {
        stdin.off('drain', resume);
        stdin.off('close', resume);
        cb();
      };
      stdin.once('drain', resume);
      stdin.once('close', resume);
    },
    final(cb) {
      if (!gone) stdin.end();
      cb();
    },
  });
}
